# SPDX-License-Identifier: MIT
# pamvault.sh - the vault of tests/pam/mkvault.py (sourced, bash): the
# PAM tests, the fault matrix, bench/run-pam.sh and the demo's login tour
# use it. Its passwords are the PW_* constants below, each a string that
# appears nowhere else, so that logs and files can be grepped for them.
[ -n "${KSM_LIB_PAMVAULT:-}" ] && return 0
KSM_LIB_PAMVAULT=1

# mkvault.py, totp.py, valgrind.supp.
PAMDIR="$TOP_SRC/tests/pam"

PW_ALICE=pw-alice-7Hq2xZ
PW_ALICE2=pw-alice-rot-3Kd9Mv
PW_BOB=pw-bob-V8s1Lm
PW_CAROL=pw-carol-N4c6Tw
PW_ERIN=pw-erin-Q2w9Jz
PW_FRANK=pw-frank-R5t3Yb
PW_GINA=pw-gina-H6j2Pk
PW_GINA2=pw-gina-rot-8Ls4Qe
PW_DB=db-secret-Z7x4Wq
TOTP_SECRET=JBSWY3DPEHPK3PXP
ALL_SECRETS="$PW_ALICE $PW_ALICE2 $PW_BOB $PW_CAROL $PW_ERIN $PW_FRANK $PW_GINA $PW_GINA2 $PW_DB"
UID_ALICE=261001 UID_BOB=261002 UID_CAROL=261003 UID_DAN=261004
UID_ERIN=261005 UID_FRANK=261006 UID_GINA=261007

# no_secret_in DESCRIPTION FILE...: none of the vault's passwords in them.
no_secret_in() {
	local what=$1 s hits=""
	shift
	for s in $ALL_SECRETS; do
		hits="$hits$(grep -rlaF -- "$s" "$@" 2>/dev/null | sed "s|^|$s in |")"
	done
	if [ -z "$hits" ]; then ok "$what"; else fail "$what: $hits"; fi
}
