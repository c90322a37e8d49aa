#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_glibc.sh - libnss_ksm.so.2 under the real glibc, as a host runs
# it: in a private mount namespace (tests/README.md), a test nsswitch.conf
# ("passwd: files ksm", "group: files ksm") is bind-mounted over
# /etc/nsswitch.conf, the built module is overlaid into the system library
# directory where glibc dlopens it from, and a test directory is
# bind-mounted over /var/lib/ksm so that the compiled-in path is the one
# used (no KSM_NSS_SNAPSHOT). Nothing outside the namespace changes, except
# that /var/lib/ksm is created (empty) as a mount point if it is missing.
# Needs root, unshare and overlayfs; skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "SKIP: needs root and mount namespaces"
	exit 77
fi
LIBC=$(ldd /bin/sh | awk '$1 == "libc.so.6" {print $3}')
LIBDIR=$(readlink -f "$(dirname "$LIBC")")
[ -d "$LIBDIR" ] || { echo "SKIP: no system library directory"; exit 77; }
if [ -S /var/run/nscd/socket ]; then
	echo "SKIP: nscd is running; its cache would answer instead of the module"
	exit 77
fi
mkdir -p /var/lib/ksm || { echo "SKIP: cannot create /var/lib/ksm"; exit 77; }
unset KSM_NSS_SNAPSHOT

mkdir -p "$T/ov" "$T/lib-ksm" "$T/lib-corrupt" "$T/lib-missing"
cp "$MOD" "$T/ov/libnss_ksm.so.2"
make_snap "$T/lib-ksm/snapshot"
# Damage in alice's name: her lookups, devs (she is a member) and the
# enumerations (which check the strings) fail; the rest answers.
corrupt_copy "$T/lib-ksm/snapshot" "$T/lib-corrupt/snapshot" \
	"$(string_offset "$T/lib-ksm/snapshot" alice)"
chmod 0755 "$T" "$T/ov" "$T"/lib-*
chmod 0644 "$T/lib-ksm/snapshot" "$T/lib-corrupt/snapshot"
sed -E 's/^(passwd|group):.*/\1: files ksm/' /etc/nsswitch.conf >"$T/nsswitch.conf"
grep -qE '^passwd:' "$T/nsswitch.conf" || echo 'passwd: files ksm' >>"$T/nsswitch.conf"
grep -qE '^group:' "$T/nsswitch.conf" || echo 'group: files ksm' >>"$T/nsswitch.conf"
sed -E 's/^group:.*/group: files [SUCCESS=merge] ksm/' "$T/nsswitch.conf" >"$T/nsswitch-merge.conf"

# ns.sh LIBKSM NSSWITCH CMD...: CMD in a fresh namespace with the mounts.
cat >"$T/ns.sh" <<EOF
#!/bin/bash
set -e
lib=\$1 nss=\$2
shift 2
mount --make-rprivate /
mount --bind "\$nss" /etc/nsswitch.conf
mount -t overlay overlay -o "lowerdir=$T/ov:$LIBDIR" "$LIBDIR"
mount --bind "\$lib" /var/lib/ksm
set +e
exec "\$@"
EOF
ns_with() { # LIBKSM NSSWITCH CMD...
	local lib=$1 nss=$2
	shift 2
	if [ -n "$SAN_PRELOAD" ]; then
		set -- env LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS="$SAN_OPTIONS" "$@"
	fi
	run unshare -m bash "$T/ns.sh" "$lib" "$nss" "$@"
}
ns() { ns_with "$T/lib-ksm" "$T/nsswitch.conf" "$@"; }

ALICE='alice:x:20001:20001:Alice Example,,,:/home/alice:/bin/bash'

ns true
if [ "$RC" -ne 0 ]; then
	echo "SKIP: the namespace mounts failed: $ERR"
	exit 77
fi
ns getent passwd alice
expect_out "getent passwd alice" "$ALICE"
ns getent passwd 20001
expect_out "getent passwd 20001" "$ALICE"
ns getent passwd root
expect_out "root from files" "$(getent passwd root)"
ns getent passwd nosuch
expect_rc "unknown user: getent exits 2" 2
ns getent group devs
expect_out "getent group devs" "devs:x:30001:alice,bob"
ns getent group 30002
expect_out "getent group 30002" "ops:x:30002:bob,dave"
ns getent group sudo
expect_out "getent group sudo: the files entry wins" "$(getent group sudo)"

ns getent passwd carol
if [ "$RC" -eq 0 ] && [ "${#OUT}" -eq $((5006 + 42)) ] && [[ $OUT == carol:x:20003:20003:Carol\ x*:/home/carol:/bin/bash ]]; then
	ok "5000-byte gecos through glibc's ERANGE retry"
else
	fail "getent passwd carol (rc $RC, ${#OUT} bytes)"
fi
ns getent group bigteam
n=$(sed 's/^bigteam:x:30003://' <<<"$OUT" | tr , '\n' | wc -l)
if [ "$RC" -eq 0 ] && [ "$n" = 301 ]; then ok "301-member group through glibc's ERANGE retry"; else fail "bigteam: rc $RC, $n members"; fi

ns id alice
if [ "$RC" -eq 0 ] && [ "$OUT" = "uid=20001(alice) gid=20001(alice) groups=20001(alice),27(sudo),30001(devs)" ]; then
	ok "id alice lists the local sudo group (initgroups_dyn)"
else
	fail "id alice: $OUT $ERR"
fi
ns id -Gn bob
expect_out "id -Gn bob" "bob devs ops"
ns getent initgroups alice
if [ "$RC" -eq 0 ] && [ "$(tr -s ' ' <<<"$OUT")" = "alice 27 30001" ]; then ok "getent initgroups alice"; else fail "getent initgroups alice: '$OUT'"; fi
ns setpriv --reuid=20001 --regid=20001 --init-groups id
expect_out "setpriv --init-groups: the kernel gets sudo and devs" \
	"uid=20001(alice) gid=20001(alice) groups=20001(alice),27(sudo),30001(devs)"

# Enumeration: the host's users, then the 304 vault users once each.
host_users=$(getent passwd | wc -l)
ns getent passwd
if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" = $((host_users + 304)) ] &&
	[ -z "$(cut -d: -f1 <<<"$OUT" | sort | uniq -d)" ] && grep -qxF "$ALICE" <<<"$OUT" &&
	[ "$(tail -n 304 <<<"$OUT" | head -1)" = "$ALICE" ]; then
	ok "getent passwd: host users then 304 vault users, each once"
else
	fail "getent passwd: rc $RC, $(wc -l <<<"$OUT") lines (host $host_users)"
fi
host_groups=$(getent group | wc -l)
ns getent group
if [ "$RC" -eq 0 ] && [ "$(tail -n 5 <<<"$OUT" | cut -d: -f1 | tr '\n' ' ')" = "alice bob devs ops bigteam " ] &&
	[ "$(wc -l <<<"$OUT")" = $((host_groups + 5)) ] && [ "$(grep -c '^sudo:' <<<"$OUT")" = 1 ]; then
	ok "getent group: host groups then 5 vault groups, sudo once"
else
	fail "getent group: rc $RC, $(wc -l <<<"$OUT") lines"
fi

# "group: files [SUCCESS=merge] ksm" adds the vault members to sudo.
ns_with "$T/lib-ksm" "$T/nsswitch-merge.conf" getent group sudo
host_sudo=$(getent group sudo | cut -d: -f4)
expect_out "[SUCCESS=merge]: vault members appended to the local sudo" \
	"sudo:x:27:${host_sudo:+$host_sudo,}alice"

# A long-running process sees the snapshot replaced (rename, like sync).
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["users"][1]["gecos"]="Bob v2"; json.dump(d,open(sys.argv[2],"w"))' \
	"$T/users-full.json" "$T/users-v2.json"
make_snap "$T/lib-ksm/snapshot.v2" "$T/users-v2.json"
chmod 0644 "$T/lib-ksm/snapshot.v2"
ns "$PY" -c '
import os, pwd
a = pwd.getpwnam("bob").pw_gecos
os.rename("/var/lib/ksm/snapshot.v2", "/var/lib/ksm/snapshot")
b = pwd.getpwnam("bob").pw_gecos
print(a + "|" + b)'
expect_out "a running process re-maps the replaced snapshot" "Bob|Bob v2"

# Damaged and missing snapshots: not found (exit 2), no crash, files fine.
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" getent passwd alice
expect_rc "corrupt snapshot: getent passwd alice exits 2" 2
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" getent group devs
expect_rc "corrupt snapshot: getent group devs exits 2" 2
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" getent passwd
if [ "$RC" -eq 0 ] && [ "$(wc -l <<<"$OUT")" = "$host_users" ]; then ok "corrupt snapshot: enumeration lists the host users"; else fail "corrupt enumeration: rc $RC"; fi
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" id alice
expect_rc "corrupt snapshot: id alice fails cleanly" 1 "no such user"
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" id root
expect_rc "corrupt snapshot: id root works" 0
ns_with "$T/lib-corrupt" "$T/nsswitch.conf" getent passwd dave
expect_out "damaged entry: the others still answer (getent passwd dave)" \
	"dave:x:20004:30002::/srv/dave:/usr/sbin/nologin"
ns_with "$T/lib-missing" "$T/nsswitch.conf" getent passwd alice
expect_rc "missing snapshot: getent passwd alice exits 2" 2
ns_with "$T/lib-missing" "$T/nsswitch.conf" getent passwd root
expect_out "missing snapshot: root from files" "$(getent passwd root)"

finish
