#!/bin/bash
# SPDX-License-Identifier: MIT
# test_matrix_pam_session.sh - fault matrix, column pam_ksm session: a
# public-key login's open_session (no auth in the process, so the session
# asks ksmd for its secrets, and ksmd reads alice's record within its
# timeout_auth = 2) through tests/pam/pam_harness, for every fault row of
# tests/faults/lib.sh. Every cell has a fresh ksmd, so no read of an
# earlier cell (ksmd reuses one for 10 s) answers the session. On
# success ksm:password holds the vault's value; on any failure the login
# goes on without the key (pam_ksm returns PAM_IGNORE) and the cause is in
# pam_syslog's output (a private /dev/log). There is no offline fallback
# for session secrets.
#
# Needs root and a private mount namespace; skipped (77) otherwise.
# Run by hand: cd build/X && bash ../../tests/faults/test_matrix_pam_session.sh
CONSUMER="pam_ksm session"
BUDGET_MS=2000
# pam_ksm gives ksmd timeout_auth - 0.5 s for the session too.
VAULT_BUDGET_MS=1500
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

matrix_setup
pam_service ksm
PW=
EXPECT=$PW_ALICE

consumer_run() {
	pam -u "$UID_ALICE" ksm alice open keycheck close
	if ! grep -q '^open: PAM_SUCCESS' <<<"$OUT"; then
		GOT="open $(grep -oE '^open: PAM_[A-Z_]+' <<<"$OUT" | cut -d' ' -f2)"
	elif grep -q "^keycheck password: ok .*uid=$UID_ALICE " <<<"$OUT"; then
		GOT="key installed"
	elif grep -q '^keycheck password: FAIL not in the session keyring' <<<"$OUT" &&
		grep -q '^info-msg: ignored:session' <<<"$OUT"; then
		GOT="no key (PAM_IGNORE)"
	else
		GOT="unexpected: $(grep '^keycheck' <<<"$OUT")"
	fi
}
consumer_log() { log_since | grep -F 'pam_ksm(ksm:session)'; }
consumer_intact() {
	expect_same "$CONSUMER / $(fault_label "$1"): snapshot, private store and client config byte-identical" \
		snapshot private client.json
}

consumer_run
check "no fault: the session gets ksm:password from the vault" [ "$GOT" = "key installed" ]

NOKEY="no key (PAM_IGNORE)"
NOSECRETS="alice: session secrets not available"
INSTALLED="alice: 1 session secret\(s\) in the session keyring"
# A vault that does not answer in time: ksmd's read gets all of ksmd's
# timeout_auth, and pam_ksm waits timeout_auth for ksmd, so either ksmd's
# answer (the vault timed out) or pam_ksm's own deadline comes first (see
# docs/fault-matrix.md). The budget's name is not in ksmd's message.
TIMEDOUT="$NOSECRETS( \(timeout_auth budget\))?: .*time budget ran out|alice: session secrets: ksmd not reachable: ksmd did not answer in time"
cell refuse "$NOKEY" "$NOSECRETS: .*Couldn't connect to server"
cell blackhole "$NOKEY" "$TIMEDOUT"
cell delay-under "key installed" "$INSTALLED"
cell delay-over "$NOKEY" "$TIMEDOUT"
cell http500 "$NOKEY" "$NOSECRETS: get_secret: server said internal_error \(HTTP 500\)"
cell throttle "$NOKEY" "$NOSECRETS: get_secret: throttled by the server; the next try \(in [0-9]+ ms\) would exceed the time budget"
cell throttle-retry "$NOKEY" "$NOSECRETS.*: get_secret: $THROTTLED"
cell corrupt "$NOKEY" "$NOSECRETS: get_secret: the server's answer does not decrypt"
cell bad-signature "$NOKEY" "$NOSECRETS: get_secret: server said access_denied \(HTTP 403\): Signature is invalid"
cell key-once "key installed" "$INSTALLED"
cell key-always "$NOKEY" "$NOSECRETS: get_secret: the server rejected 3 transmission keys"
# ksmd never binds (a login must not spend a token): no request is sent.
cell token-used "$NOKEY" "$NOSECRETS: .*client.json is not bound yet: run 'ksmctl init'"
cell revoked "$NOKEY" "$NOSECRETS: get_secret: server said access_denied \(HTTP 403\): Unable to validate application access; the device may be revoked"
cell other-ca "$NOKEY" "$NOSECRETS: TLS check failed"

no_secret_in "no password in the captured syslog or ksmd's log" "$SYSLOG" "$T/ksmd.log"
matrix_finish
