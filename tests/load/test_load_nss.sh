#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_nss.sh - nss_ksm in one long-lived process: LOAD_NSS_LOOKUPS
# (100,000) lookups through libnss_ksm.so.2 (_nss_ksm_getpwnam_r and
# _nss_ksm_getpwuid_r in turn, over 1,000 users; every answer checked),
# with the snapshot replaced (write temp + rename, as ksmctl sync does)
# every 5,000 lookups, so that the module maps a new file 20 times. Open
# descriptors, mappings, VmRSS and malloc'd bytes are compared at 10,000
# lookups and at the end: the module must not grow. (Concurrency, torn
# answers and enumeration are tests/nss/test_nss_threads.sh's.)
# No root needed.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/nss.sh"

LOOKUPS=${LOAD_NSS_LOOKUPS:-100000}
EVERY=5000
USERS=1000
for v in 1 2; do
	"$PY" - "$v" "$USERS" "$T/v$v.json" <<'EOF'
import json, sys
v, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
users = [{"name": "nu%04d" % i, "uid": 270000 + i, "gid": 270000 + i,
          "gecos": "v%d user %d" % (v, i), "home": "/home/nu%04d" % i,
          "shell": "/bin/bash", "groups": [280000]} for i in range(n)]
json.dump({"users": users, "groups": [{"name": "nugroup", "gid": 280000,
                                       "members": [u["name"] for u in users[:50]]}]},
          open(out, "w"))
EOF
	make_snap "$T/v$v" "$T/v$v.json"
done
cp "$T/v1" "$T/snapshot"
export KSM_NSS_SNAPSHOT="$T/snapshot"
# Every 7th user, both ways.
PAIRS=$(seq 0 7 $((USERS - 1)) | awk '{printf "nu%04d:%d ", $1, 270000 + $1}')
# shellcheck disable=SC2086
run env LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS="$SAN_OPTIONS" "$DRIVER" nss "$MOD" "$LOOKUPS" \
	"$T/snapshot" "$T/v2" "$EVERY" 1000 10000 $((LOOKUPS / 2)) "$LOOKUPS" -- $PAIRS
echo "$OUT" | sed 's/^/# /'
[ -n "$ERR" ] && echo "$ERR" | head -n 20 | sed 's/^/# /'
check "$LOOKUPS lookups, every answer right, snapshot replaced $((LOOKUPS / EVERY)) times (exit $RC)" [ "$RC" = 0 ]
at() { sed -n "s/^at $1: .*$2=\([0-9]*\).*/\1/p" <<<"$OUT"; }
A=10000 B=$LOOKUPS
figure "nss one process: $LOOKUPS lookups in ${MS} ms; at $A: fds $(at $A fds) rss $(at $A rss_kb) KiB maps $(at $A maps) heap $(at $A heap) B; at $B: fds $(at $B fds) rss $(at $B rss_kb) KiB maps $(at $B maps) heap $(at $B heap) B"
check "open descriptors at $A and $B lookups equal ($(at $A fds), $(at $B fds))" \
	[ -n "$(at $A fds)" ] && [ "$(at $A fds)" = "$(at $B fds)" ]
check "mappings at $A and $B lookups equal ($(at $A maps), $(at $B maps)): old snapshots unmapped" \
	[ -n "$(at $A maps)" ] && [ "$(at $A maps)" = "$(at $B maps)" ]
check "malloc'd bytes at $A and $B lookups: grew by less than 4 KiB ($(at $A heap) -> $(at $B heap))" \
	[ -n "$(at $A heap)" ] && [ $(($(at $B heap) - $(at $A heap))) -lt 4096 ]
check "VmRSS grew by less than 512 KiB from $A to $B lookups ($(at $A rss_kb) -> $(at $B rss_kb) KiB)" \
	[ -n "$(at $A rss_kb)" ] && [ $(($(at $B rss_kb) - $(at $A rss_kb))) -lt 512 ]
finish
