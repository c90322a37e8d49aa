# SPDX-License-Identifier: MIT
# server.sh - the local KSM server (tests/server/ksm-server) for tests and
# benchmarks (sourced, bash).
#
# server_start, server_field and server_stop need nothing else: the
# scripts of bench/ and tests/interop/ source this file alone. The rest
# works in a test's $T (source common.sh first): ksm_start_server VAULT
# starts the server on $T/srv and writes $T/ksm.conf for it; bind makes
# ksmctl a client of it; run_ksmctl runs ksmctl with that ksm.conf.
[ -n "${KSM_LIB_SERVER:-}" ] && return 0
KSM_LIB_SERVER=1

SERVER="$(cd "$(dirname "${BASH_SOURCE[0]}")/../server" && pwd)/ksm-server"
ADMIN="${SERVER%/*}/ksm-server-admin"
SERVER_PID=

# server_start STATE VAULT LOG [TENTHS]: a server on a free loopback port,
# its state (server.json, CA, vault state) in STATE, its stderr in LOG.
# Sets SERVER_PID; waits for STATE/server.json at most TENTHS tenths of a
# second (default 100). Returns 1 if it did not start.
server_start() {
	local state=$1 vault=$2 log=$3 tenths=${4:-100} i
	mkdir -p "$state"
	"$SERVER" --vault "$vault" --state "$state" --listen 127.0.0.1:0 2>"$log" &
	SERVER_PID=$!
	for i in $(seq 1 "$tenths"); do
		[ -s "$state/server.json" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$state/server.json" ]
}

# server_field STATE KEY: a field of STATE/server.json (hostname, ca_file,
# server_public_key_id, server_public_key).
server_field() {
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$1/server.json" "$2"
}

# server_stop: stop the server server_start started, if it runs (also
# under set -e).
server_stop() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

# ksm_start_server VAULT: the test's server, on $T/srv (log $T/server.log,
# killed at exit); sets SRV_HOST, SRV_CA, SRV_KEY (ID:KEY, for ksmctl
# init --server-key) and writes $T/ksm.conf. Exits 99 if it did not start.
ksm_start_server() {
	server_start "$T/srv" "$1" "$T/server.log" ||
		{ echo "server did not start"; cat "$T/server.log"; exit 99; }
	bg_add "$SERVER_PID"
	SRV_HOST=$(srv_field hostname)
	SRV_CA=$(srv_field ca_file)
	SRV_KEY="$(srv_field server_public_key_id):$(srv_field server_public_key)"
	write_conf
}

srv_field() { server_field "$T/srv" "$1"; }

# write_conf [EXTRA LINES]: ksm.conf pointing at the test server, with the
# test's own ksmd socket and offline store (never the host's); a running
# ksmd (ksmd.sh) is restarted to read it.
write_conf() {
	{
		echo "client_config = $T/client.json"
		echo "ca_file = $SRV_CA"
		echo "timeout_sync = 5"
		echo "ksmd_socket = $T/ksmd.sock"
		echo "ksmd_user = root"
		echo "private_store = $T/private"
		# Tests share one machine (one PID space) and reuse uids: a sync
		# must not end another test's sessions. The end_sessions tests
		# turn it on (a later line wins).
		echo "end_sessions = no"
		# An auth may take a vault read of the last auth_reuse (ksmd's
		# default 5 s); a test that checks a rotation waits it out
		# (past_reuse), so they run with 1 s. AUTH_REUSE= (empty) keeps
		# ksmd's default (the benchmarks' bursts, test_pam's check).
		[ -n "${AUTH_REUSE-1s}" ] && echo "auth_reuse = ${AUTH_REUSE-1s}"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$T/ksm.conf"
	ksm_conf_changed
}

admin() { "$ADMIN" --state "$T/srv" "$@"; }

# new_token [APP]: a one-time token; with KSM_TEST_EXPIRES_ON (ms since the
# epoch) its device's access expires then (the server's expiresOn).
new_token() {
	admin token --app "${1:-app}" ${KSM_TEST_EXPIRES_ON:+--expires-on "$KSM_TEST_EXPIRES_ON"}
}

# run_ksmctl ARGS...: ksmctl with $T/ksm.conf; sets OUT, ERR, RC and MS.
run_ksmctl() { run "$KSMCTL" --conf "$T/ksm.conf" "$@"; }

# bind [APP]: ksmctl init with a fresh token (in KSM_TOKEN: never on a
# command line), then ksmd on the test's ksm.conf, as on a host (unless
# KSM_TEST_NO_KSMD is set: ksmctl then talks to the server itself).
bind() {
	KSM_TOKEN="$(new_token "${1:-app}")" run_ksmctl init --host "$SRV_HOST" \
		--server-key "$SRV_KEY" --force
	local rc=$RC out=$OUT err=$ERR ms=$MS
	[ "$rc" = 0 ] && [ -z "${KSM_TEST_NO_KSMD:-}" ] && ksmd_ensure "$T/ksm.conf"
	RC=$rc OUT=$out ERR=$err MS=$ms
}

# Server request counts: all of them, the get_secret ones; reset them.
req_total() { admin stats | /usr/bin/python3 -c 'import json,sys; print(sum(json.load(sys.stdin).values()))'; }
req_gets() { admin stats | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("get_secret", 0))'; }
reset_stats() { admin stats --reset >/dev/null; }
# fault MODE: the server's fault mode (tests/server/README.md; none: no fault).
fault() { admin fault "$1" >/dev/null || fail "fault $1"; }

# The broker (bind starts it; write_conf restarts it).
# shellcheck source=ksmd.sh
. "$(dirname "${BASH_SOURCE[0]}")/ksmd.sh"
