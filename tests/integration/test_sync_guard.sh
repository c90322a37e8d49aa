#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sync_guard.sh - what protects the snapshot from a bad sync:
# "ksmctl sync --dry-run" (the changes, and nothing written: snapshot,
# SNAPSHOT.status, offline store and client config keep their bytes and
# mtimes), the drop guard (max_account_drop: refused with the old snapshot
# and verifiers kept, the reason in SNAPSHOT.status and ksmctl status, until
# --force), through ksmd and in direct mode; account_folders entries that
# name no folder, or carry a trailing comment; and a record added with a
# colliding derived uid, refused while the account that had it stays.
. "$(dirname "$0")/lib.sh"

for n in k1 k2; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
/usr/bin/python3 - "$T" <<'PY' || exit 99
import json, sys
t = sys.argv[1]
key = {n: open(f"{t}/{n}.pub").read().strip() for n in ("k1", "k2")}
F = "GuardFolder00000000000"
def rec(i, custom=()):
    return {"uid": "GuardRec%014d" % i, "folder": F,
            "data": {"type": "pamUser", "title": "g%02d" % i,
                     "fields": [{"type": "login", "value": ["g%02d" % i]},
                                {"type": "password", "value": ["pw-guard-%02d" % i]}],
                     "custom": [{"type": "text", "label": k, "value": [v]} for k, v in custom]}}
recs = [rec(i, [("shell", "/bin/bash"), ("ssh_public_key", key["k1"]), ("groups", "ops")])
        for i in range(20)]
json.dump({"applications": [{"name": "app", "shares": [{"folder": F, "editable": True}]}],
           "folders": [{"uid": F, "name": "Guarded"}], "records": recs},
          open(f"{t}/vault.json", "w"), indent=1)
json.dump({"records": [rec(20)]}, open(f"{t}/new.vault.json", "w"))
PY
ksm_start_server "$T/vault.json"
mkdir -m 0700 "$T/private"
CONF=("snapshot = $T/lib/snapshot" "private_store = $T/private/store" "offline_verifiers = all")
write_conf "${CONF[@]}"
bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "first sync" 0
check "20 accounts" grep -q "sync: 20 accounts" <<<"$OUT"

# The bytes, mtime and inode of each file a sync may write, and the
# directories they are in (no temporary file left either).
fstate() {
	local f
	for f in "$@"; do
		[ -e "$f" ] && echo "$(sha256sum <"$f") $(stat -c '%y %i' "$f") $f" || echo "missing $f"
	done
}
state() {
	fstate "$T/lib/snapshot" "$T/lib/snapshot.status" "$T/private/store" "$T/client.json"
	ls -la "$T/lib" "$T/private" | grep -v ' \.\.\?$'
}
unchanged() { diff <(state) "$T/state.before" >/dev/null || { diff <(state) "$T/state.before"; return 1; }; }

state >"$T/state.before"
LOG_LINES=$(wc -l <"$T/ksmd.log")
run_ksmctl sync --dry-run
expect_rc "dry run with nothing changed" 0
check "dry run: no change, and says nothing is written" grep -q \
	"^sync --dry-run: 20 accounts (0 added, 0 removed, 0 changed), 21 groups (0 added, 0 removed, 0 changed), 0 refused" <<<"$OUT"
check "dry run wrote nothing" unchanged

# Change the vault: a shell, a key, a group, a deletion, a new record.
admin set-field --record GuardRec00000000000001 --field shell --value /bin/sh >/dev/null
admin set-field --record GuardRec00000000000002 --field ssh_public_key --value "$(cat "$T/k2.pub")" >/dev/null
admin set-field --record GuardRec00000000000003 --field groups --value "ops, devs" >/dev/null
admin delete-records GuardRec00000000000005 >/dev/null
admin add-records "$T/new.vault.json" >/dev/null
fp() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }
run_ksmctl sync --dry-run
expect_rc "dry run with changes" 0
has() { grep -qxF -- "$1" <<<"$OUT" || { echo "  missing line: $1"; return 1; }; }
check "dry run: the new account" grep -qE "^\+ user g20 uid [0-9]+ gid [0-9]+ \(record GuardRec00000000000020\)$" <<<"$OUT"
check "dry run: the removed account" grep -qE "^- user g05 uid [0-9]+ gid [0-9]+ \(record GuardRec00000000000005\)$" <<<"$OUT"
check "dry run: the changed shell" has "~ user g01: shell '/bin/bash' -> '/bin/sh'"
check "dry run: the changed key" has "~ user g02: key removed $(fp k1)" && has "~ user g02: key added $(fp k2)"
check "dry run: the new group membership" has "~ user g03: group added devs"
check "dry run: the new vault group" grep -qE "^\+ group devs gid [0-9]+$" <<<"$OUT"
check "dry run: the counts" grep -q \
	"^sync --dry-run: 20 accounts (1 added, 1 removed, 3 changed), 22 groups (2 added, 1 removed, 0 changed)" <<<"$OUT"
check "dry run with changes wrote nothing" unchanged
check "dry runs made ksmd touch no verifier" bash -c "! tail -n +$((LOG_LINES + 1)) '$T/ksmd.log' | grep -q 'verifier'"
run_ksmctl sync
expect_rc "the sync applies them" 0
run_ksmctl sync --dry-run
check "then a dry run sees nothing to change" grep -q "(0 added, 0 removed, 0 changed), 22 groups (0 added" <<<"$OUT"

# The drop guard: 6 of 20 removed is more than max(5, 10 % of 20).
admin delete-records GuardRec000000000000{06,07,08,09,10,11} >/dev/null
fstate "$T/lib/snapshot" "$T/private/store" >"$T/kept.before"
run_ksmctl sync --dry-run
expect_rc "dry run: the guard would refuse (exit 1)" 1
check "dry run names the guard's verdict" grep -q \
	"the sync would be refused by the drop guard: 6 of the 20 accounts of the snapshot would be removed, max_account_drop (10%, 5) allows 5 ('ksmctl sync --force' accepts it)" <<<"$OUT"
run_ksmctl sync
expect_rc "the guard refuses the sync (exit 1)" 1 "refused by the drop guard: 6 of the 20 accounts .*; the old snapshot is kept"
check "the snapshot and the offline store are kept" \
	bash -c "$(declare -f fstate); diff <(fstate '$T/lib/snapshot' '$T/private/store') '$T/kept.before'"
check "the removed accounts' verifiers are still there" grep -q GuardRec00000000000006 "$T/private/store"
check "ksmd left its verifiers as they are" grep -q "offline verifiers left as they are: the drop guard refuses the sync (6 of 20 accounts removed)" "$T/ksmd.log"
check "SNAPSHOT.status records the refusal" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is False and "drop guard" in d["message"] and "--force" in d["message"], d' "$T/lib/snapshot.status"
run_ksmctl status --local
expect_rc "ksmctl status: a problem (exit 1)" 1
check "ksmctl status shows the guard's reason" grep -q "the last sync failed (refused by the drop guard: 6 of the 20 accounts" <<<"$OUT"
run_ksmctl sync --dry-run --force
expect_rc "dry run --force: would go through" 0
check "dry run --force says so" grep -q "the sync would be forced past the drop guard: 6 of the 20" <<<"$OUT"
run_ksmctl sync --force
expect_rc "sync --force" 0
check "14 accounts after --force" grep -q "sync: 14 accounts" <<<"$OUT"
check "--force: ksmd dropped the removed accounts' verifiers" bash -c "! grep -q GuardRec00000000000006 '$T/private/store'"

# Direct mode (no ksmd) has the same guard.
ksmd_stop
admin delete-records GuardRec000000000000{12,13,14,15,16,17} >/dev/null
run_ksmctl sync
expect_rc "direct mode: the guard refuses too" 1 "refused by the drop guard: 6 of the 14 accounts"
run_ksmctl sync --force
expect_rc "direct mode: sync --force" 0
check "8 accounts" grep -q "sync: 8 accounts" <<<"$OUT"
ksmd_start "$T/ksm.conf"

# max_account_drop = 100% turns the guard off.
write_conf "${CONF[@]}" "max_account_drop = 100%"
admin delete-records GuardRec000000000000{00,01,02,03,04,18,19} >/dev/null
run_ksmctl sync
expect_rc "max_account_drop = 100%: 7 of 8 removed" 0

# account_folders: an entry no folder has, a trailing comment.
cp "$T/lib/snapshot" "$T/snapshot.before"
write_conf "${CONF[@]}" "account_folders = GuardFolder00000000000, NoSuchFolder0000000000"
run_ksmctl sync
expect_rc "account_folders naming no folder: refused (exit 3)" 3 \
	"sync failed, the old snapshot is kept: account_folders names NoSuchFolder0000000000, but no folder the application sees has that UID"
check "the old snapshot is kept" cmp -s "$T/lib/snapshot" "$T/snapshot.before"
check "SNAPSHOT.status names the entry" grep -q "NoSuchFolder0000000000" "$T/lib/snapshot.status"
run_ksmctl sync --dry-run
expect_rc "dry run: the same error" 3 "account_folders names NoSuchFolder0000000000"
printf '%s\n' "client_config = $T/client.json" "ca_file = $SRV_CA" "ksmd_socket = $T/ksmd.sock" \
	"snapshot = $T/lib/snapshot" "account_folders = GuardFolder00000000000 # the guarded users" >"$T/comment.conf"
run "$KSMCTL" --conf "$T/comment.conf" sync
expect_rc "a trailing comment: refused (exit 3)" 3 \
	"comment.conf:5: account_folders: 'GuardFolder00000000000 # the guarded users' is not a folder UID .*a comment must be on a line of its own"
write_conf "${CONF[@]}" "account_folders = GuardFolder00000000000"
run_ksmctl sync
expect_rc "the right folder UID" 0
check "1 account" grep -q "sync: 1 accounts" <<<"$OUT"

# A new record whose derived uid is an existing account's: in a range of 4
# ids, the newcomer is refused and the account that had the uid stays.
NARROW=("derived_uid_range = 1879048192-1879048195" "derived_gid_range = 1879048192-1879048195")
write_conf "${CONF[@]}" "${NARROW[@]}"
run_ksmctl sync
expect_rc "sync in a narrow derived range" 0
/usr/bin/python3 - "$T" <<'PY' || exit 99
import hashlib, json, sys
t = sys.argv[1]
derive = lambda u: 1879048192 + int.from_bytes(hashlib.sha256(u.encode()).digest()[:8], "big") % 4
held = derive("GuardRec00000000000020")
i = next(i for i in range(100, 200) if derive("GuardRec%014d" % i) == held)
json.dump({"records": [{"uid": "GuardRec%014d" % i, "folder": "GuardFolder00000000000",
                        "data": {"type": "pamUser", "title": "late",
                                 "fields": [{"type": "login", "value": ["late"]}]}}]},
          open(f"{t}/late.vault.json", "w"))
open(f"{t}/late.uid", "w").write("GuardRec%014d %d\n" % (i, held))
PY
read -r LATE HELD <"$T/late.uid"
admin add-records "$T/late.vault.json" >/dev/null
run_ksmctl sync
expect_rc "a colliding newcomer does not fail the sync" 0
check "the newcomer is refused, naming the account that had the uid" grep -q \
	"refused record $LATE late: the uid is also claimed by record GuardRec00000000000020, which held it at the last sync (set the uid custom field of this record to a free uid, e.g. " <<<"$ERR"
run_ksmctl users
check "the account that had the uid keeps it" grep -qE "^g20 +$HELD +$HELD " <<<"$OUT"

finish
