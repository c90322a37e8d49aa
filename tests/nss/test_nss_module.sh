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
# The header (360 bytes, its own CRC): any damage refuses the whole file.
for off in 0 8 12 16 24 32 36 48 200 359; do
	corrupt_copy "$SNAP" "$T/bad-$off" "$off"
	export KSM_NSS_SNAPSHOT="$T/bad-$off"
	all_unavail "header byte $off flipped"
done
head -c $((size - 8)) "$SNAP" >"$T/short"
export KSM_NSS_SNAPSHOT="$T/short"
all_unavail "truncated by 8 bytes"
{ cat "$SNAP"; printf '\0\0\0\0\0\0\0\0'; } >"$T/long"
export KSM_NSS_SNAPSHOT="$T/long"
all_unavail "8 bytes appended"
# A version-3 header: NEWER, also UNAVAIL.
"$PY" -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[8]=3; open(sys.argv[2],"wb").write(d)' "$SNAP" "$T/v3"
export KSM_NSS_SNAPSHOT="$T/v3"
all_unavail "written by a newer version"
"$PY" -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[8]=1; open(sys.argv[2],"wb").write(d)' "$SNAP" "$T/v1"
export KSM_NSS_SNAPSHOT="$T/v1"
all_unavail "an older format (version 1)"
head -c 100000 /dev/urandom >"$T/random"
export KSM_NSS_SNAPSHOT="$T/random"
all_unavail "random bytes"
# A version-1 file the old full check once read out of bounds (it compared
# names of an index before validating them): refused as an older format.
export KSM_NSS_SNAPSHOT="$TOP_SRC/tests/fuzz/regressions/fuzz_snapshot/index-names-unchecked.snap"
all_unavail "fuzz regression (version 1): group index names an unchecked name offset"

# Damage inside an entry fails the lookups that read it, and the
# enumerations (which check the sections they walk), nothing else. Bob's
# gecos "Bob" is a string only bob's entry holds.
off=$("$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index(b"\0Bob\0") + 1)' "$SNAP")
corrupt_copy "$SNAP" "$T/bad-bob" "$off"
export KSM_NSS_SNAPSHOT="$T/bad-bob"
probe pwnam bob 1024 pwuid 20002 1024 initgroups bob 20002 4 -1 \
	pwnam alice 1024 pwuid 20004 1024 grnam ops 1024 grgid 30001 1024 \
	initgroups alice 20001 4 -1 setpwent getpwent 1024 setgrent getgrent 1024
got=$(cut -d' ' -f1-2 <<<"$OUT" | tr '\n' '|')
if [ "$got" = "pwnam: UNAVAIL|pwuid: UNAVAIL|initgroups: UNAVAIL|pwnam: SUCCESS|pwuid: SUCCESS|grnam: SUCCESS|grgid: SUCCESS|initgroups: SUCCESS|setpwent: UNAVAIL|getpwent: UNAVAIL|setgrent: UNAVAIL|getgrent: UNAVAIL|" ] &&
	grep -qxF "grnam: SUCCESS 0 ops:x:30002:bob,dave" <<<"$OUT"; then
	ok "a damaged entry: its own lookups and the enumerations UNAVAIL, the others answer"
else
	fail "damaged entry: $got"
fi

# Every byte of a small snapshot flipped in turn, every entry looked up:
# each answer is the undamaged one or UNAVAIL, never another; damage in the
# header refuses everything; damage in an entry, its strings, ids or keys, or
# in an enumeration's order, is noticed by some lookup or enumeration.
"$PY" "$MKSNAP" "$USERS_JSON" "$T/small"
"$PY" - "$PROBE" "$MOD" "$T/small" "$T/flip" "$MKSNAP" <<'EOF2'
import importlib.util, os, subprocess, sys
probe, mod, small, work, mksnap = sys.argv[1:6]
spec = importlib.util.spec_from_file_location("mksnap", mksnap)
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
good = open(small, "rb").read()
secs = m.sections(good)
queries = [["pwnam", n, "1024"] for n in ("alice", "bob", "dave", "nosuch")]
queries += [["pwuid", u, "1024"] for u in ("20001", "20002", "20004", "1")]
queries += [["grnam", n, "1024"] for n in ("alice", "bob", "devs", "ops", "sudo", "nosuch")]
queries += [["grgid", g, "1024"] for g in ("20001", "20002", "30001", "30002", "27", "1")]
queries += [["initgroups", "alice", "20001", "4", "-1"], ["initgroups", "bob", "20002", "4", "-1"],
            ["initgroups", "dave", "30002", "4", "-1"], ["allpw", "1024"], ["allgr", "1024"]]
os.makedirs(work, exist_ok=True)
live = os.path.join(work, "live")
env = dict(os.environ, KSM_NSS_SNAPSHOT=live)

def answers(out):
    """One answer per query: its line, or the lines of an enumeration."""
    lines, res = out.splitlines(), []
    lines = [l for l in lines if l != "rename: ok"]
    i = 0
    for q in queries:
        if q[0] in ("allpw", "allgr"):
            j = i
            while not lines[j].startswith(q[0] + ":"):
                j += 1
            res.append(lines[i:j + 1]); i = j + 1
        else:
            res.append([lines[i]]); i += 1
    return res, lines[i:]

def run(files):
    args = [probe, mod]
    for f in files:
        args += ["rename", f, live] + [a for q in queries for a in q]
    p = subprocess.run(args, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("probe failed (rc %d): %s" % (p.returncode, p.stderr[-500:]))
    out, res = p.stdout, []
    for _ in files:
        a, rest = answers(out)
        res.append(a); out = "\n".join(rest)
    return res

def unavail(ans):
    last = ans[-1].split()
    return (len(ans) == 1 and last[1] == "UNAVAIL") or \
        (ans[-1].startswith(("allpw: ", "allgr: ")) and ans[-2].split()[1] == "UNAVAIL")

def answer_ok(got, want):
    if got == want:
        return True
    if len(want) == 1:
        return unavail(got)
    # An enumeration: the undamaged entries up to an UNAVAIL.
    body = [l for l in got if l.split()[1] == "SUCCESS" and not l.startswith(("set", "end"))]
    wbody = [l for l in want if l.split()[1] == "SUCCESS" and not l.startswith(("set", "end"))]
    return unavail(got) and wbody[:len(body)] == body

open(os.path.join(work, "good"), "wb").write(good)
want = run([os.path.join(work, "good")])[0]
assert not any(unavail(a) for a in want), want
def where(off):
    if off < m.HEADER.size:
        return "header"
    for i, (o, l) in enumerate(secs):
        if o <= off < o + l:
            return i
    return "padding"
must_notice = {m.USERS, m.GROUPS, m.USER_BY_UID, m.GROUP_BY_GID, m.IDS, m.KEYS, m.STRINGS}
bad, unnoticed, noticed = [], [], 0
offs = list(range(len(good)))
for k in range(0, len(offs), 64):
    batch = []
    for off in offs[k:k + 64]:
        d = bytearray(good); d[off] ^= 0xFF
        f = os.path.join(work, "f%d" % off)
        open(f, "wb").write(d); batch.append(f)
    for off, got in zip(offs[k:k + 64], run(batch)):
        w = where(off)
        if not all(answer_ok(g, x) for g, x in zip(got, want)):
            bad.append((off, w, [g for g, x in zip(got, want) if not answer_ok(g, x)][:2]))
        elif w == "header" and not all(unavail(g) for g in got):
            bad.append((off, w, "header damage not refused everywhere"))
        elif got != want:
            noticed += 1
        elif w in must_notice:
            unnoticed.append((off, w))
print("%d bytes flipped: %d noticed, %d wrong answers, %d unnoticed in entries/walked sections"
      % (len(offs), noticed, len(bad), len(unnoticed)))
for b in bad[:5] + unnoticed[:5]:
    print("  ", b)
sys.exit(1 if bad or unnoticed else 0)
EOF2
if [ $? -eq 0 ]; then ok "every byte flipped: never a wrong answer, damage noticed where it is read"; else fail "byte flips"; fi

# Crafted, with every header and section CRC right: the name index out of
# order (unused by the module) and an entry whose name lies outside STRINGS
# (its own CRC then cannot match): that entry fails, the rest answers.
"$PY" - "$MKSNAP" "$T/crafted-user" <<'EOF2'
import importlib.util, struct, sys
spec = importlib.util.spec_from_file_location("mksnap", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
users = [{"name": n, "uid": 10 + i, "gid": 10} for i, n in enumerate("abc")]
d = bytearray(m.build({"users": users, "groups": []}))
secs = m.sections(d)
struct.pack_into("=III", d, secs[m.USER_BY_NAME][0], 0, 2, 1)             # a, c, b
struct.pack_into("=I", d, secs[m.USERS][0] + 2 * m.USER.size, 0x7fffffff)  # c's name
m.seal_header(d)
open(sys.argv[2], "wb").write(d)
EOF2
export KSM_NSS_SNAPSHOT="$T/crafted-user"
probe pwnam a 1024 pwnam b 1024 pwnam c 1024 pwuid 12 1024 allpw 1024
got=$(cut -d' ' -f1-2 <<<"$OUT" | tr '\n' '|')
if [ "$got" = "pwnam: SUCCESS|pwnam: SUCCESS|pwnam: UNAVAIL|pwuid: UNAVAIL|setpwent: SUCCESS|getpwent: SUCCESS|getpwent: SUCCESS|getpwent: UNAVAIL|allpw: 2|" ]; then
	ok "crafted: an entry naming an offset outside STRINGS fails alone"
else
	fail "crafted entry: $got"
fi

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

# The mapped file changed in place (truncated, then cp'd over): a process
# that keeps it mapped never reads pages past the new end (SIGBUS). The
# lookup after the truncation sees it (same inode, new size): it remaps for
# itself and marks the old mapping unreadable, which ends the enumeration
# positioned in it (without that, its next getpwent faults).
cp "$T/old" "$T/live"
probe setpwent getpwent 8192 pwnam bob 1024 truncate "$T/live" 0 \
	pwnam bob 1024 getpwent 8192 overwrite "$T/new" "$T/live" \
	pwnam bob 1024 getpwent 8192 endpwent setpwent getpwent 8192
got=$(grep -E '^(getpwent|pwnam):' <<<"$OUT" | sed 's/^\([a-z]*\): \([A-Z]*\) [^ ]*\( [^:]*:x:[0-9]*:[0-9]*:\([^:]*\):.*\)\?$/\1 \2 \4/' | tr '\n' '|')
if [ "$RC" -eq 0 ] && [ "$got" = "getpwent SUCCESS Alice Example,,,|pwnam SUCCESS Bob|pwnam UNAVAIL |getpwent UNAVAIL |pwnam SUCCESS V2 bob|getpwent UNAVAIL |getpwent SUCCESS V2 alice|" ]; then
	ok "changed in place: no SIGBUS, lookups remapped, the old enumeration ended"
else
	fail "in-place change (rc $RC): $got $ERR"
fi
# An enumeration alone re-checks the path every 64 entries: a file rewritten
# in place without a lookup in between (cp over it, here a longer file, so
# no page goes missing) ends it there.
cp "$T/old" "$T/live"
args=(setpwent)
for i in $(seq 1 10); do args+=(getpwent 8192); done
args+=(overwrite "$T/new" "$T/live")
for i in $(seq 11 70); do args+=(getpwent 8192); done
probe "${args[@]}"
n_ok=$(grep -c '^getpwent: SUCCESS' <<<"$OUT")
if [ "$RC" -eq 0 ] && [ "$n_ok" = 64 ] && [ "$(grep -c '^getpwent: UNAVAIL' <<<"$OUT")" = 6 ]; then
	ok "an enumeration notices a file rewritten in place within 64 entries"
else
	fail "enumeration re-check (rc $RC): $n_ok entries before UNAVAIL"
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
