#!/bin/bash
# SPDX-License-Identifier: MIT
# run-all.sh - the whole ksm-unix test suite, as CI runs it (README quick
# start, second command). Run as root on Debian 12: it installs what it
# needs, builds out of tree under build/, and runs every step even when an
# earlier one failed. The last line is "steps: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
B=${KSM_BUILD_DIR:-$SRC/build}
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
PASS=0
FAIL=0
FAILED_STEPS=()

step() {
	local name=$1 t0=$SECONDS
	shift
	echo "=== $name"
	if "$@"; then
		PASS=$((PASS + 1))
		echo "=== $name: ok ($((SECONDS - t0)) s)"
	else
		FAIL=$((FAIL + 1))
		FAILED_STEPS+=("$name")
		echo "=== $name: FAILED ($((SECONDS - t0)) s)"
	fi
}

if [ "$(id -u)" = 0 ]; then
	tests/install-deps.sh || exit 1
fi
if [ -f "$SRC/config.status" ]; then
	echo "the source tree is configured in place; run 'make distclean' first" >&2
	exit 2
fi
[ -x "$SRC/configure" ] || autoreconf -fi || exit 1

build() { # DIR CONFIGURE-ARGS...
	local dir=$1
	shift
	mkdir -p "$dir" && cd "$dir" &&
		{ [ -f Makefile ] || "$SRC/configure" -q "$@"; } &&
		make -s -j"$JOBS"
	local rc=$?
	cd "$SRC"
	return $rc
}

check_in() { # DIR [TARGET]: make check (or TARGET), printing the logs of failures
	local rc dir=$1 target=${2:-check}
	make -s -C "$dir" -j"$JOBS" "$target"
	rc=$?
	[ $rc -eq 0 ] || find "$dir/tests" -name '*.log' -exec grep -l -E '^(FAIL|not ok)' {} + |
		xargs -r tail -n 40
	return $rc
}

# Every test keeps its state directory under $B/test-tmp, so that the
# leak sweep below can search all of them for the vaults' passwords.
rm -rf "$B/test-tmp" && mkdir -p "$B/test-tmp" || exit 1
export TMPDIR="$B/test-tmp" KEEP_TMP=1

step "licence lines and formatting (clang-format 14)" tests/lint/check-tree.sh
step "build (-Werror)" build "$B/normal" --enable-werror
step "unit and integration tests" check_in "$B/normal"
step "local server self-test" /usr/bin/python3 tests/server/test_server.py
step "official JS SDK against the local server" tests/interop/run-interop.sh
if [ -x tests/interop/run-cross.sh ]; then
	step "JS SDK and ksmctl share configs and records" \
		env KSMCTL="$B/normal/ksmctl" tests/interop/run-cross.sh
fi
SAN="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
step "build with ASan+UBSan" build "$B/asan" --enable-werror CFLAGS="$SAN" LDFLAGS="-fsanitize=address,undefined"
# Under the sanitizers: the SANITIZER_TESTS that each test area's local.mk
# names (everything that runs our own programs).
check_sanitized() {
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		check_in "$B/asan" check-sanitizer
}
step "tests under ASan+UBSan" check_sanitized
# Heavy (not in make check): 200 concurrent PAM logins, 50 concurrent ssh
# logins, 10,000 keys-helper calls, long-lived PAM/NSS consumers. ~1.5 min.
step "load tests" tests/load/run.sh "$B/normal"
sweep() {
	local logs
	logs=$(find "$B/normal/tests" "$B/asan/tests" -name '*.log' 2>/dev/null)
	tests/leak-sweep.sh --self-test || return 1
	# shellcheck disable=SC2086
	tests/leak-sweep.sh "$B/test-tmp" $logs
}
step "no vault secret in any log, stderr, syslog or state file" sweep
step "fuzz smoke (${FUZZ_SECONDS} s per target)" tests/fuzz/run-smoke.sh "$FUZZ_SECONDS"
# dpkg-buildpackage in a copy of the tree, then dpkg -i/-r/--purge in a
# private mount namespace over overlays (tests/package/test_debs.sh).
rm -rf "$B/debs"
step "Debian packages build and install" env KSM_DEBS_OUT="$B/debs" tests/package/test_debs.sh
# The Ansible role with those packages, on this machine in a throwaway
# namespace: enroll, ssh logins of a vault user, roll back to the same /etc.
step "Ansible role: enroll, log in, roll back" env KSM_DEBS="$B/debs" tests/package/test_ansible.sh
# The README's first command, from a clean state (its own build under
# build/demo): it must end with "N passed, 0 failed" and exit 0.
demo() {
	local log=$B/demo.log
	rm -rf "$SRC/build/demo"
	demo/demo.sh >"$log" 2>&1
	local rc=$?
	tail -n 15 "$log"
	[ $rc -eq 0 ] && grep -Eq '^[0-9]+ passed, 0 failed' "$log"
}
step "the README's demo (demo/demo.sh, clean build)" demo
step "make distcheck" make -s -C "$B/normal" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror

[ $FAIL -eq 0 ] || echo "failed steps: ${FAILED_STEPS[*]}"
echo "steps: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
