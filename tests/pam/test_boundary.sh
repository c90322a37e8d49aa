#!/bin/bash
# SPDX-License-Identifier: MIT
# test_boundary.sh - the process boundary (docs/design.md): what an
# unprivileged local user controls in a login process (environment, umask,
# signals) reaches neither the network nor a credential, and ksmd's
# request discipline holds. Against the real setuid su, as the user nobody:
#
#  - pam_ksm.so and the keys helper link no libcurl, OpenSSL, json-c or
#    libcrypt, and none is mapped into su while it authenticates;
#  - SSLKEYLOGFILE with umask 0 creates nothing (it once made a root-owned
#    0666 file wherever it pointed);
#  - proxy variables change nothing: after a rotation the old password is
#    refused, the new one accepted, and the vault saw the requests;
#  - a stopped su blocks neither a sync nor another login;
#  - the keys user can read neither client.json nor any password, and ksmd
#    refuses it everything but keys;
#  - valid_until in the vault and a local account of the same name win on
#    the live paths;
#  - every failure costs the 2 s fail delay; past max_auth_failures a user's
#    guesses are refused without asking the vault; an exhausted request
#    budget never turns into offline acceptance.
#
# Needs root (a private mount namespace, setuid su); skips (77) otherwise.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/su.sh"
need_root_ns "$@"
need_su
private_dev_log

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
# erin's access runs until 2099; the test ends it in the vault only.
"$PY" - "$T/vault.json" <<'EOF2' || exit 99
import json, sys
v = json.load(open(sys.argv[1]))
for r in v["records"]:
    if r["uid"] == "PamErin000000000000000":
        r["data"]["custom"].append({"type": "text", "label": "valid_until",
                                    "value": ["2099-01-01T00:00:00Z"]})
json.dump(v, open(sys.argv[1], "w"))
EOF2
ksm_start_server "$T/vault.json"
setup_system_ns
bind
expect_rc "ksmctl init (ksmd started on it)" 0
run_ksmctl sync
expect_rc "ksmctl sync through ksmd" 0
chmod 0755 "$T"

su_pam_stack

# 1. What login processes load.
for f in "$PAM_MOD" "$KEYS_BIN"; do
	bad=$(ldd "$f" | grep -oE 'lib(curl|ssl|crypto|json-c|crypt)\.so' | sort -u | tr '\n' ' ')
	check "$(basename "$f") links no network or crypto library${bad:+ (links $bad)}" [ -z "$bad" ]
done
su_as_nobody gina "$PW_GINA"
expect_rc "su gina with the vault password (as nobody)" 0
past_reuse # the next su asks the vault (slowly) instead of taking that read
fault delay:1.5
printf '%s\n' "$PW_GINA" | setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$SU" gina -c true >/dev/null 2>&1 &
SUPID=$!
sleep 0.8
maps=$(cat /proc/$SUPID/maps 2>/dev/null | awk '{print $6}' | sort -u)
check "su is authenticating (mapped pam_ksm.so)" grep -q pam_ksm.so <<<"$maps"
# (libcrypt is pam_unix's, the next module of the stack: not ours.)
check "su maps no libcurl, libssl, libcrypto or json-c while authenticating" \
	bash -c "! grep -qE 'lib(curl|ssl|crypto|json-c)\.so' <<<'$maps'"
wait $SUPID
fault none

# 2. SSLKEYLOGFILE and umask 0.
su_as_nobody gina wrong-password "SSLKEYLOGFILE=$T/keylog" UMASK=0
(umask 0; printf 'x\n' | SSLKEYLOGFILE="$T/keylog2" setpriv --reuid=nobody --regid=nogroup \
	--clear-groups "$SU" gina -c true >/dev/null 2>&1)
check "SSLKEYLOGFILE with umask 0 creates nothing" [ ! -e "$T/keylog" -a ! -e "$T/keylog2" ]

# 3. Proxy variables, then a rotation.
PROXIES="https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9"
admin set-field --record PamGina000000000000000 --field password --value "$PW_GINA2" >/dev/null ||
	fail "set-field"
reset_stats
# shellcheck disable=SC2086
su_as_nobody gina "$PW_GINA" $PROXIES
check "proxy variables set: the pre-rotation password is refused (exit $RC)" [ "$RC" -ne 0 ]
# shellcheck disable=SC2086
su_as_nobody gina "$PW_GINA2" $PROXIES
expect_rc "proxy variables set: the rotated password is accepted" 0
check "the vault was asked both times ($(req_gets) get_secret)" [ "$(req_gets)" -ge 2 ]

# 4. A stopped su holds nothing.
fault delay:1
printf '%s\n' "$PW_GINA2" | setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$SU" gina -c true >/dev/null 2>&1 &
SUPID=$!
sleep 0.3
kill -STOP $SUPID
locks=$(awk -v p=$SUPID '$5 == p' /proc/locks | wc -l)
check "the stopped su holds no lock (/proc/locks)" [ "$locks" = 0 ]
t0=$(date +%s%N)
run_ksmctl sync
t1=$(date +%s%N)
expect_rc "ksmctl sync while su is stopped" 0
check "the sync was not held up ($(((t1 - t0) / 1000000)) ms)" [ $(((t1 - t0) / 1000000)) -lt 8000 ]
su_as_nobody alice "$PW_ALICE"
expect_rc "another login while su is stopped" 0
kill -CONT $SUPID
wait $SUPID
fault none

# 5. The keys user.
chown root:root /etc/ksm/client.json
check "client.json is 0600" [ "$(stat -c %a /etc/ksm/client.json)" = 600 ]
check "the keys user cannot read client.json" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/ksm/client.json >/dev/null 2>&1"
for op in "op=auth user=gina password=$PW_GINA2" "op=records" "op=session user=gina" \
	"op=resolve notation=keeper://gina/field/password" "op=folders" "op=explain user=gina"; do
	# shellcheck disable=SC2086
	a=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$KSMD_CLIENT" "$T/ksmd.sock" $op 2>&1)
	check "ksmd refuses the keys user ${op%% *}" grep -q '^result=refused' <<<"$a"
done
a=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$KSMD_CLIENT" "$T/ksmd.sock" op=keys user=gina 2>&1)
check "ksmd answers the keys user's keys request" grep -q '^result=ok' <<<"$a"
no_secret_in "no password in what the keys user got" <(printf '%s' "$a")
check "ksmd leaves no core file (RLIMIT_CORE 0: $(grep 'core file' /proc/$KSMD_PID/limits | tr -s ' '))" \
	grep -qE '^Max core file size +0 +0 ' /proc/$KSMD_PID/limits
a=$(setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$KSMD_CLIENT" "$T/ksmd.sock" op=ping 2>&1)
check "ping as nobody: whether ksmd runs, its version" grep -q '^version=' <<<"$a"
check "... but not what it has seen (logins by verdict, ksm.conf, the store's queue)" \
	bash -c "! grep -qE '^(auth_live_ok|auth_wrong|unreachable|conf|store_pending|clock_skew)=' <<<'$a'"
check "ping as root: the counters too (auth_live_ok=$(ksmd_ping auth_live_ok))" [ -n "$(ksmd_ping auth_live_ok)" ]

# 6. The vault's valid_until and a local account of the same name.
admin set-field --record PamErin000000000000000 --field valid_until \
	--value 2001-01-01T00:00:00Z >/dev/null || fail "set-field valid_until"
log_mark
su_as_nobody erin "$PW_ERIN"
check "valid_until set in the vault refuses at once, before any sync (exit $RC)" [ "$RC" -ne 0 ]
expect_log "the log says the vault's valid_until refused" "erin: access expired \(valid_until in the vault\)"
cp /etc/passwd "$T/passwd"
echo "frank:x:1999:1999:local frank:/nonexistent:/bin/false" >>"$T/passwd"
sys_mount --bind "$T/passwd" /etc/passwd
log_mark
n=$(req_gets)
su_as_nobody frank "$PW_FRANK"
check "a local account named like a vault user: the vault password is refused (exit $RC)" [ "$RC" -ne 0 ]
check "... and the vault was not asked ($(req_gets) = $n get_secret)" [ "$(req_gets)" = "$n" ]
expect_no_log "... and ksmd saw no auth for frank" "ksmd.*auth frank"
run "$KEYS_BIN" --conf /etc/ksm/ksm.conf frank
check "the keys helper prints nothing for the local frank" [ -z "$OUT" ]
umount /etc/passwd

# 7. Fail delay, failure limit, request budget.
sysconf "max_auth_failures = 3" "auth_failure_window = 1m"
reset_stats
su_as_nobody alice wrong-1
check "a wrong password takes the fail delay (libpam: 1-3 s; ${MS} ms)" [ "$MS" -ge 900 ]
su_as_nobody alice wrong-2
su_as_nobody alice wrong-3
n=$(req_gets)
log_mark
su_as_nobody alice "$PW_ALICE"
check "past max_auth_failures even the right password is refused (exit $RC)" [ "$RC" -ne 0 ]
check "... without asking the vault ($(req_gets) = $n get_secret)" [ "$(req_gets)" = "$n" ]
expect_log "the log names the failure limit" "max_auth_failures"
sysconf "max_auth_failures = 0" "request_budget = 2/60s"
su_as_nobody gina "$PW_GINA2"
expect_rc "request budget 2/60s: the first login" 0
past_reuse # each login its own request
su_as_nobody gina "$PW_GINA2"
expect_rc "request budget 2/60s: the second login" 0
past_reuse
log_mark
su_as_nobody gina "$PW_GINA2"
check "request budget used up: the login is refused, not accepted offline (exit $RC)" [ "$RC" -ne 0 ]
expect_log "the log names the request budget" "request_budget"
expect_no_log "no offline acceptance" "offline verifier"
# A request of which nothing reached the server costs no budget (Keeper
# never counted it): with connections refused, logins past the budget
# still get the offline verifier. One that reached it (HTTP 500) counts.
sysconf "max_auth_failures = 0" "request_budget = 2/60s" # a fresh budget
fault refuse
log_mark
n=0
for i in 1 2 3 4; do
	su_as_nobody gina "$PW_GINA2"
	[ "$RC" = 0 ] && n=$((n + 1))
done
check "connections refused: 4 logins past a budget of 2 all accepted ($n)" [ "$n" = 4 ]
n=$(log_since | grep -c 'gina: password accepted by the offline verifier')
check "... by the offline verifier ($n)" [ "$n" = 4 ]
check "... and the budget untouched (ping: in_window $(ksmd_ping in_window), requests $(ksmd_ping requests), unsent $(ksmd_ping unsent))" \
	[ "$(ksmd_ping in_window)" = 0 -a "$(ksmd_ping requests)" = 0 -a "$(ksmd_ping unsent)" -ge 4 ]
expect_no_log "... no budget refusal" "request_budget"
fault http500
log_mark
for i in 1 2; do
	past_reuse
	su_as_nobody gina "$PW_GINA2"
	expect_rc "HTTP 500 (the request reached the server): login $i accepted offline" 0
done
check "... each counted in the budget ($(ksmd_ping in_window) in the window)" [ "$(ksmd_ping in_window)" = 2 ]
past_reuse
su_as_nobody gina "$PW_GINA2"
check "... and the third refused by the budget, not accepted offline (exit $RC)" [ "$RC" -ne 0 ]
expect_log "... the log names the request budget" "request_budget"
fault none

# 8. ksmd not running: local users are untouched, vault users refused fast.
ksmd_stop
su_as_nobody gina "$PW_GINA2"
check "ksmd stopped: a vault login fails (exit $RC) within timeout_auth (${MS} ms, 2 s fail delay included)" \
	[ "$RC" -ne 0 -a "$MS" -lt 6500 ]

no_secret_in "no password in the syslog" "$SYSLOG"
no_secret_in "no password in ksmd's log" "$T/ksmd.log"
finish
