#!/bin/bash
# SPDX-License-Identifier: MIT
# test_matrix_pam_auth.sh - fault matrix, column pam_ksm auth (libpam
# through tests/pam/pam_harness, timeout_auth = 2): every fault row of
# tests/faults/lib.sh, alice typing her right password. pam_ksm asks ksmd
# (a fresh one per cell), which checks the password live against the vault
# within timeout_auth - 0.5 s; a vault that cannot answer falls back to
# ksmd's offline verifier (made for every account by the first sync, as
# offline_verifiers = all); a vault that says no is final (no fallback).
# The cause is in pam_syslog's output (a private /dev/log): pam_ksm logs
# ksmd's message; ksmd's own line per auth (the audit trail) is checked
# too, in $T/ksmd.log (ksmd in the foreground logs to stderr).
#
# A failing pam_authenticate also sleeps the fail delay pam_ksm asks for
# (pam_fail_delay, 2 s), which Linux-PAM randomizes: it sleeps
# 2 s x (0.5 + the mean of three pseudo-random numbers in [0, 1)), seeded
# by the second pam_authenticate began (_pam_compute_delay in libpam's
# pam_delay.c), so 1 to 3 s. Such a cell's limit is the budget (+ margin)
# plus the delay libpam computes for the seconds the call may have begun
# in, and the call must have taken at least that delay.
#
# Needs root and a private mount namespace; skipped (77) otherwise.
# Run by hand: cd build/X && bash ../../tests/faults/test_matrix_pam_auth.sh
CONSUMER="pam_ksm auth"
BUDGET_MS=2000
# pam_ksm gives ksmd timeout_auth - 0.5 s for the vault (docs/ksmd-protocol.md
# §2.3): "just under the budget" is a delay of 1 s.
VAULT_BUDGET_MS=1500
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

matrix_setup
pam_service ksm
PW=$PW_ALICE

# pam_ksm's pam_fail_delay (pam_ksm/auth.c, FAIL_DELAY_US).
FAIL_DELAY_MS=2000
# How long after the harness starts pam_authenticate may begin at most.
STARTUP_MS=1000
# libpam_delay_ms SEED: the delay Linux-PAM sleeps for seed SEED (the
# time(NULL) of the start of pam_authenticate).
libpam_delay_ms() {
	local seed=$1 sum=0
	for _ in 1 2 3; do
		seed=$(((1664525 * seed + 1013904223) & 0xffffffff))
		sum=$((sum + (seed / 10) % 1000000))
	done
	echo $((FAIL_DELAY_MS / 2 + FAIL_DELAY_MS * sum / 3000000))
}
# fail_delay_range T0_MS T1_MS: "MIN MAX" of the delays of every second the
# call may have begun in (from T0, at most STARTUP_MS later, and early
# enough for the delay to end by T1).
fail_delay_range() {
	local t0=$1 t1=$2 s d min="" max=""
	for ((s = t0 / 1000; s * 1000 <= t0 + STARTUP_MS; s++)); do
		d=$(libpam_delay_ms "$s")
		[ "$s" -gt $((t0 / 1000)) ] && [ $((s * 1000 + d)) -gt "$t1" ] && continue
		[ -z "$min" ] || [ "$d" -lt "$min" ] && min=$d
		[ -z "$max" ] || [ "$d" -gt "$max" ] && max=$d
	done
	echo "$min $max"
}

KSMD_LOG_POS=0
FAIL_DELAY_MIN=0
consumer_run() {
	local t0 t1 range
	KSMD_LOG_POS=$(wc -c <"$T/ksmd.log")
	t0=$(($(date +%s%N) / 1000000))
	pam ksm alice auth
	t1=$(($(date +%s%N) / 1000000))
	GOT=$(grep -oE '^auth: PAM_[A-Z_]+' <<<"$OUT" | cut -d' ' -f2)
	[ -n "$GOT" ] || GOT="no answer"
	if [ "$GOT" = PAM_SUCCESS ]; then
		case $(log_match "alice: password accepted by the (vault \(live|offline verifier)") in
		*live) GOT="PAM_SUCCESS (live)" ;;
		*verifier) GOT="PAM_SUCCESS (offline)" ;;
		esac
		FAIL_DELAY_MIN=0
	else
		range=$(fail_delay_range "$t0" "$t1")
		FAIL_DELAY_MIN=${range% *}
		EXTRA_MS=${range#* }
		EXTRA_WHY="libpam's fail delay"
	fi
}
consumer_log() { log_since | grep -F 'pam_ksm(ksm:auth)'; }
# ksmd's audit line of the last run: "auth alice (ksm): RESULT[, HOW]".
ksmd_verdict() { tail -c +$((KSMD_LOG_POS + 1)) "$T/ksmd.log" | grep -oE 'auth alice \(ksm\): [a-z_]+(, [a-z]+)?' | tail -n 1; }
consumer_more() {
	local what="$CONSUMER / $(fault_label "$1")" want v
	case $GOT in
	"PAM_SUCCESS (live)") want="ok, live" ;;
	"PAM_SUCCESS (offline)") want="ok, offline" ;;
	PAM_AUTH_ERR) want="wrong, live" ;;
	*) want="unavail" ;;
	esac
	v=$(ksmd_verdict)
	check "$what: ksmd logged 'auth alice (ksm): $want' (got '$v')" [ "$v" = "auth alice (ksm): $want" ]
	if [ "$FAIL_DELAY_MIN" -gt 0 ]; then
		check "$what: the failure cost the fail delay (${MS} ms >= ${FAIL_DELAY_MIN} ms)" \
			[ "$MS" -ge "$FAIL_DELAY_MIN" ]
	fi
}
consumer_intact() {
	local what="$CONSUMER / $(fault_label "$1")"
	if [ "$GOT" = "PAM_SUCCESS (live)" ]; then
		# A live success refreshes the verifier's confirmation time only.
		expect_same_verifiers "$what: offline verifiers kept"
		expect_same "$what: snapshot and client config byte-identical" snapshot client.json
	else
		expect_same "$what: snapshot, private store and client config byte-identical" \
			snapshot private client.json
	fi
	case $GOT in PAM_AUTH_ERR | PAM_AUTHINFO_UNAVAIL)
		expect_no_log "$what: the offline verifier was not consulted" "offline verifier" ;;
	esac
}

consumer_run
check "no fault: the right password is accepted live" [ "$GOT" = "PAM_SUCCESS (live)" ]

# ksmd's messages (ksmd/op_auth.c): for the network class one line names
# the cause and the offline verdict together.
OFFLINE="alice: password accepted by the offline verifier \(vault unreachable: "
VFAIL="alice: vault check failed: "
REFUSED="alice: the vault refused this device: "
LIVE="alice: password accepted by the vault \(live, [0-9]+ ms\)"
cell refuse "PAM_SUCCESS (offline)" "$OFFLINE.*Couldn't connect to server"
cell blackhole "PAM_SUCCESS (offline)" "$OFFLINE.*time budget ran out"
cell delay-under "PAM_SUCCESS (live)" "$LIVE"
cell delay-over "PAM_SUCCESS (offline)" "$OFFLINE.*time budget ran out"
cell http500 "PAM_SUCCESS (offline)" "${OFFLINE}get_secret: server said internal_error \(HTTP 500\)"
cell throttle "PAM_SUCCESS (offline)" "${OFFLINE}get_secret: throttled by the server; the next try \(in [0-9]+ ms\) would exceed the time budget"
cell throttle-retry "PAM_SUCCESS (offline)" "${OFFLINE}get_secret: $THROTTLED"
cell corrupt "PAM_SUCCESS (offline)" "${OFFLINE}get_secret: the server's answer does not decrypt"
cell bad-signature PAM_AUTH_ERR "${REFUSED}get_secret: server said access_denied \(HTTP 403\): Signature is invalid"
cell key-once "PAM_SUCCESS (live)" "$LIVE"
cell key-always PAM_AUTHINFO_UNAVAIL "${VFAIL}get_secret: the server rejected 3 transmission keys"
# ksmd never binds (a login must not spend a token): a pre-bind config is
# a check that could not be made, not a refusal, and not a reason to go
# offline.
cell token-used PAM_AUTHINFO_UNAVAIL "${VFAIL}.*client.json is not bound yet: run 'ksmctl init'"
cell revoked PAM_AUTH_ERR "${REFUSED}get_secret: server said access_denied \(HTTP 403\): Unable to validate application access; the device may be revoked"
cell other-ca "PAM_SUCCESS (offline)" "${OFFLINE}TLS check failed"

no_secret_in "no password in the captured syslog or ksmd's log" "$SYSLOG" "$T/ksmd.log"
matrix_finish
