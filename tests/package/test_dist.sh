#!/bin/bash
# SPDX-License-Identifier: MIT
# test_dist.sh - the host integration files of dist/ as built (make check):
# the units (ksmd.socket, ksmd.service, ksm-sync.service, ksm-sync.timer)
# pass systemd-analyze verify and keep their exposure scores, the sshd
# snippet passes sshd -t, sysusers.d and tmpfiles.d make what they should in
# a scratch root, the example ksm.conf names every option, the PAM profile
# is off by default and names only options pam_ksm knows, and ksm-nsswitch
# edits exactly the passwd and group lines and undoes itself byte for byte.
# Changes nothing outside $T.
# tests/package/test_debs.sh checks the same files inside the packages.
set -u
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${builddir:=$(pwd)}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ksm-dist.XXXXXX")
trap 'rm -rf "$T"' EXIT
# shellcheck source=../lib/checks.sh
. "$srcdir/tests/lib/checks.sh"
skip() { ok "# SKIP $*"; }
D=$srcdir/dist
SERVICE=$builddir/dist/ksm-sync.service
KSMD_SERVICE=$builddir/dist/ksmd.service
KSMD_SOCKET=$D/ksmd.socket
METRICS=$builddir/dist/ksm-metrics.service
SNIPPET=$builddir/dist/sshd_config.d/ksm.conf
NSW=$D/ksm-nsswitch

for f in "$SERVICE" "$KSMD_SERVICE" "$METRICS" "$SNIPPET"; do
	[ -f "$f" ] || { echo "not built: $f (run make)"; exit 99; }
done
check "no @...@ left in the generated files" bash -c "! grep -n '@[a-z]*@' '$SERVICE' '$KSMD_SERVICE' '$METRICS' '$SNIPPET'"

# --- units. verify wants ExecStart to exist: point it at the built programs.
mkdir -p "$T/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$builddir/ksmctl|" "$SERVICE" >"$T/units/ksm-sync.service"
sed "s|^ExecStart=[^ ]*|ExecStart=$builddir/ksmd/ksmd|" "$KSMD_SERVICE" >"$T/units/ksmd.service"
sed "s|^ExecStart=[^ ]*|ExecStart=$builddir/ksmctl|" "$METRICS" >"$T/units/ksm-metrics.service"
cp "$D/ksm-sync.timer" "$D/ksm-metrics.timer" "$KSMD_SOCKET" "$T/units/"
# exposure UNIT MAX: systemd-analyze security's overall score is at most MAX.
exposure() {
	local score
	score=$(systemd-analyze security --offline=yes "$T/units/$1" 2>/dev/null |
		sed -n "s/.*Overall exposure level for $1: \([0-9.]*\).*/\1/p")
	check "systemd-analyze security $1: exposure ${score:-?} (at most $2)" \
		awk -v s="${score:-99}" -v m="$2" 'BEGIN { exit !(s <= m) }'
}
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify ksm-sync.service ksm-sync.timer ksmd.service ksmd.socket" \
		systemd-analyze verify --man=no "$T/units/ksm-sync.service" "$T/units/ksm-sync.timer" \
		"$T/units/ksmd.service" "$T/units/ksmd.socket"
	exposure ksm-sync.service 2.5
	exposure ksmd.service 2.0
	check "systemd-analyze verify ksm-metrics.service ksm-metrics.timer" \
		systemd-analyze verify --man=no "$T/units/ksm-metrics.service" "$T/units/ksm-metrics.timer"
	exposure ksm-metrics.service 2.5
else
	skip "systemd-analyze not installed"
fi
check "ksm-sync: only CAP_KILL (end_sessions), no @privileged calls, no network but AF_UNIX (ksmd)" \
	bash -c "grep -qx 'CapabilityBoundingSet=CAP_KILL' '$SERVICE' && grep -qx 'AmbientCapabilities=CAP_KILL' '$SERVICE' && ! grep -q '^SystemCallFilter=@chown' '$SERVICE' &&
		grep -qx 'SystemCallFilter=~@privileged @resources' '$SERVICE' &&
		grep -qx 'RestrictAddressFamilies=AF_UNIX' '$SERVICE' && grep -qx 'PrivateNetwork=yes' '$SERVICE'"
check "ksm-metrics: no capability, no network but AF_UNIX (ksmd), writes only node_exporter's textfile directory" \
	bash -c "grep -qx 'CapabilityBoundingSet=' '$METRICS' && grep -qx 'RestrictAddressFamilies=AF_UNIX' '$METRICS' &&
		grep -qx 'PrivateNetwork=yes' '$METRICS' &&
		grep -qx 'ReadWritePaths=/var/lib/prometheus/node-exporter' '$METRICS' &&
		grep -qx 'ExecStart=.*/ksmctl status --prometheus=/var/lib/prometheus/node-exporter/ksm.prom' '$METRICS'"
check "ksm-metrics.timer: every minute" grep -qx 'OnUnitActiveSec=1min' "$D/ksm-metrics.timer"
check "ksm-sync writes only /var/lib/ksm" grep -qx 'ReadWritePaths=/var/lib/ksm' "$SERVICE"
check "ksm-sync does nothing before ksmctl init" grep -qx 'ConditionPathExists=/etc/ksm/client.json' "$SERVICE"
check "ksm-sync runs a plain 'ksmctl sync': the drop guard is never forced by the timer" \
	bash -c "[ \"\$(grep -c '^ExecStart' '$SERVICE')\" = 1 ] && grep -qxE 'ExecStart=/[^ ]*/ksmctl sync' '$SERVICE' &&
		! grep -q -- '--force' '$SERVICE' '$D/ksm-sync.timer'"
check "ksm-sync wants and follows ksmd.socket" \
	bash -c "grep -Eqx 'Wants=.*ksmd\.socket.*' '$SERVICE' && grep -Eqx 'After=.*ksmd\.socket.*' '$SERVICE'"
check "ksmd: its own user, no capability, no @privileged calls, umask 0077" \
	bash -c "grep -qx 'User=ksmd' '$KSMD_SERVICE' && grep -qx 'CapabilityBoundingSet=' '$KSMD_SERVICE' &&
		grep -qx 'AmbientCapabilities=' '$KSMD_SERVICE' && grep -qx 'NoNewPrivileges=yes' '$KSMD_SERVICE' &&
		grep -qx 'SystemCallFilter=~@privileged @resources' '$KSMD_SERVICE' && grep -qx 'UMask=0077' '$KSMD_SERVICE'"
check "ksmd: read-only system, writable /var/lib/ksmd (0700), no homes, Internet and AF_UNIX only" \
	bash -c "grep -qx 'ProtectSystem=strict' '$KSMD_SERVICE' && grep -qx 'StateDirectory=ksmd' '$KSMD_SERVICE' &&
		grep -qx 'StateDirectoryMode=0700' '$KSMD_SERVICE' && grep -qx 'ProtectHome=yes' '$KSMD_SERVICE' &&
		grep -qx 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' '$KSMD_SERVICE'"
check "ksmd: started through its socket only (Requires=ksmd.socket, no [Install])" \
	bash -c "grep -qx 'Requires=ksmd.socket' '$KSMD_SERVICE' && ! grep -q '^\[Install\]' '$KSMD_SERVICE'"
sock_default=$(sed -n 's/^#ksmd_socket = //p' "$D/ksm.conf")
check "ksmd.socket: ListenStream= is ksm.conf's default ksmd_socket (${sock_default:-?}), 0666, user ksmd" \
	bash -c "[ -n '$sock_default' ] && grep -qx 'ListenStream=$sock_default' '$KSMD_SOCKET' &&
		grep -qx 'SocketMode=0666' '$KSMD_SOCKET' && grep -qx 'SocketUser=ksmd' '$KSMD_SOCKET' &&
		grep -qx 'WantedBy=sockets.target' '$KSMD_SOCKET'"
check "ksmd.socket's path is settings.c's default ksmd_socket" \
	grep -q "set_str(&c->ksmd_socket, \"$sock_default\")" "$srcdir/ksm-core/base/settings.c"

# --- the example ksm.conf: every option of settings.c, commented out, and
# the file with every line uncommented is one ksmctl accepts.
CONF_C=$srcdir/ksm-core/base/settings.c
opts=$(sed -n '/^static ksm_status set_option(/,/^}/p' "$CONF_C" | grep -oE 'strcmp\(k, "[a-z0-9_]+"\)' |
	sed -E 's/.*"(.*)".*/\1/' | sort -u)
missing=
for o in $opts; do grep -Eq "^#$o =( |\$)" "$D/ksm.conf" || missing="$missing $o"; done
check "dist/ksm.conf shows every option of settings.c (${missing:+missing:}${missing:-$(grep -c . <<<"$opts") options})" \
	test -n "$opts" -a -z "$missing"
sed -n 's/^#\([a-z_]* =\)\( \|$\)/\1\2/p' "$D/ksm.conf" >"$T/ksm.conf.all"
if [ -x "$builddir/ksmctl" ]; then
	"$builddir/ksmctl" --conf "$T/ksm.conf.all" users >/dev/null 2>"$T/conf.err"
	check "dist/ksm.conf uncommented: ksmctl takes every line" \
		bash -c "! grep -Eq 'unknown option|bad value|expected' '$T/conf.err'"
else
	skip "ksmctl not built"
fi

# --- what make install puts in pkgdatadir: every /usr/share/ksm-unix/ path
# the README names (ksm.conf, the snippet, troubleshooting.md) is there.
if make -s -C "$builddir" install DESTDIR="$T/inst" >"$T/install.log" 2>&1; then
	pkgdata=$(find "$T/inst" -type d -name ksm-unix -path '*/share/*' | head -n 1)
	missing=
	for f in $(grep -oE '/usr/share/ksm-unix/[A-Za-z0-9_./-]*[A-Za-z0-9]' "$srcdir/README.md" | sort -u); do
		[ -f "$pkgdata/${f#/usr/share/ksm-unix/}" ] || missing="$missing $f"
	done
	check "make install: every /usr/share/ksm-unix/ file the README names is installed${missing:+ (missing:$missing)}" \
		test -n "$pkgdata" -a -z "$missing"
	TS=$pkgdata/troubleshooting.md
	check "troubleshooting.md on the host: README's Troubleshooting section, its message table whole" \
		bash -c "sed -n '/^## Troubleshooting\$/,/^## /p' '$srcdir/README.md' | sed -e '1d' -e '\$d' >'$T/ts.want' &&
			tail -n +6 '$TS' | cmp -s - '$T/ts.want' && grep -q '^| message | cause | fix |\$' '$TS' &&
			grep -q 'ReadWritePaths=' '$TS'"
else
	fail "make install DESTDIR=$T/inst: $(tail -n 3 "$T/install.log")"
fi

# --- the Debian packaging ships the same: the example ksm.conf stays in
# /usr/share/ksm-unix (the conffile is a copy), troubleshooting.md is in
# ksm-tools, and what talks TLS pulls in the CA certificates.
DEB=$srcdir/debian
check "debian: ksm-tools ships /usr/share/ksm-unix/ksm.conf and troubleshooting.md" \
	bash -c "grep -qx usr/share/ksm-unix/ksm.conf '$DEB/ksm-tools.install' &&
		grep -qx usr/share/ksm-unix/troubleshooting.md '$DEB/ksm-tools.install' &&
		grep -q '^	cp debian/tmp/usr/share/ksm-unix/ksm.conf debian/tmp/etc/ksm/ksm.conf\$' '$DEB/rules' &&
		! grep -q 'mv debian/tmp/usr/share/ksm-unix/ksm.conf' '$DEB/rules'"
# field PACKAGE FIELD: a field of one binary package of debian/control,
# continuation lines joined.
field() {
	awk -v p="$1" -v f="$2" '
		/^Package:/ { inp = ($2 == p) }
		inp && $0 ~ "^" f ":" { on = 1; sub("^" f ":", ""); v = $0; next }
		on && /^[ \t]/ { v = v $0; next }
		{ on = 0 }
		END { print v }' "$DEB/control"
}
check "debian: ksm-tools (ksmd) Depends on ca-certificates, libksm0 (the TLS client) Recommends it" \
	bash -c "grep -qw ca-certificates <<<'$(field ksm-tools Depends)' && grep -qw ca-certificates <<<'$(field libksm0 Recommends)'"

# --- a sandbox that leaves a moved path read-only (ProtectSystem= without
# the directory in ReadWritePaths=): the write fails naming the fix. A
# read-only bind mount, as systemd makes, in a private mount namespace.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null && [ -x "$builddir/ksmctl" ]; then
	mkdir -p "$T/ro"
	printf 'client_config = %s/none.json\nsnapshot = %s/ro/snapshot\nksmd_socket = %s/no.sock\n' \
		"$T" "$T" "$T" >"$T/ro.conf"
	unshare -m sh -c "mount --bind '$T/ro' '$T/ro' && mount -o remount,bind,ro '$T/ro' &&
		'$builddir/ksmctl' --conf '$T/ro.conf' sync" >/dev/null 2>"$T/ro.err"
	check "a read-only snapshot directory (sandbox): the error names ReadWritePaths= and systemctl edit" \
		bash -c "grep -q 'Read-only file system (under a systemd unit with ProtectSystem=' '$T/ro.err' &&
			grep -q \"ReadWritePaths= with 'systemctl edit UNIT'\" '$T/ro.err'"
else
	skip "read-only sandbox check needs root and unshare"
fi
check "ksmctl init's notes name the paths the units use" \
	bash -c "grep -q '\"/var/lib/ksm/\"' '$srcdir/tools/ksmctl_init.c' && grep -q '\"/var/lib/ksmd/\"' '$srcdir/tools/ksmctl_init.c' &&
		grep -qx 'ReadWritePaths=/var/lib/ksm' '$SERVICE' && grep -qx 'StateDirectory=ksmd' '$KSMD_SERVICE' &&
		grep -qx 'ConditionPathExists=/etc/ksm/client.json' '$SERVICE'"

# --- sshd snippet.
check "snippet: AuthorizedKeysCommand .../ksm-authorized-keys %u %f as ksm-keys" \
	bash -c "grep -Eqx 'AuthorizedKeysCommand /.*/ksm-authorized-keys %u %f' '$SNIPPET' &&
		grep -qx 'AuthorizedKeysCommandUser ksm-keys' '$SNIPPET'"
if [ -x /usr/sbin/sshd ] && [ -d /run/sshd ]; then
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	printf 'Include %s\nHostKey %s\n' "$SNIPPET" "$T/hostkey" >"$T/sshd_config"
	check "sshd -t accepts a config including the snippet" /usr/sbin/sshd -t -f "$T/sshd_config"
	# The enable step is an Include: one that matches nothing (the package
	# removed) is ignored, where a dangling symlink stops sshd.
	mkdir -p "$T/sshd.d"
	printf 'Include %s/sshd.d/*.conf\nHostKey %s\n' "$T" "$T/hostkey" >"$T/sshd_config2"
	echo "Include $T/removed/ksm.conf" >"$T/sshd.d/ksm.conf"
	check "sshd -t: the enable step's Include of a removed snippet is harmless" /usr/sbin/sshd -t -f "$T/sshd_config2"
	rm "$T/sshd.d/ksm.conf" && ln -s "$T/removed/ksm.conf" "$T/sshd.d/ksm.conf"
	check "sshd -t: a dangling symlink instead fails (why the README does not use one)" \
		bash -c "! /usr/sbin/sshd -t -f '$T/sshd_config2' 2>/dev/null"
else
	skip "no sshd (or no /run/sshd)"
fi
enable_readme=$(awk '/^<!-- sshd-enable/ { w = 1; next } w && /^```/ { if (i) exit; i = 1; next } i { print }' "$srcdir/README.md" | head -n 1)
enable_snippet=$(sed -n 's|^#   \(echo .Include .*\)$|\1|p' "$D/sshd_config.d/ksm.conf.in" | sed 's|@pkgdatadir@|/usr/share/ksm-unix|')
check "README step 8 enables the snippet as the snippet's own comment says (${enable_readme:-none})" \
	bash -c "[ -n \"\$1\" ] && [ \"\$1\" = \"\$2\" ] && grep -q \"^echo 'Include /usr/share/ksm-unix/sshd_config.d/ksm.conf' >/etc/ssh/sshd_config.d/10-ksm.conf\$\" <<<\"\$1\"" \
	_ "$enable_readme" "$enable_snippet"

# --- sysusers.d and tmpfiles.d in a scratch root (they chown: root only).
if [ "$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/root/etc"
	systemd-sysusers --root="$T/root" "$D/sysusers.d/ksm.conf" 2>"$T/sysusers.err"
	for u in ksmd ksm-keys; do
		gid=$(awk -F: -v u="$u" '$1 == u { print $3 }' "$T/root/etc/group")
		check "sysusers: user $u in a group of its own name, nologin, no home, system ids" \
			bash -c "[ -n '$gid' ] && awk -F: -v g='$gid' '\$1 == \"$u\" && \$4 == g && \$3 < 1000 && \$7 ~ /nologin\$/ && \$6 == \"/nonexistent\"' '$T/root/etc/passwd' | grep -q ."
	done
	check "sysusers: no group ksm any more (nothing reads client.json by group)" \
		bash -c "! grep -q '^ksm:' '$T/root/etc/group'"
	ksmd_uid=$(awk -F: '$1 == "ksmd" { print $3 }' "$T/root/etc/passwd")
	systemd-tmpfiles --root="$T/root" --create "$D/tmpfiles.d/ksm.conf" 2>"$T/tmpfiles.err"
	check "tmpfiles: /var/lib/ksm, /etc/ksm and /run/ksm 0755 root" \
		[ "$(stat -c '%a %u' "$T/root/var/lib/ksm" "$T/root/etc/ksm" "$T/root/run/ksm" 2>/dev/null | sort -u)" = "755 0" ]
	check "tmpfiles: /var/lib/ksmd 0700 ksmd (uid ${ksmd_uid:-?})" \
		[ "$(stat -c '%a %u' "$T/root/var/lib/ksmd" 2>/dev/null)" = "700 ${ksmd_uid:-x}" ]
else
	skip "sysusers/tmpfiles need root and systemd"
fi

# --- pam-auth-update profiles.
for P in "$D"/pam-configs/ksm "$D"/pam-configs/ksm-totp "$D"/pam-configs/ksm-password; do
	p=${P##*/}
	check "profile $p: Default: no" grep -qx 'Default: no' "$P"
	check "profile $p: only fields pam-auth-update knows" \
		bash -c "! grep -E '^[^[:space:]]' '$P' | grep -Evq '^(Name|Default|Priority|Conflicts|(Auth|Account|Session|Password)(-Type|-Initial)?):'"
	opts=$(awk '/pam_ksm\.so/ { for (i = 1; i <= NF; i++) if (f) print $i; else if ($i == "pam_ksm.so") f = 1; f = 0 }' "$P" | sort -u | tr '\n' ' ')
	check "profile $p: pam_ksm options are ones pam_ksm parses (${opts% })" \
		bash -c "for o in $opts; do grep -q \"\\\"\$o\\\"\" '$srcdir/pam_ksm/user.c' || exit 1; done"
	check "profile $p: every control tolerates a missing pam_ksm.so (module_unknown=ignore, optional or default=ignore)" \
		bash -c "! grep -E '^[[:space:]].*pam_ksm\.so' '$P' | grep -Ev 'module_unknown=ignore|^[[:space:]]optional|default=ignore' | grep -q ."
done
for p in ksm ksm-totp; do
	P=$D/pam-configs/$p
	check "profile $p: no Password block (it would sit above pam_unix, which would lose its token)" \
		bash -c "! grep -q '^Password' '$P'"
	check "profile $p: auth passes non-vault users, broken ksm.conf and a missing module on (user_unknown, service_err, module_unknown =ignore)" \
		bash -c "grep -A1 '^Auth:' '$P' | grep -q 'user_unknown=ignore service_err=ignore module_unknown=ignore default=die'"
	check "profile $p: account passes local users too (ignore=ignore)" \
		bash -c "grep -A1 '^Account:' '$P' | grep -q 'ignore=ignore user_unknown=ignore service_err=ignore module_unknown=ignore'"
done
check "profiles ksm and ksm-totp exclude each other and differ only in totp=if_present" \
	bash -c "grep -qx 'Conflicts: ksm-totp' '$D/pam-configs/ksm' && grep -qx 'Conflicts: ksm' '$D/pam-configs/ksm-totp' &&
		diff <(grep -v -e '^Name:' -e '^Conflicts:' '$D/pam-configs/ksm') \
			<(grep -v -e '^Name:' -e '^Conflicts:' '$D/pam-configs/ksm-totp' | sed 's/ totp=if_present\$//') >/dev/null"
check "profile ksm-password: a Password block only, below pam_unix's priority (256)" \
	bash -c "! grep -Eq '^(Auth|Account|Session)' '$D/pam-configs/ksm-password' &&
		grep -q '^Password:' '$D/pam-configs/ksm-password' &&
		[ \"\$(sed -n 's/^Priority: //p' '$D/pam-configs/ksm-password')\" -lt 256 ]"

# pam-auth-update itself, in a private mount namespace with overlays over
# /etc/pam.d, /var/lib/pam, /usr/share/pam-configs and debconf's database
# (root; nothing outside changes).
if [ "$(id -u)" = 0 ] && command -v pam-auth-update >/dev/null && [ -f /etc/pam.d/common-auth ] &&
	unshare -m true 2>/dev/null; then
	cat >"$T/pau.sh" <<'PAU'
set -u
T=$1 D=$2
mount --make-rprivate /
for d in /etc/pam.d /var/lib/pam /usr/share/pam-configs /var/cache/debconf; do
	[ -d "$d" ] || continue
	n=$(echo "$d" | tr / _)
	mkdir -p "$T/ovl/$n.up" "$T/ovl/$n.work"
	mount -t overlay overlay -o "lowerdir=$d,upperdir=$T/ovl/$n.up,workdir=$T/ovl/$n.work" "$d" || exit 99
done
cp "$D"/pam-configs/ksm* /usr/share/pam-configs/
export DEBIAN_FRONTEND=noninteractive
pau() { pam-auth-update --force "$@" >>"$T/pau.log" 2>&1; }
pau --disable ksm ksm-totp ksm-password
FILES="common-auth common-account common-session common-session-noninteractive common-password"
mkdir -p "$T/pam0" && for f in $FILES; do cp "/etc/pam.d/$f" "$T/pam0/"; done
pau --enable ksm ksm-password
cp /etc/pam.d/common-auth "$T/ksm.auth"; cp /etc/pam.d/common-password "$T/ksm.password"
pau --disable ksm --enable ksm-totp
cp /etc/pam.d/common-auth "$T/totp.auth"; cp /etc/pam.d/common-account "$T/totp.account"
pau --disable ksm-totp ksm-password
for f in $FILES; do cmp -s "$T/pam0/$f" "/etc/pam.d/$f" || echo "$f" >>"$T/pam.changed"; done
touch "$T/pau.done"
PAU
	unshare -m bash "$T/pau.sh" "$T" "$D"
	if [ -f "$T/pau.done" ]; then
		check "pam-auth-update --enable ksm ksm-password: pam_ksm (no totp) above pam_unix in common-auth" \
			bash -c "grep -Eq '^auth[[:space:]]+\[success=[0-9]+ user_unknown=ignore service_err=ignore module_unknown=ignore default=die\][[:space:]]+pam_ksm\.so[[:space:]]*$' '$T/ksm.auth' &&
				awk '/pam_ksm\.so/ && !u { k = 1 } /pam_unix\.so/ { u = 1 } END { exit !(k && u) }' '$T/ksm.auth'"
		check "... common-password: pam_unix first, as without ksm (no use_authtok), pam_ksm after it" \
			bash -c "awk '/^password/ && /pam_unix\.so/ { u = NR; if (/use_authtok/) bad = 1 } /^password/ && /pam_ksm\.so/ { k = NR } END { exit !(u && k > u && !bad) }' '$T/ksm.password'"
		check "pam-auth-update --disable ksm --enable ksm-totp: totp=if_present on common-auth's pam_ksm line" \
			grep -Eq '^auth[[:space:]].*pam_ksm\.so totp=if_present' "$T/totp.auth"
		check "... and the same account line as ksm" \
			grep -q 'pam_ksm\.so' "$T/totp.account"
		check "disabling the profiles gives common-* back byte for byte$( [ -f "$T/pam.changed" ] && echo " (changed: $(tr '\n' ' ' <"$T/pam.changed"))")" \
			[ ! -f "$T/pam.changed" ]
	else
		fail "pam-auth-update in a namespace: $(tail -n 5 "$T/pau.log" 2>/dev/null)"
	fi
else
	skip "pam-auth-update run needs root, pam-auth-update and unshare"
fi

# --- ksm-nsswitch.
cat >"$T/nss" <<'EOF'
# comment: passwd: files ksm
passwd:         files systemd
group:          files [SUCCESS=merge] systemd   # trailing ksm comment
  shadow: files
hosts:          files dns
EOF
cp "$T/nss" "$T/orig"
check "status: disabled (exit 1)" bash -c "! '$NSW' --file '$T/nss' status >/dev/null"
"$NSW" --file "$T/nss" enable >/dev/null
check "enable: passwd and group get ksm, the rest is unchanged" \
	bash -c "diff '$T/orig' '$T/nss' | grep '^[<>]' | sed 's/   # .*//' >'$T/d';
		printf '%s\n' '< passwd:         files systemd' '< group:          files [SUCCESS=merge] systemd' \
			'> passwd:         files systemd ksm' '> group:          files [SUCCESS=merge] systemd ksm' | cmp -s - '$T/d'"
check "status: enabled (exit 0)" bash -c "'$NSW' --file '$T/nss' status >/dev/null"
cp "$T/nss" "$T/once"
"$NSW" --file "$T/nss" enable >/dev/null
check "enable is idempotent" cmp -s "$T/nss" "$T/once"
"$NSW" --file "$T/nss" disable >/dev/null
check "disable restores the file byte for byte" cmp -s "$T/nss" "$T/orig"
printf 'passwd: ksm [NOTFOUND=return] files\ngroup: files ksm [UNAVAIL=return] compat\nshadow: files ksm\n' >"$T/nss2"
"$NSW" --file "$T/nss2" disable >/dev/null
check "disable takes ksm and its actions out wherever it is; other databases untouched" \
	bash -c "printf 'passwd: files\ngroup: files compat\nshadow: files ksm\n' | cmp -s - '$T/nss2'"
printf 'hosts: files\n' >"$T/nss3"
"$NSW" --file "$T/nss3" enable >/dev/null
check "enable without passwd/group lines adds 'files ksm' lines" \
	bash -c "grep -qx 'passwd:	files ksm' '$T/nss3' && grep -qx 'group:	files ksm' '$T/nss3' && head -n 1 '$T/nss3' | grep -qx 'hosts: files'"
chmod 0640 "$T/nss"
"$NSW" --file "$T/nss" enable >/dev/null
check "the mode survives the atomic replace" [ "$(stat -c %a "$T/nss")" = 640 ]
check "usage error exits 2" bash -c "'$NSW' --file '$T/nss' frobnicate 2>/dev/null; [ \$? = 2 ]"

finish
