#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_module.sh - libnss_ksm.so.2's entry points called directly
# (tests/nss/nss_probe dlopens the module): NSS status and errno for every
# path glibc hides (found, not found, ERANGE at the exact boundary,
# enumeration with retries and interleaved lookups, initgroups_dyn growth,
# limit and de-duplication, missing and damaged snapshots, the file replaced
# under a running process). Snapshots come from tests/nss/mksnap.py, a
# writer independent of ksm-core.
. "$(dirname "$0")/lib.sh"

SNAP="$T/snapshot"
export KSM_NSS_SNAPSHOT="$SNAP"
make_snap "$SNAP"
probe() { run "$PROBE" "$MOD" "$@"; }

ALICE='alice:x:20001:20001:Alice Example,,,:/home/alice:/bin/bash'

probe pwnam alice 1024
expect_line "getpwnam_r alice" "pwnam: SUCCESS 0 $ALICE"
probe pwnam nosuch 1024
expect_line "getpwnam_r unknown: NOTFOUND/ENOENT" "pwnam: NOTFOUND ENOENT"
probe pwnam '' 1024
expect_line "getpwnam_r empty name: NOTFOUND" "pwnam: NOTFOUND ENOENT"
probe pwuid 20002 1024
expect_line "getpwuid_r 20002" "pwuid: SUCCESS 0 bob:x:20002:20002:Bob:/home/bob:/bin/sh"
probe pwuid 0 1024
expect_line "getpwuid_r 0 is not ours" "pwuid: NOTFOUND ENOENT"

# The strings of alice's entry need exactly 6+2+17+12+10 = 47 bytes.
probe pwnam alice 47 pwnam alice 46 pwnam alice 0
expect_line "buffer of exactly the size needed" "pwnam: SUCCESS 0 $ALICE"
expect_line "one byte short: TRYAGAIN/ERANGE" "pwnam: TRYAGAIN ERANGE"
probe pwnam carol 1024 pwnam carol 8192
expect_line "5000-byte gecos in 1024 bytes: ERANGE" "pwnam: TRYAGAIN ERANGE"
if grep -q "^pwnam: SUCCESS 0 carol:x:20003:20003:Carol x\{5000\}:/home/carol:/bin/bash$" <<<"$OUT"; then
	ok "5000-byte gecos with a bigger buffer"
else
	fail "5000-byte gecos with a bigger buffer: $(head -c 300 <<<"$OUT")"
fi

probe grnam devs 1024 grgid 30002 1024 grnam nosuch 1024 grgid 1 1024
expect_line "getgrnam_r devs" "grnam: SUCCESS 0 devs:x:30001:alice,bob"
expect_line "getgrgid_r 30002" "grgid: SUCCESS 0 ops:x:30002:bob,dave"
expect_line "getgrnam_r unknown" "grnam: NOTFOUND ENOENT"
expect_line "getgrgid_r unknown" "grgid: NOTFOUND ENOENT"
probe grnam sudo 1024 grgid 27 1024
expect_line "local group by name: vault members only (for [SUCCESS=merge])" \
	"grnam: SUCCESS 0 sudo:x:27:alice"
expect_line "local group by gid" "grgid: SUCCESS 0 sudo:x:27:alice"
probe grnam bigteam 1024 grnam bigteam 8192
expect_line "300-member group in 1024 bytes: ERANGE" "grnam: TRYAGAIN ERANGE"
n=$(grep '^grnam: SUCCESS' <<<"$OUT" | sed 's/.*:30003://' | tr , '\n' | wc -l)
if [ "$n" = 301 ]; then ok "300-member group with a bigger buffer"; else fail "bigteam has $n members"; fi
# Pointer array alignment: any buffer start works (odd sizes shift nothing
# here, but an 8-byte-unaligned buffer must not crash under UBSan/valgrind).
probe grnam devs 41 grnam devs 40
expect_line "group in exactly its bytes (3 pointers + strings)" "grnam: SUCCESS 0 devs:x:30001:alice,bob"
expect_line "group one byte short" "grnam: TRYAGAIN ERANGE"

# Enumeration: uid order, every entry once, ERANGE retried on the same entry.
probe allpw 16
want=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join(u["name"] for u in sorted(d["users"], key=lambda u: u["uid"])))' "$T/users-full.json")
got=$(sed -n 's/^getpwent: SUCCESS 0 \([^:]*\):.*/\1/p' <<<"$OUT")
if [ "$got" = "$want" ]; then ok "getpwent: all 304 users once, in uid order"; else fail "getpwent order: $(head -5 <<<"$got")"; fi
expect_line "getpwent ends with NOTFOUND/ENOENT" "getpwent: NOTFOUND ENOENT"
if grep -qE '^allpw: 304 entries, [1-9][0-9]* retries$' <<<"$OUT"; then ok "getpwent ERANGE retries"; else fail "allpw: $(tail -1 <<<"$OUT")"; fi
probe allgr 8
got=$(sed -n 's/^getgrent: SUCCESS 0 \([^:]*\):.*/\1/p' <<<"$OUT" | tr '\n' ' ')
if [ "$got" = "alice bob devs ops bigteam " ]; then ok "getgrent: vault groups in gid order, local sudo skipped"; else fail "getgrent: $got"; fi

# Lookups between getpwent calls do not move the cursor; endpwent resets it.
probe setpwent getpwent 8192 pwnam dave 1024 grnam devs 1024 getpwent 8192 \
	setgrent getgrent 1024 pwuid 20001 1024 getpwent 8192 getgrent 1024 \
	endpwent getpwent 8192 endgrent
got=$(sed -n 's/^get\(pw\|gr\)ent: SUCCESS 0 \([^:]*\):.*/\1 \2/p' <<<"$OUT" | tr '\n' ' ')
if [ "$got" = "pw alice pw bob gr alice pw carol gr bob pw alice " ]; then
	ok "enumeration cursors survive interleaved lookups"
else
	fail "interleaved enumeration: $got"
fi

# initgroups_dyn: starts with the primary gid as glibc does.
probe initgroups alice 20001 1 -1
expect_line "initgroups alice: local sudo and vault devs, array grown" \
	"initgroups: SUCCESS 0 20001,27,30001 (size 4)"
probe initgroups bob 20002 10 -1
expect_line "initgroups bob: duplicate gid once" "initgroups: SUCCESS 0 20002,30001,30002 (size 10)"
probe initgroups bob 20002 1 2
expect_line "initgroups limit respected" "initgroups: SUCCESS 0 20002,30001 (size 2)"
probe initgroups alice 27 4 -1
expect_line "initgroups skips the group given" "initgroups: SUCCESS 0 27,30001 (size 4)"
probe initgroups dave 30002 4 -1
expect_line "initgroups of a user with no groups: SUCCESS" "initgroups: SUCCESS 0 30002 (size 4)"
probe initgroups nosuch 100 4 -1
expect_line "initgroups unknown user: NOTFOUND/ENOENT" "initgroups: NOTFOUND ENOENT 100 (size 4)"

# Missing, damaged and foreign snapshots: UNAVAIL/ENOENT everywhere, no crash.
all_unavail() { # DESCRIPTION
	probe pwnam alice 1024 pwuid 20001 1024 grnam devs 1024 grgid 30001 1024 \
		setpwent getpwent 1024 setgrent getgrent 1024 initgroups alice 20001 4 -1
	local bad
	bad=$(grep -vE '^[a-z]+: UNAVAIL( ENOENT)?( 20001 \(size 4\))?$' <<<"$OUT")
	if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" = 9 ] && [ -z "$bad" ]; then
		ok "$1: UNAVAIL/ENOENT from every entry point"
	else
		fail "$1 (rc $RC): $bad $ERR"
	fi
}
export KSM_NSS_SNAPSHOT="$T/nonexistent"
all_unavail "missing snapshot"
export KSM_NSS_SNAPSHOT="$T/nodir/snapshot"
all_unavail "missing directory"
mkdir "$T/adir"
export KSM_NSS_SNAPSHOT="$T/adir"
all_unavail "a directory"
: >"$T/empty"
export KSM_NSS_SNAPSHOT="$T/empty"
all_unavail "empty file"
size=$(stat -c %s "$SNAP")
for off in 0 8 12 16 32 48 200 $((size / 2)) $((size - 1)); do
	corrupt_copy "$SNAP" "$T/bad-$off" "$off"
	export KSM_NSS_SNAPSHOT="$T/bad-$off"
	all_unavail "byte $off flipped"
done
head -c $((size - 8)) "$SNAP" >"$T/short"
export KSM_NSS_SNAPSHOT="$T/short"
all_unavail "truncated by 8 bytes"
{ cat "$SNAP"; printf '\0\0\0\0\0\0\0\0'; } >"$T/long"
export KSM_NSS_SNAPSHOT="$T/long"
all_unavail "8 bytes appended"
# A version-2 header (the CRC does not cover the header): NEWER, also UNAVAIL.
"$PY" -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[8]=2; open(sys.argv[2],"wb").write(d)' "$SNAP" "$T/v2"
export KSM_NSS_SNAPSHOT="$T/v2"
all_unavail "written by a newer version"
head -c 100000 /dev/urandom >"$T/random"
export KSM_NSS_SNAPSHOT="$T/random"
all_unavail "random bytes"
# Crafted, with a valid checksum: an index that names an entry whose name
# offset lies outside STRINGS before the reader reached that entry (the
# reader compared such names for the sort check before validating them).
export KSM_NSS_SNAPSHOT="$TOP_SRC/tests/fuzz/regressions/fuzz_snapshot/index-names-unchecked.snap"
all_unavail "fuzz regression: group index names an unchecked name offset"
"$PY" - "$MKSNAP" "$T/crafted-user" <<'EOF2'
import importlib.util, struct, sys
spec = importlib.util.spec_from_file_location("mksnap", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
users = [{"name": n, "uid": 10 + i, "gid": 10} for i, n in enumerate("abc")]
d = bytearray(m.build({"users": users, "groups": []}))
h = m.HEADER.unpack_from(d)
users_off, by_name_off = h[9], h[9 + 2 * m.USER_BY_NAME]
struct.pack_into("=III", d, by_name_off, 0, 2, 1)     # a, c, b
struct.pack_into("=I", d, users_off + 2 * m.USER.size, 0x7fffffff)  # c's name
struct.pack_into("=I", d, 32, m.crc32c(d[m.HEADER.size:]))
open(sys.argv[2], "wb").write(d)
EOF2
export KSM_NSS_SNAPSHOT="$T/crafted-user"
all_unavail "crafted: user index names an unchecked name offset"

# The file replaced under a running process (rename, as ksmctl sync does).
"$PY" - "$T/users-full.json" "$T/users-v2.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for u in d["users"]:
    u["gecos"] = "V2 " + u["name"]
json.dump(d, open(sys.argv[2], "w"))
EOF
make_snap "$T/new" "$T/users-v2.json"
cp "$SNAP" "$T/old"
export KSM_NSS_SNAPSHOT="$T/live"
cp "$T/old" "$T/live"
cp "$T/new" "$T/new.1"
cp "$T/old" "$T/old.1"
corrupt_copy "$T/old" "$T/bad.1" 300
probe pwnam bob 1024 rename "$T/new.1" "$T/live" pwnam bob 1024 \
	rename "$T/bad.1" "$T/live" pwnam bob 1024 pwnam bob 1024 \
	rename "$T/old.1" "$T/live" pwnam bob 1024
got=$(grep '^pwnam' <<<"$OUT" | sed 's/^pwnam: \([A-Z]*\) [^ ]*\( bob:x:20002:20002:\([^:]*\):.*\)\?$/\1 \3/' | tr '\n' '|')
if [ "$got" = "SUCCESS Bob|SUCCESS V2 bob|UNAVAIL |UNAVAIL |SUCCESS Bob|" ]; then
	ok "re-mapped after rename: new, corrupt (UNAVAIL), good again"
else
	fail "re-map sequence: $got"
fi
cp "$T/old" "$T/live"
probe pwnam bob 1024 rename "$T/live" "$T/gone" pwnam bob 1024 \
	rename "$T/gone" "$T/live" pwnam bob 1024
got=$(grep '^pwnam' <<<"$OUT" | cut -d' ' -f2 | tr '\n' ' ')
if [ "$got" = "SUCCESS UNAVAIL SUCCESS " ]; then ok "removed then restored"; else fail "remove/restore: $got"; fi
# An enumeration stays in the snapshot it started in.
cp "$T/old" "$T/live"
cp "$T/new" "$T/new.2"
probe setpwent getpwent 8192 rename "$T/new.2" "$T/live" getpwent 8192 \
	pwnam alice 1024 getpwent 8192 endpwent setpwent getpwent 8192
got=$(grep -E '^(getpwent|pwnam): SUCCESS' <<<"$OUT" | cut -d: -f6 | tr '\n' '|')
if [ "$got" = "Alice Example,,,|Bob|V2 alice|Carol $(printf 'x%.0s' $(seq 5000))|V2 alice|" ]; then
	ok "an enumeration is wholly from the snapshot it started in"
else
	fail "pinned enumeration: $(head -c 200 <<<"$got")"
fi

# Under valgrind when available: no invalid access, no leak of our own.
if command -v valgrind >/dev/null && [ -z "$SAN_PRELOAD" ]; then
	export KSM_NSS_SNAPSHOT="$SNAP"
	run valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
		"$PROBE" "$MOD" pwnam carol 100 pwnam carol 8192 grnam bigteam 8192 \
		allpw 3 allgr 3 initgroups bob 20002 1 -1 grnam devs 41
	if [ "$RC" -eq 0 ]; then ok "valgrind clean"; else fail "valgrind (rc $RC): $ERR"; fi
fi

finish
