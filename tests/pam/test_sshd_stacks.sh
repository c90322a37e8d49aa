#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sshd_stacks.sh - every documented PAM stack for sshd, with a real
# sshd and ssh client, for every method (password, keyboard-interactive,
# public key) and three users: root and a local user (lucy: pam_unix,
# /etc/shadow, authorized_keys) and a vault user (alice: pam_ksm through
# ksmd, ksm-authorized-keys), first as set up and then with each fault of
# tests/pam/stacks.sh: a typo in ksm.conf, ksmd stopped, the snapshot
# missing, pam_ksm.so missing. Root and the local user must log in every
# time; the vault user fails closed (except a public-key login with ksmd
# stopped, which the snapshot's keys serve) and the log says why.
#
# The stacks: the pam-example "sshd" block of man/pam_ksm.8 (the same text
# as README.md's, checked) merged into Debian's /etc/pam.d/sshd, and
# Debian's /etc/pam.d/sshd over the common-* files that pam-auth-update
# makes from dist/pam-configs (ksm with ksm-password; ksm-totp with a TOTP
# login of bob). Also: an unknown name is logged once per attempt as "not
# a vault user", and no password reaches a log.
#
# Needs root, sshd and Debian's PAM files; in a private mount namespace
# (tests/pam/stacks.sh). Skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks.sh"
need_root_ns "$@"
need_sshd
private_dev_log
stacks_setup

sshd_start "PasswordAuthentication yes" "PermitRootLogin yes" "AuthorizedKeysFile $T/authkeys/%u"
cat >"$T/askpass2" <<'EOF'
#!/bin/sh
case "$1" in
*erification*) printf '%s\n' "$KSM_TEST_CODE" ;;
*) printf '%s\n' "$KSM_TEST_PW" ;;
esac
EOF
chmod 0755 "$T/askpass2"
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=10 -o LogLevel=ERROR -o ControlMaster=no -o ControlPath=none)

# login METHOD USER [PASSWORD [CODE]]: one ssh login running "id -un";
# sets RC, OUT (the remote output), ERR, MS.
login() {
	local method=$1 user=$2 t0 opts
	t0=$(date +%s%N)
	case $method in
	pubkey)
		opts=(-i "$T/$user" -o BatchMode=yes -o IdentitiesOnly=yes -o PreferredAuthentications=publickey)
		[ -f "$T/$user" ] || opts=(-o BatchMode=yes -o PreferredAuthentications=publickey)
		OUT=$(timeout 30 ssh "${SSH_OPTS[@]}" "${opts[@]}" "$user@127.0.0.1" id -un 2>"$T/err" </dev/null)
		;;
	password | keyboard-interactive)
		OUT=$(KSM_TEST_PW=${3:-} KSM_TEST_CODE=${4:-} SSH_ASKPASS="$T/askpass2" SSH_ASKPASS_REQUIRE=force \
			DISPLAY=:0 timeout 30 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
			-o PreferredAuthentications="$method" -o NumberOfPasswordPrompts=1 \
			"$user@127.0.0.1" id -un 2>"$T/err" </dev/null)
		;;
	esac
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	ERR=$(head -c 300 "$T/err" | tr '\n' ' ')
}
pw_of() {
	case $1 in
	root) echo "$PW_ROOT" ;;
	"$LOCAL") echo "$PW_LOCAL" ;;
	alice) echo "$PW_ALICE" ;;
	esac
}
# expect_login WANT DESCRIPTION: WANT ok (logged in as the user) or
# refused (ssh exits 255 with no output: "Permission denied" from
# authentication, or the connection closed by sshd's PAM account check).
expect_login() {
	local want=$1 what=$2
	if [ "$want" = ok ] && [ "$RC" = 0 ] && [ "$OUT" = "$USER_NOW" ]; then
		ok "$what (${MS} ms)"
	elif [ "$want" = refused ] && [ "$RC" = 255 ] && [ -z "$OUT" ]; then
		ok "$what: refused (${MS} ms)"
	else
		fail "$what: wanted $want, got exit $RC, output '$OUT' ($ERR)"
		tail -n 8 "$T/sshd.log" | sed 's/^/#   sshd: /'
		log_since | tail -n 6 | sed 's/^/#   syslog: /'
	fi
}
# vault_want FAULT METHOD: what the vault user gets.
vault_want() {
	case $1:$2 in
	none:*) echo ok ;;
	ksmd:pubkey) echo ok ;; # keys from the snapshot; no session secrets
	*) echo refused ;;
	esac
}

# matrix: every fault, every method, root, the local user and alice.
matrix() {
	local fault method user want
	for fault in $FAULTS; do
		fault_on "$fault"
		log_mark
		for method in password keyboard-interactive pubkey; do
			for user in root "$LOCAL" alice; do
				want=ok
				[ "$user" = alice ] && want=$(vault_want "$fault" "$method")
				USER_NOW=$user
				login "$method" "$user" "$(pw_of "$user")"
				expect_login "$want" "[$STACK] fault $fault: $user, $method"
			done
		done
		[ "$fault" = none ] || expect_log "[$STACK] fault $fault: the log says why alice was refused" \
			"$(fault_log "$fault" alice)"
		fault_off "$fault"
	done
}

# --- The docs' own block: man page and README agree, then log in.
doc_block "$TOP_SRC/man/pam_ksm.8" sshd >"$T/man.sshd" || fail "man/pam_ksm.8 has no pam-example block 'sshd'"
doc_block "$TOP_SRC/README.md" sshd >"$T/readme.sshd" || fail "README.md has no pam-example block 'sshd'"
check "README.md's sshd lines are man/pam_ksm.8's ($(grep -c pam_ksm "$T/man.sshd") pam_ksm lines)" \
	cmp -s "$T/man.sshd" "$T/readme.sshd"
stack_docs sshd man/pam_ksm.8 sshd
echo "# /etc/pam.d/sshd from man/pam_ksm.8 (pam_ksm and anchor lines):"
grep -E 'pam_ksm|@include' /etc/pam.d/sshd | sed 's/^/#   /'
check "[$STACK] the pam_ksm lines sit above their @include lines" \
	bash -c "grep -A1 '^auth .*pam_ksm.so' /etc/pam.d/sshd | grep -q '^@include common-auth' &&
		grep -A1 '^account .*pam_ksm.so' /etc/pam.d/sshd | grep -q '^@include common-account'"
matrix

# An unknown name: refused, and "not a vault user" once for the attempt.
stack_docs sshd man/pam_ksm.8 sshd
log_mark
USER_NOW=nosuchuser
login keyboard-interactive nosuchuser whatever
expect_login refused "[$STACK] an unknown name (keyboard-interactive)"
sleep 0.3
n=$(log_since | grep -c 'pam_ksm(sshd:auth): nosuchuser: not a vault user: not in /etc/passwd and not in the snapshot')
check "[$STACK] the unknown name is logged as 'not a vault user', once for the attempt ($n)" [ "$n" = 1 ]

# --- pam-auth-update's profiles over Debian's /etc/pam.d/sshd.
stack_profile ksm ksm-password
echo "# common-auth from the profile:"
grep -v '^#' /etc/pam.d/common-auth | grep . | sed 's/^/#   /'
check "[$STACK] pam_ksm above pam_unix in common-auth" \
	awk '/pam_ksm\.so/ && !u { k = 1 } /pam_unix\.so/ { u = 1 } END { exit !(k && u) }' /etc/pam.d/common-auth
matrix

# ksm-totp: bob's record has a code; keyboard-interactive asks for it.
stack_profile ksm-totp ksm-password
check "[$STACK] common-auth's pam_ksm line has totp=if_present" grep -q 'pam_ksm\.so.*totp=if_present' /etc/pam.d/common-auth
mkdir -p /home/bob && chown bob: /home/bob
USER_NOW=bob
login keyboard-interactive bob "$PW_BOB" "$(totp_now)"
expect_login ok "[$STACK] bob: password and one-time code (keyboard-interactive)"
login keyboard-interactive bob "$PW_BOB" 000000
expect_login refused "[$STACK] bob: a wrong code"
for fault in none conf; do
	fault_on "$fault"
	for method in password keyboard-interactive pubkey; do
		for user in root "$LOCAL"; do
			USER_NOW=$user
			login "$method" "$user" "$(pw_of "$user")"
			expect_login ok "[$STACK] fault $fault: $user, $method"
		done
	done
	USER_NOW=alice
	login keyboard-interactive alice "$PW_ALICE"
	expect_login "$(vault_want "$fault" keyboard-interactive)" "[$STACK] fault $fault: alice (no code in her record), keyboard-interactive"
	fault_off "$fault"
done

no_secret_in "no password in the syslog" "$SYSLOG"
no_secret_in "no password in sshd's log" "$T/sshd.log"
no_secret_in "no password in ksmd's log" "$T/ksmd.log"
finish
