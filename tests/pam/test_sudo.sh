#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sudo.sh - the real, setuid sudo with pam_ksm: a vault user in the
# local group sudo (custom field groups=sudo, given by nss_ksm's
# initgroups) runs "sudo -S -k true" with the vault password, which
# pam_ksm has the test's ksmd check (one request per sudo: its session
# takes the auth's read); after a KeeperPAM-style rotation
# (ksm-server-admin set-field) the old password fails and the new one works
# at once, without a sync; with the vault down the verifier of the last
# live login decides, unless pam_ksm's line says no_offline (docs/design.md
# recommends it for sudo), which refuses.
#
# Needs root; in a private mount namespace: the built libnss_ksm.so.2,
# libksm.so.0 and pam_ksm.so overlaid into the system library directory,
# a test /etc/pam.d/sudo, nsswitch.conf, /etc/ksm and /var/lib/ksm bind
# mounts, tmpfs over sudo's own state (/run/sudo, /var/lib/sudo). The
# system's /etc/sudoers is used if it has "%sudo ALL=(ALL:ALL) ALL",
# otherwise a test one is bind-mounted. Skipped (77) without root or sudo.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
SUDO=/usr/bin/sudo
[ -u "$SUDO" ] || { echo "SKIP: no setuid $SUDO"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) missing"; exit 77; }
private_dev_log

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
setup_system_ns
# gina's record asks for the local group sudo: an opt-in (local_groups is
# empty by default).
sysconf "local_groups = sudo"
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0

# sudo's own state, so that nothing (lecture files, time stamps) is left.
for d in /run/sudo /var/lib/sudo; do
	mkdir -p "$d" && sys_mount -t tmpfs -o mode=0711 tmpfs "$d"
done
if grep -qE '^%sudo[[:space:]]+ALL[[:space:]]*=[[:space:]]*\(ALL(:ALL)?\)[[:space:]]+ALL' /etc/sudoers 2>/dev/null; then
	ok "the system's /etc/sudoers has %sudo ALL=(ALL:ALL) ALL"
else
	printf 'Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n%%sudo ALL=(ALL:ALL) ALL\n' >"$T/sudoers"
	chmod 0440 "$T/sudoers"
	sys_mount --bind "$T/sudoers" /etc/sudoers
	ok "a test /etc/sudoers with %sudo ALL=(ALL:ALL) ALL (bind-mounted)"
fi
# pam_sudo [AUTH OPTIONS]: /etc/pam.d/sudo with pam_ksm (bind-mounted over
# the system's, once; rewritten in place after).
pam_sudo() {
	cat >"$T/pam-sudo" <<EOF2
#%PAM-1.0
auth     [success=done default=die] pam_ksm.so conf=/etc/ksm/ksm.conf $*
account  [success=done ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  required pam_unix.so
session  optional pam_ksm.so conf=/etc/ksm/ksm.conf
session  required pam_permit.so
EOF2
	chmod 0644 "$T/pam-sudo"
	[ -n "$PAM_SUDO_MOUNTED" ] || sys_mount --bind "$T/pam-sudo" /etc/pam.d/sudo
	PAM_SUDO_MOUNTED=1
}
PAM_SUDO_MOUNTED=
pam_sudo

check "nss_ksm: gina is a user (getent passwd)" bash -c "getent passwd gina | grep -q '^gina:x:$UID_GINA:'"
check "initgroups through nss_ksm: gina is in the local group sudo" \
	bash -c "setpriv --reuid=$UID_GINA --regid=$UID_GINA --init-groups id -Gn | grep -qw sudo"
check "alice is not in the group sudo" \
	bash -c "! setpriv --reuid=$UID_ALICE --regid=$UID_ALICE --init-groups id -Gn | grep -qw sudo"

# sudo_as UID PASSWORD [CMD...]: sets RC, OUT, ERR, MS.
sudo_as() {
	local uid=$1 pw=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	printf '%s\n' "$pw" | timeout 30 setpriv --reuid="$uid" --regid="$uid" --init-groups \
		"$SUDO" -S -k -p '' "${@:-true}" >"$T/out" 2>"$T/err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

reset_stats
log_mark
sudo_as $UID_GINA "$PW_GINA"
expect_rc "gina: sudo -S -k true with the vault password" 0
expect_log "the log says the vault (live) accepted gina" "pam_ksm\(sudo:auth\): gina: password accepted by the vault \(live"
expect_log "ksmd's audit line names the user, the service and the verdict" "ksmd\[[0-9]+\]: auth gina \(sudo.*\): ok, live"
check "one request for the sudo, auth and session ($(req_gets))" [ "$(req_gets)" = 1 ]
sudo_as $UID_GINA "$PW_GINA" id -u
check "gina: sudo id -u runs as root" [ "$RC" = 0 -a "$OUT" = 0 ]
sudo_as $UID_GINA "wrong-password"
echo "# sudo said: $(tr '\n' ' ' <<<"$ERR")"
check "gina: a wrong password fails (exit $RC)" [ "$RC" -ne 0 ]
check "gina: sudo reports an incorrect password" grep -qiE "incorrect password|sorry, try again" <<<"$ERR"
sudo_as $UID_ALICE "$PW_ALICE"
echo "# sudo said: $(tr '\n' ' ' <<<"$ERR")"
check "alice (right password, not in sudo) is refused (exit $RC)" [ "$RC" -ne 0 ]
check "alice: refused by sudoers, not by PAM" grep -q "not in the sudoers" <<<"$ERR"

admin set-field --record PamGina000000000000000 --field password --value "$PW_GINA2" >/dev/null ||
	fail "set-field"
past_reuse # within a second, not at once: an auth may take a read of the last second
sudo_as $UID_GINA "$PW_GINA"
check "rotated: the old password fails, no sync (exit $RC)" [ "$RC" -ne 0 ]
sudo_as $UID_GINA "$PW_GINA2"
expect_rc "rotated: the new password works at once, without a sync" 0

# The vault down: the offline verifier (refreshed by the last live login;
# past the second in which an auth takes that login's read).
past_reuse
fault refuse
log_mark
sudo_as $UID_GINA "$PW_GINA2"
expect_rc "vault down: the new password works offline" 0
expect_log "vault down: the offline verifier decided" "gina: password accepted by the offline verifier"
sudo_as $UID_GINA "$PW_GINA"
check "vault down: the old password is refused offline (exit $RC)" [ "$RC" -ne 0 ]
# no_offline on sudo's line: the verifier is not used, the vault down
# means refused.
pam_sudo no_offline
log_mark
sudo_as $UID_GINA "$PW_GINA2"
check "vault down, no_offline: the right password is refused (exit $RC)" [ "$RC" -ne 0 ]
expect_log "vault down, no_offline: the log names no_offline" "pam_ksm\(sudo:auth\): gina: vault unreachable .* and no_offline is set"
fault none
sudo_as $UID_GINA "$PW_GINA2"
expect_rc "no_offline, the vault back: the password works live" 0
pam_sudo

no_secret_in "no password in the syslog (sudo's own lines included)" "$SYSLOG"
finish
