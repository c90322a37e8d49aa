#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_sync.sh - end to end: records in the local KSM server, ksmctl
# sync writes the snapshot (ksm-core/accounts/snapshot_writer.c), libnss_ksm.so.2
# answers from it. The rest of the nss tests use tests/nss/mksnap.py, an
# independent writer; this one checks the module against the real one, and
# that both writers agree: the snapshot ksmctl wrote, read back through the
# module and rewritten by mksnap.py, gives the module the same answers.
. "$(dirname "$0")/lib.sh"

for n in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
"$PY" "$TOP_SRC/tests/integration/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
write_conf "snapshot = $T/lib/snapshot" "local_groups = sudo" # alice's sudo: an opt-in
bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0

export KSM_NSS_SNAPSHOT="$T/lib/snapshot"
probe() { run "$PROBE" "$MOD" "$@"; }
SUDO_GID=$(getent group sudo | cut -d: -f3)

probe pwnam alice 1024
expect_line "alice from ksmctl's snapshot" "pwnam: SUCCESS 0 alice:x:250001:250001:Alice A:/home/alice:/bin/bash"
probe pwuid 250002 1024
expect_line "bob by uid" "pwuid: SUCCESS 0 bob:x:250002:250002:Bob B,room 1:/home/bob:/bin/sh"
probe pwnam root 1024 pwnam BadName1 1024 pwnam twin 1024
if [ "$(grep -c 'NOTFOUND ENOENT' <<<"$OUT")" = 3 ]; then ok "refused accounts are not there"; else fail "refused: $OUT"; fi
probe grnam devs 1024
devs_gid=$(sed -n 's/^grnam: SUCCESS 0 devs:x:\([0-9]*\):alice,bob$/\1/p' <<<"$OUT")
if [ -n "$devs_gid" ]; then ok "vault group devs: alice,bob (gid $devs_gid)"; else fail "devs: $OUT"; fi
probe initgroups alice 250001 1 -1
got=$(sed -n 's/^initgroups: SUCCESS 0 \([0-9,]*\) .*/\1/p' <<<"$OUT" | tr , '\n' | sort -n | tr '\n' ' ')
want=$(printf '%s\n' 250001 "$SUDO_GID" "$devs_gid" | sort -n | tr '\n' ' ')
if [ "$got" = "$want" ]; then ok "initgroups alice: local sudo ($SUDO_GID) and devs"; else fail "initgroups alice: '$got', wanted '$want'"; fi
probe allpw 1024 allgr 1024
if grep -qE '^allpw: [1-9][0-9]* entries' <<<"$OUT" && ! grep -q '^getgrent: SUCCESS 0 sudo:' <<<"$OUT"; then
	ok "enumeration of ksmctl's snapshot (local sudo skipped)"
else
	fail "enumeration: $(grep -E '^all' <<<"$OUT")"
fi
enum_real=$OUT

# Both writers agree: rebuild the same accounts with mksnap.py.
"$PY" - "$enum_real" "$T/again.json" <<'EOF'
import json, sys
users, groups = [], []
for line in sys.argv[1].splitlines():
    if line.startswith("getpwent: SUCCESS 0 "):
        n, _, uid, gid, gecos, home, shell = line[len("getpwent: SUCCESS 0 "):].split(":")
        users.append({"name": n, "uid": int(uid), "gid": int(gid), "gecos": gecos, "home": home, "shell": shell})
    elif line.startswith("getgrent: SUCCESS 0 "):
        n, _, gid, mem = line[len("getgrent: SUCCESS 0 "):].split(":")
        groups.append({"name": n, "gid": int(gid), "members": [m for m in mem.split(",") if m]})
json.dump({"users": users, "groups": groups}, open(sys.argv[2], "w"))
EOF
"$PY" "$MKSNAP" "$T/again.json" "$T/again"
KSM_NSS_SNAPSHOT="$T/again" run "$PROBE" "$MOD" allpw 1024 allgr 1024
if [ "$OUT" = "$enum_real" ]; then ok "mksnap.py and ksmctl sync snapshots answer alike"; else fail "writers differ: $(diff <(echo "$enum_real") <(echo "$OUT") | head -5)"; fi

# And through getent (nss_wrapper, when installed).
WRAPPER=/usr/lib/x86_64-linux-gnu/libnss_wrapper.so
if [ -e "$WRAPPER" ]; then
	printf 'root:x:0:0:root:/root:/bin/bash\n' >"$T/passwd"
	printf 'root:x:0:\nsudo:x:%s:\n' "$SUDO_GID" >"$T/group"
	run env LD_PRELOAD="$SAN_PRELOAD$WRAPPER" ASAN_OPTIONS="$SAN_OPTIONS" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		NSS_WRAPPER_MODULE_SO_PATH="$MOD" NSS_WRAPPER_MODULE_FN_PREFIX=ksm getent passwd dave
	if [ "$RC" -eq 0 ] && [[ $OUT == dave:x:* ]]; then ok "getent passwd dave (expired: still resolved)"; else fail "dave: $OUT"; fi
fi

finish
