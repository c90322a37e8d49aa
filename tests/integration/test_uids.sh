#!/bin/bash
# SPDX-License-Identifier: MIT
# test_uids.sh - derived uids at fleet scale (docs/decisions.md, "Derived
# uids"): 10,000 records without uid or gid fields sync with no account
# refused for an id, every uid is the documented derivation (read apart
# from ksm-core, mkuidvault.py), deleting 400 records and adding 600 changes
# no other account's uid or gid, and a second host with no history of its
# own (direct mode, its own snapshot) publishes the very same table.
. "$(dirname "$0")/lib.sh"

MK="$TOP_SRC/tests/integration/mkuidvault.py"
/usr/bin/python3 "$MK" "$T/vault.json" 10000 --seed 1 || exit 99
ksm_start_server "$T/vault.json"
mkdir -m 0700 "$T/private"
# 10,000 records: the server takes a few seconds for each answer on a
# loaded machine (bind, sync), more under the sanitizers.
write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" "timeout_sync = 120"
bind
expect_rc "bind" 0

run_ksmctl sync
expect_rc "sync of 10,000 records without uid fields" 0
check "10,000 accounts, none refused" grep -q "sync: 10000 accounts, 10000 groups, 0 refused" <<<"$OUT"
check "no uid or gid collision refusal" bash -c "! grep -qE '(uid|gid) is also claimed' '$T/err'"
# ids CONF OUT: the published accounts as "record uid gid name" lines,
# sorted, from ksmctl users --json.
ids() {
	"$KSMCTL" --conf "$1" users --json >"$T/users.json" || return 1
	/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("\n".join(sorted("%s %d %d %s" % (a["record"], a["uid"], a["gid"], a["name"]) for a in d["accounts"])))' \
		"$T/users.json" >"$2"
}
check "users --json" ids "$T/ksm.conf" "$T/users1"

# table N users1 [users2]: N accounts, each uid the derivation of its
# record UID and its gid the uid; with users2, every record of both keeps
# its ids.
table() {
	/usr/bin/python3 - "$MK" "$@" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("mk", sys.argv[1])
mk = importlib.util.module_from_spec(spec); spec.loader.exec_module(mk)
want = int(sys.argv[2])
def read(path):
    t = {}
    for line in open(path):
        rec, uid, gid, name = line.split()
        t[rec] = (name, int(uid), int(gid))
    return t
tables = [read(p) for p in sys.argv[3:]]
assert len(tables[-1]) == want, (len(tables[-1]), want)
for t in tables:
    for rec, (name, uid, gid) in t.items():
        assert uid == mk.derived(rec) and gid == uid, (name, rec, uid, gid)
        assert 0x70000000 <= uid <= 0x7FFDFFFF, uid
    assert len({u for _, u, _ in t.values()}) == len(t)
if len(tables) == 2:
    a, b = tables
    kept = set(a) & set(b)
    assert len(kept) == 9600, len(kept)
    assert all(a[r] == b[r] for r in kept)
PY
}
check "10,000 uids, each SHA-256 of its record UID in 0x70000000-0x7FFDFFFF, gid = uid" table 10000 "$T/users1"

# Delete every 25th record (400: under max_account_drop's 10 %), add 600.
mapfile -t gone < <(/usr/bin/python3 -c '
import json, sys
print("\n".join(r["uid"] for r in json.load(open(sys.argv[1]))["records"][::25]))' "$T/vault.json")
check "400 records deleted in the vault" bash -c "[ \"\$('$ADMIN' --state '$T/srv' delete-records -- ${gone[*]} 2>&1 | tail -c 300)\" = 400 ]"
/usr/bin/python3 "$MK" "$T/more.json" 600 --seed 2 --first 10000 --records-only || exit 99
check "600 records added in the vault" bash -c "[ \"\$('$ADMIN' --state '$T/srv' add-records '$T/more.json')\" = 600 ]"
run_ksmctl sync
expect_rc "sync after the vault changed" 0
check "10,200 accounts, none refused" grep -q "sync: 10200 accounts, 10200 groups, 0 refused" <<<"$OUT"
check "users --json after the change" ids "$T/ksm.conf" "$T/users2"
check "the 9,600 remaining accounts kept uid and gid; the new ones are derived" table 10200 "$T/users1" "$T/users2"

# A second host: no ksmd (direct mode), no previous snapshot of its own.
sed -e "s|^snapshot = .*|snapshot = $T/host2/snapshot|" \
	-e "s|^ksmd_socket = .*|ksmd_socket = $T/host2/none.sock|" "$T/ksm.conf" >"$T/host2.conf"
mkdir -p "$T/host2"
run "$KSMCTL" --conf "$T/host2.conf" sync
expect_rc "a second host syncs from nothing" 0
check "users --json on the second host" ids "$T/host2.conf" "$T/users-host2"
check "the second host publishes the same names, uids and gids" cmp -s "$T/users2" "$T/users-host2"

finish
