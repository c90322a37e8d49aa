# SPDX-License-Identifier: MIT
# su.sh - the real setuid su with pam_ksm, driven as an unprivileged user
# (sourced, bash; after common.sh and namespace.sh, inside the private
# namespace, after setup_system_ns).
[ -n "${KSM_LIB_SU:-}" ] && return 0
KSM_LIB_SU=1

SU=/bin/su

# need_su: skip (77) without a setuid su and setpriv.
need_su() {
	[ -u "$SU" ] || { echo "SKIP: no setuid $SU"; exit 77; }
	command -v setpriv >/dev/null || { echo "SKIP: setpriv missing"; exit 77; }
}

# su_pam_stack: /etc/pam.d/su becomes pam_ksm over pam_unix (local users
# keep their own passwords).
su_pam_stack() {
	cat >"$T/pam-su" <<'PAM'
#%PAM-1.0
auth     [success=done user_unknown=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
auth     required pam_unix.so
account  [success=done ignore=ignore user_unknown=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  required pam_unix.so
session  optional pam_ksm.so conf=/etc/ksm/ksm.conf
session  required pam_permit.so
PAM
	chmod 0644 "$T/pam-su"
	sys_mount --bind "$T/pam-su" /etc/pam.d/su
}

# su_as_nobody USER PASSWORD [ENV...]: su USER -c true as nobody, the
# password on stdin, with the given environment; sets RC and MS.
su_as_nobody() {
	local user=$1 pw=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	printf '%s\n' "$pw" | timeout 30 env "$@" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$SU" "$user" -c true >"$T/su.out" 2>"$T/su.err"
	RC=$?
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}
