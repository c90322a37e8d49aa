#!/bin/bash
# SPDX-License-Identifier: MIT
# run-keys.sh - the SSH keys benchmark: ksmctl sync of 10,000 accounts, the keys
# helper's cached path against cat(1) of an authorized_keys file with the same
# keys (same run, taking turns), and the helper's live path against the local
# KSM server (tests/server/ksm-server).
#
#  1. bench/gen-keys-vault.py N --no-passwords: N accounts with 1-3 valid
#     ed25519 keys each, no passwords (so sync makes no offline verifiers; that
#     cost is step 5). Server on it, ksmctl init (the token in KSM_TOKEN),
#     ksmd (foreground, on the bench's ksm.conf and socket), then SYNC_REPS x
#     `ksmctl sync` through ksmd (the first writes the snapshot from nothing),
#     each through bench/rusage.py: wall, client CPU, server CPU, max RSS,
#     and ksmd's CPU meanwhile (from /proc/PID/stat).
#  2. Cached path, user05000 (3 keys; user N/2), snapshot of N accounts: bench/spawnbench
#     runs, in rotating order, CACHED_RUNS times each:
#       cat       /bin/cat FILE          (FILE = the helper's own output)
#       keys      ksm-authorized-keys --conf C user05000
#       keys_fp   ksm-authorized-keys --conf C user05000 SHA256:...  (sshd's %u %f)
#       keys_local ksm-authorized-keys --conf C root   (a local user: not in the snapshot)
#     like sshd: posix_spawn, stdout a pipe read to EOF, waitpid. Medians and
#     the ratio to cat. Cross-check with hyperfine -N if it is installed.
#  3. Live path: keys_max_age = 0s, LIVE_RUNS x the helper (a keys request to
#     ksmd, which sends one get_secret for the user's record, within
#     timeout_keys), against the N-account server.
#  4. Against the small vault of step 5: the cached path again (cat vs the
#     helper with %f), to show how the helper's cost depends on the snapshot's
#     size, and the live path, to separate the test server's share.
#  5. Offline verifiers: a PW_N-account vault with passwords and
#     offline_verifiers = all (ksmd hashes them at a sync through it), first
#     sync (yescrypt for every account, in ksmd) against a second sync
#     (nothing changed), per-account cost (ksmd's CPU) and the extrapolation
#     to N.
#
# Usage: make -j2 && bench/run-keys.sh
# Env:   N=10000  SYNC_REPS=3  CACHED_RUNS=1000  LIVE_RUNS=30  PW_N=300 (N, PW_N >= 100)
#        BUILDDIR=build/normal (where ksmctl, ksm-authorized-keys, ksmd/ksmd, .libs are)
#        OUT=bench/results/keys.json   KEEP_TMP=1 keeps the work directory
# About 2-3 minutes on 2 cores. Exit 0 if every run succeeded (goal met or not).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${N:-10000}
SYNC_REPS=${SYNC_REPS:-3}
CACHED_RUNS=${CACHED_RUNS:-1000}
LIVE_RUNS=${LIVE_RUNS:-30}
PW_N=${PW_N:-300}
OUT=${OUT:-$here/results/keys.json}
PY=/usr/bin/python3

if [ -z "${BUILDDIR:-}" ]; then
	BUILDDIR=$top
	[ -x "$BUILDDIR/ksm-authorized-keys" ] || BUILDDIR=$top/build/normal
fi
BUILDDIR=$(cd "$BUILDDIR" && pwd)
# server_start, server_field, server_stop; $ADMIN. server.sh also sources
# tests/lib/ksmd.sh, which reads these two when sourced (its helpers need
# a test's frame; ksmd_up below starts ksmd itself).
builddir=$BUILDDIR
KSM_TESTS_LIB=$top/tests/lib
. "$top/tests/lib/server.sh"
KSMCTL=$BUILDDIR/ksmctl
[ -x "$BUILDDIR/.libs/ksmctl" ] && KSMCTL=$BUILDDIR/.libs/ksmctl
KEYS=$BUILDDIR/ksm-authorized-keys
[ -x "$BUILDDIR/.libs/ksm-authorized-keys" ] && KEYS=$BUILDDIR/.libs/ksm-authorized-keys
LIBDIR=$BUILDDIR/.libs
KSMD=$BUILDDIR/ksmd/ksmd
[ -x "$BUILDDIR/ksmd/.libs/ksmd" ] && KSMD=$BUILDDIR/ksmd/.libs/ksmd
for f in "$KSMCTL" "$KEYS" "$KSMD" "$LIBDIR/libksm.so.0"; do
	[ -e "$f" ] || { echo "run-keys: not built: $f (run make first)" >&2; exit 2; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-bench-keys.XXXXXX")
KSMD_PID=
cleanup() {
	ksmd_down
	server_stop
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "run-keys: $*" >&2; [ -s "$W/server.log" ] && tail -20 "$W/server.log" >&2; exit 1; }
log() { echo "# $*"; }
t_start=$(date +%s)

cc -O2 -o "$W/spawnbench" "$here/spawnbench.c" || die "cannot build spawnbench"
SPAWN=$W/spawnbench

# ksmd_up DIR: ksmd in the foreground on DIR/ksm.conf (log $W/ksmd.log),
# once it answers a ping; ksmd_down stops it. ksmd reads ksm.conf only at
# start: conf restarts it.
KSMD_DIR=
ksmd_up() {
	local d=$1
	ksmd_down
	rm -f "$d/ksmd.sock"
	"$KSMD" --conf "$d/ksm.conf" --foreground 2>>"$W/ksmd.log" &
	KSMD_PID=$!
	KSMD_DIR=$d
	for _ in $(seq 1 100); do
		[ -S "$d/ksmd.sock" ] && $PY "$top/tests/lib/ksmd_client.py" "$d/ksmd.sock" op=ping >/dev/null 2>&1 && return 0
		kill -0 "$KSMD_PID" 2>/dev/null || break
		sleep 0.05
	done
	die "ksmd did not start: $(tail -5 "$W/ksmd.log")"
}
ksmd_down() {
	[ -n "$KSMD_PID" ] || return 0
	kill "$KSMD_PID" 2>/dev/null && wait "$KSMD_PID" 2>/dev/null
	KSMD_PID=
	KSMD_DIR=
}
ksmd_cpu() { $PY -c 'import os,sys; p=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(p[11])+int(p[12]))/os.sysconf("SC_CLK_TCK"))' "$KSMD_PID"; }
# start_server DIR VAULT: server on DIR/srv, ksm.conf in DIR, ksmctl bound,
# ksmd running on it.
start_server() {
	local d=$1 vault=$2 host key
	server_start "$d/srv" "$vault" "$W/server.log" 600 || die "ksm-server did not start"
	host=$(server_field "$d/srv" hostname)
	key="$(server_field "$d/srv" server_public_key_id):$(server_field "$d/srv" server_public_key)"
	conf "$d"
	KSM_TOKEN=$("$ADMIN" --state "$d/srv" token --app app) LD_LIBRARY_PATH=$LIBDIR \
		"$KSMCTL" --conf "$d/ksm.conf" init --host "$host" --server-key "$key" >/dev/null || die "ksmctl init"
	ksmd_up "$d"
}
# conf DIR [EXTRA LINES]: ksm.conf with the bench's own ksmd socket, ksmd
# running as the caller, and offline verifiers for every account at a sync
# (step 5; a vault without passwords gets none). Restarts a ksmd on DIR.
conf() {
	local d=$1
	shift
	{
		echo "client_config = $d/client.json"
		echo "ca_file = $d/srv/ca.pem"
		echo "snapshot = $d/snapshot"
		echo "private_store = $d/private"
		echo "timeout_sync = 300"
		echo "ksmd_socket = $d/ksmd.sock"
		echo "ksmd_user = $(id -un)"
		echo "offline_verifiers = all"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$d/ksm.conf"
	[ "$KSMD_DIR" != "$d" ] || ksmd_up "$d"
}
# sync_run DIR LABEL REP: one ksmctl sync (through ksmd) through rusage.py,
# with ksmd's CPU meanwhile, appended to raw.
sync_run() {
	local d=$1 label=$2 rep=$3 line k0 k1
	k0=$(ksmd_cpu)
	line=$(LD_LIBRARY_PATH=$LIBDIR $PY "$here/rusage.py" --pid "$SERVER_PID" --out "$W/sync.out" -- \
		"$KSMCTL" --conf "$d/ksm.conf" sync 2>"$W/sync.err") || die "rusage sync"
	k1=$(ksmd_cpu)
	$PY -c 'import json,sys; assert json.loads(sys.argv[1])["status"] == 0' "$line" ||
		die "ksmctl sync failed: $(cat "$W/sync.err")"
	echo "{\"what\":\"$label\",\"rep\":$rep,\"m\":$line,\"ksmd_cpu\":$($PY -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))' "$k0" "$k1"),\"summary\":\"$(tail -n1 "$W/sync.out")\"}" >>"$W/sync.jsonl"
	log "$label rep $rep: $line, ksmd CPU $k0 -> $k1 s"
}
: >"$W/sync.jsonl"

# --- 1. sync of N accounts
A=$W/big
mkdir -p "$A"
$PY "$here/gen-keys-vault.py" "$N" --no-passwords >"$A/vault.json" || die "gen-keys-vault.py"
log "vault: $N accounts, $(stat -c %s "$A/vault.json") bytes"
start_server "$A" "$A/vault.json"
for r in $(seq 1 "$SYNC_REPS"); do sync_run "$A" sync "$r"; done
grep -q "sync: $N accounts" "$W/sync.out" || die "sync did not publish $N accounts: $(cat "$W/sync.out")"
SNAP_BYTES=$(stat -c %s "$A/snapshot")
log "snapshot: $SNAP_BYTES bytes"

# --- 2. cached path vs cat
# A user with 3 keys (every 100th), in the middle of the vault.
pick_user() { printf 'user%05d' $(($1 / 200 * 100 > 0 ? $1 / 200 * 100 : 100)); }
U=$(pick_user "$N")
"$KEYS" --conf "$A/ksm.conf" "$U" >"$W/authorized_keys" || die "helper"
[ "$(wc -l <"$W/authorized_keys")" = 3 ] || die "$U should have 3 keys: $(cat "$W/authorized_keys")"
FP=$(ssh-keygen -lf <(sed -n 2p "$W/authorized_keys") | awk '{print $2}')
[ "$("$KEYS" --conf "$A/ksm.conf" "$U" "$FP")" = "$(sed -n 2p "$W/authorized_keys")" ] ||
	die "helper with %f does not print the matching key"
[ -z "$("$KEYS" --conf "$A/ksm.conf" root)" ] || die "helper prints keys for root"
log "cached path: $CACHED_RUNS rounds, taking turns"
"$SPAWN" "$CACHED_RUNS" 50 \
	cat /bin/cat "$W/authorized_keys" ::: \
	keys "$KEYS" --conf "$A/ksm.conf" "$U" ::: \
	keys_fp "$KEYS" --conf "$A/ksm.conf" "$U" "$FP" ::: \
	keys_local "$KEYS" --conf "$A/ksm.conf" root >"$W/cached.txt" || die "spawnbench"
HF=
if command -v hyperfine >/dev/null; then
	log "hyperfine cross-check"
	hyperfine -N --style none --warmup 50 --runs "$CACHED_RUNS" --export-json "$W/hyperfine.json" \
		-n cat "/bin/cat $W/authorized_keys" \
		-n keys_fp "$KEYS --conf $A/ksm.conf $U $FP" >/dev/null 2>&1 && HF=$W/hyperfine.json
fi

# --- 3. live path against the N-account server
live() {
	local d=$1 label=$2 before after want
	want=$("$KEYS" --conf "$d/ksm.conf" "$U")
	[ -n "$want" ] || die "no cached keys for $U"
	sleep 1.1 # the snapshot is now older than 0 s
	conf "$d" "keys_max_age = 0s"
	[ "$(LD_LIBRARY_PATH=$LIBDIR "$KEYS" --conf "$d/ksm.conf" "$U")" = "$want" ] ||
		die "live path: wrong keys for $U"
	before=$("$ADMIN" --state "$d/srv" stats | $PY -c 'import json,sys; print(json.load(sys.stdin).get("get_secret", 0))')
	LD_LIBRARY_PATH=$LIBDIR "$SPAWN" "$LIVE_RUNS" 2 "$label" "$KEYS" --conf "$d/ksm.conf" "$U" >>"$W/live.txt" ||
		die "spawnbench live"
	after=$("$ADMIN" --state "$d/srv" stats | $PY -c 'import json,sys; print(json.load(sys.stdin).get("get_secret", 0))')
	echo "$label $((after - before))" >>"$W/live-requests.txt"
	conf "$d"
}
: >"$W/live.txt"
: >"$W/live-requests.txt"
log "live path: $LIVE_RUNS runs against the $N-account server"
live "$A" "live_$N"
ksmd_down
server_stop

# --- 5. offline verifiers (and 4. the live path against a small vault)
B=$W/pw
mkdir -p "$B"
$PY "$here/gen-keys-vault.py" "$PW_N" >"$B/vault.json" || die "gen-keys-vault.py"
start_server "$B" "$B/vault.json"
sync_run "$B" "sync_pw_first" 1
grep -q "$PW_N offline verifiers made" "$W/sync.out" || die "first sync made no $PW_N verifiers: $(cat "$W/sync.out")"
sync_run "$B" "sync_pw_again" 1
U2=$(pick_user "$PW_N")
"$KEYS" --conf "$B/ksm.conf" "$U2" >"$W/authorized_keys_small" || die "helper"
[ "$(wc -l <"$W/authorized_keys_small")" = 3 ] || die "$U2 should have 3 keys"
FP2=$(ssh-keygen -lf <(sed -n 2p "$W/authorized_keys_small") | awk '{print $2}')
log "cached path, $PW_N-account snapshot: $CACHED_RUNS rounds"
"$SPAWN" "$CACHED_RUNS" 50 \
	small_cat /bin/cat "$W/authorized_keys_small" ::: \
	small_keys_fp "$KEYS" --conf "$B/ksm.conf" "$U2" "$FP2" >>"$W/cached.txt" || die "spawnbench"
log "live path: $LIVE_RUNS runs against the $PW_N-account server"
U=$U2 live "$B" "live_$PW_N"
ksmd_down
server_stop

mkdir -p "$(dirname "$OUT")"
$PY - "$W" "$OUT" "$N" "$PW_N" "$CACHED_RUNS" "$LIVE_RUNS" "$SNAP_BYTES" "$(($(date +%s) - t_start))" \
	"$KEYS" "$KSMCTL" "$top" "$HF" "$(pick_user "$N")" <<'EOF'
import json, os, platform, statistics, subprocess, sys, time

(w, out, n, pw_n, cached_runs, live_runs, snap_bytes, secs, keys, ksmctl, top, hf, user) = sys.argv[1:14]
n, pw_n, cached_runs, live_runs = int(n), int(pw_n), int(cached_runs), int(live_runs)

def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return None

def cpu_model():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()

def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]

def stats_us(ns):
    us = [x / 1000 for x in ns]
    return {"runs": len(us), "median_us": round(statistics.median(us), 1),
            "p10_us": round(q(us, 0.10), 1), "p90_us": round(q(us, 0.90), 1),
            "p99_us": round(q(us, 0.99), 1), "min_us": round(min(us), 1), "max_us": round(max(us), 1)}

def spawn_file(path):
    runs = {}
    for line in open(path):
        name, _, ns = line.split()
        runs.setdefault(name, []).append(int(ns))
    return runs

sync = [json.loads(l) for l in open(f"{w}/sync.jsonl")]
cached_raw = spawn_file(f"{w}/cached.txt")
cached = {k: stats_us(v) for k, v in cached_raw.items()}
for k in cached:
    base = "small_cat" if k.startswith("small_") else "cat"
    cached[k]["ratio_to_cat"] = round(cached[k]["median_us"] / cached[base]["median_us"], 3)
live_raw = spawn_file(f"{w}/live.txt")
live = {k: stats_us(v) for k, v in live_raw.items()}
for l in open(f"{w}/live-requests.txt"):
    k, c = l.split()
    live[k]["get_secret_requests"] = int(c)
    live[k]["warmup_runs"] = 2

hyperfine = None
if hf:
    h = json.load(open(hf))["results"]
    hyperfine = {r["command"]: {"median_us": round(r["median"] * 1e6, 1), "mean_us": round(r["mean"] * 1e6, 1),
                                "stddev_us": round(r["stddev"] * 1e6, 1), "runs": len(r["times"])} for r in h}
    hyperfine["ratio_keys_fp_to_cat"] = round(hyperfine["keys_fp"]["median_us"] / hyperfine["cat"]["median_us"], 3)

def sync_row(what):
    return [dict(rep=s["rep"], wall_s=round(s["m"]["wall"], 3), cpu_s=round(s["m"]["cpu"], 3),
                 server_cpu_s=round(s["m"]["server_cpu"], 2), ksmd_cpu_s=round(s["ksmd_cpu"], 2),
                 maxrss_mib=round(s["m"]["maxrss_kib"] / 1024, 1),
                 summary=s["summary"]) for s in sync if s["what"] == what]

pw_first, pw_again = sync_row("sync_pw_first")[0], sync_row("sync_pw_again")[0]
# ksmd hashes the verifiers (offline_verifiers = all): its CPU, not ksmctl's.
per_verifier = (pw_first["ksmd_cpu_s"] - pw_again["ksmd_cpu_s"]) / pw_n
summary = {
    "sync": {"accounts": n, "snapshot_bytes": int(snap_bytes), "runs": sync_row("sync"),
             "note": "no passwords in this vault: no offline verifiers; run 1 writes the snapshot from nothing"},
    "offline_verifiers": {"accounts": pw_n, "first_sync": pw_first, "second_sync": pw_again,
                          "cpu_s_per_verifier": round(per_verifier, 4),
                          "note": "offline_verifiers = all: ksmd hashes at the sync through it; cost from ksmd's CPU",
                          "extrapolated_first_sync_extra_cpu_s_for_%d" % n: round(per_verifier * n, 1)},
    "cached": dict(cached, user=user + " (3 keys)", snapshot_accounts=n, small_snapshot_accounts=pw_n, method="spawnbench: posix_spawn, stdout pipe read to EOF, waitpid; rotating order"),
    "hyperfine": hyperfine,
    "live": live,
}
ratio = cached["keys_fp"]["ratio_to_cat"]
goal = {"what": "cached path median wall <= 1.5 x cat's, same run", "ratio_keys_fp": ratio,
        "ratio_keys": cached["keys"]["ratio_to_cat"], "max": 1.5, "met": ratio <= 1.5 and cached["keys"]["ratio_to_cat"] <= 1.5}
result = {
    "benchmark": "ssh keys: ksmctl sync, ksm-authorized-keys cached vs cat, live path",
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "duration_s": int(secs),
    "env": {"cpu": cpu_model(), "nproc": os.cpu_count(), "kernel": platform.release(),
            "helper": keys, "ksmctl": ksmctl,
            "git_head": sh("git", "-C", top, "rev-parse", "--short", "HEAD"),
            "git_dirty": bool(sh("git", "-C", top, "status", "--porcelain", "--untracked-files=no")),
            "hyperfine": sh("hyperfine", "--version")},
    "summary": summary, "goal": goal,
    "raw_us": {"cached": {k: [round(x / 1000, 1) for x in v] for k, v in cached_raw.items()},
               "live": {k: [round(x / 1000, 1) for x in v] for k, v in live_raw.items()}},
}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")

print()
print(f"ksmctl sync, {n} accounts (snapshot {int(snap_bytes) / 1e6:.1f} MB):")
for r in summary["sync"]["runs"]:
    print(f"  run {r['rep']}: wall {r['wall_s']:.2f} s, ksmctl CPU {r['cpu_s']:.2f} s, ksmd CPU {r['ksmd_cpu_s']:.2f} s, server CPU {r['server_cpu_s']:.2f} s, max RSS {r['maxrss_mib']} MiB")
print(f"offline verifiers, {pw_n} accounts: first sync wall {pw_first['wall_s']:.2f} s / ksmd CPU {pw_first['ksmd_cpu_s']:.2f} s, "
      f"second {pw_again['wall_s']:.2f} s / {pw_again['ksmd_cpu_s']:.2f} s -> {per_verifier * 1000:.1f} ms ksmd CPU per verifier, "
      f"~{per_verifier * n:.0f} s extra for a first sync of {n}")
print(f"cached path ({cached_runs} runs each, medians):")
for k in ("cat", "keys", "keys_fp", "keys_local", "small_cat", "small_keys_fp"):
    c = cached[k]
    print(f"  {k:13s} {c['median_us']:7.1f} us  (p10 {c['p10_us']:.1f}, p90 {c['p90_us']:.1f})  x{c['ratio_to_cat']:.2f} cat")
if hyperfine:
    print(f"  hyperfine -N: cat {hyperfine['cat']['median_us']:.1f} us, keys_fp {hyperfine['keys_fp']['median_us']:.1f} us, x{hyperfine['ratio_keys_fp_to_cat']:.2f}")
for k, v in live.items():
    print(f"live path {k}: median {v['median_us'] / 1000:.1f} ms, p90 {v['p90_us'] / 1000:.1f} ms, max {v['max_us'] / 1000:.1f} ms "
          f"({v['runs']} runs, {v['get_secret_requests']} get_secret)")
print(f"goal (cached <= 1.5 x cat): {'met' if goal['met'] else 'NOT met'} (keys {goal['ratio_keys']:.2f}, keys %f {goal['ratio_keys_fp']:.2f})")
print(f"raw results: {out} ({secs} s)")
EOF
