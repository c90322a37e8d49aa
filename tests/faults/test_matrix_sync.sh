#!/bin/bash
# SPDX-License-Identifier: MIT
# test_matrix_sync.sh - fault matrix, column `ksmctl sync` (and `ksmctl
# init` for "token already used"): every fault row of tests/faults/lib.sh
# against the local server, with timeout_sync = 2. The sync goes through
# ksmd (started by bind, a fresh one per cell), which reads the vault and
# keeps its offline verifiers in step; ksmd's errors reach stderr prefixed
# "ksmd: ". A failed sync exits with the documented code, names the cause
# on stderr, and keeps the old snapshot, ksmd's private store and the
# client config byte for byte.
# Run by hand: cd build/X && bash ../../tests/faults/test_matrix_sync.sh
CONSUMER="ksmctl sync"
BUDGET_MS=2000
. "$(dirname "$0")/lib.sh"

matrix_setup

consumer_run() {
	if [ "$CONSUMER" = "ksmctl init" ]; then
		KSM_TOKEN="$USED_TOKEN" run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY" --force
	else
		run_ksmctl sync
	fi
	GOT="exit $RC"
}
consumer_log() { printf '%s\n%s\n' "$OUT" "$ERR"; }
# What `ksmctl users` publishes, without the snapshot's time.
accounts() { "$KSMCTL" --conf "$T/ksm.conf" users 2>&1 | grep -vE '^\(|^last sync'; }
consumer_intact() {
	local what="$CONSUMER / $(fault_label "$1")"
	if [ "$RC" = 0 ] && [ "$CONSUMER" = "ksmctl sync" ]; then
		# A successful sync writes a new snapshot: the same accounts.
		check "$what: new snapshot, same accounts" [ "$(accounts)" = "$ACCOUNTS" ]
		expect_same_verifiers "$what: offline verifiers kept"
		expect_same "$what: client config untouched" client.json
	else
		expect_same "$what: snapshot, private store and client config byte-identical" \
			snapshot private client.json
		check "$what: no temporary files left" [ "$(ls "$T/lib" | wc -l)" = 2 ]
	fi
}
ACCOUNTS=$(accounts)
check "the first sync published accounts" grep -q '^alice ' <<<"$ACCOUNTS"

# Every cause comes from ksmd ("ksmd: "), the sync having gone through it.
FAILED_SYNC="sync failed, the old snapshot is kept: "
VIA="${FAILED_SYNC}ksmd: "
cell refuse exit\ 4 "${VIA}.*(Couldn't connect|Connection refused)"
cell blackhole exit\ 4 "${FAILED_SYNC}timeout_sync budget: ksmd: .*time budget ran out"
cell delay-under exit\ 0 "sync: [0-9]+ accounts"
cell delay-over exit\ 4 "${FAILED_SYNC}timeout_sync budget: ksmd: .*time budget ran out"
cell http500 exit\ 4 "${VIA}.*server said internal_error \(HTTP 500\)"
cell throttle exit\ 4 "${VIA}.*throttled by the server; the next try \(in [0-9]+ ms\) would exceed the time budget"
cell throttle-retry exit\ 4 "${FAILED_SYNC}(timeout_sync budget: )?ksmd: .*$THROTTLED"
cell corrupt exit\ 1 "${VIA}.*the server's answer does not decrypt"
cell bad-signature exit\ 5 "${VIA}.*access_denied \(HTTP 403\): Signature is invalid"
cell key-once exit\ 0 "sync: [0-9]+ accounts"
cell key-always exit\ 5 "${VIA}.*rejected 3 transmission keys"
# ksmd never binds (a login must not spend a token): with a pre-bind
# config the sync fails before any request, as "not bound" (exit 3).
cell token-used exit\ 3 "${VIA}.*client.json is not bound yet: run 'ksmctl init'"
cell revoked exit\ 5 "${VIA}.*Unable to validate application access; the device may be revoked"
cell other-ca exit\ 4 "${VIA}.*TLS check failed"

# Binding with a token another client has used: the current config stays.
CONSUMER="ksmctl init"
PREBIND_INSTALL=0
cell token-used exit\ 5 "ksmctl: .*Signature is invalid; the device may be revoked or the token already used"
PREBIND_INSTALL=1
CONSUMER="ksmctl sync"

matrix_finish
