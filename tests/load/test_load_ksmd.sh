#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_ksmd.sh - ksmd's memory stays flat across many logins and
# syncs (issue 17). One ksmd, the local KSM server, LOAD_KSMD_USERS (60)
# vault users:
#
# 1. Warm-up: a first sync, then 500 auths through ksmd's socket and 5 `ksmctl sync`
#    (through ksmd), so that its threads' arenas, caches and the snapshot
#    are all made; then ksmd's VmRSS and VmHWM are read from
#    /proc/PID/status.
# 2. LOAD_KSMD_AUTHS (10,000) auths (op=auth as pam_ksm sends it, from
#    two concurrent clients; every user in turn, 3 of every 10 with a wrong
#    password, which the next right one resets, so no user reaches
#    max_auth_failures) while LOAD_KSMD_SYNCS (100) `ksmctl sync` run one
#    after the other. Every answer must be right (ok or wrong as sent),
#    every sync must succeed, every right password must have been accepted
#    live (ksmd's auth_live_ok), and the server must have seen at least one
#    get_secret per user (an auth takes a read of the last second).
# 3. ksmd's VmRSS after the run must be at most KSMD_RSS_BOUND_KB (4 MiB)
#    above the warm-up figure, and its VmHWM at most that above too (a
#    sync that held the whole vault twice would show there).
#
# The ksmd client is tests/lib/ksmd_client.py's framing, in one Python
# process per client (passwords read from users.tsv, never argv).
# Needs root (ksmd answers auth to uid 0 only; a private namespace);
# skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

NU=${LOAD_KSMD_USERS:-60}
AUTHS=${LOAD_KSMD_AUTHS:-10000}
SYNCS=${LOAD_KSMD_SYNCS:-100}
BOUND_KB=${KSMD_RSS_BOUND_KB:-4096}
make_vault "$NU"
ksm_start_server "$T/vault.json"
mkdir -m 0700 "$T/private"
write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
	"offline_verifiers = all" "request_budget = 100000/10s" \
	"max_auth_failures = 64" "timeout_auth = 30" "timeout_sync = 30"
bind
expect_rc "ksmctl init" 0
[ -n "$KSMD_PID" ] || { fail "ksmd did not start"; finish; }

status() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$KSMD_PID/status"; }

# auths N CLIENTS OUT: N auths over CLIENTS concurrent Python clients;
# OUT gets "ok=.. wrong=.. bad=.." summed (bad: any other answer).
auths() {
	"$PY" - "$TOP_SRC/tests/lib" "$T/ksmd.sock" "$USERS_TSV" "$1" "$2" >"$3" 2>&1 <<'PY'
import os, socket, struct, sys
sys.path.insert(0, sys.argv[1])
import ksmd_client as kc
sock, tsv, n, clients = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
users = [l.rstrip("\n").split("\t") for l in open(tsv)]

def ask(fields):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sock)
    s.sendall(kc.frame(fields))
    hdr = kc.recv_exact(s, 4)
    if hdr is None:
        return "closed"
    body = kc.recv_exact(s, struct.unpack(">I", hdr)[0])
    s.close()
    return dict(kc.parse(body)).get("result", b"?").decode()

pids = []
for c in range(clients):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        ok = wrong = bad = 0
        first = ""
        for i in range(c, n, clients):
            u = users[(i // 10 + i) % len(users)]
            bad_pw = i % 10 < 3
            res = ask([("op", "auth"), ("user", u[0]),
                       ("password", ("wrong-" + u[1]) if bad_pw else u[1])])
            if res == ("wrong" if bad_pw else "ok"):
                ok += not bad_pw; wrong += bad_pw
            else:
                bad += 1
                first = first or "%s %s: %s" % (u[0], "wrong" if bad_pw else "right", res)
        os.write(w, ("%d %d %d %s\n" % (ok, wrong, bad, first)).encode())
        os._exit(0)
    os.close(w)
    pids.append((pid, r))
tot = [0, 0, 0]
firsts = []
for pid, r in pids:
    line = os.read(r, 4096).decode().split(" ", 3)
    os.waitpid(pid, 0)
    for k in range(3):
        tot[k] += int(line[k])
    if line[3].strip():
        firsts.append(line[3].strip())
print("ok=%d wrong=%d bad=%d%s" % (tot[0], tot[1], tot[2], (" first: " + firsts[0]) if firsts else ""))
PY
}
field() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$2"; }

# syncs N OUT: N `ksmctl sync` one after the other; OUT gets "ok=.. failed=..".
syncs() {
	local i okc=0 bad=0
	for i in $(seq 1 "$1"); do
		if "$KSMCTL" --conf "$T/ksm.conf" sync >"$T/sync.out" 2>&1; then
			okc=$((okc + 1))
		else
			bad=$((bad + 1))
			[ "$bad" = 1 ] && cp "$T/sync.out" "$T/sync.first-failure"
		fi
	done
	echo "ok=$okc failed=$bad" >"$2"
}

# ------------------------------------------------------------ 1. warm-up
run_ksmctl sync # the snapshot the auths look their users up in
expect_rc "first ksmctl sync (snapshot and $NU offline verifiers)" 0
auths 500 2 "$T/warm.out" & WPID=$!
syncs 5 "$T/warm-sync.out"
wait "$WPID"
check "warm-up: 500 auths answered as sent ($(cat "$T/warm.out"))" [ "$(field bad "$T/warm.out")" = 0 ]
check "warm-up: 5 syncs through ksmd ($(cat "$T/warm-sync.out"))" [ "$(field failed "$T/warm-sync.out")" = 0 ]
RSS0=$(status VmRSS) HWM0=$(status VmHWM)
echo "# after warm-up: ksmd VmRSS $RSS0 KiB, VmHWM $HWM0 KiB"

# ------------------------------------------------------ 2. the measured run
reset_stats
LIVE0=$(ksmd_ping auth_live_ok)
t0=$(date +%s%N)
auths "$AUTHS" 2 "$T/run.out" & APID=$!
syncs "$SYNCS" "$T/run-sync.out"
wait "$APID"
MS=$(elapsed_ms "$t0")
RSS1=$(status VmRSS) HWM1=$(status VmHWM)
GETS=$(req_gets)
echo "# run: auths $(cat "$T/run.out"); syncs $(cat "$T/run-sync.out"); ${MS} ms"
[ -f "$T/sync.first-failure" ] && sed 's/^/# sync: /' "$T/sync.first-failure" | head -5
check "ksmd alive after the run" kill -0 "$KSMD_PID"
check "$AUTHS auths answered as sent: $((AUTHS * 7 / 10)) ok, $((AUTHS * 3 / 10)) wrong ($(cat "$T/run.out"))" \
	[ "$(field bad "$T/run.out")" = 0 -a "$(field ok "$T/run.out")" = $((AUTHS * 7 / 10)) ]
check "$SYNCS syncs through ksmd all succeeded ($(cat "$T/run-sync.out"))" \
	[ "$(field ok "$T/run-sync.out")" = "$SYNCS" ]
# An auth takes a read of its user's record made in the last second
# (docs/design.md), so the auths of one user share reads: live all the
# same (ksmd's counter), and at least one read per user.
LIVE=$(($(ksmd_ping auth_live_ok) - LIVE0))
check "the auths went live: $((AUTHS * 7 / 10)) accepted live (ksmd counted $LIVE), $GETS get_secret (at least one per user, at most one per auth)" \
	[ "$LIVE" = $((AUTHS * 7 / 10)) -a "${GETS:-0}" -ge "$NU" -a "${GETS:-0}" -le "$AUTHS" ]
figure "ksmd memory over $AUTHS auths + $SYNCS syncs (${MS} ms, $NU users): VmRSS $RSS0 -> $RSS1 KiB ($((RSS1 - RSS0)) KiB), VmHWM $HWM0 -> $HWM1 KiB; bound +$BOUND_KB KiB"
check "ksmd: VmRSS after the run at most $BOUND_KB KiB above the warm-up ($RSS0 -> $RSS1 KiB)" \
	[ -n "$RSS1" ] && [ "$RSS1" -le $((RSS0 + BOUND_KB)) ]
check "ksmd: VmHWM after the run at most $BOUND_KB KiB above the warm-up ($HWM0 -> $HWM1 KiB)" \
	[ -n "$HWM1" ] && [ "$HWM1" -le $((HWM0 + BOUND_KB)) ]

finish
