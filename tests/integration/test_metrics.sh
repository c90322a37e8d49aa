#!/bin/bash
# SPDX-License-Identifier: MIT
# test_metrics.sh - "ksmctl status --prometheus[=PATH]": node_exporter
# textfile metrics from the snapshot, SNAPSHOT.status and ksmd's ping
# counters, checked by Prometheus's own promtool ("promtool check
# metrics") and by value: accounts, the last sync's time and result,
# refusals, ksmd's requests, budget refusals, unreachable reads, password
# verdicts with an offline acceptance (PAM logins through ksmd, as root),
# refused askers, the device's expiry when SNAPSHOT.status has it; written
# atomically to a file (mode 0644, nothing left behind, the old file kept
# when the write fails); without ksmd only ksm_ksmd_up 0.
#
# Needs promtool (Debian's prometheus package, tests/install-deps.sh);
# skipped (77) without it.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/pam.sh"
. "$srcdir/tests/lib/pamvault.sh"

command -v promtool >/dev/null || { echo "# no promtool: skipped"; exit 77; }

# metrics [ARGS]: ksmctl status --prometheus, then promtool on its output.
metrics() {
	run_ksmctl status --prometheus "$@"
	if [ "$RC" != 0 ]; then
		fail "ksmctl status --prometheus $* (exit $RC: $ERR)"
		return
	fi
	printf '%s\n' "$OUT" >"$T/metrics.prom"
	if promtool check metrics <"$T/metrics.prom" >"$T/promtool.out" 2>&1; then
		ok "promtool check metrics accepts the output${*:+ ($*)}"
	else
		fail "promtool check metrics: $(cat "$T/promtool.out")"
	fi
}
# value NAME: the sample's value in the last metrics ("" when absent).
value() { awk -v n="$1" '$1 == n { print $2 }' "$T/metrics.prom"; }
# expect_value DESCRIPTION NAME TEST VALUE: e.g. expect_value "..." x -eq 3.
expect_value() {
	local v
	v=$(value "$2")
	if [ -n "$v" ] && [ "$v" "$3" "$4" ]; then ok "$1 ($2 = $v)"; else fail "$1 ($2 = '$v', wanted $3 $4)"; fi
}

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
mkdir -m 0700 "$T/private"
conf() {
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"timeout_auth = 2" "offline_verifiers = all" "$@"
}
conf

# ------------------------------------------------------- before anything
metrics
expect_value "no snapshot yet: ksm_snapshot_valid is 0" ksm_snapshot_valid -eq 0
expect_value "no ksmd yet: ksm_ksmd_up is 0" ksm_ksmd_up -eq 0
check "no ksmd: none of its counters" [ -z "$(value ksm_ksmd_vault_requests_total)" ]

# ------------------------------------------------------------- a host
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0
accounts=$("$PY" -c 'import re,sys; print(re.search(r"(\d+) accounts", sys.argv[1]).group(1))' "$OUT")
t0=$(date +%s)
metrics
expect_value "the snapshot's accounts" ksm_snapshot_accounts -eq "$accounts"
expect_value "the snapshot is valid" ksm_snapshot_valid -eq 1
expect_value "the snapshot is fresh" ksm_snapshot_age_seconds -le 5
expect_value "the last sync succeeded" ksm_last_sync_success -eq 1
expect_value "the last sync's time" ksm_last_sync_timestamp_seconds -ge $((t0 - 5))
refused=$("$PY" -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1]))["refused"] if r.get("account", True)))' "$T/lib/snapshot.status")
expect_value "the records the sync refused (as SNAPSHOT.status lists them)" ksm_last_sync_refused_records -eq "$refused"
expect_value "ksmd is up" ksm_ksmd_up -eq 1
expect_value "ksmd's start time" ksm_ksmd_start_time_seconds -le "$(date +%s)"
expect_value "ksmd counted the sync's vault request" ksm_ksmd_vault_requests_total -ge 1
expect_value "ksmd is bound" ksm_ksmd_bound -eq 1
check "no device expiry without one in SNAPSHOT.status" [ -z "$(value ksm_device_expires_timestamp_seconds)" ]

# ------------------------------------------------------------- logins
if [ "$(id -u)" = 0 ]; then
	pam_service ksm
	PW=$PW_ALICE
	pam ksm alice auth
	PW=wrong-password
	pam ksm alice auth
	fault refuse
	PW=$PW_BOB
	pam ksm bob auth
	grep -q "^auth: PAM_SUCCESS:" <<<"$OUT" || fail "bob offline: $OUT $ERR"
	fault none
	metrics
	expect_value "one offline acceptance" ksm_ksmd_offline_acceptances_total -eq 1
	check "password checks by verdict: 1 live, 1 offline, 1 wrong" grep -qzE \
		'verdict="accepted_live"\} 1.*verdict="accepted_offline"\} 1.*verdict="wrong"\} 1' "$T/metrics.prom"
	expect_value "the unreachable vault was counted" ksm_ksmd_unreachable_total -ge 1
else
	echo "# not root: the PAM logins are not counted"
fi
# nobody asks for the records (ksmd refuses); $T only traversable for that.
chmod 711 "$T"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PY" "$KSMD_CLIENT" "$T/ksmd.sock" op=records >"$T/nobody.out" 2>&1
chmod 700 "$T"
check "ksmd refused nobody's records request" grep -q "result=refused" "$T/nobody.out"
metrics
expect_value "a request of a user who may not ask was counted" ksm_ksmd_refused_requests_total -ge 1

# ------------------------------------------------- the budget and failures
conf "request_budget = 3/60s"
for i in 1 2 3; do run_ksmctl secret list; done
metrics
expect_value "request_budget refusals are counted" ksm_ksmd_budget_refusals_total -ge 1
fault http500
conf
run_ksmctl sync
expect_rc "a failed sync" 4
fault none
metrics
expect_value "the failed sync: ksm_last_sync_success 0" ksm_last_sync_success -eq 0
expect_value "the failed sync keeps the old snapshot valid" ksm_snapshot_valid -eq 1

# -------------------------------------------------- the device's expiry
exp_ms=$((($(date +%s) + 3 * 86400) * 1000))
"$PY" -c 'import json,sys; p=sys.argv[1]; s=json.load(open(p)); s["device_expires_on"]=int(sys.argv[2]); json.dump(s, open(p,"w"))' \
	"$T/lib/snapshot.status" "$exp_ms"
metrics
expect_value "device_expires_on (milliseconds) as seconds" ksm_device_expires_timestamp_seconds -eq $((exp_ms / 1000))
"$PY" -c 'import json,sys; p=sys.argv[1]; s=json.load(open(p)); s["device_expires_on"]=int(sys.argv[2]); json.dump(s, open(p,"w"))' \
	"$T/lib/snapshot.status" $((exp_ms / 1000))
metrics
expect_value "device_expires_on (seconds)" ksm_device_expires_timestamp_seconds -eq $((exp_ms / 1000))

# ------------------------------------------------------------ to a file
mkdir -p "$T/textfile"
run_ksmctl status --prometheus="$T/textfile/ksm.prom"
expect_rc "--prometheus=PATH writes the file" 0
check "... nothing on standard output" [ -z "$OUT" ]
check "... mode 0644" [ "$(stat -c %a "$T/textfile/ksm.prom")" = 644 ]
check "... no temporary file left" [ "$(ls "$T/textfile")" = ksm.prom ]
check "... promtool accepts the file" promtool check metrics <"$T/textfile/ksm.prom"
check "... the same metrics as on standard output" grep -q "^ksm_snapshot_accounts $accounts$" "$T/textfile/ksm.prom"
cp "$T/textfile/ksm.prom" "$T/old.prom"
chmod 0555 "$T/textfile"
if [ "$(id -u)" = 0 ]; then
	run_ksmctl status --prometheus="$T/no-such-dir/ksm.prom"
else
	run_ksmctl status --prometheus="$T/textfile/ksm.prom"
fi
check "a write that fails: exit 1 with the reason" bash -c "[ $RC = 1 ] && [ -n \"\$1\" ]" _ "$ERR"
chmod 0755 "$T/textfile"
check "... the old file is still there" cmp -s "$T/textfile/ksm.prom" "$T/old.prom"
ksmd_stop
metrics
expect_value "ksmd stopped: ksm_ksmd_up 0" ksm_ksmd_up -eq 0
finish
