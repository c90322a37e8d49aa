# SPDX-License-Identifier: MIT
# lib.sh - the integration tests' helpers (sourced, bash), on top of
# tests/lib: common.sh (ok/fail/check/finish, $T, run) and server.sh (the
# local server, ksm.conf, bind, run_ksmctl).
#
# Each test script: source this, call ksm_start_server VAULT, run checks with
# ok/fail/expect_*, and end with finish (prints "N passed, N failed").

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=../lib/common.sh
. "$srcdir/tests/lib/common.sh"
# shellcheck source=../lib/server.sh
. "$srcdir/tests/lib/server.sh"

# expect_within DESCRIPTION MAX_MS: the last command's wall time.
expect_within() {
	if [ "$MS" -le "$2" ]; then ok "$1 (${MS} ms)"; else fail "$1 (${MS} ms > $2 ms)"; fi
}

# keys ARGS...: ksm-authorized-keys with $T/ksm.conf (USER [FP], as sshd
# runs it); sets OUT, ERR, RC, MS.
keys() { run "$KEYS_BIN" --conf "$T/ksm.conf" "$@"; }
