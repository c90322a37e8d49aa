# SPDX-License-Identifier: MIT
# pam.sh - pam_ksm through libpam (sourced, bash; after common.sh): the
# harness tests/pam/pam_harness (pam_start_confdir with service files under
# $T/pam.d) and the service files. KSM_PAM_NO_HARNESS=1: a script that
# drives libpam otherwise (tests/load/load_driver) does not need it built.
[ -n "${KSM_LIB_PAM:-}" ] && return 0
KSM_LIB_PAM=1

HARNESS="$builddir/tests/pam/pam_harness"
[ -f "$PAM_MOD" ] || { echo "not built: $PAM_MOD"; exit 99; }
[ -n "${KSM_PAM_NO_HARNESS:-}" ] || [ -x "$HARNESS" ] || { echo "not built: $HARNESS (make check builds it)"; exit 99; }

# pam_service NAME [MODULE ARGS...]: $T/pam.d/NAME with pam_ksm in all four
# stacks. Each pam_ksm line ends the stack on success and returns its own
# code on failure ([... default=die]); PAM_IGNORE falls through to pam_echo,
# whose message "ignored:TYPE" shows that the module said PAM_IGNORE.
pam_service() {
	local name=$1 t
	shift
	mkdir -p "$T/pam.d"
	# libpam reads "other" from the confdir too; deny all there.
	[ -f "$T/pam.d/other" ] || printf '%s required pam_deny.so\n' auth account session password >"$T/pam.d/other"
	: >"$T/pam.d/$name"
	for t in auth account session password; do
		echo "$t [success=done ignore=ignore default=die] $PAM_MOD conf=$T/ksm.conf $*" >>"$T/pam.d/$name"
		echo "$t optional pam_echo.so ignored:$t" >>"$T/pam.d/$name"
		echo "$t required pam_permit.so" >>"$T/pam.d/$name"
	done
}

# pam SERVICE USER OP...: the harness in a fresh session keyring (keyctl
# session -), so nothing lands in the test runner's own keyring. The
# password is $PW, the TOTP code $CODE, the expected key value $EXPECT (all
# through the environment; $DELAY ms before the password is typed).
# Sets OUT, ERR, RC, MS.
PW= CODE= EXPECT= DELAY=
pam() {
	PAM_HARNESS_PASSWORD="$PW" PAM_HARNESS_TOTP="$CODE" PAM_HARNESS_EXPECT="$EXPECT" \
		PAM_HARNESS_DELAY_MS="$DELAY" run keyctl session - "$HARNESS" -c "$T/pam.d" "$@"
	ERR=$(grep -v '^Joined session keyring' "$T/err")
}
