# SPDX-License-Identifier: MIT
# checks.sh - the pass/fail counters of every test script (sourced, bash).
# Needs nothing else, so that scripts with state of their own
# (tests/package/test_debs.sh outside its namespace, test_dist.sh,
# test_man.sh, test_pam_symbols.sh) can use it alone; common.sh sources it.
#
# A check prints "ok - WHAT" or "not ok - WHAT"; finish prints
# "N passed, N failed" and returns non-zero if any failed. The expect_*
# helpers judge the last command run (RC, OUT, ERR: common.sh's run).
[ -n "${KSM_LIB_CHECKS:-}" ] && return 0
KSM_LIB_CHECKS=1

PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION CMD...: passes when CMD exits 0.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# expect_rc DESCRIPTION RC_WANTED [GREP_IN_STDERR]
expect_rc() {
	local what=$1 want=$2 pat=${3:-}
	if [ "$RC" -ne "$want" ]; then
		fail "$what (exit $RC, wanted $want; stderr: $ERR)"
	elif [ -n "$pat" ] && ! grep -qiE -- "$pat" <<<"$ERR"; then
		fail "$what (stderr lacks /$pat/: $ERR)"
	else
		ok "$what"
	fi
}

# expect_out DESCRIPTION WANTED: exit 0 and stdout equals WANTED exactly.
expect_out() {
	if [ "$RC" -eq 0 ] && [ "$OUT" = "$2" ]; then
		ok "$1"
	else
		fail "$1 (exit $RC, got '$OUT', wanted '$2'; stderr: $ERR)"
	fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
