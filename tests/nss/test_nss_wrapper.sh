#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_wrapper.sh - getent and id against libnss_ksm.so.2 through
# nss_wrapper (LD_PRELOAD=libnss_wrapper.so, NSS_WRAPPER_MODULE_SO_PATH,
# NSS_WRAPPER_MODULE_FN_PREFIX=ksm), with its own passwd/group files as the
# "files" source: nothing on the host is touched.
#
# nss_wrapper computes getgrouplist (id USER, getent initgroups) by
# enumerating groups and matching member names; it never calls
# initgroups_dyn (and its initgroups() stops at its files backend). So here
# "id alice" shows the vault groups, and the local sudo membership, which only
# initgroups_dyn carries, is checked by test_nss_module.sh (direct calls) and
# test_nss_glibc.sh (real glibc: id alice, setpriv --init-groups).
. "$(dirname "$0")/lib.sh"

WRAPPER=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib; do
	[ -e "$d/libnss_wrapper.so" ] && echo "$d/libnss_wrapper.so" && break
done)
if [ -z "$WRAPPER" ]; then
	echo "SKIP: libnss_wrapper.so not installed (Debian: libnss-wrapper)"
	exit 77
fi

make_snap "$T/snapshot"
cat >"$T/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
localu:x:1500:1500:Local User:/home/localu:/bin/sh
EOF
cat >"$T/group" <<'EOF'
root:x:0:
sudo:x:27:localu
localu:x:1500:
EOF

export NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group"
export NSS_WRAPPER_MODULE_SO_PATH="$MOD" NSS_WRAPPER_MODULE_FN_PREFIX=ksm
export KSM_NSS_SNAPSHOT="$T/snapshot"
nw() { run env LD_PRELOAD="$SAN_PRELOAD$WRAPPER" ASAN_OPTIONS="$SAN_OPTIONS" "$@"; }

ALICE='alice:x:20001:20001:Alice Example,,,:/home/alice:/bin/bash'

nw getent passwd alice
expect_out "getent passwd alice" "$ALICE"
nw getent passwd 20002
expect_out "getent passwd 20002" "bob:x:20002:20002:Bob:/home/bob:/bin/sh"
nw getent passwd localu
expect_out "local users still from files" "localu:x:1500:1500:Local User:/home/localu:/bin/sh"
nw getent passwd nosuch
expect_rc "unknown user: getent exits 2" 2
nw getent group devs
expect_out "getent group devs" "devs:x:30001:alice,bob"
nw getent group 30002
expect_out "getent group 30002" "ops:x:30002:bob,dave"
nw getent group sudo
expect_out "getent group sudo: the files entry" "sudo:x:27:localu"

# ERANGE path. nss_wrapper's getpwnam/getpwent (what getent uses) call the
# module with a fixed 1000-byte buffer and no retry, so carol is looked up
# with getpwnam_r, which passes the caller's buffer through: Python's pwd
# module starts small and doubles it on ERANGE.
nw "$PY" -c 'import pwd; p = pwd.getpwnam("carol"); print(p.pw_uid, len(p.pw_gecos), p.pw_gecos[:8], p.pw_dir)'
expect_out "5000-byte gecos through getpwnam_r's ERANGE retry" "20003 5006 Carol xx /home/carol"
nw "$PY" -c 'import pwd; print(len(pwd.getpwuid(20003).pw_gecos))'
expect_out "and through getpwuid_r" "5006"
nw getent group bigteam
n=$(sed 's/^bigteam:x:30003://' <<<"$OUT" | tr , '\n' | wc -l)
if [ "$RC" -eq 0 ] && [ "$n" = 301 ]; then ok "301-member group through the ERANGE retry"; else fail "bigteam: rc $RC, $n members"; fi

# Enumeration: files first, then every vault user once (a snapshot without
# carol, for nss_wrapper's fixed buffer; test_nss_glibc.sh has her).
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["users"]=[u for u in d["users"] if u["name"]!="carol"]; d["groups"][-1]["members"].remove("carol"); json.dump(d,open(sys.argv[2],"w"))' \
	"$T/users-full.json" "$T/nocarol.json"
make_snap "$T/nocarol" "$T/nocarol.json"
KSM_NSS_SNAPSHOT="$T/nocarol" nw getent passwd
names=$(cut -d: -f1 <<<"$OUT")
if [ "$RC" -eq 0 ] && [ "$(head -2 <<<"$names" | tr '\n' ' ')" = "root localu " ] &&
	[ "$(wc -l <<<"$names")" = $((2 + 303)) ] && [ -z "$(sort <<<"$names" | uniq -d)" ] &&
	grep -qxF "$ALICE" <<<"$OUT"; then
	ok "getent passwd: 2 local + 303 vault users, each once"
else
	fail "getent passwd enumeration: rc $RC, $(wc -l <<<"$names") lines"
fi
nw getent group
if [ "$RC" -eq 0 ] && [ "$(cut -d: -f1 <<<"$OUT" | tr '\n' ' ')" = "root sudo localu alice bob devs ops bigteam " ]; then
	ok "getent group: files groups, then vault groups (local sudo once)"
else
	fail "getent group: $(cut -d: -f1 <<<"$OUT" | tr '\n' ' ')"
fi

nw id alice
if [ "$RC" -eq 0 ] && [[ $OUT == "uid=20001(alice) gid=20001(alice) groups=20001(alice)"*"30001(devs)"* ]]; then
	ok "id alice (vault groups by enumeration)"
else
	fail "id alice: $OUT $ERR"
fi
nw id -Gn bob
expect_out "id -Gn bob" "bob devs ops"

# Broken snapshots: getent exits 2 (not found), no crash, files still work.
corrupt_copy "$T/snapshot" "$T/corrupt" "$(string_offset "$T/snapshot" alice)"
export KSM_NSS_SNAPSHOT="$T/corrupt"
nw getent passwd alice
expect_rc "corrupt snapshot: getent passwd alice exits 2" 2
nw getent passwd
if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" = 2 ]; then ok "corrupt snapshot: enumeration lists files only"; else fail "corrupt enumeration rc $RC"; fi
nw getent passwd root
expect_out "corrupt snapshot: local users unaffected" "root:x:0:0:root:/root:/bin/bash"
nw id alice
expect_rc "corrupt snapshot: id alice fails cleanly" 1 "no such user"
export KSM_NSS_SNAPSHOT="$T/missing"
nw getent passwd alice
expect_rc "missing snapshot: getent passwd alice exits 2" 2
nw getent group devs
expect_rc "missing snapshot: getent group devs exits 2" 2
nw getent passwd localu
expect_out "missing snapshot: local users unaffected" "localu:x:1500:1500:Local User:/home/localu:/bin/sh"

finish
