#!/bin/bash
# SPDX-License-Identifier: MIT
# login-tour.sh - the second half of the demo: a real sshd and sudo on this
# machine, in a private mount namespace (so /etc and /usr are left as they
# were), with nss_ksm, pam_ksm and ksm-authorized-keys from the build tree
# and the bundled local KSM server. Called by demo/demo.sh; needs root.
#
# It reuses the tests' set-up (tests/lib): the local server, the private
# namespace and its system view, the syslog capture, sshd, the broker ksmd
# (started by bind, as ksmctl init is followed by ksmd on a host), and the
# vault of tests/pam/mkvault.py (pamvault.sh), where gina is a vault user
# in the local group sudo (allowed with local_groups = sudo). sshd and sudo
# use Debian's PAM files with the lines of pam_ksm(8), EXAMPLES, taken from
# the man page itself (pamdocs.sh).
: "${builddir:?run demo/demo.sh}"
lib="$(dirname "$0")/../tests/lib"
. "$lib/common.sh"
. "$lib/server.sh"
. "$lib/namespace.sh"
. "$lib/syslog.sh"
. "$lib/sshd.sh"
. "$lib/pamvault.sh"
. "$lib/pamdocs.sh"
need_root_ns "$@"
private_dev_log

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

say "a vault with Linux users; gina has an SSH key and is in the group sudo"
for n in alice gina; do ssh-keygen -q -t ed25519 -N '' -C "$n@laptop" -f "$T/$n"; done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
setup_system_ns
sshd_system_dirs
for d in /run/sudo /var/lib/sudo; do mkdir -p "$d" && sys_mount -t tmpfs -o mode=0711 tmpfs "$d"; done
say "ksm.conf: gina's record asks for the local group sudo, which takes an explicit opt-in"
show "echo 'local_groups = sudo' >>/etc/ksm/ksm.conf   (the default allows no local group)"
sysconf "local_groups = sudo"
bind
expect_rc "ksmctl init (bind this host)" 0
show "ksmd --foreground &   (the broker: pam_ksm and ksm-authorized-keys ask it, it asks Keeper)"
echo "ksmd runs as pid $KSMD_PID on $T/ksmd.sock"
run_ksmctl sync
expect_rc "ksmctl sync" 0
show "ksmctl sync"; echo "$OUT"
show "getent passwd gina; id gina"
getent passwd gina
id gina
mkdir -p /home/gina && chown gina: /home/gina

say "PAM: the lines of pam_ksm(8), EXAMPLES, in Debian's /etc/pam.d/sshd and /etc/pam.d/sudo"
for svc in sshd sudo; do
	doc_block "$TOP_SRC/man/pam_ksm.8" "$svc" >"$T/block.$svc" || { echo "man/pam_ksm.8: no $svc example"; exit 99; }
	doc_merge "/etc/pam.d/$svc" "$T/block.$svc" >"$T/pam-$svc"
	chmod 0644 "$T/pam-$svc"
	sys_mount --bind "$T/pam-$svc" "/etc/pam.d/$svc"
done
grep -E 'pam_ksm|@include' /etc/pam.d/sshd
grep -qE '^%sudo' /etc/sudoers || {
	printf 'root ALL=(ALL:ALL) ALL\n%%sudo ALL=(ALL:ALL) ALL\n' >"$T/sudoers"
	chmod 0440 "$T/sudoers"
	sys_mount --bind "$T/sudoers" /etc/sudoers
}

sshd_start

SSH=(ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o LogLevel=ERROR -o BatchMode=yes -o IdentitiesOnly=yes)
say "an SSH login with gina's vault key (sshd asks ksm-authorized-keys); the session has her vault password in the kernel keyring"
show "ssh -i gina.key gina@127.0.0.1 'id; keyctl print %user:ksm:password'"
reset_stats
OUT=$("${SSH[@]}" -i "$T/gina" gina@127.0.0.1 'id; keyctl print %user:ksm:password; echo' 2>&1)
echo "$OUT"
echo "(requests to Keeper for this login: $(req_gets); the keys came from the snapshot)"
check "ssh login with the vault key, keyctl prints the vault password" grep -qx "$PW_GINA" <<<"$OUT"
show "ssh -i alice.key gina@127.0.0.1   (a key not in gina's record)"
"${SSH[@]}" -i "$T/alice" gina@127.0.0.1 true 2>&1 | head -1
check "another user's key is refused" bash -c "! ${SSH[*]@Q} -i '$T/alice' gina@127.0.0.1 true 2>/dev/null"

sudo_as() {
	printf '%s\n' "$2" | setpriv --reuid="$1" --regid="$1" --init-groups sudo -S -k -p '' id -u 2>&1
}
say "sudo with the vault password (pam_ksm asks the vault, live)"
show "echo VAULT_PASSWORD | sudo -S -k id -u   (as gina)"
reset_stats
OUT=$(sudo_as $UID_GINA "$PW_GINA"); echo "$OUT"
echo "(requests to Keeper for this sudo: $(req_gets); its session took the auth's read)"
check "sudo with gina's vault password" [ "$OUT" = 0 ]

say "KeeperPAM rotates gina's password in the vault: sudo follows at once, no sync"
admin set-field --record PamGina000000000000000 --field password --value "$PW_GINA2" >/dev/null
show "sudo with the new password"
OUT=$(sudo_as $UID_GINA "$PW_GINA2"); echo "$OUT"
check "the new password works, without a sync" [ "$OUT" = 0 ]
show "sudo with the old password"
OUT=$(sudo_as $UID_GINA "$PW_GINA"); echo "$OUT" | tail -1
check "the old password is refused" [ "$OUT" != 0 ]
show "ssh ... 'keyctl print %user:ksm:password'   (a new login gets the new value)"
OUT=$("${SSH[@]}" -i "$T/gina" gina@127.0.0.1 'keyctl print %user:ksm:password; echo' 2>&1)
echo "$OUT"
check "a new session's keyring holds the rotated password" grep -qx "$PW_GINA2" <<<"$OUT"

say "what pam_ksm and ksmd logged (never a password)"
grep -h "pam_ksm" "$SYSLOG" | sed 's/^<[0-9]*>//' | tail -n 8
grep -h "ksmd\[[0-9]*\]: auth " "$SYSLOG" | sed 's/^<[0-9]*>//' | tail -n 4
no_secret_in "no password in the logs (syslog, ksmd's)" "$SYSLOG" "$T/ksmd.log"
finish
