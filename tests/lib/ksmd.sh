# SPDX-License-Identifier: MIT
# ksmd.sh - the broker for a test (sourced, bash; after common.sh): pam_ksm,
# the keys helper's live path and ksmctl's vault commands reach the vault
# only through it. The test's ksm.conf names ksmd_socket = $T/ksmd.sock
# (server.sh's write_conf and namespace.sh's sysconf), so a ksmd of the
# host is never asked.
[ -n "${KSM_LIB_KSMD:-}" ] && return 0
KSM_LIB_KSMD=1

# Sourced alone too (bench/, tests/interop/): no common.sh needed here.
KSMD_BIN="${KSMD_BIN:-${builddir:-.}/ksmd/ksmd}"
KSMD_PID=
KSMD_CLIENT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/ksmd_client.py"

# ksmd_start [CONF]: ksmd in the foreground on CONF (default $T/ksm.conf),
# its log in $T/ksmd.log, killed at exit; waits until it answers a ping.
ksmd_start() {
	local conf=${1:-$T/ksm.conf} sock i
	KSMD_CONF=$conf
	[ -x "$KSMD_BIN" ] || { echo "not built: $KSMD_BIN"; exit 99; }
	sock=$(sed -n 's/^ksmd_socket *= *//p' "$conf" | tail -n 1)
	[ -n "$sock" ] || { echo "ksmd_start: $conf names no ksmd_socket"; exit 99; }
	rm -f "$sock"
	"$KSMD_BIN" --conf "$conf" --foreground 2>>"$T/ksmd.log" &
	KSMD_PID=$!
	bg_add "$KSMD_PID"
	for i in $(seq 1 100); do
		[ -S "$sock" ] && /usr/bin/python3 "$KSMD_CLIENT" "$sock" op=ping >/dev/null 2>&1 && return 0
		kill -0 "$KSMD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "ksmd did not start:"
	cat "$T/ksmd.log"
	exit 99
}

# ksmd_ensure [CONF]: start it unless it runs.
ksmd_ensure() {
	[ -n "$KSMD_PID" ] && kill -0 "$KSMD_PID" 2>/dev/null && return 0
	ksmd_start "$@"
}

# ksm_conf_changed: ksmd reads ksm.conf when it starts; a running one is
# restarted on the same file.
KSMD_CONF=
ksm_conf_changed() {
	[ -n "$KSMD_PID" ] || return 0
	ksmd_stop
	ksmd_start "$KSMD_CONF"
}

# ksmd_stop: stop it (a test of what happens without ksmd).
ksmd_stop() {
	[ -n "$KSMD_PID" ] || return 0
	kill "$KSMD_PID" 2>/dev/null && wait "$KSMD_PID" 2>/dev/null
	KSMD_PID=
}

# ksmd_ping FIELD: one field of the running ksmd's ping answer
# (docs/ksmd-protocol.md §4.1: requests, unsent, in_window, ...).
ksmd_ping() {
	local sock
	sock=$(sed -n 's/^ksmd_socket *= *//p' "${KSMD_CONF:-$T/ksm.conf}" | tail -n 1)
	ksmd_ask "$sock" op=ping 2>/dev/null | sed -n "s/^$1=//p"
}

# past_reuse: wait until no read of the vault is young enough for an auth
# to take it (auth_reuse, 1 s in the tests' ksm.conf: tests/lib/server.sh;
# docs/design.md, "How ksmd talks to the vault"), so that the next auth
# asks the vault again.
past_reuse() { sleep 1.1; }

# store_written: wait (at most 10 s) until ksmd has written what it queued
# for its offline store (its ping says store_pending=0): a live auth
# answers first and leaves the store to ksmd's writer thread.
store_written() {
	local i
	for i in $(seq 1 200); do
		[ "$(ksmd_ping store_pending)" = 0 ] && return 0
		sleep 0.05
	done
	echo "# ksmd's store writer still busy after 10 s"
	return 1
}

# ksmd_ask SOCKET FIELD=VALUE...: one request as the calling user, with a
# client written apart from ksm-core; prints the answer's fields.
ksmd_ask() { /usr/bin/python3 "$KSMD_CLIENT" "$@"; }
