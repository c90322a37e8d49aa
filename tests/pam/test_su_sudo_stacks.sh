#!/bin/bash
# SPDX-License-Identifier: MIT
# test_su_sudo_stacks.sh - the documented PAM stacks for the real setuid
# sudo and su and for passwd, with root, a local user (lucy, pam_unix) and
# vault users (gina, in the local group sudo; alice), first as set up and
# then with each fault of tests/pam/stacks.sh (a typo in ksm.conf, ksmd
# stopped, the snapshot missing, pam_ksm.so missing). Root and the local
# user must get through every time (root's sudo asks no password, so libpam
# follows the auth lines with pam_ksm's setcred answer); vault users fail
# closed.
#
# The stacks: the pam-example "sudo" block of man/pam_ksm.8 merged into
# Debian's /etc/pam.d/sudo, the password line of its "sshd" block merged
# into /etc/pam.d/passwd, and Debian's files over the common-* files that
# pam-auth-update makes from dist/pam-configs (ksm and ksm-password): sudo,
# su, and passwd, which tells a vault user where the password is changed.
#
# Needs root, sudo, su and Debian's PAM files; in a private mount namespace
# (tests/pam/stacks.sh). Skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks.sh"
. "$TOP_SRC/tests/lib/su.sh"
need_root_ns "$@"
SUDO=/usr/bin/sudo
[ -u "$SUDO" ] || { echo "SKIP: no setuid $SUDO"; exit 77; }
need_su
need_sshd # stacks_setup makes keys with ssh-keygen
private_dev_log
stacks_setup
for d in /run/sudo /var/lib/sudo; do
	mkdir -p "$d" && sys_mount -t tmpfs -o mode=0711 tmpfs "$d"
done
grep -qE '^%sudo[[:space:]]+ALL' /etc/sudoers ||
	printf 'root ALL=(ALL:ALL) ALL\n%%sudo ALL=(ALL:ALL) ALL\n' >/etc/sudoers
check "nss_ksm: gina is in the local group sudo (local_groups = sudo)" \
	bash -c "setpriv --reuid=$UID_GINA --regid=$UID_GINA --init-groups id -Gn | grep -qw sudo"

# as_user USER PASSWORD CMD...: CMD as USER (real ids, init groups), the
# password on standard input; sets RC, OUT, ERR.
as_user() {
	local user=$1 pw=$2
	shift 2
	printf '%s\n' "$pw" | timeout 30 setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
		"$@" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(head -c 300 "$T/err" | tr '\n' ' ')
}
# as_root CMD...: CMD as root, nothing on standard input.
as_root() {
	timeout 30 "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(head -c 300 "$T/err" | tr '\n' ' ')
}
# expect WANT_OUTPUT DESCRIPTION: exit 0 and that output, or (WANT_OUTPUT
# "refused") a non-zero exit.
expect() {
	if [ "$1" = refused ]; then
		if [ "$RC" != 0 ]; then ok "$2: refused"; else fail "$2: wanted refused, got exit 0 ($OUT)"; fi
	elif [ "$RC" = 0 ] && [ "$OUT" = "$1" ]; then
		ok "$2"
	else
		fail "$2: wanted '$1', got exit $RC, '$OUT' ($ERR)"
		log_since | tail -n 6 | sed 's/^/#   syslog: /'
	fi
}
vault_want() { if [ "$1" = none ]; then echo "$2"; else echo refused; fi; }

# sudo_matrix: every fault; root without a password, lucy and gina with
# theirs.
sudo_matrix() {
	local fault
	for fault in $FAULTS; do
		fault_on "$fault"
		log_mark
		as_root "$SUDO" -u "$LOCAL" id -un
		expect "$LOCAL" "[$STACK] fault $fault: root: sudo -u $LOCAL (no password asked: setcred alone)"
		as_user "$LOCAL" "$PW_LOCAL" "$SUDO" -S -k -p '' id -un
		expect root "[$STACK] fault $fault: $LOCAL: sudo with the local password"
		as_user gina "$PW_GINA" "$SUDO" -S -k -p '' id -un
		expect "$(vault_want "$fault" root)" "[$STACK] fault $fault: gina (vault): sudo with the vault password"
		# Without the snapshot gina does not exist (NSS): sudo does not start.
		case $fault in none | snapshot) ;; *)
			expect_log "[$STACK] fault $fault: the log says why gina was refused" "$(fault_log "$fault" gina)" ;;
		esac
		fault_off "$fault"
	done
}

# passwd_matrix: root changes lucy's password (pam_unix; every fault), and
# alice's is refused with the message.
passwd_matrix() {
	local fault hash
	hash=$(awk -F: -v u="$LOCAL" '$1 == u { print $2 }' /etc/shadow)
	for fault in $FAULTS; do
		fault_on "$fault"
		printf '%s\n%s\n' "$PW_LOCAL2" "$PW_LOCAL2" | timeout 30 passwd "$LOCAL" >"$T/out" 2>&1
		RC=$?
		check "[$STACK] fault $fault: passwd $LOCAL (root) changes the local password (exit $RC)" \
			bash -c "[ $RC = 0 ] && [ \"\$(awk -F: '\$1 == \"$LOCAL\" { print \$2 }' /etc/shadow)\" != '$hash' ]"
		usermod -p "$hash" "$LOCAL"
		fault_off "$fault"
	done
	log_mark
	timeout 30 passwd alice >"$T/out" 2>&1 </dev/null
	RC=$?
	echo "# passwd alice said: $(tr '\n' ' ' <"$T/out")"
	check "[$STACK] passwd alice (vault) fails and says: managed in Keeper, change it there" \
		bash -c "[ $RC != 0 ] && grep -q 'The password of vault user alice is managed in Keeper; change it there.' '$T/out'"
	expect_log "[$STACK] the refusal is logged" "pam_ksm\\(passwd:chauthtok\\): alice: password change refused"
}

# --- man/pam_ksm.8's sudo block in Debian's /etc/pam.d/sudo.
stack_docs sudo man/pam_ksm.8 sudo
echo "# /etc/pam.d/sudo from man/pam_ksm.8:"
grep -v '^#' /etc/pam.d/sudo | grep . | sed 's/^/#   /'
sudo_matrix
# ... and the password line of its sshd block in /etc/pam.d/passwd.
doc_block "$TOP_SRC/man/pam_ksm.8" sshd | grep -E '^password|common-password' >"$T/block.passwd"
doc_merge "$T/pam.orig/passwd" "$T/block.passwd" >/etc/pam.d/passwd
STACK="man/pam_ksm.8:password line"
check "[$STACK] /etc/pam.d/passwd has pam_ksm above @include common-password" \
	bash -c "grep -A1 '^password .*pam_ksm.so' /etc/pam.d/passwd | grep -q '^@include common-password'"
passwd_matrix

# --- the profiles: sudo, su and passwd through the common-* files.
stack_profile ksm ksm-password
sudo_matrix
passwd_matrix
for fault in $FAULTS; do
	fault_on "$fault"
	log_mark
	as_user "$LOCAL" "$PW_ROOT" "$SU" root -c 'id -un'
	expect root "[$STACK] fault $fault: $LOCAL: su root with root's password"
	as_root "$SU" "$LOCAL" -c 'id -un'
	expect "$LOCAL" "[$STACK] fault $fault: root: su $LOCAL (pam_rootok)"
	as_user "$LOCAL" "$PW_ALICE" "$SU" alice -c 'id -un'
	expect "$(vault_want "$fault" alice)" "[$STACK] fault $fault: $LOCAL: su alice with her vault password"
	fault_off "$fault"
done
as_root "$SU" alice -c 'id -un'
expect alice "[$STACK] root: su alice (pam_rootok; a vault user)"

no_secret_in "no password in the syslog" "$SYSLOG"
no_secret_in "no password in ksmd's log" "$T/ksmd.log"
finish
