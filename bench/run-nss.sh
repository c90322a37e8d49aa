#!/bin/bash
# SPDX-License-Identifier: MIT
# run-nss.sh - the NSS benchmark: nss_ksm against glibc's nss_files at
# 100,000 accounts, same run, taking turns; and nss_ksm at 100,000 accounts
# against nss_ksm at 100, a fresh process per lookup (the cold ratio).
#
#  1. N vault accounts user000001.. (uid = gid = 200000+i, gecos, home,
#     shell, a private group each, and a team group of 10: team%05d, gid
#     150000+(i-1)/10) written as a snapshot by tests/nss/mksnap.py (the
#     independent writer; no server needed), and the same accounts as N
#     lines appended to a copy of the host's /etc/passwd (and the groups to a
#     copy of /etc/group). A second snapshot of SMALL_N accounts is for the
#     memory comparison, a third of COLD_N for the cold ratio.
#  2. In a private mount namespace (the copies bind-mounted over /etc/passwd
#     and /etc/group; the host's files never change), bench/nss-bench.c
#     (compiled here with cc -O2) dlopens libnss_ksm.so.2 and
#     libnss_files.so.2 in one process and calls _nss_{ksm,files}_getpwnam_r
#     for random users, taking turns (KSM_N and FILES_N lookups, in ROUNDS
#     rounds, alternating order), then ENUM_REPS full setpwent/getpwent_r/
#     endpwent passes each, alternating. Every answer is checked (name, uid;
#     N entries per enumeration). Memory: /proc/self/smaps_rollup, the smaps
#     entry of the snapshot mapping and mallinfo2 at checkpoints; then the
#     same for the SMALL_N snapshot (nss-bench -M).
#  3. One process per lookup, as admins see it: glibc's getent in the
#     namespace with a test nsswitch.conf bind-mounted over
#     /etc/nsswitch.conf ("passwd: ksm" or "passwd: files"), the module
#     overlaid into the system library directory. bench/spawnbench runs
#     `getent passwd user050000` and `getent passwd 250000` (user N/2; posix_spawn,
#     stdout read to EOF, waitpid); and `getent passwd` (the whole database).
#     On the files side also `getent passwd root` (the first line): the floor,
#     what starting getent costs.
#     The nsswitch.conf differs, so the sides alternate by block: BLOCKS
#     blocks per side, each one namespace running SPAWN_RUNS/BLOCKS rounds
#     (plus 2 warm-up rounds) and ENUM_RUNS/BLOCKS enumerations.
#  4. Cold lookups, N against COLD_N accounts: the production nsswitch.conf
#     ("passwd: files ksm", "group: files ksm") over the host's own
#     /etc/passwd and /etc/group, and `getent passwd NAME`, `getent passwd
#     UID` and `id NAME` of the middle user, each against the N and the
#     COLD_N snapshot (KSM_NSS_SNAPSHOT set per command by spawnbench), all
#     in the same rounds, taking turns; `getent passwd root` (files only) is
#     the floor. BLOCKS namespaces of COLD_RUNS/BLOCKS rounds (plus 2 warm-up
#     rounds). The ratio of the medians, N over COLD_N, is the goal (at most
#     1.2 for each command).
#
# Usage: make -j2 && bench/run-nss.sh       (root: mount namespaces, overlayfs)
# Env:   N=100000  SMALL_N=1000  KSM_N=20000  FILES_N=500  ROUNDS=10  ENUM_REPS=5
#        SPAWN_RUNS=200  ENUM_RUNS=40  BLOCKS=10  SEED=1  COLD_N=100
#        COLD_RUNS=200
#        BUILDDIR=build/normal (its .libs/libnss_ksm.so.2 is measured)
#        OUT=bench/results/nss.json   KEEP_TMP=1 keeps the work directory
# About 1 minute on 2 cores. Exit 0 if every lookup was right (goal met or not).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${N:-100000}
SMALL_N=${SMALL_N:-1000}
KSM_N=${KSM_N:-20000}
FILES_N=${FILES_N:-500}
ROUNDS=${ROUNDS:-10}
ENUM_REPS=${ENUM_REPS:-5}
SPAWN_RUNS=${SPAWN_RUNS:-200}
ENUM_RUNS=${ENUM_RUNS:-40}
BLOCKS=${BLOCKS:-10}
SEED=${SEED:-1}
COLD_N=${COLD_N:-100}
COLD_RUNS=${COLD_RUNS:-200}
OUT=${OUT:-$here/results/nss.json}
PY=/usr/bin/python3
BUILDDIR=$(cd "${BUILDDIR:-$top/build/normal}" && pwd) || exit 2
MOD=$BUILDDIR/.libs/libnss_ksm.so.2
MKSNAP=$top/tests/nss/mksnap.py

die() { echo "run-nss: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (mount namespaces, overlayfs)"
[ -f "$MOD" ] || die "not built: $MOD (run make first)"
[ "$N" -ge 10 ] 2>/dev/null && [ "$N" -le 999999 ] || die "N must be 10..999999"
MID=$((N / 2)); MID_NAME=$(printf "user%06d" "$MID"); MID_UID=$((200000 + MID))
[ "$COLD_N" -ge 10 ] 2>/dev/null && [ "$COLD_N" -lt "$N" ] || die "COLD_N must be 10..N-1"
CMID=$((COLD_N / 2)); CMID_NAME=$(printf "user%06d" "$CMID"); CMID_UID=$((200000 + CMID))
unshare -m true 2>/dev/null || die "unshare -m does not work here"
[ -S /var/run/nscd/socket ] && die "nscd is running; its cache would answer instead of the modules"
LIBC=$(ldd /bin/sh | awk '$1 == "libc.so.6" {print $3}')
LIBDIR=$(readlink -f "$(dirname "$LIBC")")
FILES_SO=$LIBDIR/libnss_files.so.2
[ -f "$FILES_SO" ] || die "no $FILES_SO"

W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-nssbench.XXXXXX") || exit 2
chmod 0755 "$W"
cleanup() { [ -n "${KEEP_TMP:-}" ] && echo "run-nss: kept $W" >&2 || rm -rf "$W"; }
trap cleanup EXIT
T0=$(date +%s)

cc -O2 -Wall -o "$W/nss-bench" "$here/nss-bench.c" -ldl || die "cannot build nss-bench"
cc -O2 -Wall -o "$W/spawnbench" "$here/spawnbench.c" || die "cannot build spawnbench"

echo "# generating $N accounts (snapshot, passwd, group), a $SMALL_N- and a $COLD_N-account snapshot"
"$PY" - "$W" "$N" "$SMALL_N" "$COLD_N" <<'PY' || die "generator failed"
import json, sys
w, n, small, cold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def desc(n):
    users, groups, teams = [], [], {}
    for i in range(1, n + 1):
        name = "user%06d" % i
        team = 150000 + (i - 1) // 10
        users.append({"name": name, "uid": 200000 + i, "gid": 200000 + i,
                      "gecos": "Bench User %d,,," % i, "home": "/home/" + name,
                      "shell": "/bin/bash", "groups": [team]})
        groups.append({"name": name, "gid": 200000 + i, "members": []})
        teams.setdefault(team, []).append(name)
    for gid, members in sorted(teams.items()):
        groups.append({"name": "team%05d" % (gid - 150000), "gid": gid, "members": members})
    return {"users": users, "groups": groups}
d = desc(n)
json.dump(d, open(w + "/accounts.json", "w"))
json.dump(desc(small), open(w + "/accounts-small.json", "w"))
json.dump(desc(cold), open(w + "/accounts-cold.json", "w"))
with open(w + "/passwd", "w") as f:
    f.write(open("/etc/passwd").read())
    for u in d["users"]:
        f.write("%(name)s:x:%(uid)d:%(gid)d:%(gecos)s:%(home)s:%(shell)s\n" % u)
with open(w + "/group", "w") as f:
    f.write(open("/etc/group").read())
    for g in d["groups"]:
        f.write("%s:x:%d:%s\n" % (g["name"], g["gid"], ",".join(g["members"])))
PY
"$PY" "$MKSNAP" "$W/accounts.json" "$W/snapshot" || die "mksnap failed"
"$PY" "$MKSNAP" "$W/accounts-small.json" "$W/snapshot-small" || die "mksnap failed (small)"
"$PY" "$MKSNAP" "$W/accounts-cold.json" "$W/snapshot-cold" || die "mksnap failed (cold)"
chmod 0644 "$W/snapshot" "$W/snapshot-small" "$W/snapshot-cold" "$W/passwd" "$W/group"
# Write the new files back now: pages of a just-written file are dirty in the
# page cache, and smaps counts them as Private_Dirty in a process that maps
# them (shared, read-only) until writeback; that is not a copy.
sync "$W/snapshot" "$W/snapshot-small" "$W/snapshot-cold" "$W/passwd" "$W/group"
HOST_USERS=$(wc -l </etc/passwd)
echo "#   snapshot $(stat -c %s "$W/snapshot") bytes, passwd $(wc -l <"$W/passwd") lines, $(stat -c %s "$W/passwd") bytes"

mkdir -p "$W/ov" && cp "$MOD" "$W/ov/libnss_ksm.so.2" && chmod 0755 "$W/ov"
for src in ksm files; do
	sed -E "s/^passwd:.*/passwd: $src/; s/^group:.*/group: files/" /etc/nsswitch.conf >"$W/nsswitch-$src.conf"
	grep -qE '^passwd:' "$W/nsswitch-$src.conf" || echo "passwd: $src" >>"$W/nsswitch-$src.conf"
done
# ns.sh NSSWITCH CMD...: CMD in a fresh private mount namespace with the mounts.
cat >"$W/ns.sh" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
mount --bind "$W/passwd" /etc/passwd
mount --bind "$W/group" /etc/group
mount --bind "\$1" /etc/nsswitch.conf
mount -t overlay overlay -o "lowerdir=$W/ov:$LIBDIR" "$LIBDIR"
shift
set +e
exec "\$@"
EOF
ns() { KSM_NSS_SNAPSHOT=$W/snapshot unshare -m /bin/bash "$W/ns.sh" "$@"; }
# ns_cold CMD...: the host's own passwd and group, "files ksm" for both.
sed -E 's/^(passwd|group):.*/\1: files ksm/' /etc/nsswitch.conf >"$W/nsswitch-cold.conf"
grep -qE '^passwd:' "$W/nsswitch-cold.conf" || echo "passwd: files ksm" >>"$W/nsswitch-cold.conf"
grep -qE '^group:' "$W/nsswitch-cold.conf" || echo "group: files ksm" >>"$W/nsswitch-cold.conf"
cat >"$W/ns-cold.sh" <<EOF
#!/bin/bash
set -e
mount --make-rprivate /
mount --bind "$W/nsswitch-cold.conf" /etc/nsswitch.conf
mount -t overlay overlay -o "lowerdir=$W/ov:$LIBDIR" "$LIBDIR"
set +e
exec "\$@"
EOF
ns_cold() { unshare -m /bin/bash "$W/ns-cold.sh" "$@"; }

# Sanity: both paths give the same answers through glibc.
for q in "$MID_NAME" "$MID_UID" user000001 "$(printf "user%06d" "$N")"; do
	a=$(ns "$W/nsswitch-ksm.conf" getent passwd "$q") || die "getent passwd $q (ksm) failed"
	b=$(ns "$W/nsswitch-files.conf" getent passwd "$q") || die "getent passwd $q (files) failed"
	[ "$a" = "$b" ] || die "getent passwd $q: ksm '$a' vs files '$b'"
done
ns "$W/nsswitch-ksm.conf" getent passwd >"$W/enum-ksm.txt" || die "getent passwd (ksm) failed"
ns "$W/nsswitch-files.conf" getent passwd >"$W/enum-files.txt" || die "getent passwd (files) failed"
tail -n "$N" "$W/enum-files.txt" | cmp -s - "$W/enum-ksm.txt" || die "getent passwd: the $N vault lines differ"
echo "#   glibc getent: same answers and same $N enumerated lines from both modules"
# The cold commands answer alike at both sizes (the middle user's lines).
cold_want() { # MID: getent passwd NAME, the same by UID, id NAME
	local mid=$1 name uid team
	name=$(printf "user%06d" "$mid"); uid=$((200000 + mid)); team=$((150000 + (mid - 1) / 10))
	printf '%s:x:%d:%d:Bench User %d,,,:/home/%s:/bin/bash\n' "$name" "$uid" "$uid" "$mid" "$name"
	printf '%s:x:%d:%d:Bench User %d,,,:/home/%s:/bin/bash\n' "$name" "$uid" "$uid" "$mid" "$name"
	printf 'uid=%d(%s) gid=%d(%s) groups=%d(%s),%d(team%05d)\n' "$uid" "$name" "$uid" "$name" \
		"$uid" "$name" "$team" $((team - 150000))
}
for size in cold big; do
	if [ $size = cold ]; then snap=$W/snapshot-cold; mid=$CMID; else snap=$W/snapshot; mid=$MID; fi
	name=$(printf "user%06d" "$mid")
	got=$(KSM_NSS_SNAPSHOT=$snap ns_cold /bin/sh -c "getent passwd $name; getent passwd $((200000 + mid)); id $name") ||
		die "cold commands ($size) failed"
	[ "$got" = "$(cold_want "$mid")" ] || die "cold commands ($size): got '$got', wanted '$(cold_want "$mid")'"
done
echo "#   cold: getent passwd NAME and UID, id NAME answer alike at $COLD_N and $N accounts"

echo "# in one process: $KSM_N ksm and $FILES_N files lookups, $ENUM_REPS enumerations each"
ns "$W/nsswitch-files.conf" "$W/nss-bench" -n "$KSM_N" -m "$FILES_N" -r "$ROUNDS" -e "$ENUM_REPS" \
	-u "$N" -S "$SEED" -s "$W/snapshot" "$MOD" "$FILES_SO" >"$W/inproc.json"
RC=$?
[ -s "$W/inproc.json" ] || die "nss-bench failed"
KSM_NSS_SNAPSHOT=$W/snapshot-small "$W/nss-bench" -M -n "$KSM_N" -u "$SMALL_N" -S "$SEED" \
	-s "$W/snapshot-small" "$MOD" >"$W/mem-small.json" || RC=1

echo "# one process per lookup: getent through glibc, $SPAWN_RUNS runs each, $BLOCKS blocks per side"
per=$(( (SPAWN_RUNS + BLOCKS - 1) / BLOCKS ))
eper=$(( (ENUM_RUNS + BLOCKS - 1) / BLOCKS ))
: >"$W/spawn.txt"
for b in $(seq 1 "$BLOCKS"); do
	if [ $((b % 2)) = 1 ]; then order="files ksm"; else order="ksm files"; fi
	for s in $order; do
		extra=()
		[ "$s" = files ] && extra=(::: files:root /usr/bin/getent passwd root)
		ns "$W/nsswitch-$s.conf" "$W/spawnbench" "$per" 2 \
			"$s:name" /usr/bin/getent passwd "$MID_NAME" ::: \
			"$s:uid" /usr/bin/getent passwd "$MID_UID" "${extra[@]}" | sed "s/^/$b /" >>"$W/spawn.txt" ||
			die "spawnbench ($s) failed"
		ns "$W/nsswitch-$s.conf" "$W/spawnbench" "$eper" 1 \
			"$s:enum" /usr/bin/getent passwd | sed "s/^/$b /" >>"$W/spawn.txt" ||
			die "spawnbench enum ($s) failed"
	done
done

echo "# cold: a fresh process per lookup, $N against $COLD_N accounts, $COLD_RUNS runs each, $BLOCKS blocks"
cper=$(( (COLD_RUNS + BLOCKS - 1) / BLOCKS ))
: >"$W/cold.txt"
for b in $(seq 1 "$BLOCKS"); do
	ns_cold "$W/spawnbench" "$cper" 2 \
		small:name "KSM_NSS_SNAPSHOT=$W/snapshot-cold" /usr/bin/getent passwd "$CMID_NAME" ::: \
		big:name "KSM_NSS_SNAPSHOT=$W/snapshot" /usr/bin/getent passwd "$MID_NAME" ::: \
		small:uid "KSM_NSS_SNAPSHOT=$W/snapshot-cold" /usr/bin/getent passwd "$CMID_UID" ::: \
		big:uid "KSM_NSS_SNAPSHOT=$W/snapshot" /usr/bin/getent passwd "$MID_UID" ::: \
		small:id "KSM_NSS_SNAPSHOT=$W/snapshot-cold" /usr/bin/id "$CMID_NAME" ::: \
		big:id "KSM_NSS_SNAPSHOT=$W/snapshot" /usr/bin/id "$MID_NAME" ::: \
		floor:root "KSM_NSS_SNAPSHOT=$W/snapshot" /usr/bin/getent passwd root |
		sed "s/^/$b /" >>"$W/cold.txt" || die "spawnbench (cold) failed"
done
T1=$(date +%s)

"$PY" - "$W" "$OUT" "$N" "$SMALL_N" "$HOST_USERS" "$((T1 - T0))" "$MOD" \
	"$(git -C "$top" describe --always --dirty 2>/dev/null)" "$COLD_N" \
	"$(stat -c %s "$W/snapshot-cold")" <<'PY'
import json, os, platform, statistics as st, subprocess, sys, time
w, out, n, small_n, host_users, secs, mod, rev, cold_n, cold_bytes = sys.argv[1:11]
n, small_n, host_users, cold_n = int(n), int(small_n), int(host_users), int(cold_n)
inproc = json.load(open(w + "/inproc.json"))
small = json.load(open(w + "/mem-small.json"))
spawn = {}
for line in open(w + "/spawn.txt"):
    block, name, rnd, ns_ = line.split()
    spawn.setdefault(name, []).append(int(ns_))
cpu = "?"
for l in open("/proc/cpuinfo"):
    if l.startswith("model name"):
        cpu = l.split(":", 1)[1].strip(); break
glibc = subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
k, f = inproc["ksm"], inproc["files"]
def mem(d, at):
    return next(m for m in d["memory"] if m["at"] == at)
def memsum(d):
    return {m["at"]: {"process_rss_kb": m["process"]["rss_kb"],
                      "process_private_dirty_kb": m["process"]["private_dirty_kb"],
                      "process_anonymous_kb": m["process"]["anonymous_kb"],
                      "snapshot_mapping_size_kb": m["snapshot_mapping"]["size_kb"],
                      "snapshot_mapping_rss_kb": m["snapshot_mapping"]["rss_kb"],
                      "snapshot_mapping_private_dirty_kb": m["snapshot_mapping"]["private_dirty_kb"],
                      "snapshot_mapping_anonymous_kb": m["snapshot_mapping"]["anonymous_kb"],
                      "snapshot_mappings": m["snapshot_mappings"],
                      "malloc_in_use_bytes": m["malloc_in_use_bytes"]} for m in d["memory"]}
def summary(runs):
    return {name: {"n": len(v), "median_us": round(st.median(v) / 1000, 1),
                   "mean_us": round(st.mean(v) / 1000, 1), "min_us": round(min(v) / 1000, 1)}
            for name, v in sorted(runs.items())}
sp = summary(spawn)
cold, cold_blocks = {}, {}
for line in open(w + "/cold.txt"):
    block, name, rnd, ns_ = line.split()
    cold.setdefault(name, []).append(int(ns_))
    cold_blocks.setdefault(int(block), {}).setdefault(name, []).append(int(ns_))
cs = summary(cold)
def ratio(d, q):
    return round(st.median(d["big:" + q]) / st.median(d["small:" + q]), 3)
cold_ratio = {q: ratio(cold, q) for q in ("name", "uid", "id")}
# The same per block (each its own namespace): how much the ratio moves.
cold_ratio_blocks = {q: [ratio(b, q) for _, b in sorted(cold_blocks.items())]
                     for q in ("name", "uid", "id")}
res = {
    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    "git": rev, "module": mod,
    "host": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "glibc": glibc},
    "accounts": n, "host_passwd_lines": host_users, "wall_s": int(secs),
    "in_process": {
        "getpwnam_median_ns": {"ksm": k["getpwnam"]["median_ns"], "files": f["getpwnam"]["median_ns"]},
        "getpwnam_mean_ns": {"ksm": k["getpwnam"]["mean_ns"], "files": f["getpwnam"]["mean_ns"]},
        "getpwnam_ratio_files_over_ksm_median": round(f["getpwnam"]["median_ns"] / k["getpwnam"]["median_ns"], 1),
        "getpwnam_ratio_files_over_ksm_mean": round(f["getpwnam"]["mean_ns"] / k["getpwnam"]["mean_ns"], 1),
        "first_lookup_ns": {"ksm": k["first_lookup_ns"], "files": f["first_lookup_ns"]},
        "enumeration_median_ms": {"ksm": k["enumeration"]["median_ns"] / 1e6, "files": f["enumeration"]["median_ns"] / 1e6},
        "enumeration_entries": {"ksm": k["enum_entries"], "files": f["enum_entries"]},
        "enumeration_ratio_ksm_over_files": round(k["enumeration"]["median_ns"] / f["enumeration"]["median_ns"], 3),
        "errors": {"ksm": k["errors"], "files": f["errors"]},
    },
    "memory": {"snapshot_bytes": inproc["snapshot_bytes"], "at_%d" % n: memsum(inproc),
               "small_snapshot_bytes": small["snapshot_bytes"], "small_accounts": small_n,
               "at_%d" % small_n: memsum(small)},
    "per_process": sp,
    "cold": {"accounts": n, "small_accounts": cold_n, "snapshot_bytes": inproc["snapshot_bytes"],
             "small_snapshot_bytes": int(cold_bytes),
             "nsswitch": "passwd: files ksm, group: files ksm (the host's own files)",
             "per_process": cs, "ratio_big_over_small_median": cold_ratio,
             "ratio_per_block": cold_ratio_blocks},
    "raw": {"nss_bench": inproc, "nss_bench_small": small, "spawn_ns": spawn, "cold_ns": cold},
}
ip = res["in_process"]
res["per_process_ratios_files_over_ksm"] = {
    q: round(sp["files:" + q]["median_us"] / sp["ksm:" + q]["median_us"], 2) for q in ("name", "uid", "enum")}
res["goal"] = {"getpwnam_at_least_100x": ip["getpwnam_ratio_files_over_ksm_median"] >= 100,
               "enumeration_no_slower_in_process": ip["enumeration_ratio_ksm_over_files"] <= 1.0,
               "enumeration_no_slower_getent": sp["ksm:enum"]["median_us"] <= sp["files:enum"]["median_us"],
               "snapshot_mapping_private_dirty_zero": all(
                   m["snapshot_mapping"]["private_dirty_kb"] == 0 for m in inproc["memory"] + small["memory"]),
               "snapshot_mapping_anonymous_zero": all(
                   m["snapshot_mapping"]["anonymous_kb"] == 0 for m in inproc["memory"] + small["memory"]),
               "malloc_unchanged_by_lookups": mem(inproc, "after_ksm_lookups")["malloc_in_use_bytes"]
                   == mem(inproc, "after_dlopen")["malloc_in_use_bytes"],
               "cold_at_most_1_2x": {q: r <= 1.2 for q, r in cold_ratio.items()}}
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump(res, open(out, "w"), indent=1)
print(json.dumps({k2: res[k2] for k2 in ("date", "git", "host", "in_process", "per_process", "per_process_ratios_files_over_ksm", "cold", "goal")}, indent=1))
for label, d in (("%d accounts" % n, inproc), ("%d accounts" % small_n, small)):
    print("# memory, %s (snapshot %d bytes):" % (label, d["snapshot_bytes"]))
    for m in d["memory"]:
        print("#   %-24s RSS %6d kB  Private_Dirty %4d kB  Anonymous %4d kB | snapshot mapping: %d, Size %6d kB, Rss %6d kB, Private_Dirty %d kB | malloc in use %d B"
              % (m["at"], m["process"]["rss_kb"], m["process"]["private_dirty_kb"], m["process"]["anonymous_kb"],
                 m["snapshot_mappings"], m["snapshot_mapping"]["size_kb"], m["snapshot_mapping"]["rss_kb"],
                 m["snapshot_mapping"]["private_dirty_kb"], m["malloc_in_use_bytes"]))
print("# wrote", out, "in", secs, "s")
PY
exit $RC
