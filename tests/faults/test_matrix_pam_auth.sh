#!/bin/bash
# SPDX-License-Identifier: MIT
# test_matrix_pam_auth.sh - fault matrix, column pam_ksm auth (libpam
# through tests/pam/pam_harness, timeout_auth = 2): every fault row of
# tests/faults/lib.sh, alice typing her right password. A vault that cannot
# answer falls back to the offline verifier; a vault that says no is final
# (no fallback). The cause is in pam_syslog's output (a private /dev/log).
#
# Needs root and a private mount namespace; skipped (77) otherwise.
# Run by hand: cd build/X && bash ../../tests/faults/test_matrix_pam_auth.sh
CONSUMER="pam_ksm auth"
BUDGET_MS=2000
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

matrix_setup
pam_service ksm
PW=$PW_ALICE

consumer_run() {
	pam ksm alice auth
	GOT=$(grep -oE '^auth: PAM_[A-Z_]+' <<<"$OUT" | cut -d' ' -f2)
	[ -n "$GOT" ] || GOT="no answer"
	if [ "$GOT" = PAM_SUCCESS ]; then
		case $(log_match "alice: password accepted by the (vault \(live|offline verifier)") in
		*live) GOT="PAM_SUCCESS (live)" ;;
		*verifier) GOT="PAM_SUCCESS (offline)" ;;
		esac
	fi
}
consumer_log() { log_since | grep -F 'pam_ksm(ksm:auth)'; }
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

VFAIL="alice: vault check failed"
cell refuse "PAM_SUCCESS (offline)" "$VFAIL: .*Couldn't connect to server"
cell blackhole "PAM_SUCCESS (offline)" "$VFAIL \(timeout_auth budget\): .*time budget ran out"
cell delay-under "PAM_SUCCESS (live)" "alice: password accepted by the vault \(live, [0-9]+ ms\)"
cell delay-over "PAM_SUCCESS (offline)" "$VFAIL \(timeout_auth budget\): .*time budget ran out"
cell http500 "PAM_SUCCESS (offline)" "$VFAIL: get_secret: server said internal_error \(HTTP 500\)"
cell throttle "PAM_SUCCESS (offline)" "$VFAIL: get_secret: throttled by the server; the next try \(in [0-9]+ ms\) would exceed the time budget"
cell throttle-retry "PAM_SUCCESS (offline)" "$VFAIL.*: get_secret: $THROTTLED"
cell corrupt "PAM_SUCCESS (offline)" "$VFAIL: get_secret: the server's answer does not decrypt"
cell bad-signature PAM_AUTH_ERR "$VFAIL: get_secret: server said access_denied \(HTTP 403\): Signature is invalid"
cell key-once "PAM_SUCCESS (live)" "alice: password accepted by the vault \(live, [0-9]+ ms\)"
cell key-always PAM_AUTHINFO_UNAVAIL "$VFAIL: get_secret: the server rejected 3 transmission keys"
cell token-used PAM_AUTH_ERR "$VFAIL: .*Signature is invalid; the device may be revoked or the token already used"
cell revoked PAM_AUTH_ERR "$VFAIL: get_secret: server said access_denied \(HTTP 403\): Unable to validate application access; the device may be revoked"
cell other-ca "PAM_SUCCESS (offline)" "$VFAIL: TLS check failed"

no_secret_in "no password in the captured syslog" "$SYSLOG"
matrix_finish
