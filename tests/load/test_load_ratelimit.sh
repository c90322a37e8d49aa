#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_ratelimit.sh - a flood of wrong passwords does not get the
# host's device throttled by Keeper. The local server limits the device as
# Keeper does (fault ratelimit:100/10s: 403 throttled past 100 requests of
# one clientId in 10 s); for LOAD_SECONDS (20) 12 loops of the real setuid
# su as nobody and 4 unauthenticated ssh clients send wrong passwords for
# vault users, while rightful users log in with su and ssh. ksmd's fail
# delay, per-user failure limit and request budget (90/10s) must keep the
# device under the server's limit: not one request throttled, and every
# rightful login succeeds.
#
# Needs root (a private mount namespace, setuid su, sshd); skips otherwise.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/su.sh"
. "$srcdir/tests/lib/pamvault.sh"
need_root_ns "$@"
need_su
need_sshd
private_dev_log

SECS=${LOAD_SECONDS:-20}
"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99
ksm_start_server "$T/vault.json"
setup_system_ns
sshd_system_dirs
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0
su_pam_stack
sshd_pam_stack
sshd_start "MaxStartups 64" "LoginGraceTime 60"
mkdir -p /home/alice && chown alice: /home/alice
fault ratelimit:100/10s
reset_stats

# ssh_pw USER PASSWORD: a keyboard-interactive login, password from askpass.
ssh_pw() {
	KSM_TEST_PW="$2" SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 30 setsid ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		-o LogLevel=ERROR "$1@127.0.0.1" true </dev/null >/dev/null 2>&1
}

end=$((SECONDS + SECS))
attack_su() {
	local user=$1
	while [ $SECONDS -lt $end ]; do
		su_as_nobody "$user" "guess-$RANDOM"
	done
}
attack_ssh() {
	local user=$1
	while [ $SECONDS -lt $end ]; do
		ssh_pw "$user" "guess-$RANDOM"
	done
}
pids=
for i in $(seq 1 12); do
	case $((i % 3)) in 0) u=bob ;; 1) u=frank ;; *) u=gina ;; esac
	attack_su "$u" &
	pids="$pids $!"
done
for u in bob frank gina dan; do
	attack_ssh "$u" &
	pids="$pids $!"
done

good=0 bad=0
while [ $SECONDS -lt $end ]; do
	if su_as_nobody erin "$PW_ERIN" && [ "$RC" = 0 ]; then good=$((good + 1)); else bad=$((bad + 1)); fi
	if ssh_pw alice "$PW_ALICE"; then good=$((good + 1)); else bad=$((bad + 1)); fi
	sleep 1
done
# shellcheck disable=SC2086
wait $pids

stats=$(admin stats)
throttled=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("ratelimited", 0))' "$stats")
gets=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get("get_secret", 0))' "$stats")
echo "# figure: ratelimit flood ${SECS} s: $gets get_secret, $throttled throttled, $good rightful logins ok, $bad failed"
check "the device was never throttled by the server (ratelimit:100/10s; $gets requests)" [ "$throttled" = 0 ]
check "every rightful su and ssh login succeeded during the flood ($good ok, $bad failed)" [ "$bad" = 0 -a "$good" -ge 4 ]
expect_log "the flood met the failure limit" "max_auth_failures"
fault none
finish
