# SPDX-License-Identifier: MIT
# nss.sh - libnss_ksm.so.2 under test (sourced, bash; after common.sh): the
# module, the programs that load it, and snapshots written by
# tests/nss/mksnap.py (a writer independent of ksm-core).
[ -n "${KSM_LIB_NSS:-}" ] && return 0
KSM_LIB_NSS=1

# KSM_NSS_MODULE: test another build of the module (e.g. an installed one).
MOD="${KSM_NSS_MODULE:-$builddir/.libs/libnss_ksm.so.2}"
PROBE="$builddir/tests/nss/nss_probe"
MKSNAP="$TOP_SRC/tests/nss/mksnap.py"
USERS_JSON="$TOP_SRC/tests/nss/users.json"

[ -f "$MOD" ] || { echo "no module at $MOD (build first)"; exit 99; }

# A sanitizer build (tests/run-all.sh's build/asan): programs that are not
# instrumented (getent, id, setpriv, python3) can load the module only with
# the ASan runtime first in their library list; their own leaks are not
# ours. Use: env LD_PRELOAD="$SAN_PRELOAD..." ASAN_OPTIONS="$SAN_OPTIONS" CMD.
SAN_PRELOAD=
SAN_OPTIONS=${ASAN_OPTIONS:-}
if readelf -d "$MOD" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
	SAN_PRELOAD="$(ldd "$MOD" | awk '$1 ~ /^libasan/ {print $3}') "
	SAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# make_json OUT: tests/nss/users.json plus carol, whose gecos (5000 bytes)
# does not fit glibc's first buffer, and "bigteam" with 300 members m000..
# (the group ERANGE path).
make_json() {
	"$PY" - "$USERS_JSON" "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["users"].append({"name": "carol", "uid": 20003, "gid": 20003,
                   "gecos": "Carol " + "x" * 5000, "home": "/home/carol",
                   "shell": "/bin/bash", "groups": [30003]})
members = []
for i in range(300):
    name = "m%03d" % i
    members.append(name)
    d["users"].append({"name": name, "uid": 21000 + i, "gid": 30003,
                       "gecos": "member %d" % i, "home": "/home/" + name,
                       "shell": "/bin/false", "groups": [30003]})
d["groups"].append({"name": "bigteam", "gid": 30003,
                    "members": ["carol"] + members})
json.dump(d, open(sys.argv[2], "w"))
PYEOF
}

# make_snap OUT [JSON]: a snapshot from JSON (default: make_json's, in
# $T/users-full.json).
make_snap() {
	local json=${2:-$T/users-full.json}
	[ -f "$json" ] || make_json "$json"
	"$PY" "$MKSNAP" "$json" "$1"
}
