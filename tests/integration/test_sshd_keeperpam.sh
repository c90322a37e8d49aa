#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sshd_keeperpam.sh - a host run the KeeperPAM way, against a real
# sshd with pam_ksm:
#  - host_record (none, auto by pamHostname, a UID, errors): the accounts
#    are the pamUsers linked to this host's pamMachine; is_admin links get
#    admin_groups; ksmctl users and explain say why the others are not here;
#  - scripts_only (NOOP) rotation by ksm-server-admin rotate: a new
#    password works at once and the old one is refused; a new key logs in
#    and the old one is refused within one keys_max_age, with no sync;
#  - end_sessions: a running ssh session ends at the sync that finds its
#    account expired (valid_until) or no longer linked to this host, with
#    a log line; end_sessions = no leaves it running.
#
# Needs root (exit 77 otherwise): a private mount namespace.
# Run by hand: cd build && bash ../tests/integration/test_sshd_keeperpam.sh
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/sshd.sh"
. "$srcdir/tests/lib/syslog.sh"
need_root_ns "$@"
need_sshd
private_dev_log

trap show_sshd_log EXIT

HOST=$(hostname)
M=KpMachine0000000000000  # this host's pamMachine
O=KpOther00000000000000A  # another host's
for k in ada erin carl hostkey; do ssh-keygen -q -t ed25519 -N '' -f "$T/$k" || exit 99; done

/usr/bin/python3 - "$T" "$HOST" "$M" "$O" <<'PY' || exit 99
import json, sys
t, host, m, o = sys.argv[1:5]
F = "KpFolder00000000000000"
def pam_user(uid, login, unix_uid, password="", key=None, custom=()):
    return {"uid": uid, "folder": F,
            "data": {"type": "pamUser", "title": login,
                     "fields": [{"type": "login", "value": [login]},
                                {"type": "password", "value": [password] if password else []},
                                {"type": "script", "label": "rotationScripts", "value": []},
                                {"type": "secret", "label": "privatePEMKey",
                                 "value": [open(f"{t}/{key}").read()] if key else []},
                                {"type": "checkbox", "label": "managed", "value": [True]}],
                     "custom": [{"type": "text", "label": "uid", "value": [str(unix_uid)]}]
                               + list(custom)}}
def machine(uid, title, hostname, links):
    return {"uid": uid, "folder": F,
            "data": {"type": "pamMachine", "title": title,
                     "fields": [{"type": "pamHostname", "label": "pamHostname",
                                 "value": [{"hostName": hostname, "port": "22"}]}]},
            "links": links}
records = [
    pam_user("KpAda00000000000000000", "ada", 263101, "ada-pass-1", "ada"),
    pam_user("KpBob00000000000000000", "bob", 263102, "bob-pass-1"),
    pam_user("KpCarl0000000000000000", "carl", 263103, "carl-pass-1", "carl"),
    pam_user("KpErin0000000000000000", "erin", 263104, "", "erin",
             [{"type": "text", "label": "valid_until", "value": ["2099-01-01"]}]),
    # Linked the other way round: the pamUser's link names the machine.
    pam_user("KpFay00000000000000000", "fay", 263105, "fay-pass-1"),
    machine(m, "this host", host,
            [{"recordUid": "KpAda00000000000000000",
              "data": {"is_admin": True, "belongs_to": True}},
             {"recordUid": "KpBob00000000000000000", "data": {"belongs_to": True}},
             {"recordUid": "KpErin0000000000000000", "data": {"belongs_to": True}},
             {"recordUid": "KpGone0000000000000000", "data": {"belongs_to": True}},
             {"recordUid": m, "path": "meta", "data": {"version": 1}}]),
    machine(o, "other host", "other.invalid",
            [{"recordUid": "KpCarl0000000000000000", "data": {"is_admin": True}}]),
]
# A pamUser linked to this host that the application is not shared with.
gone = pam_user("KpGone0000000000000000", "gone", 263106)
del gone["folder"]
records.append(gone)
records[4]["links"] = [{"recordUid": m, "data": {"belongs_to": True}}]
vault = {"applications": [{"name": "app", "shares": [{"folder": F, "editable": True}]}],
         "folders": [{"uid": F, "name": "KeeperPAM"}], "records": records}
json.dump(vault, open(f"{t}/vault.json", "w"), indent=1)
PY
ksm_start_server "$T/vault.json"
setup_system_ns
sshd_system_dirs
bind
expect_rc "ksmctl init" 0

on_host() { getent passwd "$1" >/dev/null; }
groups_of() { id -Gn "$1" 2>/dev/null; }

# --- host_record = none (the default): every pamUser is an account.
run_ksmctl sync
expect_rc "host_record none: sync" 0
for u in ada bob carl erin fay; do check "host_record none: $u is an account" on_host "$u"; done
for u in ada bob carl erin fay; do
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u"
done

sshd_pam_stack
sshd_start
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=10 -o LogLevel=ERROR)
# pw_login USER PASSWORD: keyboard-interactive (SSH_ASKPASS), runs id -un.
pw_login() {
	OUT=$(KSM_TEST_PW=$2 SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 30 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$1@127.0.0.1" id -un 2>"$T/err" </dev/null)
	RC=$?
	ERR=$(cat "$T/err")
}
pw_ok() { pw_login "$2" "$3"; check "$1 (rc $RC: $ERR)" [ "$RC.$OUT" = "0.$2" ]; }
pw_refused() { pw_login "$2" "$3"; check "$1 (rc $RC, out '$OUT')" [ "$RC" = 255 ]; }
# session_start USER KEY: ssh USER sleep 300 in the background (SESSION_PID);
# waits until a process of the user runs.
session_start() {
	timeout 120 ssh "${SSH_OPTS[@]}" -i "$T/$2" -o BatchMode=yes -o IdentitiesOnly=yes \
		"$1@127.0.0.1" sleep 300 </dev/null >/dev/null 2>&1 &
	SESSION_PID=$!
	bg_add "$SESSION_PID"
	local i
	for i in $(seq 1 100); do
		pgrep -u "$1" -x sleep >/dev/null && return 0
		sleep 0.1
	done
	fail "session of $1 did not start"
}
# session_ended DESCRIPTION USER: the ssh client exited and no process of
# the account's uid is left.
session_ended() {
	local i uid=$3
	for i in $(seq 1 100); do
		kill -0 "$SESSION_PID" 2>/dev/null || break
		sleep 0.1
	done
	check "$1: the ssh session ended" bash -c "! kill -0 $SESSION_PID 2>/dev/null"
	check "$1: no process of uid $uid left" bash -c "! pgrep -U $uid >/dev/null"
}

# A session of carl's, who is about to leave this host (not linked to it).
session_start carl carl
check "carl's session runs" bash -c 'pgrep -u carl -x sleep >/dev/null'

# --- host_record = auto: this host's pamMachine by its pamHostname.
sysconf "host_record = auto" "admin_groups = kadmins, sudo" "end_sessions = yes"
run_ksmctl sync
expect_rc "host_record auto: sync" 0
for u in ada bob erin fay; do check "host_record auto: $u (linked) is an account" on_host "$u"; done
check "host_record auto: carl (another host's) is not" bash -c "! getent passwd carl"
check "host_record auto: ada (is_admin) is in admin_groups" \
	bash -c 'g=" $(id -Gn ada) "; [[ $g == *" kadmins "* && $g == *" sudo "* ]]'
check "host_record auto: bob (not admin) is in none" bash -c '! id -Gn bob | grep -qw -e kadmins -e sudo'
check "host_record auto: the sync counts the linked and the other records" \
	grep -q "host_record $M: 5 linked, 2 records not on this host" <<<"$OUT"
check "host_record auto: carl's record is not logged as a refusal" bash -c '! grep -q "refused.*carl" <<<"$1"' _ "$ERR"
session_ended "carl left this host's links" carl 263103
check "carl's session end is on stderr" grep -q "ended the sessions of carl (uid 263103): no longer linked to this host" <<<"$ERR"
check "carl's session end is logged" grep -q "ended the sessions of carl (uid 263103)" "$SYSLOG"
run_ksmctl users
check "users: the host's pamMachine" grep -qF "host_record: pamMachine $M (this host)" <<<"$OUT"
check "users: ada is linked with is_admin" grep -q "linked with is_admin (admin_groups kadmins, sudo): ada" <<<"$OUT"
check "users: why carl is not here" grep -q "KpCarl0000000000000000 *carl *not linked to this host's pamMachine $M" <<<"$OUT"
check "users: a linked record the application cannot see" \
	grep -q "KpGone0000000000000000.*not in the vault's answer" <<<"$OUT"

run_ksmctl users --json
check "users --json: host_record and off_host" /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1])
assert d["host_record"]["record"] == sys.argv[2] and d["host_record"]["admins"] == ["ada"], d["host_record"]
assert {(o["record"], o["name"]) for o in d["off_host"]} == {("KpCarl0000000000000000", "carl"), ("KpGone0000000000000000", "")}, d["off_host"]' "$OUT" "$M"
run_ksmctl explain carl
check "explain carl: not on this host, and why (exit 1)" \
	bash -c '[ "$1" = 1 ] && grep -q "carl: not on this host: record KpCarl0000000000000000 is not linked to this host.s pamMachine" <<<"$2"' _ "$RC" "$OUT"
run_ksmctl explain ada
check "explain ada: served, linked with is_admin" \
	grep -q "ada: a vault user, served by ksm-unix (host_record: linked to this host's pamMachine $M with is_admin" <<<"$OUT"
run_ksmctl explain bob
check "explain bob: served, linked (no is_admin)" \
	grep -q "bob: a vault user, served by ksm-unix (host_record: linked to this host's pamMachine $M)" <<<"$OUT"

# --- Ambiguous and missing machines: the sync fails, the snapshot stays.
admin set-field --record "$O" --field pamHostname --json \
	--value "{\"hostName\": \"$HOST\", \"port\": \"22\"}" >/dev/null || fail "set-field pamHostname"
run_ksmctl sync
check "two pamMachines for this host: the sync fails" [ "$RC" -ne 0 ]
check "two pamMachines: the error names both" \
	bash -c 'grep -q "2 pamMachine records have the pamHostname" <<<"$1" && grep -q "'"$M"'" <<<"$1" && grep -q "'"$O"'" <<<"$1"' _ "$ERR"
check "two pamMachines: the old snapshot is kept (ada)" on_host ada
admin set-field --record "$O" --field pamHostname --json \
	--value '{"hostName": "other.invalid", "port": "22"}' >/dev/null
sysconf "host_record = NoSuchRecord0000000000"
run_ksmctl sync
check "host_record = an unknown UID: the sync fails with the reason" \
	bash -c '[ "$1" -ne 0 ] && grep -q "NoSuchRecord0000000000 is not in the vault" <<<"$2"' _ "$RC" "$ERR"
sysconf "host_record = $O"
run_ksmctl sync
expect_rc "host_record = the other machine's UID: sync" 0
check "host_record UID: carl is the only account" \
	bash -c 'getent passwd carl >/dev/null && ! getent passwd ada && ! getent passwd bob'

# --- NOOP rotation (scripts_only) of bob's password and ada's key.
sysconf "host_record = auto" "admin_groups = kadmins" "keys_max_age = 3s" "end_sessions = yes"
run_ksmctl sync
expect_rc "back to host_record auto" 0
pw_ok "before rotation: bob's password logs in" bob bob-pass-1
ROT=$(admin rotate --record KpBob00000000000000000 --password) || fail "rotate --password"
NEWPW=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["password"])' "$ROT")
past_reuse # an auth may take a read of the last second (docs/design.md)
pw_refused "after a password rotation: the old password is refused within a second, no sync" bob bob-pass-1
pw_ok "after a password rotation: the new one logs in, no sync" bob "$NEWPW"
check "rotate set rotation_settings.noop on the machine's link to bob" \
	/usr/bin/python3 -c 'import json,sys; st=json.load(open(sys.argv[1]))
l=[l for l in st["records"][sys.argv[2]]["links"] if l["recordUid"]=="KpBob00000000000000000"][0]
sys.exit(0 if l["data"]["rotation_settings"]["noop"] is True else 1)' "$T/srv/vault-state.json" "$M"

key_logs_in "before rotation: ada's key logs in" ada ada
ROT=$(admin rotate --record KpAda00000000000000000 --private-key) || fail "rotate --private-key"
/usr/bin/python3 -c 'import json,sys; open(sys.argv[2],"w").write(json.loads(sys.argv[1])["private_key"])' \
	"$ROT" "$T/ada2" && chmod 0600 "$T/ada2"
sleep 3.2 # one keys_max_age: the snapshot's keys are too old to trust alone
key_logs_in "after a key rotation: the new key logs in within keys_max_age (no sync)" ada2 ada
key_refused "after a key rotation: the old key is refused within keys_max_age (no sync)" ada ada

# --- JIT: erin's access expires while she is logged in.
session_start erin erin
admin set-field --record KpErin0000000000000000 --field valid_until --value 2020-01-01 >/dev/null ||
	fail "set-field valid_until"
run_ksmctl sync
expect_rc "sync after erin expired" 0
session_ended "erin expired (valid_until)" erin 263104
check "erin's session end is on stderr" grep -q "ended the sessions of erin (uid 263104): access expired (valid_until)" <<<"$ERR"
check "erin's session end is logged" grep -q "ended the sessions of erin (uid 263104): access expired" "$SYSLOG"
run_ksmctl sync
check "a second sync has nothing to end" bash -c '! grep -q "ended the sessions" <<<"$1"' _ "$ERR"

# --- end_sessions = no: the sync leaves the session alone.
sysconf "host_record = auto" "end_sessions = no"
admin set-field --record KpErin0000000000000000 --field valid_until --value 2099-01-01 >/dev/null
run_ksmctl sync
session_start erin erin
admin set-field --record KpErin0000000000000000 --field valid_until --value 2020-01-01 >/dev/null
run_ksmctl sync
expect_rc "end_sessions = no: sync" 0
check "end_sessions = no: erin's session still runs" bash -c 'pgrep -u 263104 -x sleep >/dev/null'
kill "$SESSION_PID" 2>/dev/null # the client: sshd ends erin's side

finish
