#!/bin/bash
# SPDX-License-Identifier: MIT
# test_unenroll.sh - ksmctl unenroll against real files: a host is
# enrolled the documented ways (pam-auth-update --enable ksm with the
# shipped profile, the README's pam_ksm lines in /etc/pam.d/sshd, the
# doctor's 10-ksm.conf and the README's link to the snippet, ksm-nsswitch
# enable, a bound device, a sync, ksmd's verifiers), then:
#   - without --yes and no terminal it refuses (exit 2); on a terminal it
#     asks and "no" changes nothing; --dry-run lists every step;
#   - each safety refusal changes nothing: sshd -t failing before, a PAM
#     jump over a pam_ksm line, our AuthorizedKeysCommand among other
#     settings;
#   - when sshd -t fails without our drop-in (an AuthorizedKeysCommand it
#     shadowed, without its user), the drop-ins are put back and the run
#     stops there; run again once fixed, it finishes;
#   - afterwards /etc/pam.d, /etc/ssh and nsswitch.conf are byte-identical
#     to before the enrollment, ksmd is stopped, client.json, the snapshot,
#     its .status and the verifiers are gone, and the device it names is
#     the one the local server knows (revoked by that id); a second run
#     has nothing to undo.
#
# Needs root (exit 77 otherwise). Everything runs in a private mount
# namespace (as test_check.sh): /etc/ksm, /var/lib/ksm, nsswitch.conf,
# /etc/ssh and /etc/pam.d from $T; /usr/share/pam-configs with our profile,
# copies of /var/lib/pam and /var/cache/debconf (pam-auth-update's state);
# ksm-nsswitch in the build's sbindir. No systemd runs here: the timers
# are not touched, ksmd (started by the test) is stopped by its pid.
#
# Run by hand: cd build/normal && bash ../../tests/integration/test_unenroll.sh
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/sshd.sh"
need_root_ns "$@"
need_sshd /usr/sbin/pam-auth-update /usr/bin/script
[ -f /etc/pam.d/sshd ] || { echo "SKIP: no /etc/pam.d/sshd"; exit 77; }

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
sys_mount -t tmpfs -o mode=0755 tmpfs /run
setup_system_ns
sshd_system_dirs
sysconf "offline_verifiers = all"

# --- the host before enrollment.
sshd_etc_ssh
echo "PrintMotd no" >/etc/ssh/sshd_config.d/50-site.conf
cp -a /etc/pam.d "$T/pam.d" || exit 99
sed -i '/pam_ksm/d' "$T"/pam.d/* || exit 99
sys_mount --bind "$T/pam.d" /etc/pam.d
printf '# test copy\npasswd:\tfiles systemd\ngroup:\t\tfiles systemd # ksm named in a comment\nshadow:\tfiles\n' \
	>"$T/nsswitch.conf"
# pam-auth-update's state, and the profile where it looks.
for d in /var/lib/pam /var/cache/debconf; do
	mkdir -p "$T/state$d" && cp -a "$d/." "$T/state$d/" && sys_mount --bind "$T/state$d" "$d"
done
mkdir -p "$T/ov/pam-configs" && chmod 0755 "$T/ov/pam-configs"
install -m 0644 "$TOP_SRC"/dist/pam-configs/ksm* "$T/ov/pam-configs/"
sys_mount -t overlay overlay -o "lowerdir=$T/ov/pam-configs:/usr/share/pam-configs" /usr/share/pam-configs
# ksm-nsswitch and the sshd snippet where this build's ksmctl looks.
SBINDIR=$(make -s -C "$builddir" print-sbindir)
PKGDATADIR=$(make -s -C "$builddir" print-pkgdatadir)
SHAREDIR=$(dirname "$PKGDATADIR")
for d in "$SBINDIR" "$SHAREDIR"; do
	[ -d "$d" ] || { echo "SKIP: no $d to put ksm-nsswitch and the snippet in"; exit 77; }
done
mkdir -p "$T/ov/tool" "$T/ov/share/${PKGDATADIR##*/}/sshd_config.d"
chmod -R 0755 "$T/ov/tool" "$T/ov/share"
install -m 0755 "$TOP_SRC/dist/ksm-nsswitch" "$T/ov/tool/ksm-nsswitch"
SNIPPET=$PKGDATADIR/sshd_config.d/ksm.conf
install -m 0644 "$builddir/dist/sshd_config.d/ksm.conf" "$T/ov/share/${SNIPPET#"$SHAREDIR"/}"
sys_mount -t overlay overlay -o "lowerdir=$T/ov/tool:$SBINDIR" "$SBINDIR"
sys_mount -t overlay overlay -o "lowerdir=$T/ov/share:$SHAREDIR" "$SHAREDIR"

# sums: a checksum line for every file (a link: its target) of the
# login configuration.
sums() {
	find /etc/pam.d /etc/ssh /etc/nsswitch.conf \( -type f -o -type l \) -print0 | sort -z |
		while IFS= read -r -d '' f; do
			if [ -L "$f" ]; then echo "link $(readlink "$f") $f"; else sha256sum "$f"; fi
		done
}
sums >"$T/before.sums"
in_err() { grep -Eq -- "$1" <<<"$ERR"; }

# --- enrollment, the documented ways.
pam-auth-update --enable ksm >"$T/pau.log" 2>&1 || { cat "$T/pau.log"; exit 99; }
check "enrolled: pam-auth-update put pam_ksm into common-auth" grep -q pam_ksm /etc/pam.d/common-auth
# The README's lines for sshd (above its includes; the session line after
# pam_keyinit when there is one).
awk '
/^@include common-auth/ { print "auth     [success=done user_unknown=ignore service_err=ignore default=die] pam_ksm.so try_first_pass" }
/^@include common-account/ { print "account  [success=done new_authtok_reqd=done ignore=ignore user_unknown=ignore service_err=ignore default=die] pam_ksm.so" }
{ print }
/pam_keyinit\.so/ { print "session  optional pam_ksm.so" }' /etc/pam.d/sshd >"$T/sshd.pam" && cat "$T/sshd.pam" >/etc/pam.d/sshd
check "enrolled: the README's lines in /etc/pam.d/sshd" [ "$(grep -c pam_ksm /etc/pam.d/sshd)" -ge 2 ]
# The README's drop-in (an Include of the snippet), an earlier README's
# link to it, the earlier doctor's copy of its lines.
echo "Include $SNIPPET" >/etc/ssh/sshd_config.d/10-ksm.conf
ln -s "$SNIPPET" /etc/ssh/sshd_config.d/ksm.conf
printf '# ours\nAuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %%u %%f\nAuthorizedKeysCommandUser nobody\n' \
	>/etc/ssh/sshd_config.d/11-ksm-copy.conf
check "enrolled: sshd -t accepts the drop-ins" /usr/sbin/sshd -t
check "enrolled: sshd -T runs our helper" bash -c "/usr/sbin/sshd -T | grep -q '^authorizedkeyscommand .*ksm-authorized-keys %u %f'"
check "pam-auth-update --enable ksm-password too (passwd's line)" \
	bash -c "pam-auth-update --enable ksm-password >>'$T/pau.log' 2>&1 && grep -q pam_ksm /etc/pam.d/common-password"
ksm-nsswitch() { "$SBINDIR/ksm-nsswitch" "$@"; }
ksm-nsswitch enable >/dev/null
check "enrolled: nsswitch.conf names ksm" grep -q '^passwd:.*ksm' /etc/nsswitch.conf
bind
expect_rc "enrolled: bind" 0
run_ksmctl sync
expect_rc "enrolled: sync" 0
for f in /etc/ksm/client.json /var/lib/ksm/snapshot /var/lib/ksm/snapshot.status /var/lib/ksm/private; do
	check "enrolled: $f exists" [ -e "$f" ]
done
sums >"$T/enrolled.sums"
KSMD=$KSMD_PID
unchanged() { # DESCRIPTION
	if sums | cmp -s - "$T/enrolled.sums" && [ -e /etc/ksm/client.json ] && kill -0 "$KSMD" 2>/dev/null; then
		ok "$1"
	else
		fail "$1: $(sums | diff "$T/enrolled.sums" - | head -n 5)"
	fi
}

# --- asked, not told; and only root.
run setpriv --reuid=nobody --regid=nogroup --clear-groups "$KSMCTL" unenroll --dry-run
check "as nobody: exit 1, needs root" [ "$RC" = 1 ]
check "... saying so" grep -q 'needs root' <<<"$ERR"
run "$KSMCTL" unenroll </dev/null
check "without --yes and no terminal: exit 2" [ "$RC" = 2 ]
check "... naming --yes" grep -q -- '--yes' <<<"$ERR"
unchanged "... nothing changed"
OUT=$(printf 'no\n' | script -qec "$KSMCTL unenroll" /dev/null 2>&1)
RC=$?
check "on a terminal it asks; 'no' is exit 2 ($RC)" [ "$RC" = 2 ]
check "... the question was asked" grep -q "Type 'yes'" <<<"$OUT"
unchanged "... nothing changed"

run "$KSMCTL" unenroll --dry-run
expect_rc "--dry-run" 0
for want in "would: pam-auth-update --disable ksm ksm-totp ksm-password \(pam_ksm in common-account, common-auth, common-password, common-session" \
	"would: take pam_ksm out of /etc/pam.d/sshd \(line [0-9]+, [0-9]+" \
	"would: remove /etc/ssh/sshd_config.d/10-ksm.conf" "would: remove /etc/ssh/sshd_config.d/ksm.conf" \
	"would: remove /etc/ssh/sshd_config.d/11-ksm-copy.conf" \
	"would: $SBINDIR/ksm-nsswitch disable" "would: stop ksmd \(pid $KSMD," \
	"would: remove /etc/ksm/client.json \(the device key\)" "would: remove /var/lib/ksm/snapshot " \
	"would: remove /var/lib/ksm/snapshot.status" "would: remove /var/lib/ksm/private " \
	"would: remove /var/lib/ksm/private.lock" "short id [A-Za-z0-9_-]{8} \(client id [A-Za-z0-9_-]+\)"; do
	check "--dry-run: /$want/" grep -Eq -- "$want" <<<"$OUT"
done
not_in_out() { ! grep -Eq -- "$1" <<<"$OUT"; }
check "--dry-run: nothing of 50-site.conf (not ours) nor of the snippet itself, no common-* file by hand" \
	not_in_out "50-site|remove $SNIPPET|common-[a-z-]+ \\(line"
order() {
	[ "$(grep -o -E 'pam-auth-update|10-ksm.conf|ksm-nsswitch|stop ksmd|client.json' <<<"$OUT" | tr '\n' ' ')" = \
		"pam-auth-update 10-ksm.conf ksm-nsswitch stop ksmd client.json " ]
}
check "--dry-run: the steps in their order (PAM, sshd, NSS, ksmd, files)" order
unchanged "--dry-run changed nothing"

# --- refusals: nothing changes.
cp -a /etc/ssh/sshd_config "$T/sshd_config.good"
echo "NoSuchKeyword yes" >>/etc/ssh/sshd_config
run "$KSMCTL" unenroll --yes
check "sshd -t failing before: refused (exit 1, sshd's message)" [ "$RC" = 1 ]
check "... with sshd's message" in_err 'sshd -t fails before any change \(.*NoSuchKeyword'
check "... saying that nothing was changed" in_err 'nothing was changed' 
cp -a "$T/sshd_config.good" /etc/ssh/sshd_config
unchanged "... nothing changed"
printf '#%%PAM-1.0\nauth [success=1 default=ignore] pam_unix.so\nauth [success=done user_unknown=ignore service_err=ignore default=die] pam_ksm.so\nauth requisite pam_deny.so\nauth required pam_permit.so\n' \
	>/etc/pam.d/ksm-jump
run "$KSMCTL" unenroll --yes
check "a jump over a pam_ksm line: refused (exit 1)" [ "$RC" = 1 ]
check "... naming the line that jumps" in_err 'ksm-jump:3: auth .*line 2 \(auth pam_unix.so\) jumps 1 module' 
check "... nothing changed" bash -c "grep -q pam_ksm /etc/pam.d/ksm-jump && grep -q pam_ksm /etc/pam.d/common-auth"
rm /etc/pam.d/ksm-jump
printf 'AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %%u\nAuthorizedKeysCommandUser nobody\nPermitRootLogin no\n' \
	>/etc/ssh/sshd_config.d/05-mixed.conf
run "$KSMCTL" unenroll --yes
check "our AuthorizedKeysCommand among other settings: refused (exit 1)" [ "$RC" = 1 ]
check "... naming file and line" in_err '05-mixed.conf:1 sets AuthorizedKeysCommand' 
rm /etc/ssh/sshd_config.d/05-mixed.conf
unchanged "... nothing changed"

# --- sshd -t fails once our drop-ins are gone: they are put back.
echo "AuthorizedKeysCommand /usr/bin/true" >>/etc/ssh/sshd_config
sums >"$T/shadowing.sums"
run "$KSMCTL" unenroll --yes
check "sshd -t failing without our drop-ins: exit 1" [ "$RC" = 1 ]
check "... and put back" in_err 'sshd -t fails without our drop-in'
check "... and stopped there" in_err 'stopped at the failure'
ssh_same() { sums | grep /etc/ssh/ | cmp -s - <(grep /etc/ssh/ "$T/shadowing.sums"); }
check "... the drop-ins back as they were (files and link)" ssh_same
half_done() {
	! grep -rq pam_ksm /etc/pam.d && grep -q '^passwd:.*ksm' /etc/nsswitch.conf &&
		[ -e /etc/ksm/client.json ] && kill -0 "$KSMD"
}
check "... the PAM step before it was done, the steps after it were not" half_done
cp -a "$T/sshd_config.good" /etc/ssh/sshd_config

# --- the real run.
run "$KSMCTL" unenroll --yes
expect_rc "unenroll --yes" 0
for want in "done: removed /etc/ssh/sshd_config.d/10-ksm.conf" "done: sshd -t accepts" \
	"note: no sshd found through /run/sshd.pid" "done: ksm out of the passwd and group lines" \
	"done: ksmd \(pid $KSMD\) stopped" "done: removed /etc/ksm/client.json" \
	"done: removed /var/lib/ksm/private.lock" "Now remove this host's device in Keeper \($SRV_HOST\)"; do
	check "unenroll: /$want/" grep -Eq -- "$want" <<<"$OUT"
done
as_before() { sums | cmp -s - "$T/before.sums" || { sums | diff "$T/before.sums" - | head; false; }; }
check "after: /etc/pam.d, /etc/ssh and nsswitch.conf byte-identical to before the enrollment" as_before
check "after: ksmd stopped" bash -c "! kill -0 $KSMD 2>/dev/null"
KSMD_PID=
for f in /etc/ksm/client.json /var/lib/ksm/snapshot /var/lib/ksm/snapshot.status /var/lib/ksm/private \
	/var/lib/ksm/private.lock; do
	check "after: $f gone" [ ! -e "$f" ]
done
check "after: ksm.conf and the CA (the admin's) stay" bash -c "[ -f /etc/ksm/ksm.conf ] && [ -f /etc/ksm/ca.pem ]"
# The id it names is the device the server bound: revoke it by that id
# (the server keeps standard base64, Keeper's lists the URL-safe form).
SHORT=$(sed -n 's/.*short id \([^ ]*\) .*/\1/p' <<<"$OUT")
PREFIX=$(tr -- '-_' '+/' <<<"$SHORT")
REV=$(admin revoke --client "$PREFIX" 2>&1)
check "the short id it names ($SHORT) is the bound device's ($REV)" [ -n "$SHORT" -a "${REV%% *}" = "$PREFIX" ]
check "... and the Commander line names it" grep -q -- "--client $SHORT\$" <<<"$OUT"

run "$KSMCTL" unenroll --yes
check "again: nothing to undo, exit 0" [ "$RC" = 0 ]
check "... and says so" grep -q 'nothing to undo' <<<"$OUT"

# --- with systemd: a stand-in systemctl (as test_check.sh's) that keeps
# the units' state in $T/units and logs each call; its "stop ksmd.service"
# ends the test's ksmd, as systemd would.
mkdir -p /run/systemd/system "$T/ov/bin" && chmod 0755 "$T/ov/bin"
cat >"$T/ov/bin/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >>@T@/systemctl.log
case $1 in
is-enabled | is-active) grep -qx "$2" @T@/units ;;
disable) grep -vx "$3" @T@/units >@T@/units.new; mv @T@/units.new @T@/units ;;
stop) kill "$(cat @T@/ksmd.pid)"; grep -vx "$2" @T@/units >@T@/units.new; mv @T@/units.new @T@/units ;;
try-reload-or-restart) exit 0 ;;
*) exit 1 ;;
esac
EOF
sed -i "s|@T@|$T|g" "$T/ov/bin/systemctl" && chmod 0755 "$T/ov/bin/systemctl"
sys_mount -t overlay overlay -o "lowerdir=$T/ov/bin:/usr/bin" /usr/bin
printf '%s\n' ksm-sync.timer ksmd.socket ksmd.service >"$T/units"
bind
expect_rc "systemd: enrolled again" 0
echo "$KSMD_PID" >"$T/ksmd.pid"
echo "Include $SNIPPET" >/etc/ssh/sshd_config.d/10-ksm.conf
run "$KSMCTL" unenroll --yes
expect_rc "systemd: unenroll --yes" 0
for want in "done: ksm-sync.timer disabled and stopped" "done: ksmd.socket disabled and stopped" \
	"done: ksmd stopped" "done: sshd reloaded \(systemctl\)" "done: removed /etc/ksm/client.json"; do
	check "systemd: /$want/" grep -Eq -- "$want" <<<"$OUT"
done
calls() { tr '\n' ';' <"$T/systemctl.log" | grep -Eo '(disable|stop|try-reload-or-restart) [^;]*' | tr '\n' ';'; }
check "systemd: the calls, in order: sshd, the timer, the socket, ksmd ($(calls))" [ "$(calls)" = \
	"try-reload-or-restart ssh.service;disable --now ksm-sync.timer;disable --now ksmd.socket;stop ksmd.service;" ]
check "systemd: ksm-metrics.timer (never enabled) left alone" not_in_out 'ksm-metrics'
KSMD_PID=
finish
