#!/bin/bash
# SPDX-License-Identifier: MIT
# test_debs.sh - build the Debian packages (debian/) from a copy of the
# source with dpkg-buildpackage, then install, use, remove and purge them
# with the real dpkg and maintainer scripts in a throwaway view of the
# system: a private mount namespace with tmpfs-backed overlays over /etc,
# /usr and /var (so /lib, /bin, dpkg's database too) and a tmpfs on /run
# (no systemd to talk to). Nothing on the host changes; the view vanishes
# with the namespace.
#
# Checks: module paths against libpam's and glibc's own (pam_unix.so,
# libnss_files.so.2), the sshd snippet's helper path and sshd -t with it,
# the units (systemd-analyze verify, security exposure), the pam-auth-update
# profile off by default and clean removal, ksm-nsswitch enable/disable and
# package removal leaving nsswitch.conf byte-identical, the ksm-keys user,
# /var/lib/ksm, the timer enabled, and an end-to-end run of the installed
# ksmctl (init, sync), nss_ksm (getent) and ksm-authorized-keys (as
# ksm-keys) against the local KSM server. Needs root (exit 77 otherwise).
#
#   tests/package/test_debs.sh            (tests/run-all.sh runs it)
#   KEEP_TMP=1 tests/package/test_debs.sh keeps the build directory
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${JOBS:-2}

if [ "${1:-}" != --inside ]; then
	# ---- outside: build, inspect the .debs, then the namespace part.
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for t in dpkg-buildpackage dh unshare; do
		command -v "$t" >/dev/null || { echo "SKIP: no $t (tests/install-deps.sh)"; exit 77; }
	done
	W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-debs.XXXXXX")
	case $W in /etc/* | /usr/* | /var/* | /run/*) echo "bad TMPDIR for overlays: $W"; exit 99 ;; esac
	# shellcheck source=../lib/checks.sh
	. "$SRC/tests/lib/checks.sh"

	# A copy of the tree: what git knows (tracked and new, not ignored),
	# else everything but build directories. dpkg-buildpackage writes the
	# .debs beside it, in $W.
	mkdir -p "$W/ksm-unix"
	if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$SRC" && git ls-files -z --cached --others --exclude-standard) |
			tar -C "$SRC" --null -T - --ignore-failed-read -cf - 2>/dev/null |
			tar -C "$W/ksm-unix" -xf -
	else
		tar -C "$SRC" --exclude=./build --exclude='./build-*' -cf - . |
			tar -C "$W/ksm-unix" -xf -
	fi
	t0=$(date +%s)
	(cd "$W/ksm-unix" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$JOBS" \
		dpkg-buildpackage -us -uc -b >"$W/build.log" 2>&1)
	rc=$?
	BUILD_S=$(($(date +%s) - t0))
	if [ $rc -ne 0 ]; then
		tail -n 40 "$W/build.log"
		fail "dpkg-buildpackage -us -uc -b (exit $rc)"
		echo "$PASSED passed, $FAILED failed"
		rm -rf "$W"
		exit 1
	fi
	ok "dpkg-buildpackage -us -uc -b (${BUILD_S} s)"
	for p in libksm0 libksm-dev libpam-ksm libnss-ksm ksm-tools; do
		check "package $p built" test -f "$(ls "$W"/${p}_*.deb 2>/dev/null | head -n 1)"
	done
	check "no build products left in the source tree" \
		bash -c "! ls '$SRC'/../*ksm*.deb '$SRC'/debian/tmp '$SRC'/debian/.debhelper 2>/dev/null | grep -q ."
	contents() { dpkg-deb -c "$W/$1"_*.deb | awk '{print $6}' | sed 's|^\./|/|'; }
	for p in libksm0 libksm-dev libpam-ksm libnss-ksm ksm-tools; do
		echo "# $p: $(contents $p | grep -vc '/$') files"
		contents $p | grep -v '/$' | sed 's/^/#   /'
	done
	pam_dir=$(dirname "$(dpkg -L libpam-modules | grep '/pam_unix\.so$' | head -n 1)")
	check "pam_ksm.so beside pam_unix.so ($pam_dir)" \
		grep -qx "$pam_dir/pam_ksm.so" <(contents libpam-ksm)
	nss_dir=$(dirname "$(dpkg -L libc6 | grep -E '^/(usr/)?lib/[^/]+-linux-gnu[^/]*/libnss_files\.so\.2$' | head -n 1)")
	check "libnss_ksm.so.2 beside libnss_files.so.2 ($nss_dir)" \
		grep -qx "$nss_dir/libnss_ksm.so.2" <(contents libnss-ksm)
	check "libksm-dev: ksm.h, libksm.pc and the .so link; no .la anywhere" \
		bash -c "c=\$(dpkg-deb -c '$W'/libksm-dev_*.deb); grep -q ' ./usr/include/ksm.h$' <<<\"\$c\" &&
			grep -q '/pkgconfig/libksm.pc$' <<<\"\$c\" && grep -q 'libksm.so -> libksm.so.0' <<<\"\$c\" &&
			! for d in '$W'/*.deb; do dpkg-deb -c \"\$d\"; done | grep -q '\.la$'"
	check "ksm-tools: /etc/ksm/ksm.conf is a conffile" \
		bash -c "dpkg-deb -I '$W'/ksm-tools_*.deb conffiles | grep -qx /etc/ksm/ksm.conf"

	unshare -m --propagation private "$BASH" "$0" --inside "$W"
	rc=$?
	read -r IP IF <"$W/inside.counts" 2>/dev/null || { IP=0; IF=1; echo "not ok - namespace part did not finish (exit $rc)"; }
	PASSED=$((PASSED + IP))
	FAILED=$((FAILED + IF))
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$W"
	else
		echo "# kept $W"
	fi
	finish
	exit
fi

# ---- inside the private mount namespace.
W=$2
srcdir=$SRC
builddir=$W
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/server.sh"
echo "$PASSED $((FAILED + 1))" >"$W/inside.counts"
trap 'cleanup; echo "$PASSED $FAILED" >"$W/inside.counts"' EXIT

# The overlays: upper layers on a tmpfs, lower layers the real directories.
mkdir -p "$W/ovl" && mount -t tmpfs -o mode=0755 tmpfs "$W/ovl" || exit 99
for d in etc usr var; do
	mkdir -p "$W/ovl/$d.up" "$W/ovl/$d.work"
	mount -t overlay overlay \
		-o "lowerdir=/$d,upperdir=$W/ovl/$d.up,workdir=$W/ovl/$d.work" "/$d" ||
		{ echo "cannot overlay /$d"; exit 99; }
done
mount -t tmpfs -o mode=0755 tmpfs /run || exit 99
mkdir -p /run/sshd
chmod 0755 /run/sshd
# No man-db rebuild on install (speed); dpkg and friends without questions.
rm -f /var/lib/man-db/auto-update
export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true

# An nsswitch.conf with the odd corners ksm-nsswitch must leave alone.
cat >/etc/nsswitch.conf <<'EOF'
# /etc/nsswitch.conf (test copy)
passwd:         files systemd
group:          files [SUCCESS=merge] systemd	# comment naming ksm
shadow:         files
  hosts:  files dns
netgroup:	nis
EOF
mkdir -p "$W/orig"
cp -a /etc/nsswitch.conf "$W/orig/nsswitch.conf"
for f in auth account session password session-noninteractive; do
	cp -a "/etc/pam.d/common-$f" "$W/orig/common-$f"
done
pam_same() {
	local f
	for f in auth account session password session-noninteractive; do
		cmp -s "/etc/pam.d/common-$f" "$W/orig/common-$f" || { echo "  common-$f differs"; return 1; }
	done
}

DEBS=$(ls "$W"/*.deb | grep -v -- -dbgsym_)
dpkg -i $DEBS >"$W/dpkg-i.log" 2>&1
RC=$?
[ $RC -eq 0 ] || tail -n 30 "$W/dpkg-i.log"
check "dpkg -i of the 5 packages (maintainer scripts run)" [ $RC -eq 0 ]
check "all 5 installed" bash -c "[ \$(dpkg-query -W -f='\${db:Status-Abbrev}\n' libksm0 libksm-dev libpam-ksm libnss-ksm ksm-tools | grep -c '^ii') = 5 ]"

# --- sysusers, tmpfiles, timer.
check "user ksm-keys (group ksm, no login shell) made by sysusers" \
	bash -c "getent passwd ksm-keys | awk -F: -v g=\$(getent group ksm | cut -d: -f3) '\$4 == g && \$7 ~ /nologin\$/' | grep -q ."
check "/var/lib/ksm made by tmpfiles, 0755 root" [ "$(stat -c '%a %U' /var/lib/ksm 2>/dev/null)" = "755 root" ]
check "ksm-sync.timer enabled (timers.target.wants)" \
	[ "$(readlink /etc/systemd/system/timers.target.wants/ksm-sync.timer)" = /lib/systemd/system/ksm-sync.timer ]
check "ksm-sync.service not enabled by itself" [ ! -e /etc/systemd/system/multi-user.target.wants/ksm-sync.service ]

# --- units.
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' /lib/systemd/system/ksm-sync.service)
check "ExecStart names the installed ksmctl ($exec_path)" \
	bash -c "[ '$exec_path' = /usr/sbin/ksmctl ] && [ -x /usr/sbin/ksmctl ]"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify ksm-sync.service ksm-sync.timer" \
		systemd-analyze verify /lib/systemd/system/ksm-sync.service /lib/systemd/system/ksm-sync.timer
	score=$(systemd-analyze security --offline=yes /lib/systemd/system/ksm-sync.service 2>/dev/null |
		sed -n 's/.*Overall exposure level for ksm-sync.service: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security: exposure ${score:-?} (at most 2.5)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
else
	ok "# SKIP systemd-analyze not installed"
fi
check "timer: every 5 minutes after the first 30 s, randomized" \
	bash -c "grep -qx 'OnUnitActiveSec=5min' /lib/systemd/system/ksm-sync.timer &&
		grep -qx 'OnBootSec=30s' /lib/systemd/system/ksm-sync.timer &&
		grep -q '^RandomizedDelaySec=' /lib/systemd/system/ksm-sync.timer"

# --- sshd snippet: the helper it names, as the user it names.
SNIP=/usr/share/ksm-unix/sshd_config.d/ksm.conf
akc=$(awk '$1 == "AuthorizedKeysCommand" { print $2 }' "$SNIP")
akcu=$(awk '$1 == "AuthorizedKeysCommandUser" { print $2 }' "$SNIP")
check "snippet's AuthorizedKeysCommand is the installed helper ($akc)" \
	bash -c "[ '$akc' = /usr/sbin/ksm-authorized-keys ] && dpkg -S '$akc' | grep -q '^ksm-tools:' && [ -x '$akc' ]"
check "the helper and its directories are root-owned, not group/world writable (sshd's rule)" \
	bash -c "p='$akc'; while [ \"\$p\" != / ]; do s=\$(stat -L -c '%u %A' \"\$p\"); case \$s in '0 '?????w* | '0 '????????w*) exit 1 ;; '0 '*) ;; *) exit 1 ;; esac; p=\$(dirname \"\$p\"); done"
check "snippet's AuthorizedKeysCommandUser is the sysusers user ($akcu)" [ "$akcu" = ksm-keys ]
check "snippet not active after install" [ ! -e /etc/ssh/sshd_config.d/ksm.conf ]
if [ -x /usr/sbin/sshd ]; then
	mkdir -p /etc/ssh/sshd_config.d
	ln -s "$SNIP" /etc/ssh/sshd_config.d/ksm.conf # the documented enable step
	ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
	printf 'Include /etc/ssh/sshd_config.d/*.conf\nHostKey %s\nPort 2222\nListenAddress 127.0.0.1\n' \
		"$W/hostkey" >"$W/sshd_config"
	check "sshd -t accepts a config including the snippet" /usr/sbin/sshd -t -f "$W/sshd_config"
	check "sshd -T: the snippet's command and user are in effect" \
		bash -c "/usr/sbin/sshd -T -f '$W/sshd_config' | grep -qx 'authorizedkeyscommand /usr/sbin/ksm-authorized-keys %u %f' &&
			/usr/sbin/sshd -T -f '$W/sshd_config' | grep -qx 'authorizedkeyscommanduser ksm-keys'"
	rm -f /etc/ssh/sshd_config.d/ksm.conf
else
	ok "# SKIP no sshd"
fi

# --- PAM: off until enabled, out again on removal.
check "pam-configs profile says Default: no" grep -qx 'Default: no' /usr/share/pam-configs/ksm
check "installing libpam-ksm left /etc/pam.d/common-* as they were" pam_same
pam-auth-update --enable ksm >/dev/null 2>&1
check "pam-auth-update --enable ksm: pam_ksm before pam_unix in common-auth" \
	awk '/pam_ksm\.so/ && !u { k = 1 } /pam_unix\.so/ { u = 1 } END { exit !(k && u) }' /etc/pam.d/common-auth
check "... local users fall through (user_unknown=ignore) and vault failures stop (default=die)" \
	grep -Eq '^auth[[:space:]]+\[success=[0-9]+ user_unknown=ignore service_err=ignore default=die\][[:space:]]+pam_ksm\.so' /etc/pam.d/common-auth
check "... account and session lines; common-password untouched" \
	bash -c "grep -q 'pam_ksm.so' /etc/pam.d/common-account && grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_ksm\.so' /etc/pam.d/common-session &&
		cmp -s /etc/pam.d/common-password '$W/orig/common-password'"

# --- nsswitch: untouched by install, exact round trips.
check "installing libnss-ksm left nsswitch.conf as it was" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"
check "ksm-nsswitch status: not enabled" bash -c "! ksm-nsswitch status >/dev/null"
ksm-nsswitch enable >/dev/null
check "enable: ksm appended to passwd and group, nothing else changed" \
	bash -c "diff '$W/orig/nsswitch.conf' /etc/nsswitch.conf | grep '^[<>]' >'$W/nsw.diff';
		[ \"\$(cat '$W/nsw.diff')\" = \"\$(printf '%s\n' \
		'< passwd:         files systemd' \
		'< group:          files [SUCCESS=merge] systemd	# comment naming ksm' \
		'> passwd:         files systemd ksm' \
		'> group:          files [SUCCESS=merge] systemd ksm	# comment naming ksm')\" ]"
check "enable twice changes nothing" bash -c "cp /etc/nsswitch.conf '$W/nsw.1'; ksm-nsswitch enable >/dev/null; cmp -s /etc/nsswitch.conf '$W/nsw.1'"
check "ksm-nsswitch status: enabled" bash -c "ksm-nsswitch status >/dev/null"
ksm-nsswitch disable >/dev/null
check "disable: byte-identical to the file before enable" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"

# --- end to end with the installed programs: init, sync, NSS, keys.
for n in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
/usr/bin/python3 "$SRC/tests/integration/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
install -m 0644 "$SRV_CA" /etc/ksm/ca.pem
echo "ca_file = /etc/ksm/ca.pem" >>/etc/ksm/ksm.conf
ksminit() {
	/usr/sbin/ksmctl init --token "$(new_token)" --host "$SRV_HOST" \
		--server-key "$SRV_KEY" --force >"$T/out" 2>"$T/err"
}
check "ksmctl (installed) init with the shipped ksm.conf" ksminit
check "client.json written 0600 root" [ "$(stat -c '%a %U' /etc/ksm/client.json 2>/dev/null)" = "600 root" ]
chgrp ksm /etc/ksm/client.json && chmod 0640 /etc/ksm/client.json
check "ksmctl init --force again (new token)" ksminit
check "... keeps root:ksm 0640 (the keys helper's live path)" \
	[ "$(stat -c '%a %U %G' /etc/ksm/client.json 2>/dev/null)" = "640 root ksm" ]
check "ksm-keys may read client.json (group ksm)" \
	bash -c "setpriv --reuid=ksm-keys --regid=ksm --init-groups -- cat /etc/ksm/client.json >/dev/null"
/usr/sbin/ksmctl sync >"$T/out" 2>"$T/err"
RC=$?
check "ksmctl sync (installed, default paths) exit 0" [ $RC -eq 0 ]
check "snapshot 0644 and private store 0600 in /var/lib/ksm" \
	[ "$(stat -c %a /var/lib/ksm/snapshot 2>/dev/null) $(stat -c %a /var/lib/ksm/private 2>/dev/null)" = "644 600" ]
ksm-nsswitch enable >/dev/null
check "glibc finds libnss_ksm.so.2: getent passwd alice (vault uid)" \
	bash -c "getent passwd alice | grep -q '^alice:x:250001:'"
check "ksm-authorized-keys as ksm-keys serves alice's key" \
	bash -c "setpriv --reuid=ksm-keys --regid=ksm --init-groups -- /usr/sbin/ksm-authorized-keys alice | grep -qF \"\$(cut -d' ' -f2 '$T/alice.pub')\""
check "ksm-authorized-keys prints nothing for root and exits 0" \
	bash -c "[ -z \"\$(setpriv --reuid=ksm-keys --regid=ksm --init-groups -- /usr/sbin/ksm-authorized-keys root)\" ]"

# --- removal: out of nsswitch.conf and the PAM stacks.
dpkg -r libnss-ksm >"$W/dpkg-r.log" 2>&1
check "dpkg -r libnss-ksm" [ $? -eq 0 ]
check "... took ksm out: nsswitch.conf byte-identical to the original" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"
dpkg -r libpam-ksm >>"$W/dpkg-r.log" 2>&1
check "dpkg -r libpam-ksm (after pam-auth-update --enable ksm)" [ $? -eq 0 ]
check "... /etc/pam.d/common-* byte-identical to the originals" pam_same
rm -f /etc/ksm/ca.pem # the admin's own file would (rightly) stay
dpkg --purge ksm-tools libksm-dev libksm0 libnss-ksm libpam-ksm >>"$W/dpkg-r.log" 2>&1
check "dpkg --purge of the rest" [ $? -eq 0 ]
check "purge: /var/lib/ksm, /etc/ksm, the units and the timer link are gone" \
	bash -c "[ ! -e /var/lib/ksm ] && [ ! -e /etc/ksm ] && [ ! -e /lib/systemd/system/ksm-sync.timer ] &&
		[ ! -e /etc/systemd/system/timers.target.wants/ksm-sync.timer ] && [ ! -e /lib/x86_64-linux-gnu/security/pam_ksm.so ]"
check "no ksm package left" bash -c "! dpkg-query -W -f='\${db:Status-Abbrev} \${Package}\n' 2>/dev/null | grep -E '^(ii|rc) +(libksm|libpam-ksm|libnss-ksm|ksm-tools)'"

# --- asked at install time: KSM_NSSWITCH=enable, then removal again.
NSS_DEB=$(ls "$W"/libnss-ksm_*.deb)
KSM_NSSWITCH=enable dpkg -i "$NSS_DEB" >>"$W/dpkg-i.log" 2>&1
check "KSM_NSSWITCH=enable dpkg -i libnss-ksm" [ $? -eq 0 ]
check "... added ksm to passwd and group" ksm-nsswitch status
dpkg --purge libnss-ksm >>"$W/dpkg-r.log" 2>&1
check "... and its removal took it out again (byte-identical)" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"
[ "$FAILED" -eq 0 ] || { echo "# dpkg logs:"; tail -n 20 "$W"/dpkg-*.log; }
[ "$FAILED" -eq 0 ]
