#!/bin/bash
# SPDX-License-Identifier: MIT
# test_interpolate.sh - ksmctl interpolate and secret download against the
# local KSM server, without ksmd and through it: templates with every
# notation form, defaults and transforms (expected values computed here,
# apart from ksmctl), one vault request per run, output files (atomic,
# modes, owners kept, in place with backups) and failures that leave the
# old files as they were.
. "$(dirname "$0")/lib.sh"

VAULT=$TOP_SRC/tests/integration/vault-cli.json
ksm_start_server "$VAULT"
KSM_TEST_NO_KSMD=1 bind
expect_rc "bound (ksmctl talks to the server itself at first)" 0
AS_ROOT=
[ "$(id -u)" = 0 ] && AS_ROOT=1

# meta FILE: "mode uid gid".
meta() { stat -c '%a %u %g' "$1"; }
# no_temp DIR: no temporary file of an atomic write was left.
no_temp() { ! ls "$1" | grep -q '\.tmp\.'; }
counts() { admin stats; }
# reqs ENDPOINT: how many the server has seen since reset_stats.
reqs() { counts | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"; }

# The template with every form, and what it must become. Values are the
# vault file's; hashes and encodings by coreutils and Python, not ksmctl.
D=$T/tpl
mkdir -p "$D"
printf '%s' '# keeper://comment/not touched ${keeper://neither}
user=keeper://DbRec00000000000000000/field/login
user_t=${keeper://Prod DB/field/login}
pw_b64=${keeper://Prod DB/field/password|base64}
pw_b64u=${keeper://Prod DB/field/password|base64url}
pw_url=${keeper://Prod DB/field/password|urlencode}
pw_urlp=${keeper://Prod DB/field/password|urlencodeplus}
pw_sha=keeper://DbRec00000000000000000/field/password|sha256
pw_md5=keeper://DbRec00000000000000000/field/password|md5
key_trim=${keeper://Prod DB/custom_field/api key|trim}
key_up=${KEEPER://Prod DB/custom_field/api key|trim|upper}
key_low="${keeper://Prod DB/custom_field/api key|lower}"
host=keeper://DbRec00000000000000000/field/host[0][hostName]:keeper://DbRec00000000000000000/field/host[0][port]
url1=keeper://web/field/url[1]
title=keeper://WebRec0000000000000000/title type=keeper://WebRec0000000000000000/type
notes="keeper://DbRec00000000000000000/notes"
dsn=postgres://keeper://DbRec00000000000000000/field/login:keeper://DbRec00000000000000000/field/password|urlencode@db:5432/x
missing=keeper://DbRec00000000000000000/field/nosuch:-http://localhost:3000/
missing_rec=${keeper://No Such Record/field/password:-none here}
empty=${keeper://Prod DB/custom_field/empty:-was empty}
emptyraw=[${keeper://Prod DB/custom_field/empty}]
novalue=${keeper://Prod DB/custom_field/none:-no values}
present=keeper://DbRec00000000000000000/field/login:-unused
dash=keeper://-DashRec00000000000000/field/login
shell=${HOME} $PATH
cert:
${keeper://web/file/tls.crt}blob=${keeper://WebRec0000000000000000/file/blob.bin|base64}
last=keeper://web/field/login' >"$D/all.tmpl"
"$PY" - "$VAULT" "$D/all.want" <<'PYEOF'
import base64, hashlib, json, sys, urllib.parse
v = {r["uid"]: r for r in json.load(open(sys.argv[1]))["records"]}
db, web = v["DbRec00000000000000000"], v["WebRec0000000000000000"]
pw = db["data"]["fields"][1]["value"][0]
key = db["data"]["custom"][0]["value"][0]
files = {f["name"]: base64.b64decode(f["content_b64"]) for f in web["files"]}
b64u = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")
out = "\n".join([
    "# keeper://comment/not touched ${keeper://neither}",
    "user=dbadmin", "user_t=dbadmin",
    "pw_b64=" + base64.b64encode(pw.encode()).decode(),
    "pw_b64u=" + b64u(pw.encode()),
    "pw_url=" + urllib.parse.quote(pw), "pw_urlp=" + urllib.parse.quote_plus(pw),
    "pw_sha=" + hashlib.sha256(pw.encode()).hexdigest(),
    "pw_md5=" + hashlib.md5(pw.encode()).hexdigest(),
    "key_trim=" + key.strip(), "key_up=" + key.strip().upper(),
    'key_low="' + key.lower() + '"',
    "host=db.example:5432", "url1=https://b.example",
    "title=web type=login", 'notes="primary database"',
    "dsn=postgres://dbadmin:" + urllib.parse.quote(pw) + "@db:5432/x",
    "missing=http://localhost:3000/", "missing_rec=none here",
    "empty=was empty", "emptyraw=[]", "novalue=no values", "present=dbadmin",
    "dash=dashing", "shell=${HOME} $PATH", "cert:", ""])
out = out.encode() + files["tls.crt"] + b"blob=" + base64.b64encode(files["blob.bin"]) + b"\nlast=www"
open(sys.argv[2], "wb").write(out)
PYEOF
printf 'second=keeper://OtpRec0000000000000000/field/login\n' >"$D/second.tmpl"
printf 'plain text, no notation: ${HOME} keeper:/\n' >"$D/plain.tmpl"

# suite MODE: every check, without ksmd ("direct") and through it.
suite() {
	local m=$1 out=$T/out-$1 f
	mkdir -p "$out"

	# --- every form, one request
	reset_stats
	run_ksmctl interpolate "$D/all.tmpl"
	if [ "$RC" = 0 ] && cmp -s "$T/out" "$D/all.want"; then
		ok "$m: every notation form, default and transform, to stdout"
	else
		fail "$m: every form (exit $RC: $ERR; diff: $(diff <(cat "$T/out") "$D/all.want" | head -5))"
	fi
	check "$m: 29 notations, 2 files: one get_secret, two downloads" \
		[ "$(reqs get_secret)/$(reqs file_download)/$(req_total)" = 1/2/3 ]
	reset_stats
	run_ksmctl interpolate "$D/all.tmpl" "$D/second.tmpl" "$D/plain.tmpl" -o "$out/both.conf"
	expect_rc "$m: three templates into one -o file" 0
	check "$m: -o holds them one after the other" bash -c \
		"cat '$D/all.want' <(printf 'second=otp\n') '$D/plain.tmpl' | cmp -s - '$out/both.conf'"
	check "$m: three templates, still one get_secret" [ "$(reqs get_secret)" = 1 ]
	check "$m: -o is written 0600 by default" [ "$(stat -c %a "$out/both.conf")" = 600 ]
	check "$m: no temporary file left" no_temp "$out"
	reset_stats
	run_ksmctl interpolate "$D/plain.tmpl"
	check "$m: a template without notations costs no request" \
		bash -c "[ '$RC' = 0 ] && [ \"\$(cat '$T/out')\" = \"\$(cat '$D/plain.tmpl')\" ] && [ $(req_total) = 0 ]"
	run_ksmctl interpolate <"$D/second.tmpl"
	expect_out "$m: standard input to standard output" 'second=otp'
	run_ksmctl interpolate --mode 0640 -o "$out/m.conf" "$D/second.tmpl"
	check "$m: --mode 0640" [ "$(stat -c %a "$out/m.conf")" = 640 ]

	# --- the owner of a file it replaces is kept
	if [ -n "$AS_ROOT" ]; then
		echo old >"$out/owned.conf"
		chown 65534:65534 "$out/owned.conf"
		chmod 0644 "$out/owned.conf"
		run_ksmctl interpolate -o "$out/owned.conf" "$D/second.tmpl"
		check "$m: -o over a file keeps its owner and group, mode 0600" \
			[ "$(meta "$out/owned.conf")" = "600 65534 65534" ]
		# A file planted in a directory others may write is not given
		# the secrets.
		mkdir -m 1777 "$out/shared"
		echo planted >"$out/shared/planted.conf"
		chown 65534:65534 "$out/shared/planted.conf"
		run_ksmctl interpolate -o "$out/shared/planted.conf" "$D/second.tmpl"
		check "$m: in a directory others may write, the old owner is not kept" bash -c \
			"[ '$RC' = 0 ] && [ '$(meta "$out/shared/planted.conf")' = '600 0 0' ] && grep -q 'writable by others' '$T/err'"
	fi

	# --- in place, with backups
	cp "$D/second.tmpl" "$out/inplace.conf"
	chmod 0644 "$out/inplace.conf"
	[ -n "$AS_ROOT" ] && chown 65534:65534 "$out/inplace.conf"
	run_ksmctl interpolate -w "$out/inplace.conf"
	expect_rc "$m: -w rewrites the file in place" 0
	check "$m: -w: the file holds the values" grep -qx 'second=otp' "$out/inplace.conf"
	check "$m: -w: FILE.bak is the template" cmp -s "$D/second.tmpl" "$out/inplace.conf.bak"
	check "$m: -w: the backup keeps the template's mode" [ "$(stat -c %a "$out/inplace.conf.bak")" = 644 ]
	check "$m: -w: the rewritten file is 0600" [ "$(stat -c %a "$out/inplace.conf")" = 600 ]
	if [ -n "$AS_ROOT" ]; then
		check "$m: -w keeps the owner and group (file and backup)" bash -c \
			"[ '$(meta "$out/inplace.conf")' = '600 65534 65534' ] && [ \"\$(stat -c '%u %g' '$out/inplace.conf.bak')\" = '65534 65534' ]"
	fi
	cp "$D/second.tmpl" "$out/suffix.conf"
	run_ksmctl interpolate -w -b .orig --mode 0640 "$out/suffix.conf"
	check "$m: -b .orig names the backup, --mode applies to -w" bash -c \
		"cmp -s '$D/second.tmpl' '$out/suffix.conf.orig' && [ ! -e '$out/suffix.conf.bak' ] && [ \"\$(stat -c %a '$out/suffix.conf')\" = 640 ]"
	cp "$D/second.tmpl" "$out/nobak.conf"
	run_ksmctl interpolate -w -b '' "$out/nobak.conf"
	check "$m: -b '' makes no backup" bash -c "[ '$RC' = 0 ] && ! ls '$out' | grep -q '^nobak.conf.'"
	ln -sf "$out/nobak.conf" "$out/link.conf"
	run_ksmctl interpolate -w "$out/link.conf"
	expect_rc "$m: -w refuses a symbolic link" 1 "symbolic link"

	# --- failures leave everything as it was
	printf 'a=keeper://DbRec00000000000000000/field/login\nb=keeper://DbRec00000000000000000/field/nosuch\n' >"$D/bad.tmpl"
	echo "old content" >"$out/keep.conf"
	cp "$out/keep.conf" "$out/keep.before"
	run_ksmctl interpolate -o "$out/keep.conf" "$D/second.tmpl" "$D/bad.tmpl"
	expect_rc "$m: an unresolved notation fails the run (not found, 6), naming its line" 6 \
		"bad.tmpl: line 2: keeper://DbRec00000000000000000/field/nosuch"
	check "$m: ... and -o's old file is intact" cmp -s "$out/keep.conf" "$out/keep.before"
	check "$m: ... with no temporary file left" no_temp "$out"
	cp "$D/bad.tmpl" "$out/bad-inplace.conf"
	cp "$D/second.tmpl" "$out/good-inplace.conf"
	run_ksmctl interpolate -w "$out/good-inplace.conf" "$out/bad-inplace.conf"
	check "$m: -w with one bad file writes no file and no backup" bash -c \
		"[ '$RC' = 6 ] && cmp -s '$D/second.tmpl' '$out/good-inplace.conf' && cmp -s '$D/bad.tmpl' '$out/bad-inplace.conf' && [ ! -e '$out/good-inplace.conf.bak' ] && [ ! -e '$out/bad-inplace.conf.bak' ]"
	run_ksmctl interpolate "$D/second.tmpl" "$D/bad.tmpl"
	check "$m: to stdout, a failure prints nothing at all" bash -c "[ '$RC' = 6 ] && [ ! -s '$T/out' ]"
	printf 'p=${keeper://twin/field/password:-d}\n' >"$D/twin.tmpl"
	run_ksmctl interpolate "$D/twin.tmpl"
	expect_rc "$m: a title of two records fails even with a default (2)" 2 "more than one record"
	printf 'u=${keeper://web/field/url[]}\n' >"$D/many.tmpl"
	run_ksmctl interpolate "$D/many.tmpl"
	expect_rc "$m: [] of a field with two values: choose one" 2 "several values"
	printf 'u=${keeper://web/field/login[]}\n' >"$D/one.tmpl"
	run_ksmctl interpolate "$D/one.tmpl"
	expect_out "$m: [] of a field with one value" 'u=www'
	printf 'ok=keeper://web/field/login\nx=keeper://web/field/login|rot13\n' >"$D/xf.tmpl"
	reset_stats
	run_ksmctl interpolate "$D/xf.tmpl"
	expect_rc "$m: an unknown transform is a usage error naming its line" 2 "line 2: .*unknown transform"
	check "$m: a template that does not parse costs no request" [ "$(req_total)" = 0 ]
	printf 'see keeper://docs for more\n' >"$D/notnotation.tmpl"
	run_ksmctl interpolate "$D/notnotation.tmpl"
	expect_rc "$m: a keeper:// that is no notation is an error" 2 "line 1: keeper://docs"
	run_ksmctl interpolate -o "$out/x" -w "$D/second.tmpl"
	expect_rc "$m: -o and -w together: usage" 2 "exclude"
	run_ksmctl interpolate --mode 1777 "$D/second.tmpl"
	expect_rc "$m: --mode above 0777: usage" 2 "mode"

	# --- an unreachable vault fails, never falls back on defaults
	printf 'h=keeper://DbRec00000000000000000/field/login:-localhost\n' >"$D/dflt.tmpl"
	echo "old content" >"$out/down.conf"
	fault refuse
	run_ksmctl interpolate -o "$out/down.conf" "$D/dflt.tmpl"
	fault none
	expect_rc "$m: the vault unreachable: network (4), defaults not used" 4
	check "$m: ... and the old file is intact" grep -qx "old content" "$out/down.conf"

	# --- dry run: what would happen, no value, nothing written
	reset_stats
	run_ksmctl interpolate -n -o "$out/dry.conf" "$D/all.tmpl"
	expect_rc "$m: --dry-run of a good template: 0" 0
	check "$m: --dry-run reports each notation with its line" bash -c \
		"grep -q 'all.tmpl:2: keeper://DbRec00000000000000000/field/login: ok' '$T/out' && grep -q 'all.tmpl:18: .*default' '$T/out' && [ \$(wc -l <'$T/out') = 29 ]"
	check "$m: --dry-run shows no secret value" bash -c "! grep -qE 'dbadmin|p@ss|k3y' '$T/out'"
	check "$m: --dry-run writes nothing, with one request" bash -c "[ ! -e '$out/dry.conf' ] && [ $(reqs get_secret) = 1 ]"
	run_ksmctl interpolate --dry-run "$D/second.tmpl" "$D/bad.tmpl"
	check "$m: --dry-run of a bad template: its error, exit 6" bash -c \
		"[ '$RC' = 6 ] && grep -q 'bad.tmpl:2: .*error' '$T/out' && grep -q 'second.tmpl:1: .*ok' '$T/out'"

	# --- secret download
	reset_stats
	run_ksmctl secret download WebRec0000000000000000 --name tls.crt -o "$out/tls.crt"
	expect_rc "$m: secret download --name" 0
	check "$m: the file is the attachment, 0600" bash -c \
		"\"$PY\" -c 'import base64,json,sys; f=[x for r in json.load(open(sys.argv[1]))[\"records\"] for x in r.get(\"files\",[]) if x[\"name\"]==\"tls.crt\"][0]; sys.exit(open(sys.argv[2],\"rb\").read()!=base64.b64decode(f[\"content_b64\"]))' '$VAULT' '$out/tls.crt' && [ \"\$(stat -c %a '$out/tls.crt')\" = 600 ]"
	check "$m: download: one get_secret, one file download" \
		[ "$(reqs get_secret)/$(reqs file_download)" = 1/1 ]
	run_ksmctl secret get WebRec0000000000000000 --json
	f=$("$PY" -c 'import json,sys; print([x["uid"] for x in json.loads(sys.argv[1])["files"] if x["name"] == "blob.bin"][0])' "$OUT")
	run_ksmctl secret download WebRec0000000000000000 --file-uid "$f" -o "$out/blob.bin" --mode 0644
	check "$m: download --file-uid: binary content exact, --mode 0644" bash -c \
		"\"$PY\" -c 'import sys; sys.exit(open(sys.argv[1],\"rb\").read()!=bytes(range(256))+b\"\\0end\")' '$out/blob.bin' && [ \"\$(stat -c %a '$out/blob.bin')\" = 644 ]"
	run_ksmctl secret download web --name tls.crt -o -
	check "$m: download by title to standard output" cmp -s "$T/out" "$out/tls.crt"
	if [ -n "$AS_ROOT" ]; then
		chown 65534:65534 "$out/tls.crt"
		run_ksmctl secret download WebRec0000000000000000 --name tls.crt -o "$out/tls.crt"
		check "$m: download over a file keeps its owner" [ "$(meta "$out/tls.crt")" = "600 65534 65534" ]
	fi
	cp "$out/tls.crt" "$out/tls.before"
	run_ksmctl secret download WebRec0000000000000000 --name nosuch.pem -o "$out/tls.crt"
	expect_rc "$m: download of a missing file: not found (6)" 6 "nosuch.pem"
	check "$m: ... and the old file is intact" cmp -s "$out/tls.crt" "$out/tls.before"
	run_ksmctl secret download WebRec0000000000000000 --name tls.crt --file-uid "$f" -o "$out/x"
	expect_rc "$m: download with --name and --file-uid: usage" 2
	run_ksmctl secret download WebRec0000000000000000 --name tls.crt
	expect_rc "$m: download without -o: usage" 2
}

suite direct
ksmd_start "$T/ksm.conf"
before=$(/usr/bin/python3 "$KSMD_CLIENT" "$T/ksmd.sock" op=ping | sed -n 's/^requests=//p')
# Through ksmd ksmctl never reads a client config: a broken one proves it.
export KSM_CONFIG=not-a-config
suite ksmd
unset KSM_CONFIG
after=$(/usr/bin/python3 "$KSMD_CLIENT" "$T/ksmd.sock" op=ping | sed -n 's/^requests=//p')
check "through ksmd: the vault requests were ksmd's ($before, then $after)" [ "$after" -ge $((before + 10)) ]
ksmd_stop
# What ksmctl wrote holds secrets on purpose: not left for the leak sweep.
rm -rf "$T"/out-direct "$T"/out-ksmd "$D"

finish
