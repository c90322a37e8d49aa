# SPDX-License-Identifier: MIT
# lib.sh - shared helpers for the pam_ksm tests (sourced, bash), on top of
# tests/integration/lib.sh (ok/fail/check/finish, $T, the local server).
#
# The vault is tests/pam/mkvault.py; its passwords are the PW_* constants
# below (each a string that appears nowhere else, so logs and files can be
# grepped for them).

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=../integration/lib.sh
. "$srcdir/tests/integration/lib.sh"

PAM_MOD="${KSM_PAM_MODULE:-$builddir/.libs/pam_ksm.so}"
HARNESS="$builddir/tests/pam/pam_harness"
FREECHECK="$builddir/tests/pam/.libs/freecheck.so"
PY=/usr/bin/python3
PAMDIR="$TOP_SRC/tests/pam"

PW_ALICE=pw-alice-7Hq2xZ
PW_ALICE2=pw-alice-rot-3Kd9Mv
PW_BOB=pw-bob-V8s1Lm
PW_CAROL=pw-carol-N4c6Tw
PW_ERIN=pw-erin-Q2w9Jz
PW_FRANK=pw-frank-R5t3Yb
PW_GINA=pw-gina-H6j2Pk
PW_GINA2=pw-gina-rot-8Ls4Qe
PW_DB=db-secret-Z7x4Wq
TOTP_SECRET=JBSWY3DPEHPK3PXP
ALL_SECRETS="$PW_ALICE $PW_ALICE2 $PW_BOB $PW_CAROL $PW_ERIN $PW_FRANK $PW_GINA $PW_GINA2 $PW_DB"
UID_ALICE=261001 UID_BOB=261002 UID_CAROL=261003 UID_DAN=261004
UID_ERIN=261005 UID_FRANK=261006 UID_GINA=261007

[ -f "$PAM_MOD" ] || { echo "not built: $PAM_MOD"; exit 99; }
[ -n "${KSM_PAM_NO_HARNESS:-}" ] || [ -x "$HARNESS" ] || { echo "not built: $HARNESS (make check builds it)"; exit 99; }

# Background processes of the test, killed (by pid) at exit.
BG_PIDS=
bg_add() { BG_PIDS="$BG_PIDS $1"; }
pam_cleanup() {
	local p
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	BG_PIDS=
	cleanup
}
trap pam_cleanup EXIT
trap 'exit 130' INT TERM HUP

# need_root_ns: skip (77) unless root with mount namespaces; then re-exec
# the calling script inside a private one (everything mounted there
# vanishes when it exits).
need_root_ns() {
	if [ -z "${KSM_PAM_IN_NS:-}" ]; then
		[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, setfsuid, keyring ownership)"; exit 77; }
		unshare -m true 2>/dev/null || { echo "SKIP: unshare -m not permitted"; exit 77; }
		command -v keyctl >/dev/null || { echo "SKIP: keyctl (keyutils) missing"; exit 77; }
		trap - EXIT
		rm -rf "$T"
		KSM_PAM_IN_NS=1 exec unshare -m -- /bin/bash "$0" "$@"
	fi
	mount --make-rprivate / || { echo "mount --make-rprivate / failed"; exit 99; }
}

# private_dev_log: inside the namespace, a fresh /dev (tmpfs with the usual
# nodes, made with mknod, so nothing of the host's /dev is touched) whose
# /dev/log is a tiny syslog listener appending to $SYSLOG. pam_syslog's
# lines land there.
SYSLOG=
private_dev_log() {
	SYSLOG="$T/syslog.txt"
	mount -t tmpfs -o mode=0755,size=1m tmpfs /dev || { echo "tmpfs on /dev failed"; exit 99; }
	mknod -m 0666 /dev/null c 1 3 && mknod -m 0666 /dev/zero c 1 5 &&
		mknod -m 0666 /dev/full c 1 7 && mknod -m 0666 /dev/random c 1 8 &&
		mknod -m 0666 /dev/urandom c 1 9 && mknod -m 0666 /dev/tty c 5 0 ||
		{ echo "mknod in the private /dev failed"; exit 99; }
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts 2>/dev/null &&
		ln -s pts/ptmx /dev/ptmx
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	: >"$SYSLOG"
	"$PY" "$PAMDIR/syslog_listener.py" /dev/log "$SYSLOG" &
	bg_add $!
	local i
	for i in $(seq 1 50); do
		[ -e "$SYSLOG.ready" ] && [ -S /dev/log ] && break
		sleep 0.05
	done
	[ -S /dev/log ] || { echo "syslog listener did not start"; exit 99; }
}

# log_mark: remember where the syslog is; log_since: what came after.
LOG_POS=0
log_mark() { LOG_POS=$(wc -c <"$SYSLOG"); }
log_since() { tail -c +$((LOG_POS + 1)) "$SYSLOG"; }
# expect_log DESCRIPTION ERE: a syslog line since log_mark matches.
expect_log() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		log_since | grep -qE -- "$2" && { ok "$1"; return; }
		sleep 0.05
	done
	fail "$1 (no /$2/ in the log since the mark: $(log_since | tail -n 5))"
}
expect_no_log() {
	sleep 0.1
	if log_since | grep -qE -- "$2"; then
		fail "$1 (/$2/ logged: $(log_since | grep -E -- "$2" | head -n 2))"
	else
		ok "$1"
	fi
}

# pam_service NAME [MODULE ARGS...]: $T/pam.d/NAME with pam_ksm in all four
# stacks. Each pam_ksm line ends the stack on success and returns its own
# code on failure ([... default=die]); PAM_IGNORE falls through to pam_echo,
# whose message "ignored:TYPE" shows that the module said PAM_IGNORE.
pam_service() {
	local name=$1 t
	shift
	mkdir -p "$T/pam.d"
	# libpam reads "other" from the confdir too; deny all there.
	[ -f "$T/pam.d/other" ] || printf '%s required pam_deny.so\n' auth account session password >"$T/pam.d/other"
	: >"$T/pam.d/$name"
	for t in auth account session password; do
		echo "$t [success=done ignore=ignore default=die] $PAM_MOD conf=$T/ksm.conf $*" >>"$T/pam.d/$name"
		echo "$t optional pam_echo.so ignored:$t" >>"$T/pam.d/$name"
		echo "$t required pam_permit.so" >>"$T/pam.d/$name"
	done
}

# pam SERVICE USER OP...: the harness in a fresh session keyring (keyctl
# session -), so nothing lands in the test runner's own keyring. The
# password is $PW, the TOTP code $CODE, the expected key value $EXPECT (all
# through the environment; $DELAY ms before the password is typed).
# Sets OUT, ERR, RC, MS.
PW= CODE= EXPECT= DELAY=
pam() {
	local t0 t1
	t0=$(date +%s%N)
	PAM_HARNESS_PASSWORD="$PW" PAM_HARNESS_TOTP="$CODE" PAM_HARNESS_EXPECT="$EXPECT" \
		PAM_HARNESS_DELAY_MS="$DELAY" keyctl session - "$HARNESS" -c "$T/pam.d" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
	OUT=$(cat "$T/out")
	ERR=$(grep -v '^Joined session keyring' "$T/err")
}

# expect_pam DESCRIPTION OP PAM_NAME [MAX_MS]: the last harness run printed
# "OP: PAM_NAME: ..." (and took at most MAX_MS).
expect_pam() {
	local what=$1 op=$2 want=$3 max=${4:-}
	if ! grep -qE "^$op: $want:" <<<"$OUT"; then
		fail "$what (wanted $op: $want; got: $(grep -E '^[a-z]+: PAM_' <<<"$OUT" | tr '\n' ' ')$ERR)"
	elif [ -n "$max" ] && [ "$MS" -gt "$max" ]; then
		fail "$what (${MS} ms > $max ms)"
	else
		ok "$what (${MS} ms)"
	fi
}
# expect_line DESCRIPTION ERE: a line of the last harness output matches.
expect_line() {
	if grep -qE -- "$2" <<<"$OUT"; then ok "$1"; else fail "$1 (no /$2/ in: $(head -c 600 <<<"$OUT") $ERR)"; fi
}

# Server request counts.
req_total() { admin stats | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin).values()))'; }
req_gets() { admin stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin).get("get_secret", 0))'; }
reset_stats() { admin stats --reset >/dev/null; }
fault() { admin fault "$1" >/dev/null || fail "fault $1"; }

totp_now() { "$PY" "$PAMDIR/totp.py" "$TOTP_SECRET" "${1:-0}"; }

# no_secret_in DESCRIPTION FILE...: none of the vault's passwords in them.
no_secret_in() {
	local what=$1 s hits=""
	shift
	for s in $ALL_SECRETS; do
		hits="$hits$(grep -rlaF -- "$s" "$@" 2>/dev/null | sed "s|^|$s in |")"
	done
	if [ -z "$hits" ]; then ok "$what"; else fail "$what: $hits"; fi
}

# setup_system_ns: inside the private namespace, make the built pieces
# appear where the system looks for them, for setuid sudo and sshd (which
# ignore LD_LIBRARY_PATH), without installing anything: an overlay of
# $T/ov/lib (libksm.so.0, libnss_ksm.so.2, security/pam_ksm.so) over the
# system library directory, $T/etc-ksm over /etc/ksm, $T/var-lib-ksm over
# /var/lib/ksm (nss_ksm's compiled-in snapshot path) and a test
# nsswitch.conf (passwd/group: files ksm). sysconf writes
# /etc/ksm/ksm.conf; $T/ksm.conf links to it (for run_ksmctl).
MULTIARCH=
setup_system_ns() {
	local libksm="$builddir/.libs/libksm.so.0" nss="$builddir/.libs/libnss_ksm.so.2" f
	for f in "$libksm" "$nss"; do
		[ -e "$f" ] || { echo "not built: $f"; exit 99; }
	done
	MULTIARCH=/usr/lib/x86_64-linux-gnu
	[ -d "$MULTIARCH" ] || MULTIARCH=$(dirname "$(readlink -f "$(ldd /bin/sh | awk '$1 == "libc.so.6" {print $3}')")")
	mkdir -p /etc/ksm /var/lib/ksm || exit 99
	mkdir -p "$T/etc-ksm" "$T/var-lib-ksm" "$T/ov/lib/security" || exit 99
	chmod 0755 "$T" "$T/etc-ksm" "$T/var-lib-ksm" "$T/ov" "$T/ov/lib" "$T/ov/lib/security"
	install -m 0755 "$libksm" "$T/ov/lib/libksm.so.0"
	install -m 0755 "$nss" "$T/ov/lib/libnss_ksm.so.2"
	install -m 0755 "$PAM_MOD" "$T/ov/lib/security/pam_ksm.so"
	printf 'passwd: files ksm\ngroup: files ksm\nshadow: files\nhosts: files\n' >"$T/nsswitch.conf"
	chmod 0644 "$T/nsswitch.conf"
	sys_mount --bind "$T/etc-ksm" /etc/ksm
	sys_mount --bind "$T/var-lib-ksm" /var/lib/ksm
	sys_mount --bind "$T/nsswitch.conf" /etc/nsswitch.conf
	sys_mount -t overlay overlay -o "lowerdir=$T/ov/lib:$MULTIARCH" "$MULTIARCH"
	install -m 0644 "$SRV_CA" /etc/ksm/ca.pem
	rm -f "$T/ksm.conf"
	ln -s /etc/ksm/ksm.conf "$T/ksm.conf"
	sysconf
}
sys_mount() { mount "$@" || { echo "mount $* failed"; exit 99; }; }
sysconf() {
	{
		echo "client_config = /etc/ksm/client.json"
		echo "ca_file = /etc/ksm/ca.pem"
		echo "snapshot = /var/lib/ksm/snapshot"
		echo "private_store = /var/lib/ksm/private"
		echo "timeout_sync = 5"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >/etc/ksm/ksm.conf
	chmod 0644 /etc/ksm/ksm.conf
}

# sshd_system_dirs: inside the namespace, our ksm-authorized-keys at
# /usr/sbin (an overlay; sshd wants a root-owned path), and fresh /run/sshd
# and /home (tmpfs).
sshd_system_dirs() {
	mkdir -p "$T/ov/sbin" /run/sshd && chmod 0755 "$T/ov/sbin"
	install -m 0755 "${KEYS_BIN:-$builddir/ksm-authorized-keys}" "$T/ov/sbin/ksm-authorized-keys"
	sys_mount -t overlay overlay -o "lowerdir=$T/ov/sbin:/usr/sbin" /usr/sbin
	sys_mount -t tmpfs -o mode=0755 tmpfs /run/sshd
	sys_mount -t tmpfs -o mode=0755 tmpfs /home
}

# sshd_pam_stack: inside the namespace, /etc/pam.d/sshd becomes pam_ksm
# (auth, account, session after pam_keyinit) over pam_unix's account check.
sshd_pam_stack() {
	cat >"$T/pam-sshd" <<'EOF'
#%PAM-1.0
auth     [success=done default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  [success=done ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  required pam_unix.so
session  optional pam_keyinit.so force revoke
session  [success=ok ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
session  required pam_permit.so
password required pam_deny.so
EOF
	chmod 0644 "$T/pam-sshd"
	[ -e /etc/pam.d/sshd ] || { echo "SKIP: no /etc/pam.d/sshd to mount over"; exit 77; }
	sys_mount --bind "$T/pam-sshd" /etc/pam.d/sshd
}

# sshd_start [EXTRA CONFIG LINES]: a real sshd on a free 127.0.0.1 port
# ($PORT) with ksm-authorized-keys and PAM, host key $T/hostkey, log in
# $T/sshd.log, in its own session keyring (nothing lands in the test
# runner's); killed at exit. Also writes $T/askpass, which prints the
# password from its environment (never a file). Exits 99 if sshd fails.
sshd_start() {
	local i
	PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		cat <<EOF
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
EOF
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo "LogLevel VERBOSE"
	} >"$T/sshd_config"
	/usr/sbin/sshd -t -f "$T/sshd_config" 2>"$T/sshd.log" || {
		echo "sshd -t refused the config:"; cat "$T/sshd.log"; exit 99
	}
	keyctl session - /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>>"$T/sshd.log" &
	bg_add $!
	for i in $(seq 1 50); do
		"$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
			"$PORT" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "Server listening" "$T/sshd.log" || { echo "sshd did not start:"; cat "$T/sshd.log"; exit 99; }
	printf '#!/bin/sh\nprintf "%%s\\n" "$KSM_TEST_PW"\n' >"$T/askpass"
	chmod 0755 "$T/askpass"
}
