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
# libnss_files.so.2), what the packages depend on and link (libpam-ksm and
# the keys helper: no libksm, libcurl, OpenSSL, json-c or libcrypt; ksmd in
# ksm-tools with ca-certificates), the sshd snippet's helper path, enabled
# as README.md's step 8 says, sshd -t with it and after remove and purge
# (also when enabled by a symlink or a copy), the units (systemd-analyze
# verify, security exposure of ksm-sync.service and ksmd.service), the
# pam-auth-update profiles off by default and clean removal, ksm-nsswitch
# enable/disable and package removal leaving nsswitch.conf byte-identical, the ksmd and ksm-keys users,
# /var/lib/ksm, /var/lib/ksmd, /run/ksm, the timer and ksmd.socket enabled,
# and an end-to-end run of the installed ksmctl (init with KSM_TOKEN and
# --token -, sync through ksmd), ksmd (started by hand as root, running as
# ksmd; its request protocol spoken from Python as docs/ksmd-protocol.md
# describes it), nss_ksm (getent) and ksm-authorized-keys (as ksm-keys, from
# the snapshot, live through ksmd, and without ksmd) against the local KSM
# server. Needs root (exit 77 otherwise).
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

	# shellcheck source=../lib/debs.sh
	. "$SRC/tests/lib/debs.sh"
	debs_build "$SRC" "$W"
	rc=$?
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
	check "ksm-tools: ksmd, its units and its page" \
		bash -c "c=\$(dpkg-deb -c '$W'/ksm-tools_*.deb); for f in /usr/sbin/ksmd /lib/systemd/system/ksmd.service \
			/lib/systemd/system/ksmd.socket /usr/share/man/man8/ksmd.8.gz; do grep -q \" \.\$f\$\" <<<\"\$c\" || exit 1; done"
	check "ksm-tools: the example ksm.conf and troubleshooting.md in /usr/share/ksm-unix (README steps 4, Troubleshooting)" \
		bash -c "c=\$(dpkg-deb -c '$W'/ksm-tools_*.deb); for f in /usr/share/ksm-unix/ksm.conf \
			/usr/share/ksm-unix/troubleshooting.md /etc/ksm/ksm.conf; do grep -q \" \.\$f\$\" <<<\"\$c\" || exit 1; done"
	check "libksm0 (the TLS client) recommends ca-certificates" \
		bash -c "dpkg-deb -f '$W'/libksm0_*.deb Recommends | grep -qw ca-certificates"
	deps() { dpkg-deb -f "$W/$1"_*.deb Depends; }
	echo "# libpam-ksm Depends: $(deps libpam-ksm)"
	echo "# ksm-tools Depends: $(deps ksm-tools)"
	check "libpam-ksm depends on no libksm0, libcurl, OpenSSL, json-c or libcrypt (dpkg-shlibdeps)" \
		bash -c "d=\$(dpkg-deb -f '$W'/libpam-ksm_*.deb Depends); grep -q 'libpam0g' <<<\"\$d\" &&
			! grep -Eq 'libksm|libcurl|libssl|libjson-c|libcrypt' <<<\"\$d\""
	check "ksm-tools (ksmd) depends on ca-certificates, libcurl and OpenSSL" \
		bash -c "d=\$(dpkg-deb -f '$W'/ksm-tools_*.deb Depends); grep -q 'ca-certificates' <<<\"\$d\" &&
			grep -q 'libcurl' <<<\"\$d\" && grep -q 'libssl' <<<\"\$d\""


	# KSM_DEBS_OUT: keep the packages there (tests/run-all.sh hands them to
	# tests/package/test_ansible.sh).
	if [ -n "${KSM_DEBS_OUT:-}" ]; then
		mkdir -p "$KSM_DEBS_OUT" && cp $(debs_list "$W") "$KSM_DEBS_OUT/"
	fi

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
trap '[ -n "${KSMD_PID:-}" ] && kill "$KSMD_PID" 2>/dev/null; cleanup; echo "$PASSED $FAILED" >"$W/inside.counts"' EXIT

. "$SRC/tests/lib/debs.sh"
debs_overlay_system "$W"

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

DEBS=$(debs_list "$W")
dpkg -i $DEBS >"$W/dpkg-i.log" 2>&1
RC=$?
[ $RC -eq 0 ] || tail -n 30 "$W/dpkg-i.log"
check "dpkg -i of the 5 packages (maintainer scripts run)" [ $RC -eq 0 ]
check "all 5 installed" bash -c "[ \$(dpkg-query -W -f='\${db:Status-Abbrev}\n' libksm0 libksm-dev libpam-ksm libnss-ksm ksm-tools | grep -c '^ii') = 5 ]"

# --- sysusers, tmpfiles, timer, socket.
for u in ksmd ksm-keys; do
	check "user $u (its own group, no login shell) made by sysusers" \
		bash -c "getent passwd $u | awk -F: -v g=\$(getent group $u | cut -d: -f3) '\$4 == g && \$7 ~ /nologin\$/' | grep -q ."
done
check "/var/lib/ksm made by tmpfiles, 0755 root" [ "$(stat -c '%a %U' /var/lib/ksm 2>/dev/null)" = "755 root" ]
check "/var/lib/ksmd made by tmpfiles, 0700 ksmd" [ "$(stat -c '%a %U %G' /var/lib/ksmd 2>/dev/null)" = "700 ksmd ksmd" ]
check "/run/ksm made by tmpfiles, 0755 root" [ "$(stat -c '%a %U' /run/ksm 2>/dev/null)" = "755 root" ]
check "ksm-sync.timer enabled (timers.target.wants)" \
	[ "$(readlink /etc/systemd/system/timers.target.wants/ksm-sync.timer)" = /lib/systemd/system/ksm-sync.timer ]
check "ksm-sync.service not enabled by itself" [ ! -e /etc/systemd/system/multi-user.target.wants/ksm-sync.service ]
check "ksm-metrics.timer shipped but not enabled (node_exporter metrics are opt-in)" \
	bash -c "[ -f /lib/systemd/system/ksm-metrics.timer ] && [ -f /lib/systemd/system/ksm-metrics.service ] &&
		! ls /etc/systemd/system/*.wants/ksm-metrics.* 2>/dev/null | grep -q ."
check "ksmd.socket enabled (sockets.target.wants)" \
	[ "$(readlink /etc/systemd/system/sockets.target.wants/ksmd.socket)" = /lib/systemd/system/ksmd.socket ]
check "ksmd.service not enabled by itself (the socket starts it)" \
	bash -c "! ls /etc/systemd/system/*.wants/ksmd.service 2>/dev/null | grep -q ."
check "installed pam_ksm.so and ksm-authorized-keys link no libksm, libcurl, OpenSSL, json-c or libcrypt" \
	bash -c "for f in /lib/*/security/pam_ksm.so /usr/sbin/ksm-authorized-keys; do [ -e \"\$f\" ] || exit 1;
		! ldd \"\$f\" | grep -Eq 'libksm|libcurl|libssl|libcrypto|libjson-c|libcrypt\.' || exit 1; done"
check "installed ksmd links libcurl and OpenSSL (it alone talks to Keeper)" \
	bash -c "ldd /usr/sbin/ksmd | grep -q libcurl && ldd /usr/sbin/ksmd | grep -q libcrypto"

# --- units.
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' /lib/systemd/system/ksm-sync.service)
check "ExecStart names the installed ksmctl ($exec_path)" \
	bash -c "[ '$exec_path' = /usr/sbin/ksmctl ] && [ -x /usr/sbin/ksmctl ]"
exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' /lib/systemd/system/ksmd.service)
check "ksmd.service's ExecStart names the installed ksmd ($exec_path)" \
	bash -c "[ '$exec_path' = /usr/sbin/ksmd ] && [ -x /usr/sbin/ksmd ]"
# exposure UNIT MAX: systemd-analyze security's overall score is at most MAX.
exposure() {
	local score
	score=$(systemd-analyze security --offline=yes "/lib/systemd/system/$1" 2>/dev/null |
		sed -n "s/.*Overall exposure level for $1: \([0-9.]*\).*/\1/p")
	check "systemd-analyze security $1: exposure ${score:-?} (at most $2)" \
		awk -v s="${score:-99}" -v m="$2" 'BEGIN { exit !(s <= m) }'
}
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify ksm-sync.service ksm-sync.timer ksmd.service ksmd.socket" \
		systemd-analyze verify /lib/systemd/system/ksm-sync.service /lib/systemd/system/ksm-sync.timer \
		/lib/systemd/system/ksmd.service /lib/systemd/system/ksmd.socket
	exposure ksm-sync.service 2.5
	exposure ksmd.service 2.0
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
check "snippet not active after install" bash -c "! ls /etc/ssh/sshd_config.d/*ksm* 2>/dev/null | grep -q ."
# The enable step exactly as README.md's step 8 says (its sshd-enable
# block), with a config that includes sshd_config.d as Debian's does.
ENABLE=$(awk '/^<!-- sshd-enable/ { w = 1; next } w && /^```/ { if (i) exit; i = 1; next } i { print }' "$SRC/README.md" |
	grep -v '^sshd -t')
ENABLED=/etc/ssh/sshd_config.d/10-ksm.conf
LEGACY=/etc/ssh/sshd_config.d/ksm.conf # the name the README used to give it
SSHD=
if [ -x /usr/sbin/sshd ]; then
	SSHD=/usr/sbin/sshd
	mkdir -p /etc/ssh/sshd_config.d
	ssh-keygen -q -t ed25519 -N '' -f "$W/hostkey"
	printf 'Include /etc/ssh/sshd_config.d/*.conf\nHostKey %s\nPort 2222\nListenAddress 127.0.0.1\n' \
		"$W/hostkey" >"$W/sshd_config"
	check "README step 8's enable command runs ($ENABLE)" bash -c "[ -n \"\$1\" ] && eval \"\$1\"" _ "$ENABLE"
	check "sshd -t accepts a config including the snippet" $SSHD -t -f "$W/sshd_config"
	check "sshd -T: the snippet's command and user are in effect" \
		bash -c "$SSHD -T -f '$W/sshd_config' | grep -qx 'authorizedkeyscommand /usr/sbin/ksm-authorized-keys %u %f' &&
			$SSHD -T -f '$W/sshd_config' | grep -qx 'authorizedkeyscommanduser ksm-keys'"
else
	ok "# SKIP no sshd"
fi
# sshd_ok DESCRIPTION: sshd -t still accepts the config (sshd would start).
sshd_ok() {
	if [ -n "$SSHD" ]; then check "$1: sshd -t passes" $SSHD -t -f "$W/sshd_config"; else ok "# SKIP no sshd"; fi
}

# --- PAM: off until enabled, out again on removal.
check "pam-configs profile says Default: no" grep -qx 'Default: no' /usr/share/pam-configs/ksm
check "installing libpam-ksm left /etc/pam.d/common-* as they were" pam_same
check "libpam-ksm ships the profiles ksm, ksm-totp and ksm-password" \
	bash -c "for p in ksm ksm-totp ksm-password; do dpkg -S /usr/share/pam-configs/\$p | grep -q '^libpam-ksm:' || exit 1; done"
pam-auth-update --enable ksm >/dev/null 2>&1
check "pam-auth-update --enable ksm: pam_ksm before pam_unix in common-auth" \
	awk '/pam_ksm\.so/ && !u { k = 1 } /pam_unix\.so/ { u = 1 } END { exit !(k && u) }' /etc/pam.d/common-auth
check "... local users fall through (user_unknown=ignore), a broken ksm.conf or a missing module too, and vault failures stop (default=die)" \
	grep -Eq '^auth[[:space:]]+\[success=[0-9]+ user_unknown=ignore service_err=ignore module_unknown=ignore default=die\][[:space:]]+pam_ksm\.so' /etc/pam.d/common-auth
check "... account and session lines; common-password untouched" \
	bash -c "grep -q 'pam_ksm.so' /etc/pam.d/common-account && grep -Eq '^session[[:space:]]+optional[[:space:]]+pam_ksm\.so' /etc/pam.d/common-session &&
		cmp -s /etc/pam.d/common-password '$W/orig/common-password'"
pam-auth-update --enable ksm-password >/dev/null 2>&1
check "pam-auth-update --enable ksm-password: pam_ksm after pam_unix in common-password" \
	awk '/^password/ && /pam_unix\.so/ { u = NR } /^password/ && /pam_ksm\.so/ { k = NR } END { exit !(u && k > u) }' /etc/pam.d/common-password

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
INIT_ARGS=(--host "$SRV_HOST" --server-key "$SRV_KEY" --force)
KSMD_PID=
# as USER CMD...: run CMD as USER (its own group, no others).
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"; }
export -f as
keys_of() { cut -d' ' -f2 "$T/$1.pub"; }
TOKEN=$(new_token)
/usr/sbin/ksmctl init --token "$TOKEN" "${INIT_ARGS[@]}" >"$T/out" 2>"$T/err"
RC=$?
check "ksmctl init --token VALUE is refused (exit 2): a token on the command line" \
	bash -c "[ $RC -eq 2 ] && [ ! -e /etc/ksm/client.json ] && grep -q 'token-file' '$T/err'"
KSM_TOKEN=$TOKEN /usr/sbin/ksmctl init "${INIT_ARGS[@]}" >"$T/out" 2>"$T/err"
RC=$?
[ $RC -eq 0 ] || cat "$T/err"
check "KSM_TOKEN=... ksmctl (installed) init with the shipped ksm.conf" [ $RC -eq 0 ]
check "client.json written 0600 and given to ksmd (ksmd_user)" \
	[ "$(stat -c '%a %U' /etc/ksm/client.json 2>/dev/null)" = "600 ksmd" ]
new_token | /usr/sbin/ksmctl init --token - "${INIT_ARGS[@]}" >"$T/out" 2>"$T/err"
RC=$?
[ $RC -eq 0 ] || cat "$T/err"
check "ksmctl init --token - --force (new token on standard input)" [ $RC -eq 0 ]
check "... client.json still 0600 ksmd" [ "$(stat -c '%a %U' /etc/ksm/client.json 2>/dev/null)" = "600 ksmd" ]
check "ksm-keys cannot read client.json" bash -c "! as ksm-keys cat /etc/ksm/client.json >/dev/null 2>&1"

# ksmd by hand, as root with the shipped ksm.conf: it makes the socket in
# /run/ksm (tmpfiles made it 0755), gives it to ksmd and becomes ksmd.
/usr/sbin/ksmd --foreground 2>"$T/ksmd.err" &
KSMD_PID=$!
for i in $(seq 1 50); do [ -S /run/ksm/ksmd.sock ] && break; sleep 0.1; done
check "ksmd (installed) listens on /run/ksm/ksmd.sock, 0666 ksmd" \
	[ "$(stat -c '%a %U' /run/ksm/ksmd.sock 2>/dev/null)" = "666 ksmd" ]
check "ksmd runs as the sysusers user ksmd" \
	[ "$(awk '/^Uid:/ { print $3 }' /proc/$KSMD_PID/status 2>/dev/null)" = "$(id -u ksmd)" ]
# ask USER FIELD=VALUE...: one request to ksmd as USER, the frame built as
# docs/ksmd-protocol.md says; prints the answer's fields as KEY=VALUE lines.
ASK_PY='
import socket, struct, sys
body = b""
for a in sys.argv[1:]:
    k, v = a.encode().split(b"=", 1)
    body += bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect("/run/ksm/ksmd.sock")
s.sendall(struct.pack(">I", len(body)) + body)
def take(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("closed after %d bytes" % len(b))
        b += c
    return b
body, i = take(struct.unpack(">I", take(4))[0]), 0
while i < len(body):
    k = body[i + 1:i + 1 + body[i]]
    i += 1 + body[i]
    n = struct.unpack(">I", body[i:i + 4])[0]
    print("%s=%s" % (k.decode(), body[i + 4:i + 4 + n].decode(errors="replace")))
    i += 4 + n
'
# ask USER FIELD=VALUE...: the answer's fields in $T/ans.
ask() { local u=$1; shift; as "$u" /usr/bin/python3 -c "$ASK_PY" "$@" >"$T/ans" 2>&1; }
ask nobody op=ping
check "protocol: ping from nobody: result=ok first, then the version" \
	bash -c "[ \"\$(head -n 1 '$T/ans')\" = result=ok ] && grep -Eq '^version=[0-9]' '$T/ans'"
ask nobody op=records purpose=read
check "protocol: records from nobody is refused" grep -qx 'result=refused' "$T/ans"
ask ksm-keys op=auth user=alice password=pw-alice
check "protocol: auth from ksm-keys (keys_user) is refused" grep -qx 'result=refused' "$T/ans"

/usr/sbin/ksmctl sync >"$T/out" 2>"$T/err"
RC=$?
[ $RC -eq 0 ] || cat "$T/err"
check "ksmctl sync (installed, default paths, through ksmd) exit 0" [ $RC -eq 0 ]
check "snapshot 0644 root in /var/lib/ksm; ksmd's store 0600 ksmd in /var/lib/ksmd; none in /var/lib/ksm" \
	bash -c "[ \"\$(stat -c '%a %U' /var/lib/ksm/snapshot 2>/dev/null) \$(stat -c '%a %U' /var/lib/ksmd/private 2>/dev/null)\" = '644 root 600 ksmd' ] &&
		[ ! -e /var/lib/ksm/private ]"
ksm-nsswitch enable >/dev/null
check "glibc finds libnss_ksm.so.2: getent passwd alice (vault uid)" \
	bash -c "getent passwd alice | grep -q '^alice:x:250001:'"
check "ksm-authorized-keys as ksm-keys serves alice's key (snapshot)" \
	bash -c "as ksm-keys /usr/sbin/ksm-authorized-keys alice | grep -qF '$(keys_of alice)'"
check "ksm-authorized-keys prints nothing for root and exits 0" \
	bash -c "[ -z \"\$(as ksm-keys /usr/sbin/ksm-authorized-keys root)\" ]"
# The live path: a snapshot older than keys_max_age (0) and no snapshot
# fallback (keys_max_stale 0): keys come only from ksmd.
{ cat /etc/ksm/ksm.conf; echo "keys_max_age = 0"; } >/etc/ksm/live.conf
{ cat /etc/ksm/live.conf; echo "keys_max_stale = 0"; } >/etc/ksm/live-only.conf
sleep 1.1
before=$(admin stats | python3 -c 'import json, sys; print(json.load(sys.stdin).get("get_secret", 0))')
check "keys helper as ksm-keys, live through ksmd, serves alice's key" \
	bash -c "as ksm-keys /usr/sbin/ksm-authorized-keys --conf /etc/ksm/live-only.conf alice | grep -qF '$(keys_of alice)'"
after=$(admin stats | python3 -c 'import json, sys; print(json.load(sys.stdin).get("get_secret", 0))')
check "... and ksmd asked the vault for it ($before -> $after get_secret)" [ "$after" -gt "$before" ]
check "keys helper as nobody (not keys_user): ksmd refuses, no keys" \
	bash -c "[ -z \"\$(as nobody /usr/sbin/ksm-authorized-keys --conf /etc/ksm/live-only.conf alice)\" ] &&
		grep -q 'keys refused: not allowed' '$T/ksmd.err'"
# Password checks after the key lookups (whose live read they would share).
ask root op=auth user=alice password=pw-alice
check "protocol: auth (root) of alice's vault password: ok, live" \
	bash -c "grep -qx 'result=ok' '$T/ans' && grep -qx 'how=live' '$T/ans'"
ask root op=auth user=alice password=not-her-password
check "protocol: auth (root) with a wrong password: wrong, live" \
	bash -c "grep -qx 'result=wrong' '$T/ans' && grep -qx 'how=live' '$T/ans'"
check "ksmd made alice's offline verifier (yescrypt) at her live login" \
	grep -q '"alice":{[^}]*"verifier":"\$y\$' /var/lib/ksmd/private
check "no password in ksmd's store or its log" \
	bash -c "! grep -q 'pw-alice' /var/lib/ksmd/private '$T/ksmd.err'"
kill "$KSMD_PID" && wait "$KSMD_PID" 2>/dev/null
KSMD_PID=
check "without ksmd, the keys helper serves the snapshot's keys (until keys_max_stale)" \
	bash -c "as ksm-keys /usr/sbin/ksm-authorized-keys --conf /etc/ksm/live.conf alice | grep -qF '$(keys_of alice)'"
check "... and none with keys_max_stale = 0" \
	bash -c "[ -z \"\$(as ksm-keys /usr/sbin/ksm-authorized-keys --conf /etc/ksm/live-only.conf alice)\" ]"
rm -f /etc/ksm/live.conf /etc/ksm/live-only.conf

# --- removal: out of nsswitch.conf and the PAM stacks.
dpkg -r libnss-ksm >"$W/dpkg-r.log" 2>&1
check "dpkg -r libnss-ksm" [ $? -eq 0 ]
check "... took ksm out: nsswitch.conf byte-identical to the original" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"
dpkg -r libpam-ksm >>"$W/dpkg-r.log" 2>&1
check "dpkg -r libpam-ksm (after pam-auth-update --enable ksm ksm-password)" [ $? -eq 0 ]
check "... /etc/pam.d/common-* byte-identical to the originals" pam_same
rm -f /etc/ksm/ca.pem # the admin's own file would (rightly) stay
dpkg --purge ksm-tools libksm-dev libksm0 libnss-ksm libpam-ksm >>"$W/dpkg-r.log" 2>&1
check "dpkg --purge of the rest" [ $? -eq 0 ]
check "purge: /var/lib/ksm, /var/lib/ksmd, /etc/ksm, the units, the timer and socket links are gone" \
	bash -c "[ ! -e /var/lib/ksm ] && [ ! -e /var/lib/ksmd ] && [ ! -e /etc/ksm ] && [ ! -e /lib/systemd/system/ksm-sync.timer ] &&
		[ ! -e /lib/systemd/system/ksmd.socket ] && [ ! -e /lib/systemd/system/ksmd.service ] && [ ! -e /usr/sbin/ksmd ] &&
		[ ! -e /etc/systemd/system/timers.target.wants/ksm-sync.timer ] &&
		[ ! -e /etc/systemd/system/sockets.target.wants/ksmd.socket ] && [ ! -e /lib/x86_64-linux-gnu/security/pam_ksm.so ]"
check "no ksm package left" bash -c "! dpkg-query -W -f='\${db:Status-Abbrev} \${Package}\n' 2>/dev/null | grep -E '^(ii|rc) +(libksm|libpam-ksm|libnss-ksm|ksm-tools)'"
check "purge: the README's sshd enable step is gone with the package" bash -c "[ ! -e '$ENABLED' ] && [ ! -L '$ENABLED' ]"
sshd_ok "purge after enabling the sshd snippet as the README says"

# --- sshd after removing ksm-tools, whichever way the snippet was enabled.
TOOLS_DEBS="$(ls "$W"/libksm0_*.deb) $(ls "$W"/ksm-tools_*.deb)"
reinstall() { dpkg -i $TOOLS_DEBS >>"$W/dpkg-i.log" 2>&1 || fail "dpkg -i libksm0 ksm-tools"; }
reinstall
ln -s "$SNIP" "$LEGACY" # the former README's symlink
sshd_ok "enabled by a symlink"
dpkg -r ksm-tools >>"$W/dpkg-r.log" 2>&1
check "dpkg -r ksm-tools took the symlink to the snippet out" [ ! -L "$LEGACY" ]
sshd_ok "removed after enabling by a symlink"
reinstall
cp "$SNIP" "$ENABLED" # an unchanged copy
dpkg -r ksm-tools >>"$W/dpkg-r.log" 2>&1
check "dpkg -r ksm-tools took an unchanged copy of the snippet out" [ ! -e "$ENABLED" ]
reinstall
{ cat "$SNIP"; echo "# edited by the admin"; } >"$ENABLED" # a copy of the admin's own
dpkg -r ksm-tools >>"$W/dpkg-r.log" 2>&1
check "dpkg -r ksm-tools leaves an edited copy alone" grep -q '^# edited by the admin' "$ENABLED"
rm -f "$ENABLED"
reinstall
eval "$ENABLE"
dpkg -r ksm-tools >>"$W/dpkg-r.log" 2>&1
check "dpkg -r ksm-tools keeps the README's Include line (configuration stays until purge)" \
	grep -qx 'Include /usr/share/ksm-unix/sshd_config.d/ksm.conf' "$ENABLED"
sshd_ok "removed (not purged) after enabling as the README says"
dpkg --purge ksm-tools >>"$W/dpkg-r.log" 2>&1
check "dpkg --purge ksm-tools removes the README's Include line" [ ! -e "$ENABLED" ]
sshd_ok "purged"
dpkg --purge libksm0 >>"$W/dpkg-r.log" 2>&1

# --- asked at install time: KSM_NSSWITCH=enable, then removal again.
NSS_DEB=$(ls "$W"/libnss-ksm_*.deb)
KSM_NSSWITCH=enable dpkg -i "$NSS_DEB" >>"$W/dpkg-i.log" 2>&1
check "KSM_NSSWITCH=enable dpkg -i libnss-ksm" [ $? -eq 0 ]
check "... added ksm to passwd and group" ksm-nsswitch status
dpkg --purge libnss-ksm >>"$W/dpkg-r.log" 2>&1
check "... and its removal took it out again (byte-identical)" cmp -s /etc/nsswitch.conf "$W/orig/nsswitch.conf"
[ "$FAILED" -eq 0 ] || { echo "# dpkg logs:"; tail -n 20 "$W"/dpkg-*.log; }
[ "$FAILED" -eq 0 ]
