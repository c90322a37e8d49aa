#!/bin/bash
# SPDX-License-Identifier: MIT
# run.sh - the load tests (tests/load/test_load_*.sh), one after the other,
# then their figures (wall times, requests counted, descriptors and memory
# before/after, ksmd's among them). Heavy, so not part of make check;
# tests/run-all.sh runs this as its "load tests" step. About 4 minutes on
# 2 cores. The tests' state directories go under $TMPDIR, by default
# BUILDDIR/test-tmp (as tests/run-all.sh has it), not the shared /tmp.
#
#   tests/load/run.sh [BUILDDIR]     (default build/normal; root for all
#                                     but the NSS test, which skip (77)
#                                     otherwise)
# Exit status: 0 when none failed (skips allowed), 1 otherwise.
set -u
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-$srcdir/build/normal}" && pwd) || exit 2
export srcdir builddir
: "${TMPDIR:=$builddir/test-tmp}"
mkdir -p "$TMPDIR" || exit 2
export TMPDIR
make -s -C "$builddir" tests/load/load_driver tests/pam/pam_harness >/dev/null || exit 1

pass=0 fail=0 skip=0 figures=
for t in pam sshd keys nss ratelimit ksmd; do
	script="$srcdir/tests/load/test_load_$t.sh"
	echo "--- $script"
	t0=$SECONDS
	out=$(cd "$builddir" && bash "$script" 2>&1)
	rc=$?
	echo "$out"
	figures="$figures$(grep '^# figure: ' <<<"$out" | sed 's/^# figure: /  /')"$'\n'
	case $rc in
	0) pass=$((pass + 1)) r=ok ;;
	77) skip=$((skip + 1)) r=skipped ;;
	*) fail=$((fail + 1)) r=FAILED ;;
	esac
	echo "--- test_load_$t.sh: $r ($((SECONDS - t0)) s)"
done
echo "--- load test figures:"
printf '%s' "$figures" | grep -v '^$'
echo "--- load tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
