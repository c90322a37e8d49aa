#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sshd_pam.sh - real sshd with UsePAM yes and pam_ksm in a test
# /etc/pam.d/sshd: keyboard-interactive logins with the vault password
# (ssh with SSH_ASKPASS, no terminal), rotation, and the session secret
# ksm:password in the login's session keyring (keyctl print
# %user:ksm:password inside the ssh command prints the vault's value), for
# password logins and for public-key logins (AuthorizedKeysCommand
# ksm-authorized-keys, no password through PAM). pam_keyinit (force revoke)
# runs before pam_ksm in the session stack, as on a Debian host. pam_ksm
# asks the test's ksmd; sshd runs auth and the session in two processes,
# and ksmd gives the session the auth's read: one request per login.
#
# Needs root; in a private mount namespace (tests/lib/namespace.sh
# setup_system_ns, plus tests/lib/sshd.sh sshd_system_dirs: /usr/sbin
# overlaid with the built keys helper, tmpfs over /home and /run/sshd).
# Skipped (77) without root or sshd.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
need_sshd
private_dev_log


sshd_vault_view alice gina mallory
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0
for u in alice gina; do
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u"
done
check "homes chowned through nss_ksm" [ "$(stat -c %U /home/alice)" = alice ]

sshd_pam_stack
sshd_start
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=10 -o LogLevel=ERROR)
# The session command: the key's value, then who owns the session keyring.
# "keyctl print %user:..." finds a key through /proc/keys wherever it is
# linked; "keyctl search @s" checks that it is in the session keyring.
REMOTE='keyctl print %user:ksm:password; echo; echo "uid=$(id -u)"; echo "serial=$(keyctl search @s user ksm:password)"; echo "anyserial=$(keyctl id %user:ksm:password)"'

# pw_login USER PASSWORD: keyboard-interactive with SSH_ASKPASS; the output
# is kept in OUT only (never in a file: it holds the password).
pw_login() {
	local t0
	t0=$(date +%s%N)
	OUT=$(KSM_TEST_PW=$2 SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 30 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$1@127.0.0.1" "$REMOTE" 2>"$T/err" </dev/null)
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	ERR=$(cat "$T/err")
}
key_login() {
	local t0
	t0=$(date +%s%N)
	OUT=$(timeout 30 ssh "${SSH_OPTS[@]}" -i "$T/$2" -o BatchMode=yes -o IdentitiesOnly=yes \
		-o PreferredAuthentications=publickey "$1@127.0.0.1" "$REMOTE" 2>"$T/err" </dev/null)
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	ERR=$(cat "$T/err")
}
# expect_session DESCRIPTION PASSWORD UID: the value, and the key in the
# login's session keyring (its serial in SERIAL; ANYSERIAL is the key
# found through /proc/keys, wherever it is).
expect_session() {
	SERIAL=$(sed -n 's/^serial=//p' <<<"$OUT")
	ANYSERIAL=$(sed -n 's/^anyserial=//p' <<<"$OUT")
	if [ "$RC" = 0 ] && [ "$(head -n 1 <<<"$OUT")" = "$2" ] && grep -qx "uid=$3" <<<"$OUT" &&
		[ -n "$SERIAL" ]; then
		ok "$1 (${MS} ms)"
	else
		fail "$1 (exit $RC; key value $( [ "$(head -n 1 <<<"$OUT")" = "$2" ] && echo right || echo wrong/missing); ssh: $ERR; $(grep -v -F -- "$2" <<<"$OUT" | tr '\n' ' ')"
	fi
}
refused() {
	if [ "$RC" = 255 ] && grep -q "Permission denied" <<<"$ERR"; then ok "$1 (${MS} ms)"; else fail "$1 (exit $RC; ssh: $ERR)"; fi
}

reset_stats
log_mark
pw_login alice "$PW_ALICE"
expect_session "password login (keyboard-interactive): session has ksm:password = the vault's" "$PW_ALICE" $UID_ALICE
expect_log "sshd's PAM: the vault (live) accepted alice" "pam_ksm\(sshd:auth\): alice: password accepted by the vault \(live"
expect_log "sshd's PAM: the session secret went into the keyring" "pam_ksm\(sshd:(session|setcred)\): alice: 1 session secret"
expect_log "ksmd's audit line names sshd and the client's address" "ksmd\[[0-9]+\]: auth alice \(sshd from 127\.0\.0\.1.*\): ok, live"
check "one password login, auth and session in two sshd processes: one request ($(req_gets) get_secret, $(req_total) in all)" \
	[ "$(req_gets)" = 1 -a "$(req_total)" = 1 ]
# After the logout, close_session revoked it: the user can no longer read it.
revoked_after_logout() {
	local uid=$1 i r=
	for i in $(seq 1 20); do
		r=$(setpriv --reuid="$uid" --regid="$uid" --clear-groups keyctl print "$ANYSERIAL" 2>&1 >/dev/null) && r=readable
		[ "$r" != readable ] && break
		sleep 0.1
	done
	if [ -n "$ANYSERIAL" ] && [ "$r" != readable ]; then ok "$2 ($r)"; else fail "$2 (key '$ANYSERIAL' still readable by uid $uid)"; fi
}
revoked_after_logout $UID_ALICE "password login: the key is revoked after logout"

pw_login alice "wrong-password"
refused "a wrong password is refused"
pw_login root "$PW_ALICE"
refused "root (local, PermitRootLogin no) is refused"

admin set-field --record PamAlice00000000000000 --field password --value "$PW_ALICE2" >/dev/null || fail "set-field"
past_reuse # within a second, not at once: an auth may take a read of the last second
pw_login alice "$PW_ALICE"
refused "rotated: the old password is refused, no sync"
pw_login alice "$PW_ALICE2"
expect_session "rotated: the new password logs in at once, and ksm:password is the new value" "$PW_ALICE2" $UID_ALICE

# Public-key login: the keys helper gives the key, no password passes
# through PAM, and the session still gets ksm:password.
reset_stats
key_login gina gina
expect_session "public-key login: the session has ksm:password = the vault's" "$PW_GINA" $UID_GINA
check "public-key login: one request, the session's; the keys helper served the fresh snapshot (get_secret $(req_gets))" [ "$(req_gets)" = 1 ]
revoked_after_logout $UID_GINA "public-key login: the key is revoked after logout"
check "sshd accepted gina's vault key" grep -q "Accepted publickey for gina" "$T/sshd.log"
key_login gina mallory
refused "public-key login with a key in no record is refused"

# The session keyring the login got is the one pam_keyinit made for it.
OUT=$(timeout 30 ssh "${SSH_OPTS[@]}" -i "$T/gina" -o BatchMode=yes -o IdentitiesOnly=yes \
	gina@127.0.0.1 'keyctl show @s' 2>"$T/err" </dev/null)
echo "# keyctl show @s in gina's session:"
sed 's/^/#   /' <<<"$OUT"
check "keyctl show @s: ksm:password is in the login's session keyring" grep -q "user: ksm:password" <<<"$OUT"

no_secret_in "no password in the syslog (sshd's PAM lines)" "$SYSLOG"
no_secret_in "no password in sshd's log" "$T/sshd.log"
no_secret_in "no password in ksmd's log" "$T/ksmd.log"
if [ "$FAILED" -ne 0 ]; then
	echo "# --- sshd log (last 30 lines) ---"
	tail -n 30 "$T/sshd.log" | sed 's/^/# /'
	echo "# --- syslog (last 30 lines) ---"
	tail -n 30 "$SYSLOG" | sed 's/^/# /'
fi
finish
