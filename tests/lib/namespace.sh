# SPDX-License-Identifier: MIT
# namespace.sh - tests that need root run in a private mount namespace, and
# there see the built pieces where the system looks for them (sourced,
# bash; after common.sh and server.sh). Whatever is mounted in the
# namespace vanishes with it; the host keeps only the empty mount points
# /etc/ksm and /var/lib/ksm, made if missing.
[ -n "${KSM_LIB_NAMESPACE:-}" ] && return 0
KSM_LIB_NAMESPACE=1

# need_root_ns "$@": skip (77) unless root with mount namespaces and
# keyctl; then re-exec the calling script inside a private namespace.
need_root_ns() {
	if [ -z "${KSM_TEST_IN_NS:-}" ]; then
		[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, setfsuid, keyring ownership)"; exit 77; }
		unshare -m true 2>/dev/null || { echo "SKIP: unshare -m not permitted"; exit 77; }
		command -v keyctl >/dev/null || { echo "SKIP: keyctl (keyutils) missing"; exit 77; }
		trap - EXIT
		rm -rf "$T"
		KSM_TEST_IN_NS=1 exec unshare -m -- /bin/bash "$0" "$@"
	fi
	mount --make-rprivate / || { echo "mount --make-rprivate / failed"; exit 99; }
}

# sys_mount ARGS...: mount, or exit 99.
sys_mount() { mount "$@" || { echo "mount $* failed"; exit 99; }; }

# setup_system_ns: inside the namespace, make the built pieces appear where
# the system looks for them, for setuid sudo and sshd (which ignore
# LD_LIBRARY_PATH), without installing anything: an overlay of $T/ov/lib
# (libksm.so.0, libnss_ksm.so.2, security/pam_ksm.so) over the system
# library directory ($MULTIARCH), $T/etc-ksm over /etc/ksm, $T/var-lib-ksm
# over /var/lib/ksm (nss_ksm's compiled-in snapshot path) and a test
# nsswitch.conf (passwd/group: files ksm). The server's CA goes to
# /etc/ksm/ca.pem; sysconf writes /etc/ksm/ksm.conf, and $T/ksm.conf links
# to it (for run_ksmctl).
MULTIARCH=
setup_system_ns() {
	local libksm="$builddir/.libs/libksm.so.0" nss="$builddir/.libs/libnss_ksm.so.2" f
	for f in "$libksm" "$nss" "$PAM_MOD"; do
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

# sysconf [EXTRA LINES]: /etc/ksm/ksm.conf for the system view, with the
# default state paths under /var/lib/ksm.
sysconf() {
	{
		echo "client_config = /etc/ksm/client.json"
		echo "ca_file = /etc/ksm/ca.pem"
		echo "snapshot = /var/lib/ksm/snapshot"
		echo "private_store = /var/lib/ksm/private"
		echo "timeout_sync = 5"
		echo "ksmd_socket = $T/ksmd.sock"
		echo "ksmd_user = root"
		echo "keys_user = nobody"
		# Tests share one machine (one PID space) and reuse uids: a sync
		# must not end another test's sessions. The end_sessions tests
		# turn it on (a later line wins).
		echo "end_sessions = no"
		# An auth may take a vault read of the last auth_reuse (ksmd's
		# default 5 s); a test that checks a rotation waits it out
		# (past_reuse), so they run with 1 s. AUTH_REUSE= (empty) keeps
		# ksmd's default (the benchmarks' bursts, test_pam's check).
		[ -n "${AUTH_REUSE-1s}" ] && echo "auth_reuse = ${AUTH_REUSE-1s}"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >/etc/ksm/ksm.conf
	chmod 0644 /etc/ksm/ksm.conf
	ksm_conf_changed
}
