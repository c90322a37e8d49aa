# SPDX-License-Identifier: MIT
# stacks.sh - the documented PAM stacks on a real Debian system view, for
# test_sshd_stacks.sh and test_su_sudo_stacks.sh (sourced, bash; after
# lib.sh, inside the private namespace of need_root_ns).
#
# The stacks are taken from the documents' own text (tests/lib/pamdocs.sh:
# the pam-example blocks of man/pam_ksm.8 and README.md merged into the
# system's /etc/pam.d files) and from the pam-auth-update profiles of dist/,
# applied by the real pam-auth-update. /etc, /var/lib/pam,
# /usr/share/pam-configs and /var/cache/debconf are overlays whose upper
# layers live in $T, so pam-auth-update, useradd and passwd may write them.
#
# Users: root and lucy (local, passwords in /etc/shadow, keys in
# $T/authkeys; lucy in the group sudo), the vault users of mkvault.py
# (alice: password and key; bob: a TOTP code; gina: in the local group
# sudo, an opt-in with local_groups = sudo).
#
# Faults (fault_on/fault_off NAME): conf (a typo in ksm.conf), ksmd (ksmd
# stopped), snapshot (the snapshot missing), module (pam_ksm.so missing, as
# after removing its package with the lines left behind).
[ -n "${KSM_TEST_STACKS:-}" ] && return 0
KSM_TEST_STACKS=1
. "$TOP_SRC/tests/lib/pamdocs.sh"

LOCAL=lucy
PW_LOCAL=pw-lucy-local-4Gt8Wn
PW_ROOT=pw-root-local-9Xe1Rb
PW_LOCAL2=pw-lucy-new-2Jd7Kc
# The local passwords are secrets of this test too.
ALL_SECRETS="$ALL_SECRETS $PW_LOCAL $PW_ROOT $PW_LOCAL2"
FAULTS="none conf ksmd snapshot module"

# overlay DIR: DIR becomes an overlay with its upper layer in $T/ovl.
overlay() {
	local d=$1 n
	n=$(tr / _ <<<"$d")
	mkdir -p "$T/ovl/$n.up" "$T/ovl/$n.work"
	sys_mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/ovl/$n.up,workdir=$T/ovl/$n.work" "$d"
}

# stacks_setup: the system view, the users, the vault (synced), ksmd, and
# the pristine PAM files saved in $T/pam.orig.
stacks_setup() {
	local u hash
	for u in pam-auth-update useradd usermod openssl; do
		command -v "$u" >/dev/null || { echo "SKIP: $u missing"; exit 77; }
	done
	for u in sshd sudo su passwd common-auth common-account common-session common-password; do
		[ -f "/etc/pam.d/$u" ] || { echo "SKIP: no /etc/pam.d/$u (Debian's PAM files)"; exit 77; }
	done
	overlay /etc
	overlay /var/lib/pam
	overlay /usr/share/pam-configs
	[ -d /var/cache/debconf ] && overlay /var/cache/debconf
	mkdir -p "$T/authkeys"
	chmod 0755 "$T" "$T/authkeys"
	sshd_vault_view alice gina root "$LOCAL"
	# gina's record asks for the local group sudo: an explicit opt-in.
	sysconf "local_groups = sudo"
	bind
	[ "$RC" = 0 ] || { echo "ksmctl init: $ERR"; exit 99; }
	run_ksmctl sync
	[ "$RC" = 0 ] || { echo "ksmctl sync: $ERR"; exit 99; }

	LOCAL_UID=2901
	while getent passwd "$LOCAL_UID" >/dev/null || getent group "$LOCAL_UID" >/dev/null; do
		LOCAL_UID=$((LOCAL_UID + 1))
	done
	useradd -u "$LOCAL_UID" -U -G sudo -m -s /bin/bash "$LOCAL" || exit 99
	hash=$(printf '%s\n' "$PW_LOCAL" | openssl passwd -6 -stdin) && usermod -p "$hash" "$LOCAL" || exit 99
	hash=$(printf '%s\n' "$PW_ROOT" | openssl passwd -6 -stdin) && usermod -p "$hash" root || exit 99
	install -m 0644 "$T/root.pub" "$T/authkeys/root"
	install -m 0644 "$T/$LOCAL.pub" "$T/authkeys/$LOCAL"
	for u in alice bob gina; do
		mkdir -p "/home/$u" && chown "$u:" "/home/$u" || exit 99
	done
	cp "$TOP_SRC"/dist/pam-configs/ksm* /usr/share/pam-configs/ || exit 99
	export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
	mkdir -p "$T/pam.orig"
	cp -a /etc/pam.d/. "$T/pam.orig/"
	printf 'not an ELF file\n' >"$T/broken-module.so"
}

# stack_docs SERVICE DOC NAME: /etc/pam.d/SERVICE is the system's with the
# block NAME of DOC (man/pam_ksm.8 or README.md) merged in; the common-*
# files without pam_ksm (pam-auth-update with our profiles off).
stack_docs() {
	local svc=$1 doc=$2 name=$3
	profiles_off
	doc_block "$TOP_SRC/$doc" "$name" >"$T/block.$name" || { fail "$doc has no pam-example block '$name'"; return 1; }
	doc_merge "$T/pam.orig/$svc" "$T/block.$name" >"/etc/pam.d/$svc"
	STACK="$doc:$name"
}

# stack_profile PROFILE...: the system's service files, and common-* as
# pam-auth-update --enable PROFILE... makes them (our others disabled).
stack_profile() {
	local p off=
	for p in ksm ksm-totp ksm-password; do
		[[ " $* " == *" $p "* ]] || off="$off $p"
	done
	restore_services
	# shellcheck disable=SC2086
	pam-auth-update --force --disable $off --enable "$@" >"$T/pam-auth-update.log" 2>&1 ||
		{ cat "$T/pam-auth-update.log"; exit 99; }
	STACK="pam-auth-update --enable $*"
}
profiles_off() {
	restore_services
	pam-auth-update --force --disable ksm ksm-totp ksm-password >"$T/pam-auth-update.log" 2>&1 ||
		{ cat "$T/pam-auth-update.log"; exit 99; }
}
restore_services() {
	local f
	for f in sshd sudo su passwd; do cp "$T/pam.orig/$f" "/etc/pam.d/$f"; done
}

fault_on() {
	case $1 in
	none) ;;
	conf)
		cp /etc/ksm/ksm.conf "$T/ksm.conf.good"
		echo "sesion_secret_ttl = 1h" >>/etc/ksm/ksm.conf
		;;
	ksmd) ksmd_stop ;;
	snapshot) mv /var/lib/ksm/snapshot "$T/snapshot.away" ;;
	module) sys_mount --bind "$T/broken-module.so" "$MULTIARCH/security/pam_ksm.so" ;;
	esac
}
fault_off() {
	case $1 in
	none) ;;
	conf) cp "$T/ksm.conf.good" /etc/ksm/ksm.conf ;;
	ksmd) ksmd_start "$T/ksm.conf" ;;
	snapshot) mv "$T/snapshot.away" /var/lib/ksm/snapshot ;;
	module) umount "$MULTIARCH/security/pam_ksm.so" ;;
	esac
}

# What the log must say for a vault user refused under FAULT (an ERE).
fault_log() {
	case $1 in
	conf) echo "pam_ksm\\([a-z-]+:[a-z]+\\): /etc/ksm/ksm.conf:[0-9]+: unknown option 'sesion_secret_ttl'" ;;
	ksmd) echo "pam_ksm\\([a-z-]+:[a-z]+\\): $2: password check: ksmd not reachable" ;;
	snapshot) echo "pam_ksm\\([a-z-]+:[a-z]+\\): snapshot /var/lib/ksm/snapshot is missing" ;;
	module) echo "PAM unable to dlopen\\(.*pam_ksm\\.so\\)" ;;
	esac
}
