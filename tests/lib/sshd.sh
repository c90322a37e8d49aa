# SPDX-License-Identifier: MIT
# sshd.sh - a real sshd on a loopback port with our keys helper and PAM
# (sourced, bash; after common.sh and namespace.sh, inside the private
# namespace, usually after setup_system_ns).
[ -n "${KSM_LIB_SSHD:-}" ] && return 0
KSM_LIB_SSHD=1

# need_sshd [PROGRAM...]: skip (77) unless OpenSSH's sshd, ssh and
# ssh-keygen (and each PROGRAM, a path) are installed.
need_sshd() {
	local p
	for p in /usr/sbin/sshd /usr/bin/ssh /usr/bin/ssh-keygen "$@"; do
		[ -x "$p" ] || { echo "SKIP: $p missing"; exit 77; }
	done
}

# sshd_system_dirs: our ksm-authorized-keys ($KEYS_BIN) at /usr/sbin (an
# overlay; sshd wants a root-owned path), and fresh /run/sshd and /home
# (tmpfs).
sshd_system_dirs() {
	[ -x "$KEYS_BIN" ] || { echo "not built: $KEYS_BIN"; exit 99; }
	mkdir -p "$T/ov/sbin" /run/sshd && chmod 0755 "$T/ov/sbin"
	install -m 0755 "$KEYS_BIN" "$T/ov/sbin/ksm-authorized-keys"
	sys_mount -t overlay overlay -o "lowerdir=$T/ov/sbin:/usr/sbin" /usr/sbin
	sys_mount -t tmpfs -o mode=0755 tmpfs /run/sshd
	sys_mount -t tmpfs -o mode=0755 tmpfs /home
}

# sshd_pam_stack: /etc/pam.d/sshd becomes pam_ksm (auth, account, session
# after pam_keyinit) over pam_unix's account check.
sshd_pam_stack() {
	cat >"$T/pam-sshd" <<'PAM'
#%PAM-1.0
auth     [success=done default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  [success=done ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  required pam_unix.so
session  optional pam_keyinit.so force revoke
session  [success=ok ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
session  required pam_permit.so
password required pam_deny.so
PAM
	chmod 0644 "$T/pam-sshd"
	[ -e /etc/pam.d/sshd ] || { echo "SKIP: no /etc/pam.d/sshd to mount over"; exit 77; }
	sys_mount --bind "$T/pam-sshd" /etc/pam.d/sshd
}

# sshd_etc_ssh: /etc/ssh becomes $T/etc-ssh, as Debian lays it out: an
# sshd_config that includes sshd_config.d/*.conf first (UsePAM,
# keyboard-interactive) and a host key; the drop-ins are the caller's
# (written into /etc/ssh/sshd_config.d afterwards).
sshd_etc_ssh() {
	mkdir -p "$T/etc-ssh/sshd_config.d"
	ssh-keygen -q -t ed25519 -N '' -f "$T/etc-ssh/hostkey" || exit 99
	printf '%s\n' "Include /etc/ssh/sshd_config.d/*.conf" "HostKey /etc/ssh/hostkey" \
		"UsePAM yes" "KbdInteractiveAuthentication yes" >"$T/etc-ssh/sshd_config"
	chmod -R go-w "$T/etc-ssh"
	sys_mount --bind "$T/etc-ssh" /etc/ssh
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd_start [CONFIG LINES]: a real sshd on a free 127.0.0.1 port ($PORT)
# with ksm-authorized-keys and PAM, host key $T/hostkey, log in
# $T/sshd.log, in its own session keyring (nothing lands in the test
# runner's); killed at exit. The CONFIG LINES come first: sshd keeps the
# first value of a keyword, so they override the ones here (UsePAM no,
# LogLevel ...). Also writes $T/askpass, which prints the password from its
# environment (never a file). Exits 99 if sshd fails.
sshd_start() {
	local i up=
	PORT=$(free_port)
	{
		[ $# -gt 0 ] && printf '%s\n' "$@"
		cat <<SSHD
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile none
AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %u %f
AuthorizedKeysCommandUser nobody
StrictModes no
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication yes
PermitRootLogin no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
SSHD
	} >"$T/sshd_config"
	/usr/sbin/sshd -t -f "$T/sshd_config" 2>"$T/sshd.log" || {
		echo "sshd -t refused the config:"; cat "$T/sshd.log"; exit 99
	}
	keyctl session - /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
	SSHD_PID=$!
	bg_add "$SSHD_PID"
	for i in $(seq 1 50); do
		"$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
			"$PORT" 2>/dev/null && { up=1; break; }
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$up" ] || { echo "sshd did not start:"; cat "$T/sshd.log"; exit 99; }
	printf '#!/bin/sh\nprintf "%%s\\n" "$KSM_TEST_PW"\n' >"$T/askpass"
	chmod 0755 "$T/askpass"
}

# show_sshd_log: for trap ... EXIT: after a failed check, the last
# SSHD_LOG_LINES (60) lines of sshd's log, then the usual cleanup.
show_sshd_log() {
	if [ "$FAILED" -ne 0 ] && [ -s "$T/sshd.log" ]; then
		echo "# --- sshd -e output (last ${SSHD_LOG_LINES:-60} lines) ---"
		tail -n "${SSHD_LOG_LINES:-60}" "$T/sshd.log" | sed 's/^/# /'
	fi
	cleanup
}

# key_login KEY USER: one ssh login to sshd_start's sshd with the private
# key $T/KEY, running id -un; sets OUT, ERR, RC, MS (wall time of the whole
# login).
key_login() {
	run timeout 30 ssh -F /dev/null -i "$T/$1" -p "$PORT" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -o ConnectTimeout=10 -o LogLevel=ERROR \
		"$2@127.0.0.1" id -un </dev/null
}
# key_logs_in DESCRIPTION KEY USER [MAX_MS]: the login works, as USER.
key_logs_in() {
	key_login "$2" "$3"
	if [ "$RC" -ne 0 ] || [ "$OUT" != "$3" ]; then
		fail "$1 (exit $RC, got '$OUT'; ssh: $ERR)"
	elif [ -n "${4:-}" ] && [ "$MS" -gt "$4" ]; then
		fail "$1 (${MS} ms > $4 ms)"
	else
		ok "$1 (${MS} ms)"
	fi
}
# key_refused DESCRIPTION KEY USER: sshd refuses the key.
key_refused() {
	key_login "$2" "$3"
	if [ "$RC" -eq 255 ] && grep -q "Permission denied" <<<"$ERR"; then
		ok "$1 (${MS} ms)"
	else
		fail "$1 (exit $RC, out '$OUT'; ssh: $ERR)"
	fi
}
