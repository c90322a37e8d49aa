# SPDX-License-Identifier: MIT
# lib.sh - the fault matrix (docs/fault-matrix.md), sourced by the
# tests/faults/test_matrix_*.sh scripts: the fault rows, defined once here,
# and the driver that runs one consumer through each of them.
#
# A script sets CONSUMER (its column) and BUDGET_MS (its consumer's time
# budget, as the test ksm.conf says), maybe VAULT_BUDGET_MS (the part of it
# the consumer gives ksmd for the vault, when less), defines
#   consumer_run         run the consumer once: set RC, MS, OUT, ERR and GOT,
#                        a short word for the outcome (compared with the cell's)
#   consumer_log         print what the consumer logged during that run
#   consumer_intact ROW  check that nothing was lost (after every run)
# and then calls, for every row of FAULT_ROWS, either
#   cell ROW WANT LOG_ERE   (the outcome word, and the log line naming the cause)
# or
#   cell_na ROW REASON
# and ends with matrix_finish. Each cell checks (1) the outcome, (2) the
# time: within the budget plus MARGIN_MS, and for the rows that need no
# waiting, under the budget (it did not wait it out), (3) the log line,
# (4) what consumer_intact checks. A script may also define
#   consumer_more ROW    more checks of the run (after the log line)
# and set EXTRA_MS in consumer_run: time the consumer spends by design
# beyond its budget (pam_authenticate's fail delay), added to the limit.
# Every cell runs against a fresh ksmd (restarted after fault_on), so no
# read, and no held failure to reach the vault, of one cell answers the
# next one. With MATRIX_RESULTS=FILE every cell
# appends a tab-separated line to FILE (tests/faults/matrix_table.py turns
# those lines into the table of docs/fault-matrix.md; the last field is
# EXTRA_MS).
#
# Built on tests/lib: the local server, ksmctl and ksmd (server.sh,
# ksmd.sh), the pam harness (pam.sh) and its vault (pamvault.sh) and,
# inside a private mount namespace (namespace.sh), the syslog capture
# (syslog.sh).

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$srcdir/tests/lib/common.sh"
. "$srcdir/tests/lib/server.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/syslog.sh"
. "$srcdir/tests/lib/pam.sh"
. "$srcdir/tests/lib/pamvault.sh"

FAULTS_DIR="$TOP_SRC/tests/faults"
# The rows, in the order of docs/fault-matrix.md.
FAULT_ROWS="refuse blackhole delay-under delay-over http500 throttle throttle-retry
corrupt bad-signature key-once key-always token-used revoked other-ca"
# Rows whose fault makes a consumer wait (for the budget, or a little less).
WAIT_ROWS=" blackhole delay-under delay-over throttle-retry "
MARGIN_MS=${MARGIN_MS:-700}
# delay-under: the vault's share of the budget minus this; delay-over: the
# budget plus this.
DELAY_STEP_MS=500
: "${BUDGET_MS:?set BUDGET_MS before sourcing tests/faults/lib.sh}"
# The vault's share of the budget, if the consumer gives ksmd less than its
# whole budget (pam auth: timeout_auth - 0.5 s).
: "${VAULT_BUDGET_MS:=$BUDGET_MS}"
: "${CONSUMER:?set CONSUMER before sourcing tests/faults/lib.sh}"

# How a throttled call ends: it gives up when the next try would not fit in
# the budget, or (on a loaded machine) its last try ran out of time.
THROTTLED='throttled by the server(; the next try \(in [0-9]+ ms\) would exceed the time budget| [0-9] time\(s\), then: .*time budget ran out)'

SNAP="$T/lib/snapshot"
# ksmd's offline store: write_conf's private_store (its directory exists,
# as /var/lib/ksmd does on a host; ksmd does not make it).
PRIV="$T/private"
CLIENT_JSON="$T/client.json"
DONE_ROWS=" "

fault_label() {
	case $1 in
	refuse) echo "refuse (ECONNREFUSED)" ;;
	blackhole) echo "blackhole (no answer)" ;;
	delay-under) echo "delay just under the budget" ;;
	delay-over) echo "delay just over the budget" ;;
	http500) echo "HTTP 500" ;;
	throttle) echo "throttled, no retry_after" ;;
	throttle-retry) echo "throttled, retry_after 1 s" ;;
	corrupt) echo "corrupt body" ;;
	bad-signature) echo "bad signature" ;;
	key-once) echo "key-id rejection (once)" ;;
	key-always) echo "key-id rejection (always)" ;;
	token-used) echo "token already used" ;;
	revoked) echo "device revoked" ;;
	other-ca) echo "TLS certificate from another CA" ;;
	*) echo "$1" ;;
	esac
}

ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# The test ksm.conf: small budgets, so that the cells are cheap;
# offline_verifiers = all, so that ksmd hashes a verifier for every account
# at the first sync (the private store then exists and has entries to
# keep, and the offline cells of pam auth have one to fall back on).
mconf() {
	write_conf "snapshot = $SNAP" "timeout_sync = 2" "timeout_keys = 1" \
		"timeout_auth = 2" "session_secret_ttl = 10m" "offline_verifiers = all" "$@"
}

# matrix_setup [MCONF LINES]: the pam vault (alice and gina with SSH keys),
# the server, a bound client and ksmd, a first sync through ksmd (the
# snapshot, and ksmd's offline verifiers), a CA the server does not use,
# and a second client config for "token already used".
matrix_setup() {
	local n
	mkdir -p "$T/keys"
	for n in alice gina; do
		ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/keys/$n" || exit 99
	done
	"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" "$T/keys" || exit 99
	ksm_start_server "$T/vault.json"
	mconf "$@"
	bind
	[ "$RC" = 0 ] || { echo "bind failed: $ERR"; exit 99; }
	[ -n "$KSMD_PID" ] || { echo "bind started no ksmd"; exit 99; }
	run_ksmctl sync
	[ "$RC" = 0 ] || { echo "first sync failed: $ERR"; exit 99; }
	[ -n "$(verifiers "$PRIV" 2>/dev/null)" ] ||
		{ echo "the first sync made no offline verifiers: $(cat "$T/ksmd.log")"; exit 99; }
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=other-ca -keyout "$T/other-ca.key" -out "$T/other-ca.pem" 2>/dev/null ||
		exit 99
	# (ksmctl init binds with its own client; no ksmd is asked.)
	{
		echo "client_config = $T/other-client.json"
		echo "ca_file = $SRV_CA"
		echo "ksmd_socket = $T/other-ksmd.sock"
		echo "ksmd_user = root"
	} >"$T/other.conf"
}

client_id() {
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["clientId"])' "$CLIENT_JSON"
}

# fault_on ROW / fault_off ROW: bring the fault about, and undo it.
# token-used: a new token, bound first by another client
# ($T/other-client.json); $T/prebind.json is a config of that token as the
# SDKs write it before binding, installed as the client config unless
# PREBIND_INSTALL=0. USED_TOKEN is the token. other-ca: ksmd reads ksm.conf
# only at start: the cell's fresh ksmd (ksmd_fresh, after fault_on) reads
# the changed file, and fault_off restarts it on the restored one.
PREBIND_INSTALL=1
USED_TOKEN=
fault_on() {
	case $1 in
	delay-under) fault "delay:$(ms_to_s $((VAULT_BUDGET_MS - DELAY_STEP_MS)))" ;;
	delay-over) fault "delay:$(ms_to_s $((BUDGET_MS + DELAY_STEP_MS)))" ;;
	throttle-retry) fault throttle:1 ;;
	key-once) fault key ;;
	key-always) fault key:always ;;
	token-used)
		USED_TOKEN=$(new_token)
		KSM_TOKEN="$USED_TOKEN" "$KSMCTL" --conf "$T/other.conf" init --host "$SRV_HOST" \
			--server-key "$SRV_KEY" --force >"$T/other-init.out" 2>&1 ||
			fail "token-used: the other client could not bind: $(cat "$T/other-init.out")"
		"$PY" "$FAULTS_DIR/prebind.py" "$USED_TOKEN" "$SRV_HOST" "${SRV_KEY%%:*}" \
			"${SRV_KEY#*:}" "$T/prebind.json" || fail "token-used: prebind.py"
		cp -p "$CLIENT_JSON" "$T/client.bound"
		[ "$PREBIND_INSTALL" = 1 ] && cp -p "$T/prebind.json" "$CLIENT_JSON"
		;;
	revoked) admin revoke --client "$(client_id)" >/dev/null || fail "revoke" ;;
	other-ca)
		cp -p "$T/ksm.conf" "$T/ksm.conf.good"
		sed -i "s|^ca_file = .*|ca_file = $T/other-ca.pem|" "$T/ksm.conf"
		;;
	*) fault "$1" ;;
	esac
}
fault_off() {
	case $1 in
	token-used) cp -p "$T/client.bound" "$CLIENT_JSON" ;;
	revoked)
		# The revoked device is gone for good: bind a new one.
		bind
		[ "$RC" = 0 ] || fail "revoked: binding again failed: $ERR"
		;;
	other-ca)
		cp -p "$T/ksm.conf.good" "$T/ksm.conf"
		ksm_conf_changed
		;;
	*) fault none ;;
	esac
}

# What must survive a failure: copies taken just before the run.
state_save() {
	rm -rf "$T/before"
	mkdir -p "$T/before"
	cp -p "$SNAP" "$T/before/snapshot"
	cp -p "$PRIV" "$T/before/private"
	cp -p "$CLIENT_JSON" "$T/before/client.json"
}
# expect_same DESCRIPTION WHAT...: each of snapshot, private, client.json
# is byte-identical to its copy.
expect_same() {
	local what=$1 f cur bad=
	shift
	for f in "$@"; do
		case $f in
		snapshot) cur=$SNAP ;;
		private) cur=$PRIV ;;
		client.json) cur=$CLIENT_JSON ;;
		esac
		cmp -s "$cur" "$T/before/$f" || bad="$bad $f"
	done
	if [ -z "$bad" ]; then ok "$what"; else fail "$what (changed:$bad)"; fi
}
# The private store's verifiers (user, record, revision, verifier), not the
# confirmation times a live success refreshes.
verifiers() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for u, e in sorted(d["users"].items()):
    print(u, e.get("record"), e.get("revision"), e.get("verifier"))' "$1"
}
expect_same_verifiers() {
	if [ "$(verifiers "$PRIV")" = "$(verifiers "$T/before/private")" ] &&
		[ -n "$(verifiers "$PRIV")" ]; then
		ok "$1"
	else
		fail "$1 (the offline verifiers changed)"
	fi
}

# log_match ERE: the first match in the consumer's log of the last run
# (the syslog may take a moment).
log_match() {
	local m
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		m=$(consumer_log | grep -oE -- "$1" | head -n 1)
		[ -n "$m" ] && { printf '%s' "$m"; return 0; }
		sleep 0.1
	done
	return 1
}

row_known() { [[ " ${FAULT_ROWS//$'\n'/ } " == *" $1 "* ]]; }

# ksmd_fresh: a new ksmd for the next cell (if the test runs one): nothing
# it read or failed to read for the last cell answers this one.
ksmd_fresh() {
	[ -n "$KSMD_PID" ] || return 0
	ksmd_stop
	ksmd_start "$T/ksm.conf"
}

# cell ROW WANT LOG_ERE
cell() {
	local row=$1 want=$2 pat=$3 limit kind what n matched
	row_known "$row" || { fail "unknown row $row"; return; }
	DONE_ROWS="$DONE_ROWS$row "
	what="$CONSUMER / $(fault_label "$row")"
	fault_on "$row"
	ksmd_fresh
	state_save
	reset_stats
	log_mark_if
	EXTRA_MS=0 EXTRA_WHY=
	consumer_run
	# (1) the outcome
	if [ "$GOT" = "$want" ]; then
		ok "$what: $want"
	else
		fail "$what: got $GOT, wanted $want (exit $RC; $(head -c 400 <<<"$OUT") $(head -c 400 <<<"$ERR"))"
	fi
	# (2) the time
	if [[ "$WAIT_ROWS" == *" $row "* ]]; then
		limit=$((BUDGET_MS + MARGIN_MS))
		kind="the ${BUDGET_MS} ms budget + ${MARGIN_MS} ms"
	else
		limit=$BUDGET_MS
		kind="less than the ${BUDGET_MS} ms budget (no waiting)"
	fi
	if [ "$EXTRA_MS" -gt 0 ]; then
		limit=$((limit + EXTRA_MS))
		kind="$kind + ${EXTRA_MS} ms ($EXTRA_WHY)"
	fi
	if [ "$MS" -le "$limit" ]; then
		ok "$what: ${MS} ms, within $kind"
	else
		fail "$what: ${MS} ms, over $kind"
	fi
	# retries the server saw
	n=$(req_gets)
	case $row in
	key-once) check "$what: one retry with a fresh transmission key ($n requests)" [ "$n" = 2 ] ;;
	key-always) check "$what: bounded key switches: 1 + 3 requests ($n)" [ "$n" = 4 ] ;;
	token-used)
		# Binding is ksmctl init's: a consumer that goes through ksmd
		# with a pre-bind config never sends the token.
		[ "$CONSUMER" = "ksmctl init" ] ||
			check "$what: no binding attempt, ksmd spends no token ($(req_total) requests)" \
				[ "$(req_total)" = 0 ]
		;;
	throttle-retry)
		if [ "$BUDGET_MS" -ge 2000 ]; then
			check "$what: backed off retry_after and tried again ($n requests)" [ "$n" -ge 2 -a "$n" -le 3 ]
		else
			check "$what: no retry past the budget ($n requests)" [ "$n" -ge 1 -a "$n" -le 2 ]
		fi
		;;
	esac
	# (3) the log line naming the cause
	if matched=$(log_match "$pat"); then
		ok "$what: the log says '$matched'"
	else
		fail "$what: no /$pat/ in the log: $(consumer_log | tail -n 4)"
	fi
	[ "$(type -t consumer_more)" = function ] && consumer_more "$row"
	# (4) nothing lost
	consumer_intact "$row"
	echo "# cell $CONSUMER $row: $GOT in $(ms_to_s "$MS") s: $matched"
	[ -n "${MATRIX_RESULTS:-}" ] &&
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$CONSUMER" "$row" "$GOT" "$MS" "$matched" \
			"$(basename "$0")" "$EXTRA_MS" >>"$MATRIX_RESULTS"
	fault_off "$row" # last: it may run ksmctl (RC, MS, OUT, ERR)
	return 0
}

# cell_na ROW REASON: a cell that does not apply, with the reason.
cell_na() {
	row_known "$1" || { fail "unknown row $1"; return; }
	DONE_ROWS="$DONE_ROWS$1 "
	echo "# cell $CONSUMER $1: N/A: $2"
	[ -n "${MATRIX_RESULTS:-}" ] &&
		printf '%s\t%s\t%s\t%s\t%s\t%s\t\n' "$CONSUMER" "$1" "N/A" "" "$2" "$(basename "$0")" \
			>>"$MATRIX_RESULTS"
	return 0
}

log_mark_if() { [ -n "$SYSLOG" ] && log_mark; return 0; }

matrix_finish() {
	local r missing=
	for r in $FAULT_ROWS; do
		[[ "$DONE_ROWS" == *" $r "* ]] || missing="$missing $r"
	done
	if [ -z "$missing" ]; then ok "$CONSUMER: every row of the matrix"; else fail "$CONSUMER: rows without a cell:$missing"; fi
	finish
}
