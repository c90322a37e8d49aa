#!/bin/bash
# SPDX-License-Identifier: MIT
# test_ksmctl_records.sh - the ksmctl commands an admin who knows Keeper's
# `ksm` reaches for, against the local KSM server, without ksmd and
# through it: records by title (and a title clash), several UIDs, --raw,
# secret list --folder/--title, folder list, totp by title and several,
# exec --inline with the _NAME copies, secret notation/totp.
. "$(dirname "$0")/lib.sh"

VAULT=$TOP_SRC/tests/integration/vault-cli.json
ksm_start_server "$VAULT"
KSM_TEST_NO_KSMD=1 bind
expect_rc "bound (ksmctl talks to the server itself at first)" 0

reqs() { admin stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"; }
# codes SEED: the RFC 6238 codes of now and of the step before (ksmctl ran
# a moment ago: it may have been then), computed here, one a line.
codes() {
	"$PY" - "$1" <<'PYEOF'
import base64, hmac, hashlib, struct, sys, time
k = base64.b32decode(sys.argv[1])
for step in (int(time.time()) // 30, int(time.time()) // 30 - 1):
    h = hmac.new(k, struct.pack(">Q", step), hashlib.sha1).digest()
    o = h[-1] & 15
    print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PYEOF
}
# code_is CODE SEED: CODE is the seed's code of now (or of a moment ago).
code_is() { [ -n "$1" ] && codes "$2" | grep -qx -- "$1"; }
# json_check DESCRIPTION PYTHON: the last output, as JSON in j, passes.
json_check() {
	check "$1" "$PY" -c "import json, sys; j = json.loads(sys.argv[1]); $2" "$OUT"
}

suite() {
	local m=$1 seed_otp=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ \
		seed_web=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP

	# --- records by title, several at once
	run_ksmctl secret get "Prod DB" --field password
	expect_out "$m: secret get by title" 'p@ss w0rd:&/?'
	run_ksmctl secret get "Prod DB"
	check "$m: by title, the password is masked" bash -c \
		"[ '$RC' = 0 ] && grep -q 'Prod DB' '$T/out' && grep -q '\*\*\*\*' '$T/out' && ! grep -q 'w0rd' '$T/out'"
	run_ksmctl secret get twin
	expect_rc "$m: a title of two records is an error (2) listing both" 2 \
		"2 records are titled \"twin\": Twin1Rec00000000000000 \(login\), Twin2Rec00000000000000 \(login\)"
	run_ksmctl secret get "no such title"
	expect_rc "$m: an unknown title: not found (6)" 6 "no record with UID or title"
	reset_stats
	run_ksmctl secret get DbRec00000000000000000 WebRec0000000000000000 --json --unmask
	json_check "$m: two UIDs --json: an array of both, in order" \
		'assert [r["uid"] for r in j] == ["DbRec00000000000000000", "WebRec0000000000000000"], j'
	check "$m: two UIDs: one get_secret" [ "$(reqs get_secret)" = 1 ]
	run_ksmctl secret get web -DashRec00000000000000 --field login
	expect_out "$m: a title and a UID starting with '-', --field" $'www\ndashing'
	run_ksmctl secret get DbRec00000000000000000 --field password --raw
	check "$m: --raw prints the first value exactly (no newline)" \
		bash -c "[ '$RC' = 0 ] && printf '%s' 'p@ss w0rd:&/?' | cmp -s - '$T/out'"
	run_ksmctl secret get web --field url --raw
	check "$m: --raw of a field with two values: the first" \
		bash -c "[ '$RC' = 0 ] && printf '%s' 'https://a.example' | cmp -s - '$T/out'"
	run_ksmctl secret get web --field url --json
	json_check "$m: --field --json: the values as a JSON array" \
		'assert j == ["https://a.example", "https://b.example"], j'
	run_ksmctl secret get web DbRec00000000000000000 --field login --raw
	expect_rc "$m: --raw with two records: usage (2)" 2 "raw"
	run_ksmctl secret get web --raw
	expect_rc "$m: --raw without --field: usage (2)" 2 "raw"

	# --- secret list filters and folder list
	run_ksmctl secret list --folder Web
	check "$m: list --folder NAME: the records directly in it" \
		bash -c "[ '$RC' = 0 ] && [ \"\$(awk '{print \$1}' '$T/out')\" = WebRec0000000000000000 ]"
	run_ksmctl secret list --folder FoLdEr0Apps00000000000 --json
	json_check "$m: list --folder UID: its own records, not its subfolders'" \
		'assert sorted(r["uid"] for r in j) == ["DbRec00000000000000000", "Twin2Rec00000000000000"], j'
	reset_stats
	run_ksmctl secret list --folder FoLdEr1Web000000000000
	check "$m: list --folder UID: one request (no folder lookup)" \
		bash -c "[ '$RC' = 0 ] && [ $(req_total) = 1 ]"
	run_ksmctl secret list --folder "Twin Folder"
	expect_rc "$m: two folders of that name: an error (2) listing both" 2 \
		"2 folders are named \"Twin Folder\": FoLdEr2Twin00000000000, FoLdEr3Twin00000000000"
	run_ksmctl secret list --folder "No Such Folder"
	expect_rc "$m: an unknown folder: not found (6)" 6 "no folder"
	run_ksmctl secret list --title '^PROD|^we' --json
	json_check "$m: list --title REGEX (extended, any case)" \
		'assert sorted(r["title"] for r in j) == ["Prod DB", "web"], j'
	run_ksmctl secret list --title twin --folder Apps
	check "$m: --title and --folder together" \
		bash -c "[ '$RC' = 0 ] && [ \"\$(awk '{print \$1}' '$T/out')\" = Twin2Rec00000000000000 ]"
	run_ksmctl secret list --title '('
	expect_rc "$m: a bad regex: usage (2)" 2 "title"
	reset_stats
	run_ksmctl folder list --json
	json_check "$m: folder list --json: UIDs, names, parents, record counts" '
want = {"FoLdEr0Apps00000000000": ("Apps", None, 2),
        "FoLdEr1Web000000000000": ("Web", "FoLdEr0Apps00000000000", 1),
        "FoLdEr2Twin00000000000": ("Twin Folder", "FoLdEr0Apps00000000000", 1),
        "FoLdEr3Twin00000000000": ("Twin Folder", "FoLdEr1Web000000000000", 1)}
got = {f["uid"]: (f["name"], f["parent"], f["records"]) for f in j}
assert got == want, got'
	check "$m: folder list: get_folders and get_secret, one each" \
		[ "$(reqs get_folders)/$(reqs get_secret)" = 1/1 ]
	run_ksmctl folder list
	check "$m: folder list: one line a folder (UID, parent, count, name)" bash -c \
		"[ '$RC' = 0 ] && [ \$(wc -l <'$T/out') = 4 ] && grep -qE '^FoLdEr1Web000000000000 +FoLdEr0Apps00000000000 +1 +Web\$' '$T/out' && grep -qE '^FoLdEr0Apps00000000000 +- +2 +Apps\$' '$T/out'"
	run_ksmctl folder
	expect_rc "$m: folder without list: usage (2)" 2

	# --- totp by title, several, and the secret aliases
	run_ksmctl totp "otp user"
	check "$m: totp by title prints the RFC 6238 code" code_is "${OUT%% *}" $seed_otp
	run_ksmctl secret totp OtpRec0000000000000000
	check "$m: secret totp = totp" code_is "${OUT%% *}" $seed_otp
	reset_stats
	run_ksmctl totp OtpRec0000000000000000 web --json
	json_check "$m: totp of two records --json: each code, uid and title" "
assert [(c['uid'], c['title']) for c in j] == [('OtpRec0000000000000000', 'otp user'), ('WebRec0000000000000000', 'web')], j
assert j[0]['code'] in '$(codes $seed_otp | tr '\n' ' ')'.split() and j[1]['code'] in '$(codes $seed_web | tr '\n' ' ')'.split(), j
assert all(0 < c['left'] <= 30 for c in j), j"
	check "$m: totp of two records: one get_secret" [ "$(reqs get_secret)" = 1 ]
	run_ksmctl totp twin
	expect_rc "$m: totp of a title clash: 2" 2 "titled \"twin\""
	run_ksmctl totp DbRec00000000000000000
	expect_rc "$m: totp of a record without a code: 6" 6 "oneTimeCode"
	run_ksmctl secret notation 'keeper://Prod DB/field/host[0][port]'
	expect_out "$m: secret notation = notation" '5432'

	# --- exec: _NAME copies, --inline
	export KSM_IT_PW='keeper://DbRec00000000000000000/field/password'
	run_ksmctl exec -- sh -c 'printf "%s|%s|%s" "$KSM_IT_PW" "$_KSM_IT_PW" "$1"' sh 'keeper://web/field/login'
	expect_out "$m: exec sets NAME and _NAME (as ksm exec); arguments untouched" \
		'p@ss w0rd:&/?|_keeper://DbRec00000000000000000/field/password|keeper://web/field/login'
	reset_stats
	run_ksmctl exec --inline -- sh -c 'printf "%s|%s|%s" "$KSM_IT_PW" "$1" "$2"' sh \
		'--user=keeper://web/field/login' 'keeper://WebRec0000000000000000/file/tls.crt'
	expect_out "$m: exec --inline replaces notations in arguments (files as base64url)" \
		"p@ss w0rd:&/?|--user=www|$("$PY" -c 'import base64,json,sys; f=[x for r in json.load(open(sys.argv[1]))["records"] for x in r.get("files", []) if x["name"] == "tls.crt"][0]; print(base64.urlsafe_b64encode(base64.b64decode(f["content_b64"])).decode().rstrip("="))' "$VAULT")"
	check "$m: exec --inline: environment and arguments with one get_secret" [ "$(reqs get_secret)" = 1 ]
	rm -f "$T/ran"
	run_ksmctl exec --inline -- sh -c 'touch "$0"' "$T/ran" 'keeper://web/field/nosuch'
	check "$m: exec --inline with a notation that fails: 6, nothing run" \
		bash -c "[ '$RC' = 6 ] && [ ! -e '$T/ran' ] && grep -q 'argument' '$T/err'"
	unset KSM_IT_PW
}

suite direct
ksmd_start "$T/ksm.conf"
# Through ksmd ksmctl never reads a client config: a broken one proves it.
export KSM_CONFIG=not-a-config
suite ksmd
unset KSM_CONFIG
ksmd_stop

# A record's editor writes escape sequences into its title, a label and a
# value: what ksmctl shows a person has '?' for each control character
# (UTF-8 kept); --json escapes them.
"$PY" - "$T/evil.vault.json" <<'PYEOF'
import json, sys
esc = "\x1b"
rec = {"uid": "EvilRec000000000000000", "folder": "FoLdEr1Web000000000000",
       "data": {"type": "login", "title": "evil" + esc + "]0;pwned\x07 Ünïcode",
                "fields": [{"type": "login", "value": ["x" + esc + "[2Jy"]}],
                "custom": [{"type": "text", "label": "lab" + esc + "[31m", "value": ["v\u009b1m"]}]}}
json.dump({"records": [rec]}, open(sys.argv[1], "w"))
PYEOF
admin add-records "$T/evil.vault.json" >/dev/null || fail "add-records"
run_ksmctl secret list
check "secret list: no escape byte reaches the terminal, the title shown with '?'" bash -c \
	"[ '$RC' = 0 ] && ! grep -q \$'\\x1b' '$T/out' && grep -q 'evil?\]0;pwned? Ünïcode' '$T/out'"
run_ksmctl secret get EvilRec000000000000000
check "secret get: title, label and values with '?' for ESC, BEL and C1 CSI" bash -c \
	"[ '$RC' = 0 ] && ! grep -q \$'\\x1b' '$T/out' && ! grep -q \$'\\xc2\\x9b' '$T/out' && grep -q 'x?\[2Jy' '$T/out' && grep -q 'lab?\[31m' '$T/out' && grep -q 'v?1m' '$T/out'"
run_ksmctl secret get EvilRec000000000000000 --json
json_check "secret get --json: the exact title (escaped in JSON)" 'assert j["title"] == "evil\x1b]0;pwned\x07 Ünïcode", j'

for c in interpolate folder; do
	run_ksmctl "$c" --help
	expect_rc "ksmctl $c --help: the usage, exit 0" 0
	check "ksmctl $c --help names the command" grep -q "^  $c" "$T/out"
done

finish
