#!/bin/bash
# SPDX-License-Identifier: MIT
# run-ksmctl-vs-js.sh - ksmctl against Keeper's official JS SDK, fetching and decrypting
# every record of a generated vault from the local KSM server (tests/server/ksm-server).
#
# For each vault size: generate the vault (bench/gen-vault.py), start the server on it,
# bind ksmctl (ksmctl init, the token in KSM_TOKEN; ksmctl then runs in direct mode, without
# ksmd) and the JS SDK (its own token), run each client once as a
# warm-up and check both list the same records, then REPS times, alternating the order:
#   ksmctl: one process `ksmctl secret list --json`
#   js:     one process `node bench/js-getsecrets.js CONFIG` (loads the config, getSecrets,
#           prints the same listing)
# measuring the client process's CPU time (user+sys from wait4) and wall time, and the
# server's CPU time meanwhile (bench/rusage.py). Reports medians and the ratios ksmctl/js.
#
# Usage: bench/run-ksmctl-vs-js.sh            (build first: make -j2)
# Env:   SIZES="500 5000"  vault sizes     REPS=5  repetitions per client and size
#        OUT=bench/results/ksmctl-vs-js.json  where the raw results go
#        KSMCTL=path  ksmctl to measure (default: ./ksmctl, else build/normal/ksmctl); for
#                     a libtool wrapper the ELF in .libs/ is run with LD_LIBRARY_PATH
#                     instead, so the wrapper's shell is not measured
# Exit status: 0 if every run succeeded (whether or not the goal was met; see "goal").
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
SIZES=${SIZES:-"500 5000"}
REPS=${REPS:-5}
OUT=${OUT:-$here/results/ksmctl-vs-js.json}
PY=/usr/bin/python3
# server_start, server_field, server_stop; $ADMIN. server.sh also sources
# tests/lib/ksmd.sh, which reads these two when sourced (unused here).
: "${builddir:=$top}"
KSM_TESTS_LIB=$top/tests/lib
. "$top/tests/lib/server.sh"
SDK="$top/tests/interop/node_modules/@keeper-security/secrets-manager-core"

# Default: an in-tree build, else the out-of-tree one of tests/run-all.sh (build/normal).
if [ -z "${KSMCTL:-}" ]; then
	KSMCTL="$top/ksmctl"
	[ -x "$KSMCTL" ] || KSMCTL="$top/build/normal/ksmctl"
fi
# A libtool wrapper script: run the ELF next to it, as the wrapper would, minus the shell.
kdir=$(dirname "$KSMCTL")
if [ -x "$kdir/.libs/$(basename "$KSMCTL")" ] && ! head -c 4 "$KSMCTL" | grep -q ELF; then
	libs=$(cd "$kdir/.libs" && pwd)
	KSMCTL="$libs/$(basename "$KSMCTL")"
	export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
[ -x "$KSMCTL" ] || { echo "no ksmctl at $KSMCTL (run make first)" >&2; exit 2; }
if [ ! -d "$SDK" ]; then
	(cd "$top/tests/interop" && npm ci --no-audit --no-fund >/dev/null) || exit 2
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-bench.XXXXXX")
cleanup() {
	server_stop
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run-ksmctl-vs-js: $*" >&2; [ -s "$W/server.log" ] && tail -20 "$W/server.log" >&2; exit 1; }

RAW="$W/raw.jsonl"
: >"$RAW"
t_start=$(date +%s)

for n in $SIZES; do
	d="$W/v$n"
	mkdir -p "$d"
	$PY "$here/gen-vault.py" "$n" >"$d/vault.json" || die "gen-vault.py $n"
	server_start "$d/srv" "$d/vault.json" "$W/server.log" 300 || die "ksm-server did not start"
	srv() { server_field "$d/srv" "$1"; }
	host=$(srv hostname)
	ca=$(srv ca_file)
	export NODE_EXTRA_CA_CERTS="$ca" SERVER_JSON="$d/srv/server.json"
	# One process each: ksmctl in direct mode (its ksmd_socket names a path
	# where nothing listens, so a ksmd of the host is never asked).
	printf 'client_config = %s\nca_file = %s\ntimeout_sync = 120\nksmd_socket = %s\nksmd_user = %s\n' \
		"$d/client.json" "$ca" "$d/no-ksmd.sock" "$(id -un)" >"$d/ksm.conf"

	KSM_TOKEN=$("$ADMIN" --state "$d/srv" token --app bench-app) "$KSMCTL" --conf "$d/ksm.conf" init \
		--host "$host" --server-key "$(srv server_public_key_id):$(srv server_public_key)" \
		>/dev/null || die "ksmctl init"
	node "$here/js-getsecrets.js" --bind "$("$ADMIN" --state "$d/srv" token --app bench-app)" \
		"$d/js-config.json" >/dev/null || die "JS SDK bind"

	k_cmd=("$KSMCTL" --conf "$d/ksm.conf" secret list --json)
	j_cmd=(node "$here/js-getsecrets.js" "$d/js-config.json")
	# warm-up (page cache, server's first parse) and a correctness check of both outputs
	"${k_cmd[@]}" >"$d/k.out" || die "ksmctl secret list"
	"${j_cmd[@]}" >"$d/j.out" || die "js-getsecrets"
	$PY - "$d/k.out" "$d/j.out" "$n" <<-'EOF' || die "ksmctl and JS listings differ"
		import json, sys
		k, j = (sorted(json.load(open(p)), key=lambda r: r["uid"]) for p in sys.argv[1:3])
		assert len(k) == len(j) == int(sys.argv[3]), (len(k), len(j))
		assert k == j, "listings differ"
	EOF

	for r in $(seq 1 "$REPS"); do
		if [ $((r % 2)) -eq 1 ]; then order="ksmctl js"; else order="js ksmctl"; fi
		for c in $order; do
			if [ "$c" = ksmctl ]; then cmd=("${k_cmd[@]}"); else cmd=("${j_cmd[@]}"); fi
			line=$($PY "$here/rusage.py" --pid "$SERVER_PID" -- "${cmd[@]}") || die "rusage $c"
			$PY -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["status"]==0, r' "$line" \
				|| die "$c failed: $line"
			echo "{\"size\":$n,\"client\":\"$c\",\"rep\":$r,\"m\":$line}" >>"$RAW"
			echo "# $n records, rep $r, $c: $line"
		done
	done
	server_stop
done

mkdir -p "$(dirname "$OUT")"
$PY - "$RAW" "$OUT" "$REPS" "$(($(date +%s) - t_start))" "$KSMCTL" "$top" <<'EOF'
import json, os, platform, statistics, subprocess, sys, time

raw_file, out, reps, secs, ksmctl, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
raw = [json.loads(l) for l in open(raw_file)]

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return None

def cpu_model():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()

sizes = sorted({r["size"] for r in raw})
summary = []
for n in sizes:
    row = {"records": n}
    for c in ("ksmctl", "js"):
        ms = [r["m"] for r in raw if r["size"] == n and r["client"] == c]
        row[c] = {k: round(statistics.median(m[k] for m in ms), 4)
                  for k in ("cpu", "user", "sys", "wall", "maxrss_kib", "server_cpu")}
    row["ratio_cpu"] = round(row["ksmctl"]["cpu"] / row["js"]["cpu"], 3)
    row["ratio_wall"] = round(row["ksmctl"]["wall"] / row["js"]["wall"], 3)
    summary.append(row)

goal = None
big = [s for s in summary if s["records"] == 5000]
if big:
    goal = {"records": 5000, "cpu_ratio_max": 0.2, "wall_ratio_max": 1.0,
            "met": big[0]["ratio_cpu"] <= 0.2 and big[0]["ratio_wall"] < 1.0}

git = sh("git", "-C", top, "rev-parse", "--short", "HEAD")
result = {
    "benchmark": "ksmctl secret list --json vs JS SDK getSecrets (one process each)",
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "reps": reps, "statistic": "median", "duration_s": secs,
    "env": {"cpu": cpu_model(), "nproc": os.cpu_count(), "kernel": platform.release(),
            "node": sh("node", "--version"), "sdk": "@keeper-security/secrets-manager-core 17.5.0",
            "ksmctl": sh(ksmctl, "--version"), "ksmctl_path": ksmctl, "git_head": git,
            "git_dirty": bool(sh("git", "-C", top, "status", "--porcelain", "--untracked-files=no"))},
    "units": {"cpu": "s (user+sys of the client process)", "wall": "s",
              "server_cpu": "s (server process CPU during the run, 10 ms ticks)",
              "maxrss_kib": "KiB"},
    "summary": summary, "goal": goal, "runs": raw,
}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")

print()
print("| records | ksmctl CPU s | JS CPU s | CPU ratio ksmctl/JS | ksmctl wall s | JS wall s | wall ratio ksmctl/JS | ksmctl max RSS MiB | JS max RSS MiB | server CPU s / run |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for s in summary:
    k, j = s["ksmctl"], s["js"]
    print(f"| {s['records']} | {k['cpu']:.3f} | {j['cpu']:.3f} | **{s['ratio_cpu']:.2f}** | "
          f"{k['wall']:.3f} | {j['wall']:.3f} | **{s['ratio_wall']:.2f}** | "
          f"{k['maxrss_kib'] / 1024:.0f} | {j['maxrss_kib'] / 1024:.0f} | "
          f"{k['server_cpu']:.2f} / {j['server_cpu']:.2f} |")
if goal:
    print(f"\ngoal at 5000 records (CPU ratio <= 0.2 and wall ratio < 1): "
          f"{'met' if goal['met'] else 'NOT met'}")
print(f"raw results: {out} ({secs} s)")
EOF
