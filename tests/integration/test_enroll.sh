#!/bin/bash
# SPDX-License-Identifier: MIT
# test_enroll.sh - ksmctl init with a pre-initialized config
# (--config-file PATH, --config -) in every form Keeper's tools print: the
# SDKs' JSON, base64 of it, and the ksm CLI's keeper.ini, plain and as
# base64 ("ksm profile export"; written here by Python's configparser, as
# the CLI writes it); region codes and https:// URLs in --host and in the
# config's hostname; ksmctl init --check (one request, direct and through
# ksmd); and the refusals (a config on the command line, an unbound one,
# junk, replacing a bound device without --force, a revoked device).
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
unset KSM_TOKEN KSM_CONFIG

# A bound device's client.json to hand around, as another host (or the
# SDK's "ksm init default --plain") would have made it.
KSM_TEST_NO_KSMD=1 bind
expect_rc "a device bound with a token (the config to export)" 0
cp "$T/client.json" "$T/exported.json"
rm -f "$T/client.json"

# field KEY [FILE]: a key of a client config (default: the written one).
field() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "${2:-$T/client.json}" "$1"; }
# same_device FILE: the written config is the device of FILE.
same_device() {
	[ "$(field clientId)" = "$(field clientId "$1")" ] &&
		[ "$(field privateKey)" = "$(field privateKey "$1")" ] &&
		[ "$(field appKey)" = "$(field appKey "$1")" ]
}
# to_ini JSON [HOSTNAME]: the keeper.ini that "ksm profile export" would
# print for it (before base64), in configparser's own writing.
to_ini() {
	"$PY" - "$1" "${2:-}" <<'EOF'
import configparser, json, sys
c = json.load(open(sys.argv[1]))
ini = configparser.ConfigParser(allow_no_value=True)
ini["_config"] = {"active_profile": "_default", "color": "True", "cache": "False",
                  "record_type_dir": None, "editor": None,
                  "editor_use_blocking": "False", "editor_process_name": None}
ini["_default"] = {"clientid": c["clientId"], "privatekey": c["privateKey"],
                   "appkey": c["appKey"], "hostname": sys.argv[2] or c["hostname"],
                   "appownerpublickey": c.get("appOwnerPublicKey"),
                   "serverpublickeyid": c["serverPublicKeyId"]}
ini.write(sys.stdout)
EOF
}
b64() { "$PY" -c 'import base64,sys; sys.stdout.write(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode())'; }

# --------------------------------------------------------------- the forms
run_ksmctl init --config-file "$T/exported.json" --check
expect_rc "init --config-file with the SDK's JSON, --check" 0
check "it says what it installed" grep -q "^installed a client config (JSON) for $SRV_HOST; written to $T/client.json" <<<"$OUT"
check "the check made its one request" grep -q "^check: the server answered; [0-9]* record" <<<"$OUT"
check "written 0600, owned by root (ksmd_user = root)" \
	[ "$(stat -c '%a %u' "$T/client.json")" = "600 0" ]
check "the written config is the exported device" same_device "$T/exported.json"
reset_stats
run_ksmctl init --check
expect_rc "init --check alone: the binding in place" 0
check "init --check is one request ($(req_total))" [ "$(req_total)" = 1 ]

b64 <"$T/exported.json" >"$T/exported.b64"
run_ksmctl init --config - --force --check <"$T/exported.b64"
expect_rc "init --config - with base64 JSON (KSM_CONFIG's form) on standard input" 0
check "... named as such" grep -q "^installed a client config (base64 JSON)" <<<"$OUT"
check "... the same device" same_device "$T/exported.json"

to_ini "$T/exported.json" >"$T/keeper.ini"
run_ksmctl init --config-file "$T/keeper.ini" --force --check
expect_rc "the ksm CLI's keeper.ini without the custom server key: refused by the server's key check" 5
run_ksmctl init --config-file "$T/keeper.ini" --server-key "$SRV_KEY" --force --check
expect_rc "init --config-file keeper.ini (--server-key for the test server)" 0
check "... named INI" grep -q "^installed a client config (INI)" <<<"$OUT"
check "... the same device" same_device "$T/exported.json"
b64 <"$T/keeper.ini" >"$T/profile.b64"
run_ksmctl init --config - --server-key "$SRV_KEY" --force --check <"$T/profile.b64"
expect_rc "init --config - with 'ksm profile export' output (base64 INI)" 0
check "... named base64 INI" grep -q "^installed a client config (base64 INI)" <<<"$OUT"
check "... the same device" same_device "$T/exported.json"
fold -w 64 "$T/profile.b64" >"$T/profile.wrapped"
run_ksmctl init --config-file "$T/profile.wrapped" --server-key "$SRV_KEY" --force
expect_rc "base64 wrapped over several lines" 0

# ---------------------------------------------- region codes and URLs
for r in US:keepersecurity.com eu:keepersecurity.eu AU:keepersecurity.com.au \
	JP:keepersecurity.jp CA:keepersecurity.ca GOV:govcloud.keepersecurity.us \
	IL5:il5.keepersecurity.us; do
	run_ksmctl init --config-file "$T/exported.json" --host "${r%%:*}" --force
	check "--host ${r%%:*} is ${r#*:}" [ "$RC" = 0 -a "$(field hostname)" = "${r#*:}" ]
done
to_ini "$T/exported.json" EU >"$T/eu.ini"
run_ksmctl init --config-file "$T/eu.ini" --force
check "a profile whose hostname is a region code (EU) gets its host name" \
	[ "$RC" = 0 -a "$(field hostname)" = keepersecurity.eu ]
run_ksmctl init --config-file "$T/exported.json" --host "https://$SRV_HOST/api/ignored?x=1" \
	--force --check
expect_rc "--host with an https:// URL (path ignored), checked" 0
check "... the hostname is the URL's host and port" [ "$(field hostname)" = "$SRV_HOST" ]
run_ksmctl init --config-file "$T/exported.json" --host "http://$SRV_HOST" --force
expect_rc "--host http://...: refused (Keeper is HTTPS only)" 2 "HTTPS only"
run_ksmctl init --config-file "$T/exported.json" --host "ftp://x" --force
expect_rc "--host with another scheme: refused" 2 "not an https:// URL"
run_ksmctl init --config-file "$T/exported.json" --host "a b" --force
expect_rc "--host that is no host: refused" 2 "region code"
rm -f "$T/client.json"
KSM_TOKEN=$(new_token app) run_ksmctl init --host "https://$SRV_HOST/" --server-key "$SRV_KEY" --check
expect_rc "a token with --host https://HOST:PORT/ binds, and --check after it" 0
check "... one line for the binding, one for the check" \
	bash -c "grep -q '^bound to $SRV_HOST' <<<\"\$1\" && grep -q '^check: the server answered' <<<\"\$1\"" _ "$OUT"
check "... the hostname written is HOST:PORT" [ "$(field hostname)" = "$SRV_HOST" ]

# ------------------------------------------------------------ refusals
run_ksmctl init --config "$(cat "$T/exported.b64")" --force
expect_rc "a config on the command line is refused (usage, 2)" 2 "command line"
run_ksmctl init --config-file "$T/exported.json"
expect_rc "a bound device is not replaced without --force" 2 "already holds a bound device"
run_ksmctl init --config-file "$T/exported.json" --token - --force </dev/null
expect_rc "a config and a token at once: usage (2)" 2 "one of"
cp "$T/client.json" "$T/before"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c.pop("appKey"); c["clientKey"]="AAAA"; json.dump(c, open(sys.argv[2],"w"))' \
	"$T/exported.json" "$T/unbound.json"
run_ksmctl init --config-file "$T/unbound.json" --force
expect_rc "an unbound config (a one-time token in it) is refused, pointing at --token-file" 2 "one-time token"
printf 'not a config\n' >"$T/junk"
run_ksmctl init --config-file "$T/junk" --force
expect_rc "junk is refused (2), naming the forms" 2 "neither JSON"
printf '[_default]\nclientid = x\n' >"$T/short.ini"
run_ksmctl init --config-file "$T/short.ini" --force
expect_rc "an INI profile without the device's keys is refused" 2 "lacks"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["privateKey"]="AAAA"; json.dump(c, open(sys.argv[2],"w"))' \
	"$T/exported.json" "$T/badkey.json"
run_ksmctl init --config-file "$T/badkey.json" --force
expect_rc "a config whose private key does not load is refused" 2 "privateKey"
run_ksmctl init --config-file "$T/no-such-file" --force
expect_rc "a missing --config-file: usage (2)" 2 "no-such-file"
check "no refusal touched the config in place" cmp -s "$T/client.json" "$T/before"
chmod 644 "$T/exported.json"
run_ksmctl init --config-file "$T/exported.json" --force
check "a config file every user can read: installed, with a warning to remove it" \
	bash -c "[ $RC = 0 ] && grep -q 'readable by every local user' <<<\"\$1\"" _ "$ERR"
chmod 600 "$T/exported.json"

# ------------------------------------------------------- through ksmd
ksmd_start
run_ksmctl init --config-file "$T/exported.json" --force --check
expect_rc "with ksmd running: installed, and checked through ksmd" 0
check "... the check went through ksmd" grep -q "^check: the server answered (through ksmd)" <<<"$OUT"
admin revoke --client "$(field clientId | cut -c1-8)" >/dev/null || fail "revoke"
run_ksmctl init --check
expect_rc "a revoked device: init --check fails as access denied (5)" 5
ksmd_stop
run_ksmctl init --check
expect_rc "a revoked device, direct: 5 as well" 5
rm -f "$T/client.json"
run_ksmctl init --check
expect_rc "init --check without a config: not bound (3)" 3
finish
