#!/bin/bash
# SPDX-License-Identifier: MIT
# test_matrix_keys.sh - fault matrix, column ksm-authorized-keys on its live
# path (the snapshot is older than keys_max_age = 0 s; timeout_keys = 1):
# every fault row of tests/faults/lib.sh. The helper asks ksmd (a fresh
# one per cell), which reads alice's record from the vault. The vault's current key for alice
# differs from the snapshot's, so the output tells a live answer ("vault
# keys") from stale serving ("snapshot keys", until keys_max_stale, 24 h by
# default) and from a refusal ("no keys"). The cause is in the syslog
# (captured through a private /dev/log); the helper always exits 0 and
# writes nothing.
#
# Needs root and a private mount namespace (for /dev/log); skipped (77)
# otherwise. Run by hand: cd build/X && bash ../../tests/faults/test_matrix_keys.sh
CONSUMER="ksm-authorized-keys"
BUDGET_MS=1000
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

libksm_from_build # the live path dlopens libksm.so.0

matrix_setup "keys_max_age = 0s"
pub() { cut -d' ' -f1-3 "$T/keys/$1.pub"; }
# Rotated in the vault after the sync: the live answer is gina's key.
admin set-field --record PamAlice00000000000000 --field keyPair --json \
	--value "{\"publicKey\": \"$(pub gina)\", \"privateKey\": \"\"}" >/dev/null || exit 99
sleep 1.1 # the snapshot is now older than keys_max_age

consumer_run() {
	run "$KEYS_BIN" --conf "$T/ksm.conf" alice
	if [ "$RC" != 0 ]; then
		GOT="exit $RC"
	elif [ "$OUT" = "$(pub gina)" ]; then
		GOT="vault keys"
	elif [ "$OUT" = "$(pub alice)" ]; then
		GOT="snapshot keys"
	elif [ -z "$OUT" ]; then
		GOT="no keys"
	else
		GOT="unexpected output"
	fi
}
consumer_log() { log_since | grep -F 'ksm-authorized-keys['; }
consumer_intact() {
	local what="$CONSUMER / $(fault_label "$1")"
	expect_same "$what: snapshot, private store and client config byte-identical" \
		snapshot private client.json
	check "$what: nothing on stderr" [ -z "$ERR" ]
}

consumer_run
check "no fault: the live path answers with the vault's current key" [ "$GOT" = "vault keys" ]

STALE="alice: live refresh failed \(.*\); serving 1 snapshot key\(s\), [0-9]+s old"
cell refuse "snapshot keys" "alice: live refresh failed \(.*Couldn't connect.*; serving 1 snapshot key\(s\)"
# ksmd's timeout reaches the helper as a message: the helper names
# timeout_keys only when its own call to ksmd ran out (see
# docs/fault-matrix.md), so the budget's name is optional here.
cell blackhole "snapshot keys" "alice: live refresh failed \((timeout_keys budget: )?.*time budget ran out.*; serving 1 snapshot key\(s\)"
cell delay-under "vault keys" "alice: 1 key\(s\) from the vault \(snapshot [0-9]+s old\)"
cell delay-over "snapshot keys" "alice: live refresh failed \((timeout_keys budget: )?.*time budget ran out.*; serving 1 snapshot key\(s\)"
cell http500 "snapshot keys" "alice: live refresh failed \(get_secret: server said internal_error \(HTTP 500\).*; serving 1 snapshot key\(s\)"
cell throttle "snapshot keys" "alice: live refresh failed \(get_secret: throttled by the server.*; serving 1 snapshot key\(s\)"
cell throttle-retry "snapshot keys" "alice: live refresh failed \((timeout_keys budget: )?get_secret: $THROTTLED.*; serving 1 snapshot key\(s\)"
cell corrupt "snapshot keys" "alice: live refresh failed \(get_secret: the server's answer does not decrypt.*; serving 1 snapshot key\(s\)"
cell bad-signature "no keys" "alice: no keys: get_secret: server said access_denied \(HTTP 403\): Signature is invalid"
cell key-once "vault keys" "alice: 1 key\(s\) from the vault \(snapshot [0-9]+s old\)"
cell key-always "snapshot keys" "alice: live refresh failed \(get_secret: the server rejected 3 transmission keys\); serving 1 snapshot key\(s\)"
# ksmd never binds: a pre-bind config is "cannot ask the vault" (no
# request is sent), not a refusal by the vault, so the snapshot's keys.
cell token-used "snapshot keys" "alice: live refresh failed \(.*client.json is not bound yet: run 'ksmctl init'\); serving 1 snapshot key\(s\)"
cell revoked "no keys" "alice: no keys: get_secret: server said access_denied \(HTTP 403\): Unable to validate application access; the device may be revoked"
cell other-ca "snapshot keys" "alice: live refresh failed \(TLS check failed.*; serving 1 snapshot key\(s\)"

matrix_finish
