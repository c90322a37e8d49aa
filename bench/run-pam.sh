#!/bin/bash
# SPDX-License-Identifier: MIT
# run-pam.sh - pam_ksm live authentication against pam_unix verifying a
# yescrypt hash (Debian 12's default) for the same password, in the same
# run, taking turns; plus HTTPS requests per authentication, the
# offline path, and one-process-per-login ("cold") costs.
#
# Both modules are driven by tests/pam/pam_harness (pam_start_confdir,
# service files in the test dir): -n N authentications in one process, each
# with its own pam_start/pam_authenticate/pam_end, CPU from getrusage
# (user+sys of the harness, where pam_unix runs) and wall time from the
# monotonic clock. pam_ksm is a thin client: the vault half of each
# authentication (the request, decryption, the comparison, the offline
# verifier's yescrypt) runs in the broker ksmd, whose CPU (from
# /proc/PID/stat) is added to pam_ksm's for the comparison with pam_unix
# and also reported apart. The local KSM server (tests/server) is a separate
# Python process; its CPU is reported apart too.
# pam_unix needs its user in /etc/passwd and /etc/shadow: a local user
# ksmbench (not alice: a local account of a vault user's name wins, and
# pam_ksm would not ask ksmd), in copies bind-mounted over them in a
# private mount namespace (nothing on the host changes). The hash is made by mkpasswd -m yescrypt
# (package whois) or, without it, by crypt(3) through python.
#
# ksmd lets an auth take a read of the same record made in the last
# auth_reuse (1 s here, as in the tests' ksm.conf; ksmd's default is 5 s:
# docs/design.md), so back-to-back authentications of one user share
# reads. The live pam_ksm runs therefore space their authentications GAP_MS
# apart (the harness's password prompt waits that long: no CPU, and GAP_MS
# is taken off the wall time), so that each makes its own request, as a
# lone login does; the cold runs too. A "back-to-back" path shows the loop
# without the gap (one request a second).
#
# Usage: bench/run-pam.sh        (root; build first: cd build/normal && make -j2 check TESTS=)
# Env:   N=40 authentications per harness run   ROUNDS=5 runs per module
#        LIVE_N=20 spaced pam_ksm authentications per run   GAP_MS=1050
#        COLD=15 one-process runs per module    BUILDDIR=build/normal
#        OUT=bench/results/pam.json             KEEP_TMP=1
# Exit status: 0 if every authentication succeeded (goal met or not).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${N:-40}
LIVE_N=${LIVE_N:-20}
GAP_MS=${GAP_MS:-1050}
ROUNDS=${ROUNDS:-5}
COLD=${COLD:-15}
RESULTS=${OUT:-$here/results/pam.json}
BUILDDIR=$(cd "${BUILDDIR:-$top/build/normal}" && pwd) || exit 2

if [ -z "${KSM_BENCH_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "run-pam.sh: needs root (pam_unix reads /etc/shadow; mount namespace)"; exit 2; }
	[ -x "$BUILDDIR/tests/pam/pam_harness" ] || { echo "build the harness: cd $BUILDDIR && make tests/pam/pam_harness"; exit 2; }
	KSM_BENCH_IN_NS=1 exec unshare -m -- /bin/bash "$0" "$@"
fi
mount --make-rprivate / || exit 2
srcdir=$top builddir=$BUILDDIR
export srcdir builddir
# The test frame, the local server, the harness and the PAM tests' vault.
. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
. "$top/tests/lib/pam.sh"
. "$top/tests/lib/pamvault.sh"

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 2
ksm_start_server "$T/vault.json"
# ksmd's state directory (for the verifiers the live logins make, which the
# offline path uses); request_budget raised: every live authentication is a
# request, many more per 10 s than the default 90 allows.
mkdir -m 0700 "$T/private"
write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" "timeout_auth = 3" \
	"request_budget = 100000/10s"
bind
[ "$RC" = 0 ] || { echo "ksmctl init failed: $ERR"; exit 2; }
run_ksmctl sync
[ "$RC" = 0 ] || { echo "ksmctl sync failed: $ERR"; exit 2; }
USER_=alice
PASS=$PW_ALICE
# pam_unix's user: a local account of its own with the same password (a
# local account named alice would win over the vault user, and pam_ksm
# would not even ask ksmd).
UNIX_USER=ksmbench

# The same password for pam_unix, with Debian's default yescrypt.
if command -v mkpasswd >/dev/null; then
	HASH=$(printf '%s\n' "$PASS" | mkpasswd -m yescrypt --stdin)
	HASHER="mkpasswd -m yescrypt"
else
	HASH=$("$PY" -c 'import ctypes, sys
c = ctypes.CDLL("libcrypt.so.1"); c.crypt_gensalt.restype = c.crypt.restype = ctypes.c_char_p
s = c.crypt_gensalt(b"$y$", 0, None, 0); print(c.crypt(sys.argv[1].encode(), s).decode())' "$PASS")
	HASHER="crypt_gensalt(\$y\$) via python ctypes"
fi
case $HASH in '$y$'*) ;; *) echo "no yescrypt hash: $HASH"; exit 2 ;; esac
{ grep -v "^$UNIX_USER:" /etc/passwd; echo "$UNIX_USER:x:$UID_ALICE:$UID_ALICE:bench:/nonexistent:/bin/false"; } >"$T/passwd"
{ grep -v "^$UNIX_USER:" /etc/shadow; echo "$UNIX_USER:$HASH:20000:0:99999:7:::"; } >"$T/shadow"
chmod 0644 "$T/passwd"; chmod 0640 "$T/shadow"
mount --bind "$T/passwd" /etc/passwd && mount --bind "$T/shadow" /etc/shadow || exit 2
mkdir -p "$T/pam.d"
echo "auth required pam_unix.so nodelay" >"$T/pam.d/bench-unix"
echo "auth required $PAM_MOD conf=$T/ksm.conf" >"$T/pam.d/bench-ksm"

# hrun SERVICE N: one harness process, N authentications; prints its JSON
# line plus the server's CPU and the get_secret requests meanwhile.
proc_cpu() { "$PY" -c 'import os,sys; p=open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")",1)[1].split(); print((int(p[11])+int(p[12]))/os.sysconf("SC_CLK_TCK"))' "$1"; }
server_cpu() { proc_cpu "$SERVER_PID"; }
ksmd_cpu() { proc_cpu "$KSMD_PID"; }
user_for() { if [ "$1" = bench-unix ]; then echo "$UNIX_USER"; else echo "$USER_"; fi; }
# hrun SERVICE N [GAP_MS]: with GAP_MS, each password prompt waits that
# long, and the wall time is reported without it.
hrun() {
	local s0 s1 k0 k1 line gets gap=${3:-0}
	reset_stats
	s0=$(server_cpu) k0=$(ksmd_cpu)
	line=$(PAM_HARNESS_PASSWORD=$PASS PAM_HARNESS_DELAY_MS=$gap "$HARNESS" -q -n "$2" -c "$T/pam.d" "$1" "$(user_for "$1")" auth)
	s1=$(server_cpu) k1=$(ksmd_cpu)
	gets=$(req_gets)
	"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(service=sys.argv[2], server_cpu_s=float(sys.argv[4])-float(sys.argv[3]), ksmd_cpu_s=float(sys.argv[7])-float(sys.argv[6]), get_secret=int(sys.argv[5]), gap_ms=int(sys.argv[8])); d["wall_ms_per_round"] -= d["gap_ms"]; print(json.dumps(d))' \
		"$line" "$1" "$s0" "$s1" "$gets" "$k0" "$k1" "$gap"
}

: >"$T/raw.jsonl"
echo "# warm-up"
hrun bench-unix 2 >/dev/null
hrun bench-ksm 2 >/dev/null
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order="bench-unix bench-ksm"; else order="bench-ksm bench-unix"; fi
	for s in $order; do
		if [ "$s" = bench-ksm ]; then
			hrun "$s" "$LIVE_N" "$GAP_MS"
		else
			hrun "$s" "$N"
		fi | sed "s/^{/{\"path\": \"live\", \"round\": $r, /" | tee -a "$T/raw.jsonl"
	done
done
echo "# back to back: pam_ksm authentications of one user with no gap"
for r in $(seq 1 "$ROUNDS"); do
	hrun bench-ksm "$N" | sed "s/^{/{\"path\": \"back-to-back\", \"round\": $r, /" | tee -a "$T/raw.jsonl"
done
echo "# offline path (server refusing connections)"
fault refuse
for r in $(seq 1 "$ROUNDS"); do
	hrun bench-ksm "$N" | sed "s/^{/{\"path\": \"offline-refused\", \"round\": $r, /" | tee -a "$T/raw.jsonl"
done
fault none
echo "# cold: one process per authentication (as sshd and sudo run PAM)"
for r in $(seq 1 "$COLD"); do
	for s in bench-unix bench-ksm; do
		reset_stats
		k0=$(ksmd_cpu)
		gap=0
		[ "$s" = bench-ksm ] && gap=$GAP_MS
		c=$(PAM_HARNESS_PASSWORD=$PASS PAM_HARNESS_DELAY_MS=$gap "$PY" "$here/rusage.py" --pid "$SERVER_PID" -- \
			"$HARNESS" -q -c "$T/pam.d" "$s" "$(user_for "$s")" auth)
		c=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["wall"] -= int(sys.argv[2]) / 1000; print(json.dumps(d))' "$c" "$gap")
		k1=$(ksmd_cpu)
		echo "{\"path\": \"cold\", \"service\": \"$s\", \"round\": $r, \"gap_ms\": $gap, \"get_secret\": $(req_gets), \"ksmd_cpu_s\": $("$PY" -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))' "$k0" "$k1"), \"rusage\": $c}" >>"$T/raw.jsonl"
	done
done

LIVE_N=$LIVE_N GAP_MS=$GAP_MS "$PY" - "$T/raw.jsonl" "$RESULTS" "$N" "$ROUNDS" "$COLD" "$HASHER" "$HASH" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null)" <<'PY'
import json, statistics as st, sys, platform, os, time
raw = [json.loads(l) for l in open(sys.argv[1])]
out, n, rounds, cold, hasher, h, rev = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7], sys.argv[8]
def med(path, svc, key):
    v = [r[key] for r in raw if r["path"] == path and r["service"] == svc]
    return st.median(v) if v else None
res = {"date": time.strftime("%Y-%m-%d"), "git": rev, "host": {"cpus": os.cpu_count(), "kernel": platform.release()},
       "n_per_run": n, "live_ksm_n_per_run": int(os.environ.get("LIVE_N", "0")), "gap_ms": int(os.environ.get("GAP_MS", "0")), "rounds": rounds, "cold_runs": cold, "unix_hash": hasher, "unix_hash_prefix": h[:7],
       "all_ok": all(r.get("ok_rounds", r.get("rounds")) == r.get("rounds") for r in raw if "rounds" in r)
                 and all(r["rusage"]["status"] == 0 for r in raw if r["path"] == "cold"),
       "summary": {}, "raw": raw}
S = res["summary"]
for path, svc in (("live", "bench-unix"), ("live", "bench-ksm"), ("back-to-back", "bench-ksm"), ("offline-refused", "bench-ksm")):
    rows = [r for r in raw if r["path"] == path and r["service"] == svc]
    ksmd_ms = 1000 * sum(r["ksmd_cpu_s"] for r in rows) / sum(r["rounds"] for r in rows)
    S[f"{path}/{svc}"] = {
        "cpu_ms_per_auth": round(med(path, svc, "cpu_ms_per_round"), 3),
        "ksmd_cpu_ms_per_auth": round(ksmd_ms, 3),
        "cpu_ms_per_auth_with_ksmd": round(med(path, svc, "cpu_ms_per_round") + ksmd_ms, 3),
        "user_ms_per_auth": round(med(path, svc, "user_ms_per_round"), 3),
        "sys_ms_per_auth": round(med(path, svc, "sys_ms_per_round"), 3),
        "wall_ms_per_auth": round(med(path, svc, "wall_ms_per_round"), 3),
        "requests_per_auth": round(sum(r["get_secret"] for r in rows) / sum(r["rounds"] for r in rows), 3),
        "server_cpu_ms_per_auth": round(1000 * sum(r["server_cpu_s"] for r in rows) / sum(r["rounds"] for r in rows), 2),
    }
for svc in ("bench-unix", "bench-ksm"):
    rows = [r for r in raw if r["path"] == "cold" and r["service"] == svc]
    S[f"cold/{svc}"] = {
        "cpu_ms_per_process": round(1000 * st.median(r["rusage"]["cpu"] for r in rows), 2),
        "ksmd_cpu_ms_per_auth": round(1000 * st.mean(r["ksmd_cpu_s"] for r in rows), 2),
        # ksmd's CPU comes in clock ticks (10 ms): its mean over the runs.
        "cpu_ms_per_process_with_ksmd": round(1000 * (st.median(r["rusage"]["cpu"] for r in rows)
                                                      + st.mean(r["ksmd_cpu_s"] for r in rows)), 2),
        "wall_ms_per_process": round(1000 * st.median(r["rusage"]["wall"] for r in rows), 2),
        "maxrss_kib": st.median(r["rusage"]["maxrss_kib"] for r in rows),
        "requests_per_auth": sum(r["get_secret"] for r in rows) / len(rows),
    }
k, u = S["live/bench-ksm"], S["live/bench-unix"]
# pam_ksm's CPU with ksmd's (pam_unix has no helper process to add).
res["ratios"] = {"live_cpu_ksm_over_unix": round(k["cpu_ms_per_auth_with_ksmd"] / u["cpu_ms_per_auth"], 3),
                 "live_cpu_ksm_without_ksmd_over_unix": round(k["cpu_ms_per_auth"] / u["cpu_ms_per_auth"], 3),
                 "live_wall_ksm_over_unix": round(k["wall_ms_per_auth"] / u["wall_ms_per_auth"], 3),
                 "cold_cpu_ksm_over_unix": round(S["cold/bench-ksm"]["cpu_ms_per_process_with_ksmd"] / S["cold/bench-unix"]["cpu_ms_per_process"], 3)}
res["goal"] = {"cpu_per_auth_at_most_pam_unix": k["cpu_ms_per_auth_with_ksmd"] <= u["cpu_ms_per_auth"],
               "exactly_one_request_per_auth": k["requests_per_auth"] == 1.0}
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump(res, open(out, "w"), indent=1)
print(json.dumps({"summary": S, "ratios": res["ratios"], "goal": res["goal"], "all_ok": res["all_ok"]}, indent=1))
sys.exit(0 if res["all_ok"] else 1)
PY
