#!/bin/bash
# SPDX-License-Identifier: MIT
# test_status.sh - ksmctl status: 0 when all is well; 7 (a warning) for a
# snapshot older than snapshot_warn_age, records the last sync refused and
# a device expiring within 7 days; 1 for an expired device; a device the
# vault refuses (403, exit 5) told apart from a vault that cannot be
# reached (exit 4), through ksmd and without it; and every hint it prints
# is a command that works: each quoted 'ksmctl ...' is run as printed.
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
write_conf "snapshot = $T/lib/snapshot"
bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "sync" 0

jq_py() { "$PY" -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$OUT"; }
# hints: every 'ksmctl ...' the last output quotes, one a line.
hints() { grep -oE "'ksmctl [^']*'" <<<"$OUT$ERR" | tr -d "'" | sort -u; }
# run_hint CMD: run a hint as printed (with the test's ksm.conf), a new
# one-time token on its standard input; sets RC.
run_hint() {
	local args=${1#ksmctl }
	new_token app >"$T/token"
	# shellcheck disable=SC2086 # the hint's words
	run "$KSMCTL" --conf "$T/ksm.conf" $args --host "$SRV_HOST" --server-key "$SRV_KEY" <"$T/token"
	rm -f "$T/token"
}

run_ksmctl status
expect_rc "status after a clean sync: 0" 0
check "status names the server reachable and the device's expiry" bash -c \
	"grep -q '(reachable)' '$T/out' && grep -q 'access does not expire' '$T/out'"
run_ksmctl status --json
check "--json: server_state reachable, no warnings, device_expires_on 0" jq_py \
	'assert d["server_state"] == "reachable" and d["warnings"] == [] and d["device_expires_on"] == 0 and d["problem"] == "", d'

# --- a stale snapshot: older than snapshot_warn_age is a warning (7),
# with hints that run.
write_conf "snapshot = $T/lib/snapshot" "snapshot_warn_age = 1"
sleep 2
run_ksmctl status --local
expect_rc "a snapshot older than snapshot_warn_age: a warning (7)" 7 ""
check "the warning names snapshot_warn_age and the timer" grep -qE \
	"^warning: +snapshot is [0-9]+ s old, more than snapshot_warn_age \(1 s\): run 'ksmctl sync', and 'ksmctl check' to see why ksm-sync.timer did not" <<<"$OUT"
check "stale: the hints are ksmctl sync and ksmctl check" [ "$(hints | tr '\n' ,)" = "ksmctl check,ksmctl sync," ]
run "$KSMCTL" --conf "$T/ksm.conf" sync
expect_rc "the hint 'ksmctl sync' runs" 0
run "$KSMCTL" --conf "$T/ksm.conf" check
check "the hint 'ksmctl check' runs and reports (exit 0 or 1, not usage)" [ "$RC" = 0 -o "$RC" = 1 ]
write_conf "snapshot = $T/lib/snapshot"
run_ksmctl status --local
expect_rc "after the sync: 0 again" 0

# --- refusals of the last sync: a warning.
admin set-field --record AliceRec00000000000000 --field login --value root >/dev/null
run_ksmctl sync
expect_rc "sync with a refused record (login root)" 0
run_ksmctl status --local --json
expect_rc "records refused by the last sync: a warning (7)" 7
check "the warning counts the refusals and points to ksmctl users" jq_py \
	'assert len(d["warnings"]) == 1 and "refused 1 record" in d["warnings"][0] and "ksmctl users" in d["warnings"][0], d'
run_ksmctl users
expect_rc "the hint 'ksmctl users' runs" 0
admin set-field --record AliceRec00000000000000 --field login --value alice >/dev/null
run_ksmctl sync
run_ksmctl status --local
expect_rc "no refusals again: 0" 0

# --- the device's expiry, as the last sync recorded it (--local).
status_set() {
	"$PY" - "$T/lib/snapshot.status" "$1" <<'PY'
import json, sys, time
d = json.load(open(sys.argv[1]))
d["device_expires_on"] = int(time.time()) + int(sys.argv[2])
json.dump(d, open(sys.argv[1], "w"))
PY
}
status_set $((3 * 86400))
run_ksmctl status --local
expect_rc "the device expires within 7 days: a warning (7)" 7
check "the warning gives the date and the rebind command" grep -qE \
	"^warning: +the device's access expires at [0-9T:Z-]+ \(in 7[12] h\): .*: ksmctl init --force --token -$" <<<"$OUT"
status_set $((30 * 86400))
run_ksmctl status --local
expect_rc "the device expires in 30 days: 0" 0
status_set -60
run_ksmctl status --local --json
expect_rc "the device's access has expired: a problem (1)" 1
check "--json: the problem names the expiry" jq_py \
	'assert "access expired" in d["problem"] and d["device_expires_on"] > 0, d'
run_ksmctl sync

# --- the vault refuses the device (403) vs. the vault cannot be reached.
fault refuse
run_ksmctl status
expect_rc "through ksmd, the server refusing connections: network (4)" 4
check "it says NOT reachable" grep -q "(NOT reachable)" <<<"$OUT"
ksmd_stop
run_ksmctl status --json
expect_rc "direct, the server refusing connections: network (4)" 4
check "--json: server_state unreachable" jq_py 'assert d["server_state"] == "unreachable" and not d["reachable"], d'
fault none
ksmd_start "$T/ksm.conf"

client=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["clientId"][:8])' "$T/client.json")
admin revoke --client "$client" >/dev/null || fail "revoke"
for mode in ksmd direct; do
	[ "$mode" = direct ] && ksmd_stop
	run_ksmctl status
	expect_rc "$mode: a revoked device: access denied (5)" 5
	check "$mode: says the vault refused this device (403), not 'NOT reachable'" bash -c \
		"grep -q 'reachable, but the vault refused this device (403)' '$T/out' && ! grep -q 'NOT reachable' '$T/out'"
	check "$mode: every hint is 'ksmctl init --force --token -'" [ "$(hints | tr '\n' ,)" = "ksmctl init --force --token -," ]
	run_ksmctl status --json
	check "$mode: --json: server_state refused" jq_py 'assert d["server_state"] == "refused", d'
done
ksmd_start "$T/ksm.conf"
run_hint "ksmctl init --force --token -"
expect_rc "the hint 'ksmctl init --force --token -' (a new token on standard input) binds a new device" 0
run_ksmctl status
expect_rc "status with the new device: 0" 0

# --- not bound: a config with an unused token, then none.
mv "$T/client.json" "$T/client.bound"
run_ksmctl status
expect_rc "no client config: not bound (3)" 3
for h in $(hints | tr ' ' '^'); do
	h=${h//^/ }
	run_hint "$h"
	expect_rc "no client config: the hint '$h' binds" 0
	rm -f "$T/client.json"
done
mv "$T/client.bound" "$T/client.json"

run_ksmctl status --help
check "status --help is status's own help (its usage line and exit 7)" bash -c \
	"grep -q '^  status \[--json\] \[--local\]' '$T/out' && grep -q '^  7 ' '$T/out' && ! grep -q '^  secret' '$T/out'"

finish
