# SPDX-License-Identifier: MIT
# common.sh - the frame of a test script (sourced, bash): where the sources
# and the build are, the built programs under test, the state directory $T,
# the pass/fail counters (checks.sh), background processes killed at exit,
# and run (a command's exit code, output and wall time).
#
# srcdir and builddir come from make check (tests/local.mk); by hand they
# default to this tree and the current directory (cd build/normal && bash
# ../../tests/AREA/test_X.sh). $T is a fresh directory under $TMPDIR
# (tests/run-all.sh sets TMPDIR=BUILD/test-tmp); it is removed at exit
# unless a check failed or KEEP_TMP is set.
[ -n "${KSM_LIB_COMMON:-}" ] && return 0
KSM_LIB_COMMON=1

set -u
KSM_TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${srcdir:=$(cd "$KSM_TESTS_LIB/../.." && pwd)}"
: "${builddir:=$(pwd)}"
TOP_SRC=$(cd "$srcdir" && pwd)
PY=/usr/bin/python3

# shellcheck source=checks.sh
. "$KSM_TESTS_LIB/checks.sh"

# What the build made. KSM_PAM_MODULE: test another pam_ksm.so (e.g. an
# installed one). The keys helper is the program itself, not a libtool
# wrapper (sshd runs it from an overlay, tests/lib/sshd.sh).
KSMCTL="${KSMCTL:-$builddir/ksmctl}"
PAM_MOD="${KSM_PAM_MODULE:-$builddir/.libs/pam_ksm.so}"
KEYS_BIN="$builddir/ksm-authorized-keys"
[ -x "$builddir/.libs/ksm-authorized-keys" ] && KEYS_BIN="$builddir/.libs/ksm-authorized-keys"

# libksm_from_build: programs that dlopen libksm.so.0 (the keys helper's
# live path) find the one in the build tree.
libksm_from_build() {
	export LD_LIBRARY_PATH="$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/ksm-it.XXXXXX")

# Background processes of the test (the local server, sshd, the syslog
# listener), killed by pid at exit.
BG_PIDS=
bg_add() { BG_PIDS="$BG_PIDS $1"; }

cleanup() {
	local p
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	BG_PIDS=
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# state kept in $T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# run CMD...: sets OUT, ERR (its stdout and stderr, also in $T/out and
# $T/err), RC and MS (wall time in ms).
run() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$T/out" 2>"$T/err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
