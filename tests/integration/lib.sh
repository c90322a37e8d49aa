# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for the integration tests (sourced, bash).
#
# Each test script: source this, call ksm_start_server VAULT, run checks with
# ok/fail/expect_*, and end with finish (prints "N passed, N failed").

set -u
: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${builddir:=$(pwd)}"
TOP_SRC=$(cd "$srcdir" && pwd)
KSMCTL="${KSMCTL:-$builddir/ksmctl}"
SERVER="$TOP_SRC/tests/server/ksm-server"
ADMIN="$TOP_SRC/tests/server/ksm-server-admin"
T=$(mktemp -d "${TMPDIR:-/tmp}/ksm-it.XXXXXX")
PASSED=0
FAILED=0
SERVER_PID=

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$T"
	else
		echo "# state kept in $T"
	fi
}
trap cleanup EXIT

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }

# check DESCRIPTION CMD...: passes when CMD exits 0.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# run_ksmctl ARGS...: sets OUT, ERR, RC and MS (wall time).
run_ksmctl() {
	local t0 t1
	t0=$(date +%s%N)
	"$KSMCTL" --conf "$T/ksm.conf" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
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

# expect_out DESCRIPTION WANTED: stdout equals WANTED exactly.
expect_out() {
	if [ "$RC" -eq 0 ] && [ "$OUT" = "$2" ]; then
		ok "$1"
	else
		fail "$1 (exit $RC, got '$OUT', wanted '$2'; stderr: $ERR)"
	fi
}

# expect_within DESCRIPTION MAX_MS: the last command's wall time.
expect_within() {
	if [ "$MS" -le "$2" ]; then ok "$1 (${MS} ms)"; else fail "$1 (${MS} ms > $2 ms)"; fi
}

# ksm_start_server VAULT: server on a free loopback port; writes $T/ksm.conf.
ksm_start_server() {
	local vault=$1 i
	mkdir -p "$T/srv"
	"$SERVER" --vault "$vault" --state "$T/srv" --listen 127.0.0.1:0 \
		2>"$T/server.log" &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		[ -s "$T/srv/server.json" ] && break
		sleep 0.1
	done
	[ -s "$T/srv/server.json" ] || { echo "server did not start"; cat "$T/server.log"; exit 99; }
	SRV_HOST=$(srv_field hostname)
	SRV_CA=$(srv_field ca_file)
	SRV_KEY="$(srv_field server_public_key_id):$(srv_field server_public_key)"
	write_conf
}

srv_field() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$T/srv/server.json" "$1"
}

# write_conf [EXTRA LINES]: ksm.conf pointing at the test server.
write_conf() {
	{
		echo "client_config = $T/client.json"
		echo "ca_file = $SRV_CA"
		echo "timeout_sync = 5"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$T/ksm.conf"
}

admin() { "$ADMIN" --state "$T/srv" "$@"; }

new_token() { admin token --app "${1:-app}"; }

# bind [APP]: ksmctl init with a fresh token.
bind() {
	run_ksmctl init --token "$(new_token "${1:-app}")" --host "$SRV_HOST" \
		--server-key "$SRV_KEY" --force
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
