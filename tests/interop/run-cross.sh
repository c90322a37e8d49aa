#!/bin/bash
# SPDX-License-Identifier: MIT
# run-cross.sh - cross-client interop: Keeper's official JS SDK (pinned in
# package-lock.json) and ksmctl against one local KSM server and vault (vault-cross.json).
#
#   a. the JS SDK binds with its own token; ksmctl reads every record with that
#      JS-written config, unchanged, and gets the values the SDK got;
#   b. ksmctl init binds with another token; the JS SDK loads ksmctl's client.json and
#      gets the same values;
#   c. a JS rotation transaction (updateSecret 'rotation' + completeTransaction): ksmctl
#      sees the old value while it is staged, the new one at once after commit, and the old
#      one after a rollback;
#   d. a change made with ksm-server-admin set-field is seen by both;
#   e. a record the JS SDK creates and a file it uploads (encrypted by the SDK) are read by
#      ksmctl;
#   f. ksmd on the JS-written config: ksmctl reads every record through it (as root:
#      ksmd answers ksmctl's reads to root only).
# a. to e. run ksmctl in direct mode (its ksm.conf names a ksmd_socket where nothing
# listens, so a ksmd of the host is never asked).
#
# Usage: tests/interop/run-cross.sh        (from any directory; build ksmctl first)
# Env:   KSMCTL=path   the ksmctl to test (default: <top>/ksmctl, else <top>/build/normal/ksmctl)
#        KSMD=path     the ksmd for f (default: ksmd/ksmd next to KSMCTL; f is skipped without it
#                      or when not root)
#        KEEP_TMP=1    keep the temporary directory
# Prints one line per check, then "N passed, N failed"; exits non-zero if any failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
KSMCTL=${KSMCTL:-$top/ksmctl}
[ -x "$KSMCTL" ] || [ ! -x "$top/build/normal/ksmctl" ] || KSMCTL="$top/build/normal/ksmctl"
KSMD=${KSMD:-$(dirname "$KSMCTL")/ksmd/ksmd}
# server_start, server_field, server_stop; $ADMIN. server.sh also sources
# tests/lib/ksmd.sh, which reads these two when sourced (its helpers are
# not used here: section f starts its ksmd itself).
: "${builddir:=$(dirname "$KSMCTL")}"
KSM_TESTS_LIB=$top/tests/lib
. "$top/tests/lib/server.sh"
VAULT="$here/vault-cross.json"
CROSS="$here/cross.js"

[ -x "$KSMCTL" ] || { echo "no ksmctl at $KSMCTL (run make first)" >&2; exit 2; }
if [ ! -d "$here/node_modules/@keeper-security/secrets-manager-core" ]; then
	(cd "$here" && npm ci --no-audit --no-fund >/dev/null) || exit 2
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-cross.XXXXXX")
PASSED=0
FAILED=0
KSMD_PID=
cleanup() {
	server_stop
	if [ -n "$KSMD_PID" ]; then kill "$KSMD_PID" 2>/dev/null && wait "$KSMD_PID" 2>/dev/null; fi
	# The record dumps are secrets printed on request (secret get
	# --unmask, the SDK's getSecrets): kept only to debug a failure.
	[ "$FAILED" -ne 0 ] || rm -f "$W"/dump-*.json "$W/get.json"
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check DESCRIPTION CMD...: passes when CMD exits 0; its stderr goes into the message.
check() {
	local what=$1
	shift
	if "$@" 2>"$W/check.err"; then ok "$what"; else fail "$what: $(head -c 600 "$W/check.err" | tr '\n' ' ')"; fi
}
# want DESCRIPTION GOT WANTED
want() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', wanted '$3'"; fi
}
finish() {
	if [ "$FAILED" -ne 0 ] && [ -s "$W/server.log" ]; then
		echo "--- server log (last 40 lines) ---" >&2
		tail -40 "$W/server.log" >&2
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}

# --- the server
if ! server_start "$W/srv" "$VAULT" "$W/server.log"; then
	fail "ksm-server starts"
	finish
fi
srv() { server_field "$W/srv" "$1"; }
HOST=$(srv hostname)
CA=$(srv ca_file)
SKEY="$(srv server_public_key_id):$(srv server_public_key)"
export SERVER_JSON="$W/srv/server.json" NODE_EXTRA_CA_CERTS="$CA"
admin() { "$ADMIN" --state "$W/srv" "$@"; }
admin_q() { admin "$@" >/dev/null; }
js() { node "$CROSS" "$@"; }
NREC=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$VAULT")

# ksm.conf for each client config: js.conf -> the JS-written config, c.conf -> ksmctl's own.
for n in js c; do
	printf 'client_config = %s\nca_file = %s\ntimeout_sync = 10\nksmd_socket = %s\n' \
		"$W/$n-client.json" "$CA" "$W/no-ksmd.sock" >"$W/$n.conf"
done
k() { local conf=$1; shift; "$KSMCTL" --conf "$W/$conf.conf" "$@"; }
uids() { /usr/bin/python3 -c 'import json,sys; print("\n".join(r["uid"] for r in json.load(open(sys.argv[1]))["records"]))' "$1"; }
ndump() { /usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$1" 2>/dev/null; }

# compare_all CONF DUMP LABEL: ksmctl (CONF) list and get of every record vs the JS DUMP.
# UIDs are B64U and can start with '-' (vault-cross.json has one), hence "--" before them.
compare_all() {
	local conf=$1 dump=$2 label=$3 uid title
	if k "$conf" secret list --json >"$W/list.json" 2>"$W/check.err"; then
		check "$label: ksmctl secret list --json matches JS getSecrets (uid, title, type, revision, folder)" \
			js compare-list "$dump" "$W/list.json"
	else
		fail "$label: ksmctl secret list: $(cat "$W/check.err")"
	fi
	for uid in $(uids "$dump"); do
		title=$(/usr/bin/python3 -c 'import json,sys; print([r["title"] for r in json.load(open(sys.argv[1]))["records"] if r["uid"]==sys.argv[2]][0])' "$dump" "$uid")
		if k "$conf" secret get --json --unmask -- "$uid" >"$W/get.json" 2>"$W/check.err"; then
			check "$label: record \"$title\" ($uid): every field, custom field, notes and file identical" \
				js compare "$dump" "$uid" "$W/get.json"
		else
			fail "$label: ksmctl secret get $uid: $(cat "$W/check.err")"
		fi
	done
}

# ============ a. JS binds; ksmctl reads with the JS-written config
echo "# a. JS SDK binds, ksmctl uses its config"
if js bind "$W/js-written.json" "$(admin token --app cross-app)" >"$W/dump-a.json" 2>"$W/check.err"; then
	want "a: JS SDK binds with its own token and reads every record" "$(ndump "$W/dump-a.json")" "$NREC"
else
	fail "a: JS SDK binds: $(cat "$W/check.err")"
	finish
fi
cp "$W/js-written.json" "$W/js-client.json"
chmod 600 "$W/js-client.json"
compare_all js "$W/dump-a.json" "a (JS-written config)"
check "a: ksmctl leaves the JS-written config as it was" cmp "$W/js-written.json" "$W/js-client.json"
want "a: ksmctl notation downloads a file the JS SDK listed (by name, unpadded base64url)" \
	"$(k js notation 'keeper://svc-backup/file/notes ünï.txt' 2>&1)" "aGVsbG8gd29ybGQK"
want "a: ksmctl notation of a record whose UID starts with '-'" \
	"$(k js notation 'keeper://-DashLeadingUid000000A/field/password' 2>&1)" uid-starts-with-a-dash
want "a: ksmctl notation by an escaped title with the JS-written config" \
	"$(k js notation 'keeper://db\/primary \[prod\]/field/url[1]' 2>&1)" "postgres://db2.example.com:5432/app"

# ============ b. ksmctl binds; JS reads with ksmctl's client.json
echo "# b. ksmctl binds, JS SDK uses its client.json"
if KSM_TOKEN=$(admin token --app cross-app) k c init --host "$HOST" --server-key "$SKEY" >/dev/null 2>"$W/check.err"; then
	ok "b: ksmctl init binds with another token (KSM_TOKEN)"
else
	fail "b: ksmctl init: $(cat "$W/check.err")"
	finish
fi
want "b: ksmctl's client.json is mode 600" "$(stat -c %a "$W/c-client.json")" 600
cp "$W/c-client.json" "$W/c-client.orig"
if js dump "$W/c-client.json" >"$W/dump-b.json" 2>"$W/check.err"; then
	want "b: JS SDK loads ksmctl's client.json (localConfigStorage) and reads every record" \
		"$(ndump "$W/dump-b.json")" "$NREC"
else
	fail "b: JS SDK with ksmctl's client.json: $(cat "$W/check.err")"
fi
compare_all c "$W/dump-b.json" "b (ksmctl's config)"
check "b: JS via ksmctl's config gets exactly what JS via its own config got" /usr/bin/python3 -c '
import json, sys
a, b = (sorted(json.load(open(p))["records"], key=lambda r: r["uid"]) for p in sys.argv[1:3])
assert a == b, "dumps differ"' "$W/dump-a.json" "$W/dump-b.json"
check "b: the JS SDK left ksmctl's client.json with the same keys and values" /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a == b, sorted(set(a.items()) ^ set(b.items()))' "$W/c-client.orig" "$W/c-client.json"
want "b: ksmctl still reads with its client.json after the JS SDK used it" \
	"$(k c notation keeper://CrossAlicePamUser0000A/field/login 2>&1)" alice

# ============ c. JS rotation transaction, ksmctl reads
echo "# c. JS rotation transaction (updateSecret rotation + completeTransaction)"
ALICE=CrossAlicePamUser0000A
PWN="keeper://$ALICE/field/password"
rev() { k c secret get --json -- "$1" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["revision"])' 2>/dev/null; }
old=$(k c notation "$PWN" 2>&1)
want "c: ksmctl reads the starting password" "$old" 'Al1ce-Start!pw'
rev0=$(rev $ALICE)
new="R0tated/by-JS-$(date +%s%N)"
check "c: JS updateSecret(record, 'rotation') stages the change" js stage "$W/js-written.json" $ALICE password "$new"
want "c: while staged, ksmctl still reads the old password" "$(k c notation "$PWN" 2>&1)" "$old"
check "c: JS completeTransaction commits" js complete "$W/js-written.json" $ALICE commit
want "c: ksmctl (own config) reads the committed password at once" "$(k c notation "$PWN" 2>&1)" "$new"
want "c: ksmctl (JS-written config) reads it too" "$(k js notation "$PWN" 2>&1)" "$new"
rev1=$(rev $ALICE)
check "c: ksmctl sees a new revision after the commit ($rev0 -> $rev1)" test "${rev1:-0}" -gt "${rev0:-0}"
check "c: JS stages another rotation" js stage "$W/js-written.json" $ALICE password never-committed
want "c: while staged, ksmctl reads the committed password" "$(k c notation "$PWN" 2>&1)" "$new"
check "c: JS completeTransaction(rollback)" js complete "$W/js-written.json" $ALICE rollback
want "c: after the rollback, ksmctl reads the committed password (not the rolled-back one)" \
	"$(k c notation "$PWN" 2>&1)" "$new"
want "c: the rollback leaves the revision unchanged for ksmctl" "$(rev $ALICE)" "$rev1"
BOB=CrossBobPamUser00000B0
uni='ünï/çødé "q" \b 🔑 $HOME `x`'
check "c: JS rotates bob (subfolder) to a non-ASCII password and commits" \
	bash -c 'node "$1" stage "$2" "$3" password "$4" && node "$1" complete "$2" "$3" commit' _ "$CROSS" "$W/js-written.json" $BOB "$uni"
want "c: ksmctl reads the non-ASCII password byte for byte" "$(k c notation "keeper://$BOB/field/password" 2>&1)" "$uni"
check "c: JS rotates a custom field (by label) and commits" \
	bash -c 'node "$1" stage "$2" "$3" shell /bin/zsh && node "$1" complete "$2" "$3" commit' _ "$CROSS" "$W/js-written.json" $ALICE
want "c: ksmctl reads the rotated custom field" "$(k c notation "keeper://$ALICE/custom_field/shell" 2>&1)" /bin/zsh

# ============ d. ksm-server-admin set-field (a KeeperPAM rotation), both read
echo "# d. ksm-server-admin set-field, both clients read"
pw="Adm1n-set/$(date +%s%N)"
check "d: ksm-server-admin set-field password" admin_q set-field --record $ALICE --field password --value "$pw"
want "d: ksmctl reads the admin-set password at once" "$(k c notation "$PWN" 2>&1)" "$pw"
want "d: the JS SDK reads it too (getNotationResults)" "$(js notation "$W/js-written.json" "$PWN" 2>&1)" "$pw"
want "d: the JS SDK via ksmctl's config reads it" "$(js notation "$W/c-client.json" "$PWN" 2>&1)" "$pw"
check "d: set-field of an object value (--json) by field label on a record given by title" \
	admin_q set-field --record 'db/primary [prod]' --field On-call --json \
	--value '{"region":"US","number":"555-0199","ext":"","type":"Mobile"}'
want "d: ksmctl reads the new object property" \
	"$(k c notation 'keeper://CrossContact000000000E/custom_field/On-call[0][number]' 2>&1)" 555-0199
want "d: the JS SDK reads the same property" \
	"$(js notation "$W/js-written.json" 'keeper://CrossContact000000000E/custom_field/On-call[0][number]' 2>&1)" 555-0199
if js dump "$W/js-written.json" >"$W/dump-d.json" 2>"$W/check.err"; then
	compare_all c "$W/dump-d.json" "d (after all changes)"
else
	fail "d: JS dump after the changes: $(cat "$W/check.err")"
fi

# ============ e. objects the JS SDK writes, ksmctl reads
echo "# e. JS createSecret and uploadFile, ksmctl reads"
newrec='{"type":"pamUser","title":"carol (created by JS)","notes":"from createSecret",
 "fields":[{"type":"login","value":["carol"]},{"type":"password","value":["C4rol/ünï"]},
           {"type":"checkbox","label":"Managed","value":[true]},{"type":"fileRef","value":[]}],
 "custom":[{"type":"text","label":"uid","value":["20009"]},
           {"type":"host","label":"jump","value":[{"hostName":"jump/1","port":"2222"}]}]}'
if CAROL=$(js create "$W/js-written.json" CrossLinuxUsersF0ldr0A "$newrec" 2>"$W/check.err"); then
	ok "e: JS createSecret in the shared folder ($CAROL)"
	want "e: ksmctl reads the JS-created record's password" \
		"$(k c notation "keeper://$CAROL/field/password" 2>&1)" 'C4rol/ünï'
	want "e: ksmctl finds it by title" "$(k c notation 'keeper://carol (created by JS)/custom_field/uid' 2>&1)" 20009
else
	fail "e: JS createSecret: $(cat "$W/check.err")"
fi
content=$'uploaded by the JS SDK\nsecond line ünï\n'
if FUID=$(js upload "$W/js-written.json" $ALICE "upload.txt" "$content" 2>"$W/check.err"); then
	ok "e: JS uploadFile to alice ($FUID)"
	got=$(k c notation "keeper://$ALICE/file/upload.txt" 2>&1)
	want "e: ksmctl downloads and decrypts the JS-uploaded file" \
		"$(/usr/bin/python3 -c 'import base64,sys; s=sys.argv[1]; print(base64.urlsafe_b64decode(s+"="*(-len(s)%4)).hex())' "$got" 2>&1)" \
		"$(printf '%s' "$content" | od -An -tx1 | tr -d ' \n')"
	want "e: ksmctl finds the uploaded file by its UID too" \
		"$(k c notation "keeper://$ALICE/file/$FUID" 2>&1)" "$got"
else
	fail "e: JS uploadFile: $(cat "$W/check.err")"
fi
if js dump "$W/js-written.json" >"$W/dump-e.json" 2>"$W/check.err"; then
	compare_all c "$W/dump-e.json" "e (after JS writes)"
else
	fail "e: JS dump after its writes: $(cat "$W/check.err")"
fi

# ============ f. ksmd on the JS-written config, ksmctl through it
echo "# f. ksmd with the JS-written config, ksmctl reads through it"
if [ ! -x "$KSMD" ]; then
	echo "# f skipped: no ksmd at $KSMD"
	finish
fi
# ksmd answers records (ksmctl's reads) to root only.
if [ "$(id -u)" != 0 ]; then
	echo "# f skipped: not root (ksmd answers ksmctl's reads to root only)"
	finish
fi
{
	cat "$W/js.conf"
	printf 'ksmd_socket = %s\nksmd_user = %s\nprivate_store = %s\n' "$W/ksmd.sock" "$(id -un)" "$W/private"
} >"$W/kd.conf"
cp "$W/js-client.json" "$W/js-client.before-f"
"$KSMD" --conf "$W/kd.conf" --foreground 2>"$W/ksmd.log" &
KSMD_PID=$!
for _ in $(seq 1 100); do
	[ -S "$W/ksmd.sock" ] && break
	kill -0 "$KSMD_PID" 2>/dev/null || break
	sleep 0.05
done
if [ ! -S "$W/ksmd.sock" ]; then
	fail "f: ksmd starts on the JS-written config: $(head -c 600 "$W/ksmd.log")"
	finish
fi
ok "f: ksmd starts on the JS-written config"
reqs() { /usr/bin/python3 "$top/tests/lib/ksmd_client.py" "$W/ksmd.sock" op=ping | sed -n 's/^requests=//p'; }
r0=$(reqs)
if js dump "$W/js-written.json" >"$W/dump-f.json" 2>"$W/check.err"; then
	compare_all kd "$W/dump-f.json" "f (through ksmd)"
else
	fail "f: JS dump: $(cat "$W/check.err")"
fi
want "f: ksmctl notation through ksmd" "$(k kd notation "$PWN" 2>&1)" "$pw"
r1=$(reqs)
check "f: the reads were ksmd's vault requests ($r0 -> $r1)" test "${r1:-0}" -gt "${r0:-0}"
check "f: ksmd left the JS-written config as it was" cmp "$W/js-client.before-f" "$W/js-client.json"

finish
