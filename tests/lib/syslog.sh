# SPDX-License-Identifier: MIT
# syslog.sh - what our programs send to syslog, captured in a file
# (sourced, bash; after common.sh and namespace.sh, inside the private
# namespace of need_root_ns). pam_syslog's and the keys helper's lines
# land in $SYSLOG.
[ -n "${KSM_LIB_SYSLOG:-}" ] && return 0
KSM_LIB_SYSLOG=1

# private_dev_log: a fresh /dev (tmpfs with the usual nodes, made with
# mknod, so nothing of the host's /dev is touched) whose /dev/log is a tiny
# syslog listener (syslog_listener.py) appending to $SYSLOG.
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
	"$PY" "$KSM_TESTS_LIB/syslog_listener.py" /dev/log "$SYSLOG" &
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
# expect_no_log DESCRIPTION ERE: no syslog line since log_mark matches.
expect_no_log() {
	sleep 0.1
	if log_since | grep -qE -- "$2"; then
		fail "$1 (/$2/ logged: $(log_since | grep -E -- "$2" | head -n 2))"
	else
		ok "$1"
	fi
}
