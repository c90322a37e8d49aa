#!/bin/bash
# SPDX-License-Identifier: MIT
# test_keys.sh - ksm-authorized-keys without sshd: the cached path (libc
# only), fingerprints, unknown users, the live path and its fallbacks.
. "$(dirname "$0")/lib.sh"

libksm_from_build # the live path dlopens libksm.so.0

for n in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
/usr/bin/python3 "$TOP_SRC/tests/integration/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
conf() { write_conf "snapshot = $T/snapshot" "private_store = $T/private" "$@"; }
conf
bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "sync" 0

fp() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }
pub() { cut -d' ' -f1-3 "$T/$1.pub"; }

keys alice
check "cached: alice's two keys" [ "$OUT" = "$(pub alice)"$'\n'"$(pub carol)" ]
check "cached: exit 0" [ "$RC" = 0 ]
keys alice "$(fp carol)"
check "cached: only the key matching sshd's %f" [ "$OUT" = "$(pub carol)" ]
keys alice "$(fp bob)"
check "cached: another user's fingerprint gives nothing" [ -z "$OUT" -a "$RC" = 0 ]
keys nosuchuser
check "unknown user: no output, exit 0" [ -z "$OUT" -a "$RC" = 0 ]
keys dave
check "expired account (valid_until passed): no keys" [ -z "$OUT" -a "$RC" = 0 ]
reset_stats
for u in alice bob nosuchuser root; do keys $u; done
check "cached path: no request reached the server" [ "$(req_total)" = 0 ]
LD_DEBUG=libs "$KEYS_BIN" --conf "$T/ksm.conf" alice 2>"$T/ld" >/dev/null
check "cached path loads neither libcurl nor OpenSSL" bash -c "! grep -qE 'libcurl|libcrypto|libssl|libksm' '$T/ld'"
ldd "$KEYS_BIN" >"$T/ldd"
if grep -q libasan "$T/ldd"; then
	# A sanitizer build links its runtimes; the normal build checks this.
	ok "cached path links libc only (not checked in a sanitizer build)"
else
	check "cached path links libc only" bash -c "grep -q 'libc.so' '$T/ldd' && ! grep -vqE 'libc.so|linux-vdso|ld-linux' '$T/ldd'"
fi
check "LD_DEBUG saw the libraries it loaded" grep -q 'libc.so' "$T/ld"

# Live path: the snapshot is older than keys_max_age (0 s here).
sleep 1.1
conf "keys_max_age = 0s"
admin set-field --record BobAcct000000000000000 --field keyPair --json \
	--value "{\"publicKey\": \"$(pub carol)\", \"privateKey\": \"\"}" >/dev/null
reset_stats
keys bob
check "live: the vault's current key, not the snapshot's" [ "$OUT" = "$(pub carol)" ]
check "live: one request" [ "$(req_gets)" = 1 ]

fault blackhole
keys bob
check "live, server black-holed: snapshot keys served" [ "$OUT" = "$(pub bob)" ]
check "live, server black-holed: within the 2 s budget (${MS} ms)" [ "$MS" -le 2600 ]
fault refuse
keys bob
check "live, server refusing: snapshot keys served fast (${MS} ms)" [ "$OUT" = "$(pub bob)" -a "$MS" -le 1000 ]
conf "keys_max_age = 0s" "keys_max_stale = 0s"
keys bob
check "past keys_max_stale: nothing" [ -z "$OUT" -a "$RC" = 0 ]
fault none

# The vault says the record is gone: nothing, even with a fresh-enough snapshot.
conf "keys_max_age = 0s"
admin set-field --record BobAcct000000000000000 --field login --value "robert" >/dev/null
keys bob
check "live: a record renamed in the vault no longer serves bob" [ -z "$OUT" ]

# A missing or corrupt snapshot: nothing, exit 0.
conf
cp "$T/snapshot" "$T/snapshot.good"
printf 'garbage' >"$T/snapshot"
keys alice
check "corrupt snapshot: no keys, exit 0" [ -z "$OUT" -a "$RC" = 0 ]
rm -f "$T/snapshot"
keys alice
check "missing snapshot: no keys, exit 0" [ -z "$OUT" -a "$RC" = 0 ]
cp "$T/snapshot.good" "$T/snapshot"
# SIGPIPE: sshd may close the pipe early.
"$KEYS_BIN" --conf "$T/ksm.conf" alice | head -c1 >/dev/null
check "a closed pipe is not a crash" [ "${PIPESTATUS[0]}" = 0 ]

finish
