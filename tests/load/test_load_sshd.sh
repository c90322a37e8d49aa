#!/bin/bash
# SPDX-License-Identifier: MIT
# test_load_sshd.sh - LOAD_SSH (50) concurrent ssh logins through a real
# sshd (UsePAM yes, pam_ksm in a test /etc/pam.d/sshd, MaxStartups raised)
# on a loopback port: half keyboard-interactive logins with the vault
# password (SSH_ASKPASS, no terminal), half public-key logins whose key the
# keys helper (AuthorizedKeysCommand ksm-authorized-keys) serves from the
# snapshot. The ssh clients wait for a shared flock on a file the test holds
# exclusively, and are released together when it lets go. Before the
# burst, one login of each kind alone (by users the burst does not have)
# counts the requests it makes; a third, with keys_max_age = 0s, has the
# keys helper ask ksmd for the keys.
# Every login must succeed, run as its own uid, and find its own vault
# password as ksm:password in its session keyring (only a hash of it is
# printed), and the server must have seen exactly the requests one login
# of each kind makes, times the number of logins: one each, since ksmd
# gives a login's session the read its auth (in another sshd process) made.
#
# Needs root; in a private mount namespace (tests/lib/namespace.sh
# setup_system_ns, plus tests/lib/sshd.sh sshd_system_dirs: /usr/sbin
# overlaid with the built keys helper, tmpfs over /home and /run/sshd).
# Skipped (77) without root or sshd.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
need_sshd /usr/bin/sha256sum
private_dev_log

N=${LOAD_SSH:-50}
NPW=$((N / 2)) # users 0..NPW-1 log in with a password, the others with a key
# Users N.. log in alone first (a password, a key, a key served live), so
# that no read of theirs is left for the burst's sessions to take.
UPW=$N UKEY=$((N + 1)) ULIVE=$((N + 2))

mkdir -p "$T/keys"
for i in $(seq "$NPW" $((N - 1))) $UKEY $ULIVE; do
	ssh-keygen -q -t ed25519 -N '' -C "$(uname_of $i)@load" -f "$T/keys/$(uname_of $i)" || exit 99
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99
make_vault $((N + 3)) "$T/keys"
ksm_start_server "$T/vault.json"
setup_system_ns
sysconf "timeout_auth = 20"
sshd_system_dirs
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync ($((N + 3)) users)" 0
for i in $(seq 0 $((N + 2))); do
	u=$(uname_of $i)
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u"
done
check "homes chowned through nss_ksm" [ "$(stat -c %U "/home/$(uname_of $((N - 1)))")" = "$(uname_of $((N - 1)))" ]

sshd_pam_stack
# MaxStartups: sshd's default (10:30:100) drops unauthenticated connections
# beyond 10 at random; the burst needs them all.
sshd_start "MaxStartups $((N * 2))" "LoginGraceTime 120"
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=60 -o LogLevel=ERROR)
# The session prints a hash of its ksm:password key (never the value), its
# uid, and whether the key is in its session keyring.
REMOTE='keyctl pipe %user:ksm:password | sha256sum | cut -c1-64; echo "uid=$(id -u)"; keyctl search @s user ksm:password >/dev/null && echo in-session-keyring'

# login I: one ssh client, waiting at the barrier first; output in $T/ssh-I.
login() {
	local i=$1 u
	exec 9>&-
	u=$(uname_of "$i")
	: >"$T/ready-$i"
	flock -s "$T/barrier" true
	if [ "$i" -lt "$NPW" ] || [ "$i" = "$UPW" ]; then
		KSM_TEST_PW=$(user_field "$i" 2) SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
			timeout 120 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
			-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
			"$u@127.0.0.1" "$REMOTE" >"$T/ssh-$i" 2>"$T/ssh-$i.err" </dev/null
	else
		timeout 120 ssh "${SSH_OPTS[@]}" -i "$T/keys/$u" -o BatchMode=yes -o IdentitiesOnly=yes \
			-o PreferredAuthentications=publickey "$u@127.0.0.1" "$REMOTE" \
			>"$T/ssh-$i" 2>"$T/ssh-$i.err" </dev/null
	fi
	echo "rc=$?" >>"$T/ssh-$i"
}

# One login of each kind first: how many requests each makes.
per_login() { # I
	reset_stats
	login "$1"
	req_gets
}
PW_GETS=$(per_login $UPW)
KEY_GETS=$(per_login $UKEY)
check "a single password login works" grep -q "^uid=$((262000 + UPW))" "$T/ssh-$UPW"
check "a single key login works" grep -q "^uid=$((262000 + UKEY))" "$T/ssh-$UKEY"
# With a snapshot older than keys_max_age the keys helper asks ksmd, which
# reads the record (sshd runs the helper for the key offered, then again
# for the signature), and the session takes that read.
sysconf "timeout_auth = 20" "keys_max_age = 0s"
sleep 1.1
LIVE_GETS=$(per_login $ULIVE)
sysconf "timeout_auth = 20"
check "a single key login with live keys works" grep -q "^uid=$((262000 + ULIVE))" "$T/ssh-$ULIVE"
echo "# one password login: $PW_GETS get_secret; one key login: $KEY_GETS get_secret; one key login with live keys (keys_max_age = 0s): $LIVE_GETS get_secret"
figure "ssh single logins: password $PW_GETS get_secret, key (snapshot keys) $KEY_GETS, key (live keys) $LIVE_GETS"
# OpenSSH runs pam_authenticate in a child of the monitor (auth-pam.c's
# "thread" is a fork) and setcred and the session in the monitor: pam_ksm
# asks ksmd in both, and ksmd answers the session from the read the auth
# made a moment before (docs/design.md, "Session secrets in the kernel
# keyring"): one request per password login. A key login makes one too
# (the session's; the keys helper reads the fresh snapshot).
check "a password login: 1 get_secret (auth in sshd's PAM child; setcred and the session in the monitor take its read)" [ "$PW_GETS" = 1 ]
check "a key login: 1 get_secret (the session's; the keys come from the snapshot)" [ "$KEY_GETS" = 1 ]
check "a key login with live keys: at most 2 get_secret (a read per keys helper run; the session takes one: $LIVE_GETS)" \
	[ "$LIVE_GETS" -ge 1 -a "$LIVE_GETS" -le 2 ]

# ------------------------------------------------------------- the burst
rm -f "$T"/ssh-* "$T"/ready-*
reset_stats
log_mark
exec 9>"$T/barrier"
flock -x 9
PIDS=()
for i in $(seq 0 $((N - 1))); do
	login "$i" &
	PIDS+=($!)
done
for w in $(seq 1 600); do
	[ "$(find "$T" -maxdepth 1 -name 'ready-*' | wc -l)" = "$N" ] && break
	sleep 0.05
done
sleep 0.2 # from ready to blocked in flock
t0=$(date +%s%N)
flock -u 9 # every client released at once
exec 9>&-
for p in "${PIDS[@]}"; do wait "$p"; done
MS=$(elapsed_ms "$t0")
GETS=$(req_gets) TOTAL=$(req_total)
good=0 bad=
for i in $(seq 0 $((N - 1))); do
	want=$(user_field "$i" 2 | tr -d '\n' | sha256sum | cut -c1-64)
	if [ "$(sed -n 1p "$T/ssh-$i")" = "$want" ] && grep -qx "uid=$(user_field "$i" 3)" "$T/ssh-$i" &&
		grep -qx in-session-keyring "$T/ssh-$i" && grep -qx rc=0 "$T/ssh-$i"; then
		good=$((good + 1))
	else
		bad="$bad $(uname_of "$i")($(tr '\n' ' ' <"$T/ssh-$i" | cut -c1-100) $(head -c 200 "$T/ssh-$i.err"))"
	fi
done
figure "ssh burst: $N concurrent logins ($NPW password, $((N - NPW)) key) in ${MS} ms, $good ok, get_secret $GETS, requests $TOTAL"
check "all $N concurrent logins succeeded, each with its own uid and its own ksm:password in its session keyring ($good ok)${bad:+; failed:$bad}" \
	[ "$good" = "$N" ]
check "server: $NPW x $PW_GETS + $((N - NPW)) x $KEY_GETS get_secret ($GETS)" \
	[ "$GETS" = $((NPW * PW_GETS + (N - NPW) * KEY_GETS)) ]
check "server: no other request ($TOTAL in all)" [ "$TOTAL" = "$GETS" ]
wait_log "password accepted by the vault \(live" "$NPW"
check "syslog: $NPW password logins accepted live ($(count_log 'pam_ksm\(sshd:auth\): .*accepted by the vault \(live'))" \
	[ "$(count_log 'pam_ksm\(sshd:auth\): .*accepted by the vault \(live')" = "$NPW" ]
check "syslog: no offline fallback, no failed vault check" [ "$(count_log 'offline|vault check failed')" = 0 ]
check "sshd accepted $((N - NPW)) + 2 public keys from the keys helper ($(grep -c 'Accepted publickey for load' "$T/sshd.log"))" \
	[ "$(grep -c 'Accepted publickey for load' "$T/sshd.log")" = $((N - NPW + 2)) ]
check "sshd dropped no connection (MaxStartups)" bash -c "! grep -q 'drop connection\|beginning MaxStartups' '$T/sshd.log'"
if [ "$FAILED" -ne 0 ]; then
	echo "# --- sshd log (last 30 lines) ---"
	tail -n 30 "$T/sshd.log" | sed 's/^/# /'
fi
finish
