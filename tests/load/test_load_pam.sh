#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_pam.sh - pam_ksm under load, through the real libpam
# (tests/load/load_driver: pam_start_confdir with a service file in the
# test dir) against the local KSM server:
#
# 1. Live burst: LOAD_BURST (200) child processes released together into
#    pam_authenticate: most vault users with the right password, some with
#    a wrong one, some local or unknown users. Every result must be right,
#    the server must have seen exactly one get_secret per vault-user
#    authentication (bench/README.md: one HTTPS request per
#    authentication) and none for the others, every success must have gone
#    the live way (syslog), and the private store must be whole afterwards:
#    every verifier kept (same revision, no re-hash), every user confirmed,
#    no failure counted.
# 2. Offline burst: the server refuses connections, the same number of
#    children: right passwords get in through the offline verifiers, and
#    for users who only get wrong passwords the failure counter must end at
#    exactly offline_max_failures: that many PAM_AUTH_ERR and the rest
#    PAM_MAXTRIES (no lost update between concurrent processes), no
#    request reaches the server, no process hangs, and the store is whole.
# 3. One long-lived process: LOAD_ROUNDS (1,000) live authentications
#    (pam_start/pam_authenticate/pam_end each), open descriptors, VmRSS,
#    mappings and malloc'd bytes compared at round 100 and at the end.
#
# Needs root (a private mount namespace whose /dev/log is a test syslog
# listener); skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

BURST=${LOAD_BURST:-200}
ROUNDS=${LOAD_ROUNDS:-1000}
NU=50 # vault users
MAXF=5
make_vault $NU
ksm_start_server "$T/vault.json"
# timeout_auth: long enough that no request of the burst falls back to the
# offline verifier (the test server's listen backlog is 64: connections
# beyond it wait for a SYN retransmission, 1 s, 3 s later).
conf() {
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"offline_max_failures = $MAXF" "$@"
}
conf "timeout_auth = 30"
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync (snapshot and $NU offline verifiers)" 0
pam_service ksm

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
	T0_S=$(date +%s)
	t0=$(date +%s%N)
	timeout 300 "$DRIVER" burst "$T/pam.d" ksm "$T/spec-$1" >"$T/burst-$1.out" 2>&1
	RC=$?
	MS=$(elapsed_ms "$t0")
	sed 's/^/# /' "$T/burst-$1.out" | head -n "$2"
}

# store_check DESCRIPTION PYTHON-EXPR...: the private store parses and
# every assertion holds (s: the store, u: its users, before: the copy
# taken before the burst, t0: the burst's start in seconds).
store_check() {
	local what=$1 out
	shift
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
echo "# live burst: $BURST children: $N_RIGHT right passwords, $N_WRONG wrong, $N_LOCAL local or unknown users"
burst live 40
check "live burst: every one of the $BURST results is right (driver exit $RC)" [ "$RC" = 0 ]
GETS=$(req_gets) TOTAL=$(req_total)
figure "pam live burst: $BURST concurrent, wall ${MS} ms (driver included), get_secret $GETS, requests $TOTAL"
check "live burst: one get_secret per vault-user authentication ($GETS, wanted $((N_RIGHT + N_WRONG)))" \
	[ "$GETS" = $((N_RIGHT + N_WRONG)) ]
check "live burst: no other request ($TOTAL in all)" [ "$TOTAL" = "$GETS" ]
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
for r in 1 2 3 4 5; do
	for i in $(seq 0 $((NROT - 1))); do
		printf '%s\t%s\tPAM_SUCCESS\n' "$(uname_of $i)" "$(user_field $i 2)"
	done
done >"$T/spec-rot"
burst rot 20
check "rotation burst: $((NROT * 5)) new passwords accepted live (driver exit $RC)" [ "$RC" = 0 ]
figure "pam rotation burst: $((NROT * 5)) concurrent ($NROT rotated users), wall ${MS} ms, get_secret $(req_gets)"
check "rotation burst: one get_secret each ($(req_gets))" [ "$(req_gets)" = $((NROT * 5)) ]
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
check "offline burst: no request reached the server ($(req_total))" [ "$(req_total)" = 0 ]
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
conf "timeout_auth = 10"
U=3
reset_stats
t0=$(date +%s%N)
LOAD_PASSWORD=$(user_field $U 2) "$DRIVER" loop "$T/pam.d" ksm "$(uname_of $U)" PAM_SUCCESS "$ROUNDS" \
	10 100 $((ROUNDS / 2)) "$ROUNDS" >"$T/loop.out" 2>&1
RC=$?
MS=$(elapsed_ms "$t0")
sed 's/^/# /' "$T/loop.out"
check "one process, $ROUNDS live authentications: all PAM_SUCCESS (exit $RC)" [ "$RC" = 0 ]
check "one process: $ROUNDS get_secret ($(req_gets))" [ "$(req_gets)" = "$ROUNDS" ]
at() { sed -n "s/^at $1: .*$2=\([0-9]*\).*/\1/p" "$T/loop.out"; }
figure "pam one process: $ROUNDS rounds in ${MS} ms; at 100: fds $(at 100 fds) rss $(at 100 rss_kb) KiB maps $(at 100 maps) heap $(at 100 heap) B; at $ROUNDS: fds $(at "$ROUNDS" fds) rss $(at "$ROUNDS" rss_kb) KiB maps $(at "$ROUNDS" maps) heap $(at "$ROUNDS" heap) B"
check "one process: open descriptors at round 100 and $ROUNDS equal ($(at 100 fds), $(at "$ROUNDS" fds))" \
	[ -n "$(at 100 fds)" ] && [ "$(at 100 fds)" = "$(at "$ROUNDS" fds)" ]
check "one process: mappings at round 100 and $ROUNDS equal ($(at 100 maps), $(at "$ROUNDS" maps))" \
	[ -n "$(at 100 maps)" ] && [ "$(at 100 maps)" = "$(at "$ROUNDS" maps)" ]
# 64 bytes leaked per round would be 57,600 bytes by round 1,000.
check "one process: malloc'd bytes grew by less than 32 KiB from round 100 to $ROUNDS ($(at 100 heap) -> $(at "$ROUNDS" heap))" \
	[ -n "$(at 100 heap)" ] && [ $(($(at "$ROUNDS" heap) - $(at 100 heap))) -lt 32768 ]
check "one process: VmRSS grew by less than 1 MiB from round 100 to $ROUNDS ($(at 100 rss_kb) -> $(at "$ROUNDS" rss_kb) KiB)" \
	[ -n "$(at 100 rss_kb)" ] && [ $(($(at "$ROUNDS" rss_kb) - $(at 100 rss_kb))) -lt 1024 ]

finish
