#!/bin/bash
# SPDX-License-Identifier: MIT
# run-sync-mem.sh - peak memory of `ksmctl sync` on big vaults (issue 17).
#
# For each vault size (bench/gen-vault.py N: realistic pamUser/login
# records with padding as the real server sends it), start the local KSM
# server on it, bind ksmctl, then:
#   direct: `ksmctl sync` with no ksmd (ksmctl fetches, decrypts, builds the
#           snapshot): its max RSS (bench/rusage.py), CPU and wall time.
#   ksmd:   a fresh ksmd (foreground, the bench's own socket), then
#           `ksmctl sync` through it: ksmctl's max RSS (rusage) and ksmd's
#           VmHWM (/proc/PID/status) after the sync; ksmd fetches and
#           decrypts, ksmctl gets the records over the socket and builds
#           the snapshot.
# Each sync must succeed and write a snapshot of the vault's accounts.
#
# Usage: bench/run-sync-mem.sh            (build first: make -j2)
# Env:   SIZES="5000 100000"   BUILDDIR=. (where ksmctl, ksmd/ksmd, .libs are)
#        OUT=bench/results/sync-mem.json
#        WRAP="heaptrack -o FILE"  a profiler to run the direct sync under
#                                  (its figures then are the profiler's)
# Exit status: 0 if every sync succeeded (met or not: see "goal").
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
SIZES=${SIZES:-"5000 100000"}
BUILDDIR=$(cd "${BUILDDIR:-$top}" && pwd)
OUT=${OUT:-$here/results/sync-mem.json}
PY=/usr/bin/python3
builddir=$BUILDDIR
KSM_TESTS_LIB=$top/tests/lib
. "$top/tests/lib/server.sh"
KSMCTL=$BUILDDIR/ksmctl
[ -x "$BUILDDIR/.libs/ksmctl" ] && KSMCTL=$BUILDDIR/.libs/ksmctl
KSMD=$BUILDDIR/ksmd/ksmd
[ -x "$BUILDDIR/ksmd/.libs/ksmd" ] && KSMD=$BUILDDIR/ksmd/.libs/ksmd
export LD_LIBRARY_PATH=$BUILDDIR/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for f in "$KSMCTL" "$KSMD"; do
	[ -x "$f" ] || { echo "run-sync-mem: not built: $f" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-bench-sync.XXXXXX")
KSMD_PID=
cleanup() {
	[ -n "$KSMD_PID" ] && kill "$KSMD_PID" 2>/dev/null && wait "$KSMD_PID" 2>/dev/null
	server_stop
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run-sync-mem: $*" >&2; [ -s "$W/server.log" ] && tail -20 "$W/server.log" >&2; exit 1; }
RAW=$W/raw.jsonl
: >"$RAW"

for n in $SIZES; do
	d=$W/v$n
	mkdir -p "$d/private"
	chmod 700 "$d/private"
	$PY "$here/gen-vault.py" "$n" >"$d/vault.json" || die "gen-vault.py $n"
	server_start "$d/srv" "$d/vault.json" "$W/server.log" 3000 || die "ksm-server did not start"
	host=$(server_field "$d/srv" hostname)
	key="$(server_field "$d/srv" server_public_key_id):$(server_field "$d/srv" server_public_key)"
	conf() {
		printf '%s\n' "client_config = $d/client.json" "ca_file = $d/srv/ca.pem" \
			"snapshot = $d/snapshot" "private_store = $d/private/store" \
			"timeout_sync = 600" "uid_range = 10000-999999" "gid_range = 10000-999999" "ksmd_socket = $d/$1" "ksmd_user = $(id -un)" >"$d/ksm.conf"
	}
	conf no-ksmd.sock
	KSM_TOKEN=$("$ADMIN" --state "$d/srv" token --app bench-app) \
		"$KSMCTL" --conf "$d/ksm.conf" init --host "$host" --server-key "$key" >/dev/null || die "ksmctl init"
	# direct
	rm -f "$d/snapshot"
	# shellcheck disable=SC2086 # WRAP: a command and its options
	line=$($PY "$here/rusage.py" --pid "$SERVER_PID" --out "$d/direct.out" -- \
		${WRAP:-} "$KSMCTL" --conf "$d/ksm.conf" sync 2>"$d/direct.err") || die "rusage"
	echo "# $n direct: $line $(head -c 300 "$d/direct.err")"
	[ -s "$d/snapshot" ] || die "$n direct: no snapshot: $(cat "$d/direct.err")"
	echo "{\"size\":$n,\"mode\":\"direct\",\"m\":$line}" >>"$RAW"
	# through ksmd
	conf ksmd.sock
	rm -f "$d/snapshot" "$d/ksmd.sock"
	"$KSMD" --conf "$d/ksm.conf" --foreground 2>>"$W/ksmd.log" &
	KSMD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$d/ksmd.sock" ] && break
		sleep 0.05
	done
	hwm0=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$KSMD_PID/status")
	line=$($PY "$here/rusage.py" --pid "$KSMD_PID" --out "$d/ksmd.out" -- \
		"$KSMCTL" --conf "$d/ksm.conf" sync 2>"$d/ksmd.err") || die "rusage"
	hwm=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$KSMD_PID/status")
	kill "$KSMD_PID"
	wait "$KSMD_PID" 2>/dev/null
	KSMD_PID=
	echo "# $n through ksmd: ksmctl $line; ksmd VmHWM $hwm0 -> $hwm KiB $(head -c 300 "$d/ksmd.err")"
	[ -s "$d/snapshot" ] || die "$n ksmd: no snapshot: $(cat "$d/ksmd.err")"
	echo "{\"size\":$n,\"mode\":\"ksmd\",\"ksmd_hwm_kib\":$hwm,\"ksmd_hwm_start_kib\":$hwm0,\"m\":$line}" >>"$RAW"
	server_stop
	rm -rf "$d"
done

mkdir -p "$(dirname "$OUT")"
$PY - "$RAW" "$OUT" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)" <<'PY'
import json, os, sys, time
raw = [json.loads(l) for l in open(sys.argv[1])]
JS_5000_MIB = 170  # JS SDK max RSS at 5,000 records (results/ksmctl-vs-js.json)
rows = []
for r in raw:
    m = r["m"]
    peak = max(m["maxrss_kib"], r.get("ksmd_hwm_kib", 0))
    rows.append({"records": r["size"], "mode": r["mode"], "ksmctl_maxrss_kib": m["maxrss_kib"],
                 "ksmd_hwm_kib": r.get("ksmd_hwm_kib"), "peak_syncing_process_kib": peak,
                 "ksmctl_cpu_s": round(m["user"] + m["sys"], 3), "wall_s": round(m["wall"], 3),
                 "status": m["status"]})
goal = {}
for row in rows:
    mib = row["peak_syncing_process_kib"] / 1024
    if row["records"] == 100000:
        goal[f"100000 {row['mode']}: peak <= 1024 MiB"] = mib <= 1024
    if row["records"] == 5000:
        goal[f"5000 {row['mode']}: peak <= {JS_5000_MIB / 2:.0f} MiB (half the JS SDK)"] = mib <= JS_5000_MIB / 2
json.dump({"benchmark": "ksmctl sync peak RSS (direct, and through ksmd)",
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git_head": sys.argv[3],
           "nproc": os.cpu_count(), "js_sdk_5000_maxrss_mib": JS_5000_MIB,
           "rows": rows, "goal": goal, "raw": raw}, open(sys.argv[2], "w"), indent=1)
print("| records | mode | ksmctl max RSS MiB | ksmd VmHWM MiB | ksmctl CPU s | wall s |")
print("|---:|---|---:|---:|---:|---:|")
for row in rows:
    h = row["ksmd_hwm_kib"]
    print(f"| {row['records']} | {row['mode']} | {row['ksmctl_maxrss_kib'] / 1024:.0f} | "
          f"{'' if h is None else f'{h / 1024:.0f}'} | {row['ksmctl_cpu_s']} | {row['wall_s']} |")
for k, v in goal.items():
    print(f"goal {k}: {'met' if v else 'NOT met'}")
PY
