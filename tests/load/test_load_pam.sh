#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_pam.sh - pam_ksm under load, through the real libpam
# (tests/load/load_driver: pam_start_confdir with a service file in the
# test dir), pam_ksm asking the test's ksmd, which asks the local KSM
# server:
#
# 1. Live burst: LOAD_BURST (200) child processes released together into
#    pam_authenticate: most vault users with the right password, some with
#    a wrong one, some local or unknown users. Every result must be right;
#    ksmd shares the reads of one record that are under way
#    (docs/design.md, "How ksmd talks to the vault"), so the server must
#    have seen at least one and at most 2 get_secret per vault user (not
#    one per authentication), none for the others, and the burst fits in
#    the default request_budget (90/10s). Every success must have gone the
#    live way (syslog), ksmd must have written one audit line per vault
#    authentication, and the private store must be whole afterwards: every
#    verifier kept (same revision, no re-hash), every user confirmed, no
#    failure counted. The store's verifiers come from the sync
#    (offline_verifiers = all).
# 2. Offline burst: the server refuses connections, the same number of
#    children: right passwords get in through the offline verifiers, and
#    for users who only get wrong passwords the failure counter must end at
#    exactly offline_max_failures: that many PAM_AUTH_ERR and the rest
#    PAM_MAXTRIES (no lost update between concurrent checks in ksmd), no
#    request reaches the server, no process hangs, and the store is whole
#    (with the default request_budget: an attempt that never reached the
#    server takes no slot of it, docs/decisions.md).
# 3. One long-lived process: LOAD_ROUNDS (2,000) live authentications
#    (pam_start/pam_authenticate/pam_end each; an auth takes a read of the
#    last second, so about one get_secret per second, with request_budget
#    raised for the run), open descriptors, VmRSS, mappings and malloc'd
#    bytes compared
#    at round 200 and at the end; and ksmd's VmRSS, which must stay flat
#    (at most 2 MiB more at the end than at round 200).
#
# Needs root (a private mount namespace whose /dev/log is a test syslog
# listener); skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

BURST=${LOAD_BURST:-200}
ROUNDS=${LOAD_ROUNDS:-2000}
NU=50 # vault users
MAXF=5
make_vault $NU
ksm_start_server "$T/vault.json"
# timeout_auth: long enough that no request of the burst falls back to the
# offline verifier (the test server's listen backlog is 64: connections
# beyond it wait for a SYN retransmission, 1 s, 3 s later).
mkdir -m 0700 "$T/private" # ksmd's state directory (tmpfiles makes it on a host)
conf() {
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"offline_max_failures = $MAXF" "offline_verifiers = all" "$@"
}
conf "timeout_auth = 30"
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync (snapshot and $NU offline verifiers)" 0
check "the sync made $NU offline verifiers through ksmd (offline_verifiers = all)" \
	grep -q " $NU offline verifiers made" <<<"$OUT"
pam_service ksm

# ksmd_requests: the requests ksmd sent to the vault since it started
# (its ping answer), also those the server never counted (refused).
ksmd_requests() { ksmd_ask "$T/ksmd.sock" op=ping | sed -n 's/^requests=//p'; }
ksmd_rss() { awk '$1 == "VmRSS:" {print $2}' "/proc/$KSMD_PID/status"; }

# burst NAME LINES: the driver runs $T/spec-NAME (a line per child: user,
# password, the results allowed) as concurrent children, from a fresh
# request count and log mark, with a copy of the private store taken
# before ($T/store.before); output in $T/burst-NAME.out, its first LINES
# shown. Sets RC, MS and T0_S (the start, in seconds, for store_check).
burst() {
	local t0
	cp "$T/private/store" "$T/store.before"
	reset_stats
	log_mark
	KSMD_REQ0=$(ksmd_requests)
	T0_S=$(date +%s)
	t0=$(date +%s%N)
	timeout 300 "$DRIVER" burst "$T/pam.d" ksm "$T/spec-$1" >"$T/burst-$1.out" 2>&1
	RC=$?
	MS=$(elapsed_ms "$t0")
	KSMD_REQ=$(($(ksmd_requests) - KSMD_REQ0))
	sed 's/^/# /' "$T/burst-$1.out" | head -n "$2"
}

# store_check DESCRIPTION PYTHON-EXPR...: the private store parses and
# every assertion holds (s: the store, u: its users, before: the copy
# taken before the burst, t0: the burst's start in seconds).
store_check() {
	local what=$1 out
	shift
	store_written # ksmd answers first and writes the store after
	out=$("$PY" - "$T/private/store" "$T/store.before" "$T0_S" "$@" <<'PY' 2>&1
import json, sys
s = json.load(open(sys.argv[1]))
before = json.load(open(sys.argv[2]))
t0 = int(sys.argv[3])
u = s["users"]
bad = [e for e in sys.argv[4:] if not eval(e)]
print("; ".join(bad) if bad else "ok")
PY
)
	if [ "$out" = ok ]; then ok "$what"; else fail "$what: $out"; fi
}

# ------------------------------------------------------------ 1. live burst
# Of every 20 children: 15 right passwords (the vault users in turn), 3
# wrong ones, 2 local or unknown users; interleaved.
"$PY" - "$USERS_TSV" "$BURST" live "$T/spec-live" <<'PY'
import sys
users = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
n, mode, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
local = ["root", "daemon", "nobody", "nosuchuser-a", "nosuchuser-b"]
lines, right, wrong, loc = [], 0, 0, 0
for i in range(n):
    k = i % 20
    if k < 15:
        u = users[right % len(users)]; right += 1
        lines.append((u[0], u[1], "PAM_SUCCESS"))
    elif k < 18:
        u = users[(wrong * 7) % len(users)]; wrong += 1
        lines.append((u[0], "wrong-" + u[1], "PAM_AUTH_ERR"))
    else:
        lines.append((local[loc % len(local)], "local-pw", "PAM_USER_UNKNOWN")); loc += 1
open(out, "w").writelines("\t".join(l) + "\n" for l in lines)

PY
read -r N_RIGHT N_WRONG N_LOCAL < <(awk -F'\t' '{c[$3]++} END {print c["PAM_SUCCESS"]+0, c["PAM_AUTH_ERR"]+0, c["PAM_USER_UNKNOWN"]+0}' "$T/spec-live")
N_VU=$(awk -F'\t' '$3 != "PAM_USER_UNKNOWN" {print $1}' "$T/spec-live" | sort -u | wc -l)
echo "# live burst: $BURST children: $N_RIGHT right passwords, $N_WRONG wrong ($N_VU vault users), $N_LOCAL local or unknown users"
RSS_B0=$(ksmd_rss)
burst live 40
check "live burst: every one of the $BURST results is right (driver exit $RC)" [ "$RC" = 0 ]
GETS=$(req_gets) TOTAL=$(req_total)
figure "pam live burst: $BURST concurrent ($((N_RIGHT + N_WRONG)) vault-user authentications, $N_VU users), wall ${MS} ms (driver included), get_secret $GETS ($(awk -v g="$GETS" -v n="$N_VU" 'BEGIN {printf "%.2f", g / n}') per user), requests $TOTAL, ksmd sent $KSMD_REQ; ksmd VmRSS $RSS_B0 -> $(ksmd_rss) KiB"
check "live burst: reads shared: at least 1 and at most 2 get_secret per vault user ($GETS for $N_VU users, $((N_RIGHT + N_WRONG)) authentications)" \
	[ "$GETS" -ge "$N_VU" -a "$GETS" -le $((2 * N_VU)) ]
check "live burst: no other request ($TOTAL in all; ksmd counted $KSMD_REQ)" [ "$TOTAL" = "$GETS" -a "$KSMD_REQ" = "$GETS" ]
OVERLAP=$(sed -n 's/.*at most \([0-9]*\) children inside.*/\1/p' "$T/burst-live.out")
check "live burst: the children were inside pam_authenticate together (at most ${OVERLAP:-?} at once, wanted >= $((BURST / 2)))" \
	[ "${OVERLAP:-0}" -ge $((BURST / 2)) ]
wait_log "password accepted by the vault \(live" "$N_RIGHT"
check "live burst: syslog: $N_RIGHT accepted live ($(count_log 'password accepted by the vault \(live'))" \
	[ "$(count_log 'password accepted by the vault \(live')" = "$N_RIGHT" ]
check "live burst: syslog: $N_WRONG wrong passwords refused live ($(count_log 'wrong password \(vault, live\)'))" \
	[ "$(count_log 'wrong password \(vault, live\)')" = "$N_WRONG" ]
check "live burst: syslog: no offline fallback, no failed vault check, no unrefreshed verifier" \
	[ "$(count_log 'offline|vault check failed|not refreshed')" = 0 ]
check "live burst: syslog: ksmd's audit line for each of the $((N_RIGHT + N_WRONG)) vault-user authentications ($(count_log 'ksmd\[[0-9]+\]: auth load[0-9]+ \(ksm\): (ok|wrong), live'))" \
	[ "$(count_log 'ksmd\[[0-9]+\]: auth load[0-9]+ \(ksm\): (ok|wrong), live')" = $((N_RIGHT + N_WRONG)) ]
check "live burst: syslog: no login failed to reach ksmd ($(count_log 'ksmd not reachable')$(log_since | grep -m1 -o 'ksmd not reachable.*' | sed 's/^/; first: /'))" \
	[ "$(count_log 'ksmd not reachable')" = 0 ]
store_check "live burst: private store whole: $NU users, verifiers kept, all confirmed, no failures" \
	"len(u) == $NU" \
	"all(u[n]['verifier'] == before['users'][n]['verifier'] for n in u)" \
	"all(u[n]['confirmed'] >= t0 for n in u)" \
	"all(u[n].get('failures', 0) == 0 for n in u)"
check "live burst: private store still 0600" [ "$(stat -c %a "$T/private/store")" = 600 ]
check "live burst: no temporary file left next to the store" \
	[ "$(find "$T/private" -type f ! -name store ! -name store.lock | wc -l)" = 0 ]

# ------------------------------------------- 1b. live burst after rotations
# NROT users' passwords rotated in the vault (no sync): the first live
# successes must make new verifiers (the offline burst below relies on
# them), concurrently: 5 children per rotated user.
NROT=20
for i in $(seq 0 $((NROT - 1))); do
	admin set-field --record "$(user_field $i 4)" --field password --value "rot-$(user_field $i 2)" >/dev/null ||
		fail "rotating $(uname_of $i)"
done
awk -F'\t' -v OFS='\t' -v n=$NROT 'NR <= n {$2 = "rot-" $2} {print}' "$USERS_TSV" >"$T/users.new" &&
	mv "$T/users.new" "$USERS_TSV"
past_reuse # no read from before the rotations is taken
for r in 1 2 3 4 5; do
	for i in $(seq 0 $((NROT - 1))); do
		printf '%s\t%s\tPAM_SUCCESS\n' "$(uname_of $i)" "$(user_field $i 2)"
	done
done >"$T/spec-rot"
burst rot 20
check "rotation burst: $((NROT * 5)) new passwords accepted live (driver exit $RC)" [ "$RC" = 0 ]
figure "pam rotation burst: $((NROT * 5)) concurrent ($NROT rotated users), wall ${MS} ms, get_secret $(req_gets)"
check "rotation burst: reads shared: at least 1 and at most 2 get_secret per user ($(req_gets) for $NROT users)" \
	[ "$(req_gets)" -ge $NROT -a "$(req_gets)" -le $((2 * NROT)) ]
wait_log "password accepted by the vault \(live" $((NROT * 5))
check "rotation burst: no verifier left unrefreshed ($(count_log 'not refreshed') warnings)" \
	[ "$(count_log 'not refreshed')" = 0 ]
store_check "rotation burst: the $NROT rotated users got new verifiers, the others kept theirs" \
	"len(u) == $NU" \
	"all(u['load%03d' % i]['verifier'] != before['users']['load%03d' % i]['verifier'] for i in range($NROT))" \
	"all(u['load%03d' % i]['revision'] > before['users']['load%03d' % i]['revision'] for i in range($NROT))" \
	"all(u['load%03d' % i]['verifier'] == before['users']['load%03d' % i]['verifier'] for i in range($NROT, $NU))"

# --------------------------------------------------------- 2. offline burst
# Server refusing. Users 0..39: 3 right passwords each; users 40..49: W
# wrong passwords each (W > offline_max_failures); the rest local users.
N_OK_USERS=40
W=7
"$PY" - "$USERS_TSV" "$BURST" "$N_OK_USERS" "$W" "$T/spec-off" <<'PY'
import sys
users = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
n, ok_users, w, out = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
right = [(u[0], u[1], "PAM_SUCCESS") for u in users[:ok_users]] * 3
wrong = [(u[0], "wrong-%d-%s" % (j, u[1]), "PAM_AUTH_ERR|PAM_MAXTRIES")
         for j in range(w) for u in users[ok_users:]]
local = [("root", "local-pw", "PAM_USER_UNKNOWN"), ("nosuchuser", "x", "PAM_USER_UNKNOWN")]
lines = []
while right or wrong:  # interleaved: the wrong ones spread over the burst
    for _ in range(3):
        if right:
            lines.append(right.pop(0))
    if wrong:
        lines.append(wrong.pop(0))
i = 0
while len(lines) < n:
    lines.append(local[i % 2]); i += 1
open(out, "w").writelines("\t".join(l) + "\n" for l in lines)
PY
N_LOCAL2=$(grep -c PAM_USER_UNKNOWN "$T/spec-off")
N_OFF=$(wc -l <"$T/spec-off")
N_LOCKUSERS=$((NU - N_OK_USERS))
echo "# offline burst: $N_OFF children: $((N_OK_USERS * 3)) right passwords ($N_OK_USERS users), $((N_LOCKUSERS * W)) wrong ($W each for $N_LOCKUSERS users, offline_max_failures = $MAXF), $N_LOCAL2 local"
# Every auth asks the vault first; an attempt that never reached the
# server (connection refused) takes no slot of request_budget, so the
# default 90/10s does not turn this burst into budget refusals: every
# login reaches the verifiers. ksmd starts again on the same ksm.conf (no
# keep-alive connection left over).
conf "timeout_auth = 30"
fault refuse
burst off 40
check "offline burst: every result is right (driver exit $RC)" [ "$RC" = 0 ]
outcome() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$T/burst-off.out" | head -n 1; }
figure "pam offline burst: $N_OFF concurrent, wall ${MS} ms, outcomes $(sed -n 's/.*outcomes://p' "$T/burst-off.out")"
check "offline burst: $((N_OK_USERS * 3)) right passwords accepted offline ($(outcome PAM_SUCCESS))" \
	[ "$(outcome PAM_SUCCESS)" = $((N_OK_USERS * 3)) ]
check "offline burst: exactly offline_max_failures wrong passwords counted per user: $((N_LOCKUSERS * MAXF)) PAM_AUTH_ERR ($(outcome PAM_AUTH_ERR))" \
	[ "$(outcome PAM_AUTH_ERR)" = $((N_LOCKUSERS * MAXF)) ]
check "offline burst: the rest locked: $((N_LOCKUSERS * (W - MAXF))) PAM_MAXTRIES ($(outcome PAM_MAXTRIES))" \
	[ "$(outcome PAM_MAXTRIES)" = $((N_LOCKUSERS * (W - MAXF))) ]
check "offline burst: no hang (${MS} ms < 120000 ms)" [ "$MS" -lt 120000 ]
check "offline burst: no request reached the server ($(req_total); ksmd counted $KSMD_REQ sent, $(ksmd_ping unsent) that never reached it)" \
	[ "$(req_total)" = 0 -a "$KSMD_REQ" = 0 ]
check "offline burst: the budget was not charged (ping: in_window $(ksmd_ping in_window))" [ "$(ksmd_ping in_window)" = 0 ]
check "offline burst: no login refused by the budget ($(count_log 'request_budget'))" [ "$(count_log 'request_budget')" = 0 ]
check "offline burst: syslog: no login failed to reach ksmd ($(count_log 'ksmd not reachable')$(log_since | grep -m1 -o 'ksmd not reachable.*' | sed 's/^/; first: /'))" \
	[ "$(count_log 'ksmd not reachable')" = 0 ]
wait_log "password accepted by the offline verifier" $((N_OK_USERS * 3))
check "offline burst: syslog: $((N_OK_USERS * 3)) accepted by the offline verifier ($(count_log 'accepted by the offline verifier'))" \
	[ "$(count_log 'accepted by the offline verifier')" = $((N_OK_USERS * 3)) ]
check "offline burst: syslog: no offline check failed (lock busy, damaged store)" \
	[ "$(count_log 'offline check failed')" = 0 ]
store_check "offline burst: private store whole: $NU users, verifiers kept, failures exactly $MAXF for the $N_LOCKUSERS locked users and 0 for the others" \
	"len(u) == $NU" \
	"all(u[n]['verifier'] == before['users'][n]['verifier'] for n in u)" \
	"all(u['load%03d' % i]['failures'] == 0 for i in range($N_OK_USERS))" \
	"all(u['load%03d' % i]['failures'] == $MAXF for i in range($N_OK_USERS, $NU))"
fault none
LOAD_PASSWORD=$(user_field $((NU - 1)) 2) "$DRIVER" loop "$T/pam.d" ksm "$(uname_of $((NU - 1)))" PAM_SUCCESS 1 >"$T/out" 2>&1
check "after the burst, the vault answers again: the locked user logs in live" [ $? = 0 ]
store_check "the live login reset the locked user's failures" "u['load%03d' % ($NU - 1)]['failures'] == 0"

# ----------------------------------------------- 3. one long-lived process
# Sequential authentications of one user: an auth takes a read of the last
# second (auth_reuse, 1 s in the tests), so about one get_secret per second of the run;
# request_budget raised all the same, since the budget is not what is
# measured here. ksmd starts again on this ksm.conf, so its VmRSS is its
# own from the first round.
conf "timeout_auth = 10" "request_budget = 100000/10s"
U=3
A=200 # the baseline round
reset_stats
t0=$(date +%s%N)
LOAD_WATCH_PID=$KSMD_PID LOAD_PASSWORD=$(user_field $U 2) "$DRIVER" loop "$T/pam.d" ksm "$(uname_of $U)" PAM_SUCCESS "$ROUNDS" \
	10 100 "$A" $((ROUNDS / 2)) "$ROUNDS" >"$T/loop.out" 2>&1
RC=$?
MS=$(elapsed_ms "$t0")
sed 's/^/# /' "$T/loop.out"
check "one process, $ROUNDS live authentications: all PAM_SUCCESS (exit $RC)" [ "$RC" = 0 ]
check "one process: reads shared within a second: at least 1 and at most one get_secret per second of the run, plus one ($(req_gets) in ${MS} ms)" \
	[ "$(req_gets)" -ge 1 -a "$(req_gets)" -le $((MS / 1000 + 1)) ]
at() { sed -n "s/^at $1:.* $2=\([0-9]*\).*/\1/p" "$T/loop.out"; }
figure "pam one process: $ROUNDS rounds in ${MS} ms; at $A: fds $(at $A fds) rss $(at $A rss_kb) KiB maps $(at $A maps) heap $(at $A heap) B; at $ROUNDS: fds $(at "$ROUNDS" fds) rss $(at "$ROUNDS" rss_kb) KiB maps $(at "$ROUNDS" maps) heap $(at "$ROUNDS" heap) B"
figure "ksmd VmRSS over $ROUNDS sequential auths: at 10 $(at 10 watch_rss_kb) KiB, at $A $(at $A watch_rss_kb) KiB, at $((ROUNDS / 2)) $(at $((ROUNDS / 2)) watch_rss_kb) KiB, at $ROUNDS $(at "$ROUNDS" watch_rss_kb) KiB"
check "one process: open descriptors at round $A and $ROUNDS equal ($(at $A fds), $(at "$ROUNDS" fds))" \
	[ -n "$(at $A fds)" ] && [ "$(at $A fds)" = "$(at "$ROUNDS" fds)" ]
check "one process: mappings at round $A and $ROUNDS equal ($(at $A maps), $(at "$ROUNDS" maps))" \
	[ -n "$(at $A maps)" ] && [ "$(at $A maps)" = "$(at "$ROUNDS" maps)" ]
# 64 bytes leaked per round would be 115,200 bytes by round 2,000.
check "one process: malloc'd bytes grew by less than 32 KiB from round $A to $ROUNDS ($(at $A heap) -> $(at "$ROUNDS" heap))" \
	[ -n "$(at $A heap)" ] && [ $(($(at "$ROUNDS" heap) - $(at $A heap))) -lt 32768 ]
check "one process: VmRSS grew by less than 1 MiB from round $A to $ROUNDS ($(at $A rss_kb) -> $(at "$ROUNDS" rss_kb) KiB)" \
	[ -n "$(at $A rss_kb)" ] && [ $(($(at "$ROUNDS" rss_kb) - $(at $A rss_kb))) -lt 1024 ]
# ksmd does the vault half of every round (the request, decryption, the
# verifier refresh, a thread per connection): 1.2 KiB kept per auth would
# be more than 2 MiB from round 200 to 2,000.
check "ksmd: VmRSS at round $ROUNDS at most 2 MiB above round $A ($(at $A watch_rss_kb) -> $(at "$ROUNDS" watch_rss_kb) KiB)" \
	[ -n "$(at $A watch_rss_kb)" ] && [ -n "$(at "$ROUNDS" watch_rss_kb)" ] &&
	[ "$(at "$ROUNDS" watch_rss_kb)" -le $(($(at $A watch_rss_kb) + 2048)) ]

finish
