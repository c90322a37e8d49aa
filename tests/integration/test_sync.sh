#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sync.sh - ksmctl sync: records to accounts by the design's rules,
# refusals named, the snapshot written atomically and kept on failure.
. "$(dirname "$0")/lib.sh"

for n in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
/usr/bin/python3 "$TOP_SRC/tests/integration/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
# The store's directory is ksmd's state directory, which the host makes
# (tmpfiles.d, StateDirectory=): ksmd does not create it.
mkdir -m 0700 "$T/private"
# alice's record asks for the local group sudo: an opt-in (local_groups is
# empty by default).
write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" "local_groups = sudo"
bind
expect_rc "bind" 0

# offline_verifiers = login (the default): ksmd makes a verifier only at a
# successful live login, so a sync makes none.
run_ksmctl sync
expect_rc "sync succeeds with refusals (offline_verifiers = login)" 0
check "sync summary" grep -q "sync: 5 accounts" <<<"$OUT"
check "offline_verifiers = login: the sync makes no verifier" grep -q ", 0 offline verifiers made" <<<"$OUT"
check "offline_verifiers = login: no verifier in the private store" bash -c \
	"[ ! -e '$T/private/store' ] || ! grep -q '\\\$y\\\$' '$T/private/store'"

# offline_verifiers = all: ksmd hashes one for every account with a password
# at each sync through it (ksmd reads ksm.conf at start: write_conf restarts it).
CONF_SYNC=("snapshot = $T/lib/snapshot" "private_store = $T/private/store" "offline_verifiers = all"
	"local_groups = sudo")
write_conf "${CONF_SYNC[@]}"
run_ksmctl sync
expect_rc "sync succeeds with refusals" 0
check "sync summary (offline_verifiers = all)" grep -q "sync: 5 accounts" <<<"$OUT"
check "offline_verifiers = all: verifiers made for the 5 accounts" grep -q ", 5 offline verifiers made" <<<"$OUT"
check "private store is 0600" [ "$(stat -c %a "$T/private/store")" = 600 ]
check "private store holds yescrypt verifiers, not passwords" bash -c \
	"grep -q '\\\$y\\\$' '$T/private/store' && ! grep -q 'pw-alice' '$T/private/store'"
check "snapshot written 0644" [ "$(stat -c %a "$T/lib/snapshot")" = 644 ]
refused() { grep -qE -- "$1" <<<"$ERR" || { echo "  missing refusal /$1/ in: $ERR"; return 1; }; }
check "invalid names refused" refused "BadName1.*valid user name" && refused "BadName2.*valid user name" &&
	refused "BadName3.*valid user name" && refused "BadName4.*valid user name"
check "a local name (root) refused" refused "RootAcct.*local account"
check "uid 0 and uids below uid_range refused" refused "UidZero.*uid 0 is outside" && refused "UidLow.*outside uid_range"
check "a duplicate uid refuses both" refused "UidDup1.*uid is also claimed" && refused "UidDup2.*uid is also claimed"
check "a duplicate name refuses both" refused "NameDup1.*name is also claimed" && refused "NameDup2.*name is also claimed"
check "':' in gecos refused" refused "GecosAcct.*gecos"
check "a newline in home refused" refused "HomeAcct.*home"
check "a relative shell refused" refused "ShellAcct.*shell"
check "an unparseable valid_until refused" refused "UntilAcct.*valid_until"
check "a key with options dropped" refused "KeysAcct.*keys: key dropped.*known type"
check "unknown key type, embedded newline, bad blob dropped" \
	refused "Keys2Acct.*dss" && refused "Keys2Acct.*newline" && refused "Keys2Acct.*does not decode"
check "non-account records are not refusals" bash -c "! grep -q NotAcct <<<'$ERR'"

# status --json for monitoring: server, snapshot age and counts, last sync.
jq_py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); $1" <<<"$OUT"; }
# The sync refused records: a warning (exit 7), not a problem.
run_ksmctl status --json
expect_rc "status --json after a good sync with refusals: a warning (7)" 7
check "status --json: reachable, snapshot ok with 5 accounts, last sync ok, the refusals a warning" jq_py \
	'assert d["reachable"] and d["server_state"] == "reachable" and d["records"] > 5 and d["snapshot"]["state"] == "ok" and d["snapshot"]["accounts"] == 5 and 0 <= d["snapshot"]["age_s"] < 60 and d["last_sync"]["ok"] and d["last_sync"]["refused"] > 10 and d["problem"] == "" and len(d["warnings"]) == 1 and "ksmctl users" in d["warnings"][0], d'
reset_stats
run_ksmctl status --local --json
expect_rc "status --local (the refusals: a warning, 7)" 7
check "status --local makes no request and says so" bash -c \
	"[ \"\$('$ADMIN' --state '$T/srv' stats)\" = '{}' ]"
check "status --local: reachable is null" grep -q '"reachable":null' <<<"$OUT"

run_ksmctl users
expect_rc "users" 0
line() { grep -E "^$1 " <<<"$OUT"; }
check "alice published with her uid, both keys" bash -c "[[ '$(line alice)' =~ alice\ +250001\ +250001\ +2 ]]"
check "bob published from his keyPair" bash -c "[[ '$(line bob)' =~ bob\ +250002\ +250002\ +1 ]]"
check "dave published with his expiry" grep -q "dave .*2001-01-01T00:00:00Z" <<<"$OUT"
check "users lists the refusals" grep -q "UidDup1Acct" <<<"$OUT"
check "users shows groups (the private one first, local ones marked)" bash -c \
	"grep -q ' alice(250001),' <<<'$(line alice)' && grep -q 'devs(' <<<'$(line alice)' && grep -qE 'sudo\([0-9]+,local\)' <<<'$(line alice)'"
check "users shows the snapshot's time readably (ISO 8601 UTC), not epoch seconds" \
	grep -qE "^\(5 accounts, [0-9]+ groups; snapshot .* of 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z, [0-9]+ s ago\)$" <<<"$OUT"
run_ksmctl users --json
expect_rc "users --json" 0
check "users --json: accounts with groups, keys, readable times; the refusals" jq_py '
import re
iso = re.compile(r"^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
a = {u["name"]: u for u in d["accounts"]}
assert sorted(a) == ["alice", "bob", "dave", "keys", "keys2"], sorted(a)
assert {g["name"] for g in a["alice"]["groups"]} == {"alice", "sudo", "devs"}, a["alice"]["groups"]
assert [g["local"] for g in a["alice"]["groups"] if g["name"] == "sudo"] == [True]
assert len(a["alice"]["keys"]) == 2 and all(k["fingerprint"].startswith("SHA256:") for k in a["alice"]["keys"])
assert a["alice"]["uid"] == 250001 and a["alice"]["password"] and a["alice"]["valid_until"] is None
assert a["dave"]["valid_until"] == "2001-01-01T00:00:00Z" and a["dave"]["expired"]
assert iso.match(d["snapshot"]["generated_at"]) and d["snapshot"]["accounts"] == 5
assert iso.match(d["last_sync"]["time"]) and d["last_sync"]["ok"]
assert any(r["record"] == "UidDup1Acct00000000000" and r["account"] for r in d["refused"])
g = {x["name"]: x for x in d["groups"]}
assert set(g["devs"]["members"]) == {"alice", "bob"} and not g["devs"]["local"], g["devs"]
'

# explain without root's namespace (tests/integration/test_explain.sh has
# the real consumers beside it): nss_ksm's snapshot is this one
# (KSM_NSS_SNAPSHOT), which this host's nsswitch.conf does not ask.
KSM_NSS_SNAPSHOT=$T/lib/snapshot run_ksmctl explain alice --json
expect_rc "explain alice: served (exit 0)" 0
echo "# ksmctl explain alice --json took ${MS} ms (ksmd asked, no vault request)"
check "explain alice: the vault user, her verifier (offline_verifiers = all), NSS not asking ksm" jq_py '
assert d["kind"] == "vault" and d["account"]["uid"] == 250001 and d["offline"]["answer"] == "usable", d
assert d["getpwnam"] is None and "does not ask ksm" in d["nss"]["why"], d["nss"]'
run_ksmctl explain dup1
expect_rc "explain dup1: refused at the last sync (exit 1)" 1
check "explain dup1 (text): the refusal named" grep -q "refused record UidDup1Acct00000000000: .*uid is also claimed" <<<"$OUT"

# The snapshot is read back by an independent check of the format,
# checksums included (CRC-32C from tests/nss/mksnap.py, the other writer).
check "snapshot content (independent reader)" /usr/bin/python3 - "$T/lib/snapshot" "$TOP_SRC/tests/nss" <<'PY'
import struct, sys, hashlib, base64
sys.path.insert(0, sys.argv[2])
from mksnap import crc32c
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"KSMSNAP\x01" and struct.unpack_from("<I", data, 8)[0] == 2
hl, flen = struct.unpack_from("<I", data, 12)[0], struct.unpack_from("<Q", data, 16)[0]
assert flen == len(data) and hl == 360
hcrc = struct.unpack_from("<I", data, 32)[0]
assert crc32c(data[:32] + b"\0\0\0\0" + data[36:hl]) == hcrc, "header CRC"
nu, ng, nk = struct.unpack_from("<III", data, 36)
secs = [struct.unpack_from("<QQII", data, 48 + 24 * i) for i in range(13)]
for i, (o, l, c, _) in enumerate(secs):
    assert crc32c(data[o:o + l]) == c, "section %d CRC" % i
so, sl = secs[8][:2]
strings = data[so:so + sl]
s = lambda off: strings[off:strings.index(b"\0", off)].decode()
z = lambda off: strings[off:strings.index(b"\0", off) + 1]
users = {}
uo, ko, io = secs[0][0], secs[7][0], secs[6][0]
for i in range(nu):
    raw = data[uo + 64 * i:uo + 64 * (i + 1)]
    f = struct.unpack("<12IqII", raw)
    users[s(f[0])] = dict(uid=f[5], gid=f[6], home=s(f[2]), shell=s(f[3]), gecos=s(f[1]), keys=(f[9], f[10]))
    # The entry's CRC: record (crc 0), strings, gids, key strings.
    body = raw[:56] + b"\0\0\0\0" + raw[60:] + b"".join(z(f[k]) for k in range(5))
    body += data[io + 4 * f[7]:io + 4 * (f[7] + f[8])]
    for k in range(f[9], f[9] + f[10]):
        line, fp = struct.unpack_from("<II", data, ko + 8 * k)
        body += z(line) + z(fp)
    assert crc32c(body) == f[13], "user %s CRC" % s(f[0])
assert users["bob"]["gecos"] == "Bob B,room 1" and users["bob"]["shell"] == "/bin/sh", users["bob"]
assert users["alice"]["home"] == "/home/alice" and users["alice"]["gecos"] == "Alice A"
ko = secs[7][0]
first, n = users["alice"]["keys"]
fps = set()
for k in range(first, first + n):
    line, fp = struct.unpack_from("<II", data, ko + 8 * k)
    blob = base64.b64decode(s(line).split()[1])
    want = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert s(fp) == want, (s(fp), want)
    fps.add(s(line).split()[2])
assert fps == {"alice@test", "carol@test"}, fps
groups = {}
go = secs[1][0]
for i in range(ng):
    raw = data[go + 24 * i:go + 24 * (i + 1)]
    name, gid, mem, nm, local, crc = struct.unpack("<6I", raw)
    groups[s(name)] = (gid, local)
    idx = struct.unpack_from("<%dI" % nm, data, io + 4 * mem)
    body = raw[:20] + b"\0\0\0\0" + z(name) + data[io + 4 * mem:io + 4 * (mem + nm)]
    body += b"".join(z(struct.unpack_from("<I", data, uo + 64 * u)[0]) for u in idx)
    assert crc32c(body) == crc, "group %s CRC" % s(name)
assert groups["sudo"][1] == 1 and groups["devs"][1] == 0 and groups["alice"][0] == 250001, groups
PY

# A failed sync keeps the old snapshot and says so.
cp "$T/lib/snapshot" "$T/snapshot.before"
fault http500
run_ksmctl sync
expect_rc "a failed sync exits non-zero" 4 "sync failed, the old snapshot is kept"
check "the old snapshot is intact" cmp -s "$T/lib/snapshot" "$T/snapshot.before"
check "no temporary files left" bash -c "[ \$(ls '$T/lib' | wc -l) = 2 ]"
check "the status file records the failure" grep -qE '"ok": ?false' "$T/lib/snapshot.status"
run_ksmctl status --json
expect_rc "status with the server failing: network class" 4
check "status --json names the failing server and the failed sync" jq_py \
	'assert not d["reachable"] and "HTTP 500" in d["error"] and d["snapshot"]["state"] == "ok" and not d["last_sync"]["ok"] and "last sync failed" in d["problem"], d'
fault none
run_ksmctl status --local
expect_rc "status --local: the failed last sync is a problem (exit 1)" 1
check "status names the failed sync and the served snapshot" grep -q "the last sync failed.*still served" <<<"$OUT"

# Removing a key from the vault and syncing removes it from the snapshot.
admin set-field --record AliceAcct0000000000000 --field ssh_public_key --value "$(cat "$T/carol.pub")" >/dev/null
run_ksmctl sync
expect_rc "sync after a key change" 0
check "only the changed record is hashed again" grep -q ", 1 offline verifiers made" <<<"$OUT"
run_ksmctl users
check "alice now has one key" bash -c "[[ '$(line alice)' =~ alice\ +250001\ +250001\ +1 ]]"
check "ksmd kept its offline store in step at every sync" bash -c "! grep -q 'offline verifiers not updated' '$T/ksmd.log'"

# ksm.conf edited after ksmd started: ksmd builds the sync's accounts for
# its store with the settings it read, ksmctl with the file's: the sync is
# refused until ksmd is restarted, with nothing changed.
cp "$T/lib/snapshot" "$T/snapshot.before"
touch "$T/ksm.conf"
reset_stats
run_ksmctl sync
expect_rc "ksm.conf changed after ksmd started: the sync is refused (config error, 3)" 3 \
	"ksm.conf changed after ksmd started.*restart ksmd"
check "... before any request, and the snapshot is left as it was ($(req_total) requests)" \
	bash -c "[ $(req_total) = 0 ] && cmp -s '$T/lib/snapshot' '$T/snapshot.before'"
ksmd_stop
ksmd_start "$T/ksm.conf"
run_ksmctl sync
expect_rc "... and syncs again once ksmd is restarted" 0

# Without ksmd (direct mode) ksmctl syncs the snapshot and leaves the
# offline store alone: the verifiers are ksmd's.
ksmd_stop
cp "$T/private/store" "$T/store.before"
admin set-field --record AliceAcct0000000000000 --field password --value 'pw-alice-2' >/dev/null
run_ksmctl sync
expect_rc "sync without ksmd (direct mode)" 0
check "direct mode: no verifier made" grep -q ", 0 offline verifiers made" <<<"$OUT"
check "direct mode: the offline store is left as it was" cmp -s "$T/private/store" "$T/store.before"
ksmd_start "$T/ksm.conf"

# A snapshot older than keys_max_stale is a problem for monitoring.
write_conf "${CONF_SYNC[@]}" "keys_max_stale = 1"
sleep 2
run_ksmctl status --local --json
expect_rc "status: a stale snapshot exits 1" 1
check "status --json names the stale snapshot and the timer" jq_py \
	'assert "keys_max_stale" in d["problem"] and "ksm-sync.timer" in d["problem"], d'
mv "$T/lib/snapshot" "$T/lib/snapshot.moved"
run_ksmctl status --local --json
expect_rc "status: a missing snapshot exits 1" 1
check "status --json: snapshot missing, told to sync" jq_py \
	'assert d["snapshot"]["state"].startswith("missing") and "ksmctl sync" in d["problem"], d'
mv "$T/lib/snapshot.moved" "$T/lib/snapshot"

finish
