#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_keys.sh - ksm-authorized-keys called again and again, as sshd
# calls it (one process per call):
#
# 1. Cached path: LOAD_KEYS_CALLS (10,000) sequential calls cycling through
#    vault users with keys (with and without sshd's %f fingerprint, a
#    fingerprint of another key), a vault user without keys, local and
#    unknown users. The concatenated output must equal the expected key
#    lines exactly, and no request may reach the server.
# 2. Live path (keys_max_age = 0s): LOAD_KEYS_LIVE (200) calls, each a
#    keys request to the test's ksmd, which reads the record (request_budget
#    raised for it): the same check of the output, exactly one get_secret
#    per call, each logged as served from the vault.
# 3. The live path past ksmd's request_budget: the calls beyond it are
#    answered from the snapshot (docs/design.md: for keys the budget counts
#    as "cannot reach the vault"), the output is still exactly right, and no
#    more requests leave the host.
#
# A process per call cannot leak into the next one, so the server count is
# the resource check here; the long-lived consumers (PAM, NSS) are checked
# for descriptor and memory growth in test_load_pam.sh and test_load_nss.sh.
# Needs root (a private mount namespace whose /dev/log is a test syslog
# listener); skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

CALLS=${LOAD_KEYS_CALLS:-10000}
LIVE=${LOAD_KEYS_LIVE:-200}
NK=20 # users with a key
[ -x "$KEYS_BIN" ] || { echo "not built: $KEYS_BIN"; exit 99; }

mkdir -p "$T/keys"
for i in $(seq 0 $((NK - 1))); do
	ssh-keygen -q -t ed25519 -N '' -C "$(uname_of $i)@load" -f "$T/keys/$(uname_of $i)" || exit 99
done
ssh-keygen -q -t ed25519 -N '' -C "stranger" -f "$T/keys/stranger" || exit 99
make_vault 50 "$T/keys"
ksm_start_server "$T/vault.json"
conf() { write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" "$@"; }
conf
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0

pub() { cut -d' ' -f1-3 "$T/keys/$1.pub"; }
fp() { ssh-keygen -lf "$T/keys/$1.pub" | awk '{print $2}'; }

# The cycle of calls: ARGS[k] and the output it must print, EXPECT[k].
ARGS=() EXPECT=()
for i in $(seq 0 $((NK - 1))); do
	u=$(uname_of $i)
	ARGS+=("$u") EXPECT+=("$(pub "$u")")
	ARGS+=("$u $(fp "$u")") EXPECT+=("$(pub "$u")")
done
ARGS+=("$(uname_of 0) $(fp stranger)") EXPECT+=("")
ARGS+=("$(uname_of 30)") EXPECT+=("") # a vault user without keys
ARGS+=("root") EXPECT+=("")
ARGS+=("nosuchuser") EXPECT+=("")
M=${#ARGS[@]}

# run_calls N FILE: N calls cycling through ARGS, all output into FILE;
# the expected output in FILE.want.
run_calls() {
	local n=$1 out=$2 i
	: >"$out.want"
	for ((i = 0; i < n; i++)); do
		[ -n "${EXPECT[i % M]}" ] && printf '%s\n' "${EXPECT[i % M]}"
	done >"$out.want"
	for ((i = 0; i < n; i++)); do
		# shellcheck disable=SC2086 # USER [FINGERPRINT]
		"$KEYS_BIN" --conf "$T/ksm.conf" ${ARGS[i % M]} || echo "exit $? for call $i (${ARGS[i % M]})"
	done >"$out" 2>"$out.err"
}

# -------------------------------------------------------------- 1. cached
reset_stats
log_mark
t0=$(date +%s%N)
run_calls "$CALLS" "$T/cached"
MS=$(elapsed_ms "$t0")
figure "keys cached path: $CALLS sequential calls in ${MS} ms ($((MS * 1000 / CALLS)) us per call), $(wc -l <"$T/cached") key lines, requests $(req_total)"
check "cached: $CALLS calls, the output is exactly the expected $(wc -l <"$T/cached.want") key lines" \
	cmp -s "$T/cached" "$T/cached.want"
check "cached: nothing on stderr, every call exited 0" [ ! -s "$T/cached.err" ]
check "cached: no request reached the server ($(req_total))" [ "$(req_total)" = 0 ]
check "cached: nothing logged (no errors, no live refresh)" [ "$(count_log 'ksm-authorized-keys')" = 0 ]
[ "$FAILED" = 0 ] || diff "$T/cached" "$T/cached.want" | head -n 10 | sed 's/^/# /'

# ---------------------------------------------------------------- 2. live
# ksmd starts again on the new ksm.conf: its request_budget (90/10s by
# default) would answer most of these calls from the snapshot (part 3).
conf "keys_max_age = 0s" "timeout_keys = 10" "request_budget = 100000/10s"
sleep 1.1 # the snapshot is now older than 0 s
# Vault users with keys only: each call is one get_secret.
ARGS=("${ARGS[@]:0:$((2 * NK))}") EXPECT=("${EXPECT[@]:0:$((2 * NK))}")
M=${#ARGS[@]}
reset_stats
log_mark
t0=$(date +%s%N)
run_calls "$LIVE" "$T/live"
MS=$(elapsed_ms "$t0")
figure "keys live path: $LIVE sequential calls in ${MS} ms ($((MS / LIVE)) ms per call), get_secret $(req_gets), requests $(req_total)"
check "live: $LIVE calls, the output is exactly the expected key lines" cmp -s "$T/live" "$T/live.want"
check "live: nothing on stderr, every call exited 0" [ ! -s "$T/live.err" ]
check "live: one get_secret per call ($(req_gets) for $LIVE)" [ "$(req_gets)" = "$LIVE" ]
check "live: no other request ($(req_total) in all)" [ "$(req_total)" = "$(req_gets)" ]
wait_log "key\(s\) from the vault" "$LIVE"
check "live: every call logged its keys as from the vault ($(count_log 'key\(s\) from the vault'))" \
	[ "$(count_log 'key\(s\) from the vault')" = "$LIVE" ]
[ "$FAILED" = 0 ] || diff "$T/live" "$T/live.want" | head -n 10 | sed 's/^/# /'

# ------------------------------------------------- 3. past request_budget
BUDGET=5 NB=20
conf "keys_max_age = 0s" "timeout_keys = 10" "request_budget = $BUDGET/60s"
reset_stats
log_mark
run_calls "$NB" "$T/budget"
figure "keys live path past request_budget ($BUDGET/60s): $NB calls, get_secret $(req_gets), $(count_log 'key\(s\) from the vault') from the vault, $(count_log 'serving [0-9]+ snapshot') from the snapshot"
check "budget: $NB calls, the output is exactly the expected key lines" cmp -s "$T/budget" "$T/budget.want"
check "budget: nothing on stderr, every call exited 0" [ ! -s "$T/budget.err" ]
check "budget: $BUDGET get_secret, no more ($(req_gets))" [ "$(req_gets)" = "$BUDGET" ]
wait_log "serving [0-9]+ snapshot" $((NB - BUDGET))
check "budget: $BUDGET calls from the vault, the other $((NB - BUDGET)) from the snapshot, naming request_budget ($(count_log 'key\(s\) from the vault'), $(count_log 'request_budget.*serving [0-9]+ snapshot'))" \
	[ "$(count_log 'key\(s\) from the vault')" = "$BUDGET" ] &&
	[ "$(count_log 'request_budget.*serving [0-9]+ snapshot')" = $((NB - BUDGET)) ]
[ "$FAILED" = 0 ] || diff "$T/budget" "$T/budget.want" | head -n 10 | sed 's/^/# /'

finish
