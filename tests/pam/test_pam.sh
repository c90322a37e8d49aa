#!/bin/bash
# SPDX-License-Identifier: MIT
# test_pam.sh - pam_ksm.so driven through libpam (tests/pam/pam_harness,
# pam_start_confdir with service files under $T/pam.d), asking the test's
# ksmd (tests/lib/ksmd.sh), which asks the local KSM server: live checks of
# the vault's current password, rotation, the request count (one login,
# one request, also when auth and session run in two processes), local and
# unknown users without ksmd or network, TOTP, the verifiers that
# offline_verifiers = login and = all make, every fault mode with the
# offline verifier, the offline failure limit and ksmd's live one
# (max_auth_failures), offline_max_age, no_offline, account expiry and
# removal, session secrets in the kernel keyring (owner, permissions,
# timeout, revocation), public-key sessions, chauthtok, the syslog lines
# (pam_ksm's, with ksmd's verdicts, and ksmd's own), and that no password
# reaches a log or file.
#
# Needs root (setfsuid for key ownership, a private mount namespace whose
# /dev/log is a test syslog listener); skipped (77) otherwise. Nothing
# outside the namespace changes.
# Run by hand: cd build/normal && bash ../../tests/pam/test_pam.sh
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
private_dev_log

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
# ksmd's state directory (tmpfiles makes /var/lib/ksmd on a host).
mkdir -m 0700 "$T/private"
# conf [EXTRA LINES]: ksm.conf (and ksmd started again on it); VERIFIERS
# is offline_verifiers (login, the default, until the check below).
VERIFIERS=login
conf() {
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"timeout_auth = 2" "offline_max_failures = 3" "session_secret_ttl = 10m" \
		"offline_verifiers = $VERIFIERS" "$@"
}
# verifiers: the users with an offline verifier, sorted, on one line.
verifiers() {
	store_written
	[ -f "$T/private/store" ] || return 0
	"$PY" -c 'import json, sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["users"])))' "$T/private/store"
}
conf
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync (snapshot)" 0

pam_service ksm

# -------------------------------------------------------- offline verifiers
# offline_verifiers = login (the default): the sync makes none, a live
# login makes the user's own.
check "offline_verifiers = login: the sync made no verifier ($OUT)" grep -q " 0 offline verifiers made" <<<"$OUT"
check "offline_verifiers = login: no verifier after the sync ($(verifiers))" [ -z "$(verifiers)" ]
PW=$PW_ALICE
pam ksm alice auth
expect_pam "offline_verifiers = login: a live login" auth PAM_SUCCESS 2000
check "offline_verifiers = login: the live login made alice's verifier, and only hers ($(verifiers))" \
	[ "$(verifiers)" = alice ]
# offline_verifiers = all: every account with a password gets one at the
# sync; the offline cells below rely on them (frank, gina never log in live
# before the vault goes away).
VERIFIERS=all
conf
run_ksmctl sync
expect_rc "offline_verifiers = all: ksmctl sync" 0
check "offline_verifiers = all: the sync made the missing verifiers ($OUT)" \
	grep -qE " [1-9][0-9]* offline verifiers made" <<<"$OUT"
check "offline_verifiers = all: every account with a password has one ($(verifiers))" \
	[ "$(verifiers)" = "alice bob carol erin frank gina" ]

pam_service ksm-totp totp=required
pam_service ksm-totp-if totp=if_present
pam_service ksm-nooffline no_offline

# ---------------------------------------------------------------- live auth
PW=$PW_ALICE
pam ksm alice auth
expect_pam "right password: PAM_SUCCESS" auth PAM_SUCCESS 2000
PW=wrong-password
pam ksm alice auth
expect_pam "wrong password: PAM_AUTH_ERR" auth PAM_AUTH_ERR
# pam_fail_delay(2 s); libpam draws the delay between half and 1.5 times it.
check "wrong password: pam_ksm's fail delay ($MS ms, at least 1 s)" [ "$MS" -ge 1000 ]
log_mark
reset_stats
PW=$PW_ALICE
pam ksm alice auth
expect_pam "right password again" auth PAM_SUCCESS
check "exactly one request per authentication (get_secret $(req_gets), total $(req_total))" \
	[ "$(req_gets)" = 1 -a "$(req_total)" = 1 ]
expect_log "the log names the live path (ksmd's verdict in pam_ksm's line)" \
	"pam_ksm\(ksm:auth\): alice: password accepted by the vault \(live"
expect_log "ksmd's audit line: user, service, verdict" "ksmd\[[0-9]+\]: auth alice \(ksm\): ok, live"
# An auth takes a read of the same record sent in the last auth_reuse (1 s
# here): the checks right after share it; one after that asks.
reset_stats
for i in 1 2 3; do pam ksm alice auth; done
check "three authentications in a row share the last second's read ($(req_total) requests)" [ "$(req_total)" -lt 3 ]
past_reuse
reset_stats
pam ksm alice auth
expect_pam "an authentication over 1 s after the last read" auth PAM_SUCCESS
check "... asks the vault again ($(req_total) request)" [ "$(req_total)" = 1 ]

reset_stats
PW=whatever
pam ksm nosuchuser auth
expect_pam "unknown user: PAM_USER_UNKNOWN" auth PAM_USER_UNKNOWN 500
pam ksm root auth
expect_pam "local user root: PAM_USER_UNKNOWN" auth PAM_USER_UNKNOWN 500
check "unknown and local users: no request reached the server" [ "$(req_total)" = 0 ]
check "unknown and local users: ksmd was not asked (no audit line)" \
	bash -c "! grep -qE 'ksmd\[[0-9]+\]: auth (nosuchuser|root) ' '$SYSLOG'"
check "unknown and local users: not even prompted for a password" bash -c "! grep -q '^prompt' '$T/out'"

# A damaged entry in the snapshot (a byte of bob's name): bob is not served
# and the log says why; alice's entry is intact and she still logs in.
cp -p "$T/lib/snapshot" "$T/snapshot.good"
"$PY" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[d.index(b"\0bob\0") + 1] ^= 0xff; open(sys.argv[1], "wb").write(d)' "$T/lib/snapshot"
log_mark
PW=whatever
pam ksm bob auth
expect_pam "damaged entry: PAM_USER_UNKNOWN" auth PAM_USER_UNKNOWN 500
expect_log "damaged entry: the log names it" "bob: the snapshot .* entry this name leads to is damaged"
PW=$PW_ALICE
pam ksm alice auth
expect_pam "damaged entry: another user still logs in" auth PAM_SUCCESS 2000
cp -p "$T/snapshot.good" "$T/lib/snapshot"

log_mark
PW=anything
pam ksm dan auth
expect_pam "a record without password: PAM_AUTH_ERR" auth PAM_AUTH_ERR
expect_log "the log says password logins are off" "dan: the record has no password"

# Rotation, as KeeperPAM does it: no sync needed. With ksmd's default
# auth_reuse (5 s), right after a login that read alice's record: the new
# password works at once (a read from before the auth refused it, so ksmd
# asks the vault again), and the old one fails (a refusal is always the
# vault's answer of now: it asks again too).
AUTH_REUSE= conf
PW=$PW_ALICE
pam ksm alice auth
expect_pam "default auth_reuse: alice logs in (a read of her record)" auth PAM_SUCCESS
admin set-field --record PamAlice00000000000000 --field password --value "$PW_ALICE2" >/dev/null ||
	fail "set-field"
reset_stats
PW=$PW_ALICE2
pam ksm alice auth
expect_pam "rotated: the new password works at once, no sync" auth PAM_SUCCESS
check "... the earlier read refused it, so ksmd asked the vault ($(req_gets) get_secret)" [ "$(req_gets)" = 1 ]
PW=$PW_ALICE
pam ksm alice auth
expect_pam "rotated: the old password fails at once, no sync" auth PAM_AUTH_ERR
check "... asked the vault again too ($(req_gets) get_secret in all)" [ "$(req_gets)" = 2 ]
conf

# use_first_pass: the token of an earlier module (none here) is required.
mkdir -p "$T/pam.d"
printf 'auth [success=done default=die] %s conf=%s use_first_pass\n' "$PAM_MOD" "$T/ksm.conf" >"$T/pam.d/ksm-first"
PW=$PW_ALICE2
pam ksm-first alice auth
check "use_first_pass without an earlier password: no prompt, not accepted" \
	bash -c "! grep -q '^prompt' '$T/out' && ! grep -q '^auth: PAM_SUCCESS' '$T/out'"

# --------------------------------------------------------------------- TOTP
PW=$PW_BOB CODE=$(totp_now)
pam ksm-totp bob auth
expect_pam "totp=required: password and current code" auth PAM_SUCCESS
expect_line "totp=required: the code was asked for" "^prompt-on: .*[Cc]ode"
CODE=$(totp_now 5)
pam ksm-totp bob auth
expect_pam "totp=required: a code 150 s off is refused" auth PAM_AUTH_ERR
CODE=000000
[ "$(totp_now)" = 000000 ] && CODE=111111
pam ksm-totp bob auth
expect_pam "totp=required: a wrong code is refused" auth PAM_AUTH_ERR
PW=wrong CODE=$(totp_now)
pam ksm-totp bob auth
expect_pam "totp=required: right code, wrong password refused" auth PAM_AUTH_ERR
PW=$PW_ALICE2 CODE=123456
pam ksm-totp alice auth
expect_pam "totp=required: a record without oneTimeCode is refused" auth PAM_AUTH_ERR
pam ksm-totp-if alice auth
expect_pam "totp=if_present: no oneTimeCode, password alone" auth PAM_SUCCESS
check "totp=if_present without oneTimeCode: no code prompt" bash -c "! grep -q '^prompt-on' '$T/out'"
PW=$PW_BOB CODE=$(totp_now)
pam ksm-totp-if bob auth
expect_pam "totp=if_present: bob's code is asked and checked" auth PAM_SUCCESS
CODE=$(totp_now 7)
pam ksm-totp-if bob auth
expect_pam "totp=if_present: bob with a wrong code is refused" auth PAM_AUTH_ERR
CODE=

# A user who takes longer than timeout_auth to type the password: the
# budget is for waiting on the vault, not on the user. After a rotation
# (no sync, no live login since), the old password must not get in through
# the not yet refreshed offline verifier.
admin set-field --record PamGina000000000000000 --field password --value "$PW_GINA2" >/dev/null
reset_stats
log_mark
PW=$PW_GINA DELAY=2500
pam ksm gina auth
expect_pam "slow typist, old password after a rotation: refused" auth PAM_AUTH_ERR
# That read found the rotated revision: the old verifier goes at once,
# without waiting for the next sync.
check "the live refusal at the new revision dropped gina's old verifier ($(verifiers))" \
	bash -c "! grep -qw gina <<<'$(verifiers)'"
PW=$PW_GINA2
pam ksm gina auth
expect_pam "slow typist, new password: accepted" auth PAM_SUCCESS
expect_log "slow typist: the vault was asked (live path)" "gina: password accepted by the vault \(live"
check "slow typist: both checks went to the vault ($(req_gets) get_secret)" [ "$(req_gets)" = 2 ]
check "the live accept of the new password made gina's new verifier ($(verifiers))" \
	grep -qw gina <<<"$(verifiers)"
DELAY=

# ------------------------------------------------- faults: offline verifier
# alice's verifier was refreshed by the live check after the rotation.
# ksmd gets timeout_auth - 0.5 s for the vault; a failure adds the fail
# delay (at most 3 s) to the bound.
for mode in refuse blackhole delay:3 http500 throttle corrupt; do
	fault "$mode"
	log_mark
	PW=$PW_ALICE2
	pam ksm alice auth
	expect_pam "fault $mode: right password accepted offline" auth PAM_SUCCESS 2600
	expect_log "fault $mode: the log says the offline verifier decided" \
		"alice: password accepted by the offline verifier"
	case $mode in blackhole | delay:*)
		# docs/design.md says "timeout_auth budget"; ksmd names it only
		# as libksm's "time budget ran out" (reported, not a test bug).
		expect_log "fault $mode: the log says the budget ran out" "timeout_auth budget|time budget ran out" ;;
	esac
	PW=$PW_ALICE
	pam ksm alice auth
	expect_pam "fault $mode: the old (wrong) password refused offline" auth PAM_AUTH_ERR 5600
done
fault none

# The failure limit (offline_max_failures = 3), on frank, whose verifier
# the sync made (offline_verifiers = all): he never logged in live.
fault refuse
PW=wrong-1
for i in 1 2 3; do pam ksm frank auth; done
expect_pam "offline: third wrong password refused" auth PAM_AUTH_ERR
log_mark
PW=$PW_FRANK
pam ksm frank auth
expect_pam "offline: after 3 wrong passwords the right one is refused" auth PAM_MAXTRIES
expect_log "the log names offline_max_failures" "frank: refused: 3 wrong offline passwords \(offline_max_failures\)"
pam ksm frank auth
expect_pam "offline: still locked" auth PAM_MAXTRIES
fault none
pam ksm frank auth
expect_pam "the vault answers again: live success" auth PAM_SUCCESS
past_reuse
fault refuse
log_mark
pam ksm frank auth
expect_pam "the live success reset the limit: offline works again" auth PAM_SUCCESS
expect_log "... by the offline verifier" "frank: password accepted by the offline verifier"
# Consecutive failures only: a success in between resets the count.
PW=wrong-2
pam ksm frank auth
pam ksm frank auth
PW=$PW_FRANK
pam ksm frank auth
PW=wrong-3
pam ksm frank auth
PW=$PW_FRANK
pam ksm frank auth
expect_pam "offline: only consecutive failures count" auth PAM_SUCCESS
fault none

# offline_max_age (1d default): the verifier confirmed 2 days ago.
store_written
"$PY" - "$T/private/store" <<'PY' || fail "editing the private store"
import json, sys, time
p = sys.argv[1]
d = json.load(open(p))
d["users"]["alice"]["confirmed"] = int(time.time()) - 2 * 86400
json.dump(d, open(p, "w"))
PY
fault refuse
log_mark
PW=$PW_ALICE2
pam ksm alice auth
expect_pam "offline verifier older than offline_max_age: refused" auth PAM_AUTHINFO_UNAVAIL
expect_log "the log names offline_max_age" "alice: vault unreachable \(.*\) and the offline verifier is older than offline_max_age"
fault none
pam ksm alice auth
expect_pam "live again: accepted (and the verifier confirmed)" auth PAM_SUCCESS
past_reuse
fault refuse
log_mark
pam ksm alice auth
expect_pam "confirmed by the live check: offline works again" auth PAM_SUCCESS
expect_log "... by the offline verifier" "alice: password accepted by the offline verifier"

# no_offline.
log_mark
pam ksm-nooffline alice auth
expect_pam "no_offline: vault unreachable means refused" auth PAM_AUTHINFO_UNAVAIL
expect_log "the log names no_offline" "alice: vault unreachable \(.*\) and no_offline is set"
fault none

# The vault says no (bad signature / access_denied): no offline fallback.
fault bad-signature
log_mark
pam ksm alice auth
expect_pam "bad-signature (access_denied): refused, no fallback" auth PAM_AUTH_ERR
expect_no_log "bad-signature: the offline verifier was not consulted" "offline verifier"
fault none

# The second factor cannot be checked offline (the verifier knows only the
# password): totp=required, or if_present for a record with a oneTimeCode,
# is refused while the vault is down; if_present without one is not.
fault refuse
PW=$PW_BOB CODE=$(totp_now)
pam ksm-totp bob auth
expect_pam "vault down, totp=required: refused (no second factor offline)" auth PAM_AUTHINFO_UNAVAIL
pam ksm-totp-if bob auth
expect_pam "vault down, totp=if_present, record with a code: refused" auth PAM_AUTHINFO_UNAVAIL
PW=$PW_ALICE2 CODE=
pam ksm-totp-if alice auth
expect_pam "vault down, totp=if_present, record without code: offline password" auth PAM_SUCCESS
fault none

# A user without any verifier (dan has no password) while the vault is down.
fault refuse
PW=anything
pam ksm dan auth
check "no verifier while the vault is down: refused ($(grep '^auth:' "$T/out"))" \
	bash -c "! grep -q '^auth: PAM_SUCCESS' '$T/out'"
fault none

# ksmd's failure limit on the live path (max_auth_failures, here 2 within
# auth_failure_window): then even the right password is refused without
# asking the vault, and PAM hears PAM_MAXTRIES; never offline.
conf "max_auth_failures = 2" "auth_failure_window = 1m"
PW=wrong-4
pam ksm frank auth
pam ksm frank auth
expect_pam "max_auth_failures = 2: the second wrong password is still PAM_AUTH_ERR" auth PAM_AUTH_ERR
reset_stats
log_mark
PW=$PW_FRANK
pam ksm frank auth
expect_pam "past max_auth_failures: the right password is refused (PAM_MAXTRIES)" auth PAM_MAXTRIES
check "past max_auth_failures: the vault was not asked ($(req_total))" [ "$(req_total)" = 0 ]
expect_log "the log names max_auth_failures" "frank: refused without asking the vault: 2 failures within auth_failure_window \(max_auth_failures\)"
PW=$PW_ALICE2
pam ksm alice auth
expect_pam "the limit is per user: alice still logs in" auth PAM_SUCCESS
conf

# ------------------------------------------------------------------ account
PW=
pam ksm carol acct
expect_pam "account: valid_until passed: PAM_ACCT_EXPIRED" acct PAM_ACCT_EXPIRED
pam ksm alice acct
expect_pam "account: vault user: PAM_SUCCESS" acct PAM_SUCCESS
pam ksm root acct
expect_pam "account: local user root: ignored (stack goes on)" acct PAM_SUCCESS
expect_line "account: pam_ksm returned PAM_IGNORE for root" "^info-msg: ignored:account"
pam ksm nosuchuser acct
expect_pam "account: nobody's user: PAM_USER_UNKNOWN" acct PAM_USER_UNKNOWN
PW=$PW_ERIN
pam ksm erin auth acct
expect_pam "erin before removal: auth" auth PAM_SUCCESS
expect_pam "erin before removal: account" acct PAM_SUCCESS
# Removed from the vault (the record no longer makes an account).
admin set-field --record PamErin000000000000000 --field login --value "Erin-Gone" >/dev/null
past_reuse
log_mark
pam ksm erin auth
expect_pam "removed in the vault, not yet synced: ksmd's live check refuses (the account is unknown now)" auth PAM_USER_UNKNOWN
expect_log "the log says the vault no longer has the account" "erin: the vault no longer has this account"
run_ksmctl sync
pam ksm erin acct
expect_pam "removed and synced: account refused" acct PAM_USER_UNKNOWN
pam ksm erin auth
expect_pam "removed and synced: auth PAM_USER_UNKNOWN" auth PAM_USER_UNKNOWN

# ----------------------------------------- users that are not pam_ksm's
# What each stage answers for root (local), an unknown name and a vault
# user that is not there (man pam_ksm(8), RETURN VALUES): the documented
# lines pass PAM_USER_UNKNOWN (auth, setcred, account) and PAM_IGNORE on.
# setcred answers as auth does: libpam follows the auth lines with it when
# no authenticate of the same handle came first (sshd's monitor, sudo
# without a prompt). Local users get the same whatever broke.
# not_ours WHAT USER ACCOUNT_ANSWER: every stage of USER, one handle.
not_ours() {
	local what=$1 user=$2 acct=$3
	PW=whatever
	pam ksm "$user" auth setcred delcred acct open close chauthtok
	expect_pam "$what: $user: auth PAM_USER_UNKNOWN" auth PAM_USER_UNKNOWN 500
	expect_pam "$what: $user: setcred(ESTABLISH) PAM_USER_UNKNOWN, as auth" setcred PAM_USER_UNKNOWN
	expect_pam "$what: $user: setcred(DELETE) PAM_USER_UNKNOWN, as auth" delcred PAM_USER_UNKNOWN
	if [ "$acct" = ignore ]; then
		expect_line "$what: $user: account PAM_IGNORE" "^info-msg: ignored:account"
	else
		expect_pam "$what: $user: account $acct" acct "$acct"
	fi
	expect_line "$what: $user: session PAM_IGNORE" "^info-msg: ignored:session"
	expect_line "$what: $user: password PAM_IGNORE" "^info-msg: ignored:password"
}
log_mark
not_ours "not pam_ksm's" root ignore
not_ours "not pam_ksm's" nosuchuser PAM_USER_UNKNOWN
check "an unknown name: 'not a vault user' logged once for the whole handle (auth, setcred, account, session, password)" \
	[ "$(log_since | grep -c 'pam_ksm([a-z-]*:[a-z]*): nosuchuser: not a vault user: not in /etc/passwd and not in the snapshot')" = 1 ]
check "... at LOG_NOTICE (authpriv.notice, <85>)" bash -c "tail -c +$((LOG_POS + 1)) '$SYSLOG' | grep 'nosuchuser: not a vault user' | grep -q '^<85>'"
expect_no_log "a local user is not logged (root: no line without debug)" "pam_ksm\([^)]*\): root"
# A vault user whose secrets ksmd cannot give (it is stopped: a public-key
# login then): setcred says PAM_SUCCESS, the login goes on; PAM_IGNORE
# would be fatal under "default=die".
ksmd_stop
pam ksm alice setcred delcred
expect_pam "ksmd stopped: a vault user's setcred(ESTABLISH) is PAM_SUCCESS, without secrets" setcred PAM_SUCCESS
expect_pam "... setcred(DELETE) PAM_SUCCESS" delcred PAM_SUCCESS
not_ours "ksmd stopped" root ignore
ksmd_start "$T/ksm.conf"
# A hostile name: sanitized and cut in the log line.
log_mark
pam ksm "$(printf 'evil\tname%0100d' 0)" auth
expect_log "a hostile name is logged sanitized and cut at 64 bytes" \
	"pam_ksm\([^)]*\): evil\?name0{55}: not a vault user"
# ksm.conf broken (a typo), and the snapshot missing: root the same.
cp "$T/ksm.conf" "$T/ksm.conf.good"
echo "sesion_secret_ttl = 1h" >>"$T/ksm.conf"
log_mark
not_ours "ksm.conf broken" root ignore
PW=$PW_ALICE
pam ksm alice auth setcred acct
expect_pam "ksm.conf broken: a vault user's auth is PAM_SERVICE_ERR (service_err=ignore passes it on to pam_unix, which refuses)" auth PAM_SERVICE_ERR
expect_pam "ksm.conf broken: setcred PAM_SERVICE_ERR, as auth" setcred PAM_SERVICE_ERR
expect_pam "ksm.conf broken: account PAM_SERVICE_ERR" acct PAM_SERVICE_ERR
check "ksm.conf broken: the error logged once per handle, naming file and line" \
	[ "$(log_since | grep -c "pam_ksm([a-z-]*:[a-z]*): $T/ksm.conf:[0-9]*: unknown option 'sesion_secret_ttl'.*: vault users cannot log in until it is fixed")" = 1 ]
cp "$T/ksm.conf.good" "$T/ksm.conf"
mv "$T/lib/snapshot" "$T/snapshot.away"
log_mark
not_ours "snapshot missing" root ignore
not_ours "snapshot missing" alice PAM_USER_UNKNOWN
check "snapshot missing: logged once per handle" \
	[ "$(log_since | grep -c "pam_ksm([a-z-]*:[a-z]*): snapshot $T/lib/snapshot is missing.*no vault users until 'ksmctl sync' succeeds")" = 1 ]
mv "$T/snapshot.away" "$T/lib/snapshot"

# ------------------------------------------------------------------ session
# Default session_secret: ksm:password from the user's own record.
reset_stats
PW=$PW_ALICE2 EXPECT=$PW_ALICE2
pam -u $UID_ALICE ksm alice auth acct open keycheck userread close revcheck
expect_pam "session: auth" auth PAM_SUCCESS
expect_pam "session: open_session" open PAM_SUCCESS
expect_line "session: ksm:password holds the vault's value, owner alice, possessor+user perms, 10m timeout" \
	"^keycheck password: ok .*uid=$UID_ALICE "
expect_line "session: alice herself reads it through the session keyring" "^userread password: ok"
expect_pam "session: close_session" close PAM_SUCCESS
expect_line "session: close_session revoked the key" "^revcheck: ok"
check "auth + session in one process: one request in all ($(req_total))" [ "$(req_total)" = 1 ]

# sshd runs auth in one process and the session in another: ksmd gives the
# session the read the auth made (at most 10 s before), so still one
# request per login.
past_reuse
reset_stats
pam ksm alice auth
expect_pam "two processes: auth" auth PAM_SUCCESS
PW=
pam -u $UID_ALICE ksm alice open keycheck close revcheck
expect_line "two processes: the session's ksm:password holds the vault's value" "^keycheck password: ok .*uid=$UID_ALICE "
check "two processes (auth, then the session): one request in all ($(req_total))" [ "$(req_total)" = 1 ]

# A public-key login: no auth, the session asks ksmd, which reads the
# record (gina's: no read of hers in the last 10 s).
reset_stats
PW= EXPECT=$PW_GINA2
pam -u $UID_GINA ksm gina acct open keycheck close revcheck
expect_pam "public-key session: open_session" open PAM_SUCCESS
expect_line "public-key session: ksm:password fetched, correct value, owner, perms, timeout" \
	"^keycheck password: ok .*uid=$UID_GINA "
expect_line "public-key session: revoked at close" "^revcheck: ok"
check "public-key session: one request ($(req_total))" [ "$(req_total)" = 1 ]
EXPECT=$PW_ALICE2

# setcred first (as some programs do), then open_session: installed once.
pam ksm alice setcred open keycheck delcred revcheck close
expect_pam "setcred(ESTABLISH) then open_session" open PAM_SUCCESS
expect_line "setcred: the key is there" "^keycheck password: ok"
expect_line "setcred(DELETE): revoked" "^revcheck: ok"

# The key's timeout follows session_secret_ttl.
conf "session_secret_ttl = 2h"
pam ksm alice open keycheck close
expect_line "session_secret_ttl = 2h: key timeout about 2 h" "^keycheck password: ok .*timeout=(3600|7200) "
conf

# Local users and unknown users: no session work, no request.
reset_stats
pam ksm root open nokey close
expect_line "session for root: ignored" "^info-msg: ignored:session"
expect_line "session for root: no ksm: key" "^nokey password: ok"
check "session for root: no request" [ "$(req_total)" = 0 ]

# A second secret from another record, with auth in the same process.
# (ksmd starts again on the new ksm.conf: no read of anyone's is left.)
conf "session_secret = password keeper://{record}/field/password" \
	"session_secret = db keeper://PamDbSecret00000000000/field/password"
reset_stats
PW=$PW_ALICE2 EXPECT=$PW_DB
pam ksm alice auth open keycheck=db close
expect_line "two secrets, auth + session in one process: ksm:db from the other record" "^keycheck db: ok"
check "two secrets, auth + session: auth's request plus one for the other record ($(req_gets))" [ "$(req_gets)" = 2 ]
EXPECT=$PW_ALICE2
pam ksm alice auth open keycheck=password close
expect_line "two secrets, auth + session in one process: ksm:password too" "^keycheck password: ok"
# Sessions right after alice's auth: her record from that read, one
# request for the other record.
reset_stats
PW= EXPECT=$PW_DB
pam ksm alice open keycheck=db close
expect_line "two secrets, public-key session: ksm:db" "^keycheck db: ok"
EXPECT=$PW_ALICE2
pam ksm alice open keycheck=password close
expect_line "two secrets, public-key session: ksm:password" "^keycheck password: ok"
check "two secrets, sessions after the auth: one request each, for the other record ($(req_gets) for 2 sessions)" [ "$(req_gets)" = 2 ]
# A cold public-key session (no read of gina's since ksmd started): her
# record, then the other record.
reset_stats
EXPECT=$PW_DB
pam -u $UID_GINA ksm gina open keycheck=db close
expect_line "two secrets, cold public-key session: ksm:db" "^keycheck db: ok"
check "two secrets, cold public-key session: two requests, the user's record and the other ($(req_gets))" [ "$(req_gets)" = 2 ]
conf

# The vault down during a public-key session: the login goes on, no keys.
fault refuse
pam ksm alice open nokey close
expect_pam "vault down: the session still opens" open PAM_SUCCESS
expect_line "vault down: no key" "^nokey password: ok"
fault none
EXPECT=

# ------------------------------------------- a stopped holder of the store
# A root process (a ksmctl sync in direct mode, say) holds the store's lock
# and is stopped. Logins are answered at once all the same (ksmd answers
# first and leaves the store to its writer, which waits a bounded 5 s and
# tries again); gina's updates pile up in order: her accept, then, after a
# rotation, the live refusal of the old password, which replaces it. While
# that drop is not written, the old password gets nowhere offline; once
# the holder is gone, the old verifier is dropped and no verifier of the
# old password is made from the accept that came before.
PW=$PW_GINA2
pam ksm gina auth # gina's verifier of $PW_GINA2 is in the store
store_written
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(120)' \
	"$T/private/store.lock" >"$T/holder.out" &
HOLDER=$!
for _ in $(seq 1 50); do grep -q locked "$T/holder.out" && break; sleep 0.1; done
kill -STOP $HOLDER
past_reuse
log_mark
pam ksm gina auth
expect_pam "store lock held by a stopped process: a live login is accepted" auth PAM_SUCCESS 1500
admin set-field --record PamGina000000000000000 --field password --value "$PW_GINA" >/dev/null
past_reuse
pam ksm gina auth
expect_pam "... after a rotation, the old password is refused live, at once" auth PAM_AUTH_ERR 5600
fault refuse
pam ksm gina auth
expect_pam "... and, the vault down, not accepted offline while the drop waits for the lock" auth PAM_AUTHINFO_UNAVAIL 5600
expect_log "the store writer gave up on the lock within its bound" "offline verifier.? not refreshed: .*busy"
kill -CONT $HOLDER
kill $HOLDER
wait $HOLDER 2>/dev/null
store_written
check "holder gone: gina's old verifier is dropped, not remade from the earlier accept ($(verifiers))" \
	bash -c "! grep -qw gina <<<'$(verifiers)'"
pam ksm gina auth
expect_pam "... so the old password still gets nowhere offline" auth PAM_AUTHINFO_UNAVAIL 5600
fault none
PW=$PW_GINA
pam ksm gina auth
expect_pam "the new password, live" auth PAM_SUCCESS
check "... makes gina's new verifier ($(verifiers))" grep -qw gina <<<"$(verifiers)"

# ----------------------------------------------------------------- password
PW=$PW_ALICE2
log_mark
pam ksm alice chauthtok
expect_pam "chauthtok for a vault user: PAM_AUTHTOK_ERR" chauthtok PAM_AUTHTOK_ERR
expect_line "chauthtok: the message says where the password is changed" \
	"^error-msg: The password of vault user alice is managed in Keeper; change it there\.$"
expect_log "chauthtok: the refusal is logged" "pam_ksm\(ksm:chauthtok\): alice: password change refused"
pam ksm root chauthtok
expect_line "chauthtok for root: ignored" "^info-msg: ignored:password"

# --------------------------------------------------------- logs and files
check "syslog captured pam_ksm lines" grep -q "pam_ksm" "$SYSLOG"
check "the syslog lines name the service and module type" grep -q "pam_ksm(ksm:auth)" "$SYSLOG"
no_secret_in "no password in the captured syslog (pam_ksm's and ksmd's lines)" "$SYSLOG"
no_secret_in "no password in ksmd's log" "$T/ksmd.log"
no_secret_in "no password in any file under the test dir (server state excepted)" \
	$(find "$T" -type f ! -path "$T/srv/*" ! -name vault.json)
check "private store: yescrypt verifiers only" grep -q '\$y\$' "$T/private/store"
check "private store is 0600" [ "$(stat -c %a "$T/private/store")" = 600 ]

finish
