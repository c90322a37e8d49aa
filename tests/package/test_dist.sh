#!/bin/bash
# SPDX-License-Identifier: MIT
# test_dist.sh - the host integration files of dist/ as built (make check):
# the units pass systemd-analyze verify and keep their exposure score, the
# sshd snippet passes sshd -t, sysusers.d and tmpfiles.d make what they
# should in a scratch root, the PAM profile is off by default and names only
# options pam_ksm knows, and ksm-nsswitch edits exactly the passwd and group
# lines and undoes itself byte for byte. Changes nothing outside $T.
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
SNIPPET=$builddir/dist/sshd_config.d/ksm.conf
NSW=$D/ksm-nsswitch

for f in "$SERVICE" "$SNIPPET"; do
	[ -f "$f" ] || { echo "not built: $f (run make)"; exit 99; }
done
check "no @...@ left in the generated files" bash -c "! grep -n '@[a-z]*@' '$SERVICE' '$SNIPPET'"

# --- units. verify wants ExecStart to exist: point it at the built ksmctl.
mkdir -p "$T/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$builddir/ksmctl|" "$SERVICE" >"$T/units/ksm-sync.service"
cp "$D/ksm-sync.timer" "$T/units/"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify ksm-sync.service ksm-sync.timer" \
		systemd-analyze verify --man=no "$T/units/ksm-sync.service" "$T/units/ksm-sync.timer"
	score=$(systemd-analyze security --offline=yes "$T/units/ksm-sync.service" 2>/dev/null |
		sed -n 's/.*Overall exposure level for ksm-sync.service: \([0-9.]*\).*/\1/p')
	check "systemd-analyze security exposure ${score:-?} (at most 2.5)" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
	# The syscall filter keeps chown (a client.json of group ksm is
	# rewritten with that group) and drops the rest of @privileged.
	check "service: only CAP_CHOWN, chown calls allowed, no setuid calls" \
		bash -c "grep -qx 'CapabilityBoundingSet=CAP_CHOWN' '$SERVICE' &&
			grep -qx 'SystemCallFilter=@chown' '$SERVICE' &&
			grep -qx 'SystemCallFilter=~@privileged @resources' '$SERVICE'"
else
	skip "systemd-analyze not installed"
fi
check "service writes only /var/lib/ksm and /etc/ksm" grep -qx 'ReadWritePaths=/var/lib/ksm /etc/ksm' "$SERVICE"
check "service does nothing before ksmctl init" grep -qx 'ConditionPathExists=/etc/ksm/client.json' "$SERVICE"

# --- sshd snippet.
check "snippet: AuthorizedKeysCommand .../ksm-authorized-keys %u %f as ksm-keys" \
	bash -c "grep -Eqx 'AuthorizedKeysCommand /.*/ksm-authorized-keys %u %f' '$SNIPPET' &&
		grep -qx 'AuthorizedKeysCommandUser ksm-keys' '$SNIPPET'"
if [ -x /usr/sbin/sshd ] && [ -d /run/sshd ]; then
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
	printf 'Include %s\nHostKey %s\n' "$SNIPPET" "$T/hostkey" >"$T/sshd_config"
	check "sshd -t accepts a config including the snippet" /usr/sbin/sshd -t -f "$T/sshd_config"
else
	skip "no sshd (or no /run/sshd)"
fi

# --- sysusers.d and tmpfiles.d in a scratch root (they chown: root only).
if [ "$(id -u)" = 0 ] && command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/root/etc"
	systemd-sysusers --root="$T/root" "$D/sysusers.d/ksm.conf" 2>"$T/sysusers.err"
	gid=$(awk -F: '$1 == "ksm" { print $3 }' "$T/root/etc/group")
	check "sysusers: group ksm, user ksm-keys in it with nologin and no home" \
		bash -c "[ -n '$gid' ] && awk -F: -v g='$gid' '\$1 == \"ksm-keys\" && \$4 == g && \$7 ~ /nologin\$/ && \$6 == \"/nonexistent\"' '$T/root/etc/passwd' | grep -q ."
	check "sysusers: system ids (below 1000)" \
		bash -c "awk -F: '\$1 == \"ksm-keys\" && \$3 < 1000' '$T/root/etc/passwd' | grep -q ."
	systemd-tmpfiles --root="$T/root" --create "$D/tmpfiles.d/ksm.conf" 2>"$T/tmpfiles.err"
	check "tmpfiles: /var/lib/ksm and /etc/ksm 0755 root" \
		[ "$(stat -c '%a %u' "$T/root/var/lib/ksm" "$T/root/etc/ksm" 2>/dev/null | sort -u)" = "755 0" ]
else
	skip "sysusers/tmpfiles need root and systemd"
fi

# --- pam-auth-update profile.
P=$D/pam-configs/ksm
check "profile: Default: no" grep -qx 'Default: no' "$P"
check "profile: only fields pam-auth-update knows" \
	bash -c "! grep -E '^[^[:space:]]' '$P' | grep -Evq '^(Name|Default|Priority|Conflicts|(Auth|Account|Session|Password)(-Type|-Initial)?):'"
check "profile: no Password block (pam_unix's use_authtok would lose its token)" \
	bash -c "! grep -q '^Password' '$P'"
opts=$(awk '/pam_ksm\.so/ { for (i = 1; i <= NF; i++) if (f) print $i; else if ($i == "pam_ksm.so") f = 1; f = 0 }' "$P" | sort -u)
check "profile: pam_ksm options are ones pam_ksm parses (${opts:-none})" \
	bash -c "for o in $opts; do grep -q \"\\\"\$o\\\"\" '$srcdir/pam_ksm/user.c' || exit 1; done"
check "profile: local users fall through in auth (user_unknown=ignore)" \
	bash -c "grep -A1 '^Auth:' '$P' | grep -q 'user_unknown=ignore'"

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
