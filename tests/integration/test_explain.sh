#!/bin/bash
# SPDX-License-Identifier: MIT
# test_explain.sh - ksmctl explain USER against what the consumers really
# do, for each kind of name, with a snapshot made by ksmctl sync: a vault
# user (keys, password, one-time code, a dropped key, an offline verifier
# from a real login), a vault user without a password, an expired one, one
# shadowed by a local account made after the sync, a refused record and an
# unknown name; then ksmd stopped, ksmd's failure limit reached, a stale
# snapshot and a missing one. Each time the real consumer runs next to it:
# the keys helper (its keys and fingerprints), pam_ksm through libpam
# (auth, account), getent through this host's NSS (nss_ksm in nsswitch.conf).
#
# Needs root (exit 77 otherwise): a private mount namespace with
# tests/lib/namespace.sh's setup_system_ns (/etc/ksm, /var/lib/ksm,
# nsswitch.conf, the built libnss_ksm.so.2 overlaid) and, for the shadowed
# user, a test /etc/passwd bind-mounted over the real one.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/pam.sh"
need_root_ns "$@"

for n in alice bob carol dave; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
/usr/bin/python3 - "$T" <<'PY' || exit 99
import json, sys
t = sys.argv[1]
key = lambda n: open(f"{t}/{n}.pub").read().strip()
F = "ExplainFolder000000000"
def user(uid, login, unix_uid, password=True, fields=(), custom=()):
    fl = [{"type": "login", "value": [login]}]
    if password:
        fl.append({"type": "password", "value": [f"pw-{login}"]})
    return {"uid": uid, "folder": F,
            "data": {"type": "pamUser", "title": login, "fields": fl + list(fields),
                     "custom": [{"type": "text", "label": k, "value": [v]} for k, v in
                                [("uid", str(unix_uid))] + list(custom)]}}
pair = lambda n: {"type": "keyPair", "value": [{"publicKey": key(n), "privateKey": ""}]}
vault = {"applications": [{"name": "app", "shares": [{"folder": F, "editable": True}]}],
         "folders": [{"uid": F, "name": "Linux Users"}],
         "records": [
             user("ExplAlice0000000000000", "alice", 252001,
                  fields=[pair("alice"),
                          {"type": "oneTimeCode", "value": ["otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ"]}],
                  custom=[("groups", "devs"),
                          ("ssh_public_key", key("carol") + "\ncommand=\"/bin/sh\" " + key("dave"))]),
             user("ExplBob00000000000000", "bob", 252002, password=False, fields=[pair("bob")]),
             user("ExplCarol0000000000000", "carol", 252003, fields=[pair("carol")]),
             user("ExplDave00000000000000", "dave", 252004, fields=[pair("dave")],
                  custom=[("valid_until", "2001-01-01T00:00:00Z")]),
             user("ExplDup10000000000000", "dup1", 252010),
             user("ExplDup20000000000000", "dup2", 252010),
         ]}
json.dump(vault, open(f"{t}/vault.json", "w"), indent=1)
PY
ksm_start_server "$T/vault.json"
setup_system_ns
bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "sync (two records refused, one key dropped)" 0
pam_service explain

# explain USER: ksmctl explain --json; J holds its JSON, XRC its exit
# code. The text form goes into the log, as "# " lines, for the reader.
explain() {
	run_ksmctl explain "$1"
	sed 's/^/# /' <<<"$OUT"
	run_ksmctl explain "$1" --json
	J=$OUT
	XRC=$RC
}
# jq EXPR: a Python expression over the last explain's JSON (d); passes
# when it is true.
jq() {
	/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])
ok = eval(sys.argv[2])
if not ok:
    print("  json:", json.dumps(d, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)' "$J" "$1"
}
# pam_rc USER OP: what pam_ksm itself answered in one stage: the harness
# prints "OP: PAM_NAME: text", and "info-msg: ignored:TYPE" when pam_ksm
# said PAM_IGNORE (the stack then goes on to pam_permit).
pam_rc() {
	local type
	case $2 in acct) type=account ;; chauthtok) type=password ;; open | setcred) type=session ;; *) type=$2 ;; esac
	pam explain "$1" "$2"
	if grep -q "^info-msg: ignored:$type" <<<"$OUT"; then
		echo PAM_IGNORE
	else
		sed -n "s/^$2: \([A-Z_]*\).*/\1/p" <<<"$OUT" | head -n 1
	fi
}
# jget EXPR: a value of the last explain's JSON (d), printed.
jget() { /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$J" "$1"; }
# agree DESCRIPTION EXPLAINED ACTUAL: what explain said is what happened.
agree() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1 (explain: '$2', real: '$3')"; fi
}
# helper_fps USER: the fingerprints of what the keys helper prints.
helper_fps() {
	keys "$1"
	[ -n "$OUT" ] || return 0
	ssh-keygen -lf - <<<"$OUT" | awk '{print $2}' | sort
}
json_fps() {
	/usr/bin/python3 -c 'import json, sys
d = json.loads(sys.argv[1])
print("\n".join(sorted(k["fingerprint"] for k in d["key_list"] if k["served"])))' "$J"
}
fp() { ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'; }

# --- alice: a vault user; a real login first makes her offline verifier.
PW=pw-alice
check "alice logs in through pam_ksm (live)" [ "$(pam_rc alice auth)" = PAM_SUCCESS ]
PW=
explain alice
check "alice: explain exits 0 (served)" [ "$XRC" = 0 ]
check "alice: a vault user, not expired, with her record, uid and groups" \
	jq 'd["kind"] == "vault" and d["served"] and not d["expired"] and d["account"]["record"] == "ExplAlice0000000000000" and d["account"]["uid"] == 252001 and {g["name"] for g in d["account"]["groups"]} >= {"alice", "devs"}'
check "alice: password and one-time code on" jq 'd["account"]["password"] and d["account"]["totp"]'
check "alice: keys from the snapshot, her two valid ones (the one with options was dropped)" \
	jq 'd["keys"]["answer"] == "snapshot" and len(d["key_list"]) == 2'
check "alice: explain's keys are exactly what ksm-authorized-keys prints" \
	[ "$(json_fps)" = "$(helper_fps alice)" ]
check "alice: and those are her and carol's keys" \
	[ "$(json_fps)" = "$(printf '%s\n' "$(fp alice)" "$(fp carol)" | sort)" ]
check "alice: the last sync's dropped key is named" \
	jq 'any(not r["account"] and "key dropped" in r["reason"] for r in d["last_sync"]["refused"])'
check "alice: NSS answers from nss_ksm, as getent does" \
	jq "d['nss']['answer'] == 'ksm' and d['getpwnam']['uid'] == 252001 and str(d['getpwnam']['uid']) == '$(getent passwd alice | cut -d: -f3)'"
agree "alice: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc alice acct)"
agree "alice: session as pam_ksm answers" "$(jget 'd["pam"]["session"]["answer"]')" "$(pam_rc alice open)"
check "alice: auth is the live vault check, and the code is asked with totp=" \
	jq 'd["pam"]["auth"]["answer"] == "vault_check" and "totp=if_present or totp=required" in d["pam"]["auth"]["why"]'
check "alice: session secrets and password change as pam_ksm does them" \
	jq 'd["pam"]["session"]["answer"] == "PAM_SUCCESS" and "ksm:password" in d["pam"]["session"]["why"] and d["pam"]["password"]["answer"] == "PAM_AUTHTOK_ERR"'
check "alice: password change refused as explain says" [ "$(pam_rc alice chauthtok)" = PAM_AUTHTOK_ERR ]
check "alice: ksmd has her offline verifier from that login, confirmed just now, usable" \
	jq 'd["offline"]["answer"] == "usable" and d["offline"]["verifier"] and 0 <= d["offline"]["age_s"] < 120 and d["offline"]["failures"] == 0 and d["offline"]["record"] == "ExplAlice0000000000000"'
check "alice: ksmd calls her a vault user, no failures" \
	jq 'd["ksmd"]["answered"] and d["ksmd"]["vault_user"] and d["ksmd"]["auth_failures"] == 0 and not d["ksmd"]["locked"]'
run_ksmctl explain alice
check "alice (text): the summary, the groups, each PAM stage and the fingerprints" bash -c '
	grep -q "^alice: a vault user, served by ksm-unix" <<<"$1" && grep -q "^groups .*devs(" <<<"$1" &&
	grep -q "^pam account  PAM_SUCCESS" <<<"$1" && grep -qF "$2" <<<"$1" && grep -q "^offline .*usable" <<<"$1"' _ "$OUT" "$(fp alice)"
check "alice (text and JSON): no secret in the output" bash -c '! grep -q "pw-alice\|GEZDGNBV" <<<"$1$2"' _ "$OUT" "$J"

# --- bob: keys only, no password in the record.
explain bob
check "bob: served, password off, auth refused by ksmd as explain says" \
	jq 'd["served"] and not d["account"]["password"] and d["pam"]["auth"]["answer"] == "PAM_AUTH_ERR" and "no password" in d["pam"]["auth"]["why"]'
PW=anything
agree "bob: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc bob auth)"
PW=
check "bob: no offline verifier yet (offline_verifiers = login)" \
	jq 'd["offline"]["answer"] == "none" and "first live login" in d["offline"]["why"]'

# --- dave: expired.
explain dave
check "dave: explain exits 1 (not served: expired)" [ "$XRC" = 1 ]
check "dave: expired, keys none, account PAM_ACCT_EXPIRED" \
	jq 'd["kind"] == "vault" and d["expired"] and d["account"]["valid_until"] == "2001-01-01T00:00:00Z" and d["keys"]["answer"] == "none" and d["pam"]["account"]["answer"] == "PAM_ACCT_EXPIRED"'
check "dave: the keys helper prints nothing, as explain says" [ -z "$(helper_fps dave)" ]
agree "dave: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc dave acct)"
agree "dave: session as pam_ksm answers (no secrets for an expired account)" "$(jget 'd["pam"]["session"]["answer"]')" "$(pam_rc dave open)"
PW=pw-dave
agree "dave: auth as pam_ksm answers (ksmd: expired in the vault)" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc dave auth)"
PW=

# --- dup1: refused at the last sync (the uid is claimed twice).
explain dup1
check "dup1: explain exits 1, not a vault user" jq 'd["kind"] == "unknown" and not d["served"] and d["account"] is None'
check "dup1: the last sync's refusal of its record, with the reason" \
	jq 'any(r["record"] == "ExplDup10000000000000" and r["account"] and "uid is also claimed" in r["reason"] for r in d["last_sync"]["refused"])'
check "dup1: summary says the last sync refused it" jq '"refused" in d["summary"]'
agree "dup1: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc dup1 acct)"
agree "dup1: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc dup1 auth)"
[ "$XRC" = 1 ] || fail "dup1: exit $XRC"

# --- nosuch: no record at all.
explain nosuch
check "nosuch: unknown, nothing refused, NSS finds nothing" \
	jq 'd["kind"] == "unknown" and d["last_sync"]["refused"] == [] and d["nss"]["answer"] == "none" and d["getpwnam"] is None and "not in the snapshot" in d["summary"]'
check "nosuch: auth answered without a prompt" jq '"without a prompt" in d["pam"]["auth"]["why"]'
agree "nosuch: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc nosuch auth)"
agree "nosuch: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc nosuch acct)"
agree "nosuch: session as pam_ksm answers" "$(jget 'd["pam"]["session"]["answer"]')" "$(pam_rc nosuch open)"
agree "nosuch: password change as pam_ksm answers" "$(jget 'd["pam"]["password"]["answer"]')" "$(pam_rc nosuch chauthtok)"

# --- carol: a local account made after the sync shadows her.
cp /etc/passwd "$T/passwd"
echo "carol:x:1999:1999:local carol:/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
chmod 0644 "$T/passwd"
sys_mount --bind "$T/passwd" /etc/passwd
explain carol
check "carol: explain exits 1, a local account that shadows the vault user" \
	jq 'd["kind"] == "local" and d["local_account"]["uid"] == 1999 and d["account"]["record"] == "ExplCarol0000000000000" and "shadows" in d["summary"]'
[ "$XRC" = 1 ] || fail "carol: exit $XRC"
check "carol: NSS answers from /etc/passwd (files), as getent does" \
	jq "d['nss']['answer'] == 'files' and d['getpwnam']['uid'] == 1999 and '$(getent passwd carol | cut -d: -f3)' == '1999'"
check "carol: keys none (explain)" jq 'd["keys"]["answer"] == "none" and "local account" in d["keys"]["why"]'
check "carol: and the keys helper prints none" [ -z "$(helper_fps carol)" ]
check "carol: auth PAM_USER_UNKNOWN, account PAM_IGNORE (explain)" \
	jq 'd["pam"]["auth"]["answer"] == "PAM_USER_UNKNOWN" and d["pam"]["account"]["answer"] == "PAM_IGNORE" and d["pam"]["session"]["answer"] == "PAM_IGNORE"'
PW=pw-carol
agree "carol: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc carol auth)"
PW=
agree "carol: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc carol acct)"
agree "carol: session as pam_ksm answers" "$(jget 'd["pam"]["session"]["answer"]')" "$(pam_rc carol open)"
check "carol: ksmd also says the local account wins" jq '"local account" in d["ksmd"]["why"] and not d["ksmd"]["vault_user"]'
umount /etc/passwd

# --- ksmd's failure limit: five wrong passwords lock alice out.
PW=wrong
for i in 1 2 3 4 5; do pam_rc alice auth >/dev/null; done
PW=
explain alice
check "after 5 wrong passwords: auth PAM_MAXTRIES, ksmd counts 5" \
	jq 'd["pam"]["auth"]["answer"] == "PAM_MAXTRIES" and d["ksmd"]["auth_failures"] == 5 and d["ksmd"]["locked"]'
PW=pw-alice
agree "locked: auth as pam_ksm answers, even to the right password" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc alice auth)"
PW=

# --- a stale snapshot: the keys helper goes live through ksmd.
sysconf "keys_max_age = 0s"
sleep 1.1
explain alice
check "stale snapshot (keys_max_age 0): keys live through ksmd, snapshot keys as the fallback" \
	jq 'd["keys"]["answer"] == "live" and "keys_max_stale" in d["keys"]["why"]'
check "stale snapshot: the helper still serves alice's two keys (from the vault)" \
	[ "$(helper_fps alice | wc -l)" = 2 ]

# --- ksmd stopped: vault passwords fail closed.
ksmd_stop
explain alice
check "ksmd stopped: auth PAM_AUTHINFO_UNAVAIL, offline unknown, ksmd's error named" \
	jq 'd["pam"]["auth"]["answer"] == "PAM_AUTHINFO_UNAVAIL" and d["offline"]["answer"] == "unknown" and not d["ksmd"]["answered"] and "ksmd is not running" in d["ksmd"]["error"]'
PW=pw-alice
agree "ksmd stopped: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc alice auth)"
agree "ksmd stopped: session as pam_ksm answers (the login goes on)" "$(jget 'd["pam"]["session"]["answer"]')" "$(pam_rc alice open)"
PW=
check "ksmd stopped: explain still exits 0 (alice is served; key logins go on)" [ "$XRC" = 0 ]

# --- no snapshot: nobody is a vault user.
sysconf
mv /var/lib/ksm/snapshot "$T/snapshot.away"
explain alice
check "snapshot missing: alice not served, the state named" \
	jq 'd["kind"] == "no_snapshot" and not d["served"] and d["snapshot"]["state"].startswith("missing") and "ksmctl sync" in d["summary"]'
[ "$XRC" = 1 ] || fail "snapshot missing: exit $XRC"
agree "snapshot missing: auth as pam_ksm answers" "$(jget 'd["pam"]["auth"]["answer"]')" "$(pam_rc alice auth)"
agree "snapshot missing: account as pam_ksm answers" "$(jget 'd["pam"]["account"]["answer"]')" "$(pam_rc alice acct)"
check "snapshot missing: the keys helper prints nothing" [ -z "$(helper_fps alice)" ]
mv "$T/snapshot.away" /var/lib/ksm/snapshot

# --- usage.
run_ksmctl explain
expect_rc "explain without a user: usage (2)" 2 "explain USER"
run_ksmctl explain alice bob
expect_rc "explain with two users: usage (2)" 2 "explain USER"

finish
