#!/bin/bash
# SPDX-License-Identifier: MIT
# test_ksmctl.sh - ksmctl against the local KSM server: binding, reading,
# notation, exec, TOTP, rotation, and the errors admins will meet.
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"

# --- binding
unset KSM_TOKEN # only where a check puts it
# A token on the command line is refused: every local user reads it in ps.
TOKEN=$(new_token app)
run_ksmctl init --token "$TOKEN" --host "$SRV_HOST" --server-key "$SRV_KEY"
expect_rc "init --token VALUE is refused (usage, 2), naming --token-file" 2 "--token-file"
check "a refused --token VALUE writes no client config" [ ! -e "$T/client.json" ]
run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY" </dev/null
expect_rc "init without any token is a usage error (2)" 2 "--token-file"

# The token from a file (--token-file).
printf '%s\n' "$TOKEN" >"$T/token"
chmod 600 "$T/token"
run_ksmctl init --token-file "$T/token" --host "$SRV_HOST" --server-key "$SRV_KEY"
expect_rc "init --token-file binds with the one-time token (the refused one was not spent)" 0
# The test's paths are not the units' defaults: init names each drop-in.
check "init with a moved client_config: the note on ksm-sync's ConditionPathExists=" \
	grep -q "note: ksm-sync.service syncs only while /etc/ksm/client.json exists (ConditionPathExists=); for client_config = $T/client.json" <<<"$ERR"
check "init with a moved private_store: the note on ksmd's ReadWritePaths=" \
	grep -q "note: ksmd.service may write only in /var/lib/ksmd/; for private_store = $T/private add its directory to ReadWritePaths=" <<<"$ERR"
check "client config written 0600" [ "$(stat -c %a "$T/client.json")" = 600 ]
check "client config owned by root (ksmd_user = root)" [ "$(stat -c %u "$T/client.json")" = "$(id -u)" ]
check "client config has the SDK keys" /usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
need = {"hostname", "clientId", "privateKey", "appKey", "appOwnerPublicKey", "serverPublicKeyId", "serverPublicKey"}
assert need <= set(c), set(c)
assert "clientKey" not in c' "$T/client.json"
run_ksmctl init --token-file "$T/token" --host "$SRV_HOST" --server-key "$SRV_KEY"
expect_rc "init refuses to replace a bound config" 2 "already holds a bound device"
cp "$T/client.json" "$T/client.good"
KSM_TOKEN=$TOKEN run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY" --force
expect_rc "a used token is refused clearly" 5 "token works once|already used|access"
check "a failed init leaves the old config" cmp -s "$T/client.json" "$T/client.good"
run_ksmctl init --token-file "$T/no-such-token" --host "$SRV_HOST" --force
expect_rc "an unreadable --token-file is a usage error (2)" 2 "no-such-token"
check "a failed init leaves the old config (unreadable token file)" cmp -s "$T/client.json" "$T/client.good"
KSM_TOKEN=not-a-token run_ksmctl init --host "$SRV_HOST" --force
expect_rc "a malformed token is a usage error (2)" 2 "32 bytes"
KSM_TOKEN=$(new_token app) run_ksmctl init --force
expect_rc "a bare token without --host says to give the host (usage, 2)" 2 "--host"

# The token in KSM_TOKEN (the environment), and on standard input (--token -).
rm -f "$T/client.json"
KSM_TOKEN=$(new_token app) run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY"
expect_rc "init with KSM_TOKEN binds" 0
check "client config written 0600 (KSM_TOKEN)" [ "$(stat -c %a "$T/client.json")" = 600 ]
rm -f "$T/client.json"
new_token app >"$T/token"
run_ksmctl init --token - --host "$SRV_HOST" --server-key "$SRV_KEY" <"$T/token"
expect_rc "init --token - reads the token from standard input and binds" 0
check "client config written 0600 (--token -)" [ "$(stat -c %a "$T/client.json")" = 600 ]
run_ksmctl init --token - --host "$SRV_HOST" --server-key "$SRV_KEY" --force </dev/null
expect_rc "init --token - with an empty standard input is a usage error (2)" 2 "token"
# ksmd_user: the config is that user's from its first byte (the temporary
# file is given to it before it is filled), and a rewrite keeps it.
write_conf "ksmd_user = nobody" "client_config = $T/client-nobody.json"
KSM_TOKEN=$(new_token app) run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY"
expect_rc "init with ksmd_user = nobody binds" 0
check "client config owned by ksmd_user (nobody), 0600: $(stat -c '%U %a' "$T/client-nobody.json")" \
	[ "$(stat -c '%U %a' "$T/client-nobody.json")" = "nobody 600" ]
KSM_TOKEN=$(new_token app) run_ksmctl init --host "$SRV_HOST" --server-key "$SRV_KEY" --force
expect_rc "init --force over it binds" 0
check "... still nobody's, 0600: $(stat -c '%U %a' "$T/client-nobody.json")" \
	[ "$(stat -c '%U %a' "$T/client-nobody.json")" = "nobody 600" ]
write_conf
run_ksmctl secret list
expect_rc "the config bound through --token - works" 0
rm -f "$T/token"

# --- reading
run_ksmctl secret list
expect_rc "secret list" 0
check "list shows folder, subfolder and direct records" \
	bash -c "grep -q AliceRec <<<'$OUT' && grep -q BobRec <<<'$OUT' && grep -q DirectRec <<<'$OUT'"
run_ksmctl secret list --json
check "list --json is JSON with 5 records" /usr/bin/python3 -c '
import json, sys; assert len(json.loads(sys.argv[1])) == 5' "$OUT"
run_ksmctl secret get AliceRec00000000000000
check "get masks the password by default" bash -c "grep -q '\*\*\*\*' <<<'$OUT' && ! grep -q 'Al1ce-pw' <<<'$OUT'"
run_ksmctl secret get AliceRec00000000000000 --json --unmask
check "get --json --unmask shows it" /usr/bin/python3 -c '
import json, sys; r = json.loads(sys.argv[1])
assert [f for f in r["fields"] if f["type"] == "password"][0]["value"] == ["Al1ce-pw!"]' "$OUT"
run_ksmctl secret get AliceRec00000000000000 --field password
expect_out "get --field prints the raw value" 'Al1ce-pw!'
run_ksmctl secret get NoSuchRec0000000000000
expect_rc "get of an unknown record: not found" 6 "no record"
run_ksmctl secret get AliceRec00000000000000 --field nosuch
expect_rc "get of an unknown field: not found" 6 "no field"

# --- notation
run_ksmctl notation keeper://AliceRec00000000000000/field/password
expect_out "notation by UID" 'Al1ce-pw!'
run_ksmctl notation 'keeper://bob/field/url[1]'
expect_out "notation by title with an index" 'https://b.example'
run_ksmctl notation 'keeper://bob/field/url[]'
expect_out "notation [] gives all values" $'https://a.example\nhttps://b.example'
run_ksmctl notation 'keeper://alice/custom_field/phone[0][number]'
expect_out "notation property of an object value" '555-0100'
run_ksmctl notation 'keeper://shared\/direct \[ro\]/field/password'
expect_out "notation with escaped title" 'read-only-pw'
run_ksmctl notation 'keeper://BobRec0000000000000000/file/id.pub'
expect_out "notation file gives unpadded base64url content" 'c3NoLWVkMjU1MTkgQUFBQSBib2IK'
run_ksmctl notation "$(printf '%s' 'keeper://AliceRec00000000000000/field/login' | base64 -w0 | tr '+/' '-_' | tr -d '=')"
expect_out "notation in its base64url form" 'alice'
run_ksmctl notation 'keeper://twin/field/password'
expect_rc "two records with one title: ambiguous" 2 "more than one"
run_ksmctl notation 'keeper://alice/bogus/x'
expect_rc "bad notation: usage-class error" 2 ""

# --- exec and totp
export KSM_IT_PW='keeper://AliceRec00000000000000/field/password' KSM_IT_PLAIN=plain
run_ksmctl exec -- sh -c 'printf "%s|%s" "$KSM_IT_PW" "$KSM_IT_PLAIN"'
expect_out "exec replaces keeper:// values only" 'Al1ce-pw!|plain'
unset KSM_IT_PW KSM_IT_PLAIN
run_ksmctl totp AliceRec00000000000000
# The codes of this 30 s step and the one before: ksmctl ran just now, and
# may have run in the step that has just ended.
want=$(/usr/bin/python3 -c '
import base64, hmac, hashlib, struct, time
k = base64.b32decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
now = int(time.time()) // 30
for t in (now, now - 1):
    h = hmac.new(k, struct.pack(">Q", t), hashlib.sha1).digest()
    o = h[-1] & 15
    print("%06d" % ((struct.unpack(">I", h[o:o+4])[0] & 0x7fffffff) % 1000000))')
check "totp prints the RFC 6238 code" grep -qxF -- "${OUT%% *}" <<<"$want"

# --- rotation is seen at once
admin set-field --record AliceRec00000000000000 --field password --value 'R0tated-1' >/dev/null
run_ksmctl notation keeper://AliceRec00000000000000/field/password
expect_out "a rotated password is read at once" 'R0tated-1'

# --- status
run_ksmctl status --json
check "status --json reports reachable" /usr/bin/python3 -c '
import json, sys; s = json.loads(sys.argv[1]); assert s["reachable"] and s["records"] == 5, s' "$OUT"

# --- config safety
chmod 644 "$T/client.json"
run_ksmctl secret list
expect_rc "a world-readable client config is refused" 3 "chmod 600"
chmod 600 "$T/client.json"
KSM_CONFIG=$(base64 -w0 "$T/client.json") run_ksmctl secret list
expect_rc "KSM_CONFIG (base64) is accepted" 0
write_conf "bogus_option = 1"
line=$(grep -n '^bogus_option' "$T/ksm.conf" | cut -d: -f1)
run_ksmctl secret list
expect_rc "an unknown ksm.conf option names the line" 3 "ksm.conf:$line: unknown option"
write_conf

# --- the same reads through ksmd (everything above ran without one: direct)
ksmd_start "$T/ksm.conf"
run_ksmctl secret get AliceRec00000000000000 --field password
expect_out "through ksmd: get --field prints the raw value" 'R0tated-1'
run_ksmctl secret list --json
check "through ksmd: list --json is JSON with 5 records" /usr/bin/python3 -c '
import json, sys; assert len(json.loads(sys.argv[1])) == 5' "$OUT"
admin set-field --record AliceRec00000000000000 --field password --value 'R0tated-2' >/dev/null
run_ksmctl notation keeper://AliceRec00000000000000/field/password
expect_out "through ksmd: a rotated password is read at once" 'R0tated-2'
run_ksmctl secret get NoSuchRec0000000000000
expect_rc "through ksmd: get of an unknown record: not found" 6 "no record"
check "through ksmd: the reads were ksmd's vault requests" bash -c \
	"ksmd_reqs=\$(/usr/bin/python3 '$KSMD_CLIENT' '$T/ksmd.sock' op=ping | sed -n 's/^requests=//p'); [ \"\$ksmd_reqs\" -ge 4 ]"
check "through ksmd: ksm.conf unchanged since ksmd started: no note" bash -c "! grep -q 'changed after ksmd started' '$T/err'"
# ksmd reads ksm.conf only at start: ksmctl says so when the file it reads
# is ksmd's and changed since.
echo "# edited" >>"$T/ksm.conf"
run_ksmctl secret get AliceRec00000000000000 --field password
expect_rc "ksm.conf edited while ksmd runs: the read still works" 0
check "... and ksmctl says to restart ksmd" grep -q "ksm.conf changed after ksmd started.*systemctl restart ksmd" "$T/err"
check "... once ($(grep -c 'changed after ksmd started' "$T/err"))" [ "$(grep -c 'changed after ksmd started' "$T/err")" = 1 ]
ksmd_stop
ksmd_start "$T/ksm.conf"
run_ksmctl secret get AliceRec00000000000000 --field password
check "ksmd restarted: no note" bash -c "! grep -q 'changed after ksmd started' '$T/err'"
ksmd_stop

# Every command of --help has its own usage (one table: ksmctl_help.c).
run_ksmctl --help
cmds=$(awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}' "$T/out" | sort -u)
check "ksmctl --help lists the commands (explain and users among them)" \
	bash -c "[ \$(wc -l <<<'$cmds') -ge 9 ] && grep -qx explain <<<'$cmds' && grep -qx users <<<'$cmds'"
for c in $cmds; do
	for h in --help -h; do
		run_ksmctl "$c" "$h"
		check "ksmctl $c $h: its own usage, exit 0" bash -c \
			"[ $RC = 0 ] && head -n 1 '$T/out' | grep -q '^Usage: ksmctl \[--conf PATH\] $c' &&
			! grep -q '^Commands:' '$T/out'"
	done
done
run_ksmctl status --json --help
check "ksmctl status --json --help: the usage, after other options too" grep -q "^Usage: ksmctl \[--conf PATH\] status" "$T/out"
run_ksmctl exec -- sh -c 'echo "$1"' _ --help
expect_out "ksmctl exec -- CMD --help: the --help is CMD's" "--help"
run_ksmctl status --bogus
expect_rc "a bad option points to the command's own --help" 2 "Try 'ksmctl status --help'"

finish
