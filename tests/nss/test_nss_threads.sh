#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_threads.sh - 8 threads x 100,000 lookups (getpwnam_r, getpwuid_r,
# getgrnam_r, getgrgid_r, every 16th first with a too-short buffer) through
# libnss_ksm.so.2 while the snapshot is replaced 100 times by write-temp +
# rename, alternating two versions whose every field says which version it
# is; one more thread enumerates passwd over and over. Every answer must be
# wholly one version, no lookup may fail, no crash. See nss_threads.c.
#
#   NSS_THREADS="THREADS LOOKUPS REWRITES" to change the load.
. "$(dirname "$0")/lib.sh"

read -r THREADS LOOKUPS REWRITES <<<"${NSS_THREADS:-8 100000 100}"
USERS=1000
GROUPS_N=50

for v in 1 2; do
	"$PY" - "$v" "$USERS" "$GROUPS_N" "$T/v$v.json" <<'EOF'
import json, sys
v, n_users, n_groups, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
users, groups = [], []
for i in range(n_users):
    name = "u%04d" % i
    users.append({"name": name, "uid": 100000 + i, "gid": 100000 + i,
                  "gecos": ("v1 " if v == 1 else "version-2 ") + name,
                  "home": ("/home/v1/" if v == 1 else "/v2home/") + name,
                  "shell": "/bin/v1" if v == 1 else "/bin/v2sh",
                  "groups": [300000 + i % n_groups]})
for k in range(n_groups):
    kk = k if v == 1 else (k + 1) % n_groups
    groups.append({"name": "g%02d" % k, "gid": 300000 + k,
                   "members": ["u%04d" % i for i in range(n_users) if i % n_groups == kk]})
json.dump({"users": users, "groups": groups}, open(out, "w"))
EOF
	make_snap "$T/v$v" "$T/v$v.json"
done
cp "$T/v1" "$T/snapshot"
export KSM_NSS_SNAPSHOT="$T/snapshot"

t0=$(date +%s)
run timeout 120 "$builddir/tests/nss/nss_threads" "$MOD" "$T/snapshot" "$T/v1" "$T/v2" \
	"$USERS" "$GROUPS_N" "$THREADS" "$LOOKUPS" "$REWRITES"
secs=$(($(date +%s) - t0))
echo "$OUT" | sed 's/^/# /'
[ -n "$ERR" ] && echo "$ERR" | head -20 | sed 's/^/# /'
if [ "$RC" -eq 0 ]; then
	ok "$THREADS threads x $LOOKUPS lookups, $REWRITES rewrites: every answer whole"
else
	fail "nss_threads exited $RC"
fi
v1=$(sed -n 's/^answers v1 \([0-9]*\), v2 \([0-9]*\);.*/\1/p' <<<"$OUT")
v2=$(sed -n 's/^answers v1 \([0-9]*\), v2 \([0-9]*\);.*/\2/p' <<<"$OUT")
if [ "${v1:-0}" -gt 0 ] && [ "${v2:-0}" -gt 0 ]; then
	ok "both versions were seen (v1 $v1, v2 $v2): the rewrites interleaved"
else
	fail "versions seen: v1 ${v1:-?}, v2 ${v2:-?}"
fi
limit=30
[ -n "$SAN_PRELOAD" ] && limit=120 # ASan+UBSan build
if [ "$secs" -lt "$limit" ]; then ok "under $limit s (${secs} s)"; else fail "took ${secs} s"; fi

finish
