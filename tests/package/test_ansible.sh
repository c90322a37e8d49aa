#!/bin/bash
# SPDX-License-Identifier: MIT
# test_ansible.sh - the Ansible role contrib/ansible/roles/ksm_unix, through
# the example playbook contrib/ansible/ksm-unix.yml, applied to this
# machine (connection: local) in a throwaway view of it: a private mount
# and PID namespace with the overlays of tests/lib/debs.sh over /etc, /usr
# and /var and a tmpfs on /run (no systemd: the role must say what it
# skips). Against the local KSM server, with a token made by
# ksm-server-admin in a file:
#   - the role installs the .debs, enrolls, writes ksm.conf, starts ksmd,
#     syncs, and switches on NSS, PAM and the sshd drop-in once ksmctl
#     check passes; ksmctl check then passes whole; a second run changes
#     nothing;
#   - a real sshd on a test port (tests/lib/sshd.sh) with the system's
#     drop-ins and PAM stack lets vault user alice in with her vault key and
#     with her vault password (keyboard-interactive), the session secret in
#     her keyring;
#   - the rollback (ksm_unix_state=absent: ksmctl unenroll, purge, users)
#     leaves /etc as it was: a checksum list (content, links, modes,
#     owners, directories) of /etc before the role equals the one after,
#     with nothing restored from the role's copies.
#
# The .debs are built as test_debs.sh builds them (tests/lib/debs.sh),
# unless KSM_DEBS names a directory that holds them (tests/run-all.sh gives
# it test_debs.sh's). Needs root and ansible-playbook (exit 77 otherwise).
#
#   tests/package/test_ansible.sh            (tests/run-all.sh runs it)
#   KSM_DEBS=DIR tests/package/test_ansible.sh
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for t in ansible-playbook unshare sshd ssh ssh-keygen keyctl; do
		command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] ||
			{ echo "SKIP: no $t (tests/install-deps.sh)"; exit 77; }
	done
	W=$(mktemp -d "${TMPDIR:-/tmp}/ksm-ansible.XXXXXX")
	case $W in /etc/* | /usr/* | /var/* | /run/*) echo "bad TMPDIR for overlays: $W"; exit 99 ;; esac
	. "$SRC/tests/lib/checks.sh"
	. "$SRC/tests/lib/debs.sh"
	if [ -n "${KSM_DEBS:-}" ] && ls "$KSM_DEBS"/ksm-tools_*.deb >/dev/null 2>&1; then
		cp "$KSM_DEBS"/*.deb "$W/" && ok "the .debs of $KSM_DEBS"
	elif command -v dpkg-buildpackage >/dev/null; then
		debs_build "$SRC" "$W"
		rc=$?
		[ $rc -eq 0 ] || tail -n 40 "$W/build.log"
		check "dpkg-buildpackage -us -uc -b (${BUILD_S} s)" [ $rc -eq 0 ]
	else
		echo "SKIP: no dpkg-buildpackage and no KSM_DEBS"
		exit 77
	fi
	[ "$FAILED" -eq 0 ] || { finish; exit 1; }
	# A PID namespace too: whatever the role starts (ksmd) ends with it.
	unshare -m -p -f --mount-proc --propagation private "$BASH" "$0" --inside "$W"
	rc=$?
	read -r IP IF <"$W/inside.counts" 2>/dev/null ||
		{ IP=0; IF=1; echo "not ok - namespace part did not finish (exit $rc)"; }
	PASSED=$((PASSED + IP))
	FAILED=$((FAILED + IF))
	if [ "$FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$W"; else echo "# kept $W"; fi
	finish
	exit
fi

# ---- inside the private mount and PID namespace.
W=$2
srcdir=$SRC
builddir=$W
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/server.sh"
. "$SRC/tests/lib/namespace.sh"
. "$SRC/tests/lib/sshd.sh"
. "$SRC/tests/lib/debs.sh"
echo "$PASSED $((FAILED + 1))" >"$W/inside.counts"
trap 'cleanup; echo "$PASSED $FAILED" >"$W/inside.counts"' EXIT
debs_overlay_system "$W"
sys_mount -t tmpfs -o mode=0755 tmpfs /home

# /etc as it was: every entry's type, mode, owner and content (a file's
# checksum, a link's target). The shadow tools' backups (/etc/passwd- and
# the like) hold the previous version of their file by design: left out.
etc_sums() {
	find /etc -xdev ! -regex '/etc/\(passwd\|group\|shadow\|gshadow\)-' -printf '%y %m %u:%g %p %l\n' |
		sort | while read -r type mode owner path link; do
			case $type in
			f) echo "$type $mode $owner $path $(sha256sum <"$path" | cut -d' ' -f1)" ;;
			*) echo "$type $mode $owner $path $link" ;;
			esac
		done
}
etc_sums >"$W/etc.before"

# The vault (alice, bob, carol with keys), the server, its CA where ksmd's
# user can read it, alice's token in a file only root reads.
for n in alice bob carol; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99
"$PY" "$SRC/tests/integration/mkvault.py" "$T/vault.json" "$T" || exit 99
ksm_start_server "$T/vault.json"
mkdir -p "$W/pub" && chmod 0755 "$W" "$W/pub" && install -m 0644 "$SRV_CA" "$W/pub/ca.pem"
(umask 077 && new_token >"$T/token")

# The example playbook, its group of hosts being this one; the settings
# for the local server as extra variables.
cat >"$T/hosts.ini" <<EOF
[linux_hosts]
localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3
EOF
"$PY" - "$T/vars.json" "$T/token" "$SRV_HOST" "$SRV_KEY" "$W/pub/ca.pem" $(debs_list "$W") <<'EOF'
import json, sys
out, token, host, key, ca, *debs = sys.argv[1:]
json.dump({
    "ksm_unix_debs": [d for d in debs if "/libksm-dev_" not in d],
    "ksm_unix_token_file": token,
    "ksm_unix_host": host,
    "ksm_unix_server_key": key,
    "ksm_unix_conf": {"ca_file": ca, "timeout_sync": 10, "local_groups": ["sudo"]},
}, open(out, "w"), indent=1)
EOF
mkdir -p "$T/home" "$T/ansible-tmp"
# play [ARGS...]: the example playbook; its output in $T/play.log (and
# $T/play-N.log, each run), its exit code in RC.
PLAYS=0
play() {
	PLAYS=$((PLAYS + 1))
	(cd "$T" && HOME=$T/home ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp \
		ANSIBLE_ROLES_PATH=$SRC/contrib/ansible/roles ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
		ANSIBLE_FORCE_COLOR=0 ANSIBLE_PIPELINING=1 timeout 600 ansible-playbook -v -i "$T/hosts.ini" \
		"$SRC/contrib/ansible/ksm-unix.yml" -e "@$T/vars.json" "$@") >"$T/play-$PLAYS.log" 2>&1
	RC=$?
	cp "$T/play-$PLAYS.log" "$T/play.log"
	MS=0
}
recap() { sed -n 's/^localhost *: *//p' "$T/play.log"; }
log_has() { grep -Eq -- "$1" "$T/play.log"; }

# --- enroll.
t0=$SECONDS
play
[ "$RC" = 0 ] || tail -n 40 "$T/play.log"
check "the role (present): exit 0 in $((SECONDS - t0)) s ($(recap))" [ "$RC" = 0 ]
recap_has() { grep -Eq -- "$1" <<<"$(recap)"; }
check "... failed=0" recap_has 'failed=0'
check "... it says that systemd is not PID 1 (ksmd by start-stop-daemon, no timer)" \
	bash -c "grep -q 'systemd is not PID 1: ksmd was started' '$T/play.log' && grep -q 'ksm-sync.timer.*not enabled' '$T/play.log'"
check "the 4 packages installed (not libksm-dev)" bash -c \
	"[ \$(dpkg-query -W -f='\${db:Status-Abbrev}\n' libksm0 libpam-ksm libnss-ksm ksm-tools | grep -c '^ii') = 4 ] &&
	 ! dpkg-query -W -f='\${db:Status-Abbrev}\n' libksm-dev 2>/dev/null | grep -q '^ii'"
check "ksm.conf from the variables" bash -c "grep -qx 'ca_file = $W/pub/ca.pem' /etc/ksm/ksm.conf &&
	grep -qx 'local_groups = sudo' /etc/ksm/ksm.conf && grep -qx 'timeout_sync = 10' /etc/ksm/ksm.conf"
check "client.json 0600 ksmd; the token file copy is gone" bash -c \
	"[ \"\$(stat -c '%a %U' /etc/ksm/client.json)\" = '600 ksmd' ] && [ ! -e /var/lib/ksm-unix-ansible/enroll ]"
check "the token never on a command line: init took --token-file" \
	grep -q '"cmd": \["/usr/sbin/ksmctl", "init", "--token-file", "/var/lib/ksm-unix-ansible/enroll"' "$T/play.log"
check "... and the token is in no output of the play" bash -c "! grep -rqF -- \"\$(cat '$T/token')\" '$T'/play-*.log"
check "NSS, PAM, sshd drop-in switched on" bash -c "ksm-nsswitch status >/dev/null && grep -q pam_ksm /etc/pam.d/common-auth &&
	[ \"\$(cat /etc/ssh/sshd_config.d/10-ksm.conf)\" = 'Include /usr/share/ksm-unix/sshd_config.d/ksm.conf' ]"
run /usr/sbin/ksmctl check
check "ksmctl check passes whole (exit $RC)" [ "$RC" = 0 ]
check "getent passwd alice: the vault account through nss_ksm" bash -c "getent passwd alice | grep -q '^alice:x:250001:'"

t0=$SECONDS
play
check "the role again: exit 0 in $((SECONDS - t0)) s ($(recap))" [ "$RC" = 0 ]
check "... nothing changed" recap_has 'changed=0 .*failed=0'

# --- a real ssh login of a vault user, with the system's drop-ins and PAM.
mkdir -p /home/alice && chown alice: /home/alice && chmod 0755 /home/alice
sshd_start "Include /etc/ssh/sshd_config.d/*.conf"
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=10 -o LogLevel=ERROR)
REMOTE='id -un; keyctl print %user:ksm:password; echo'
OUT=$(timeout 30 ssh "${SSH_OPTS[@]}" -i "$T/alice" -o BatchMode=yes -o IdentitiesOnly=yes \
	-o PreferredAuthentications=publickey alice@127.0.0.1 "$REMOTE" 2>"$T/err" </dev/null)
RC=$?
check "ssh alice@ with her vault key (ksm-authorized-keys, the role's drop-in): exit $RC" \
	[ "$RC" = 0 -a "$(head -n 1 <<<"$OUT")" = alice ]
check "... her session secret is her vault password" [ "$(sed -n 2p <<<"$OUT")" = pw-alice ]
OUT=$(KSM_TEST_PW=pw-alice SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
	timeout 30 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
	-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
	alice@127.0.0.1 "$REMOTE" 2>"$T/err" </dev/null)
RC=$?
check "ssh alice@ with her vault password (pam_ksm through pam-auth-update's stack): exit $RC" \
	[ "$RC" = 0 -a "$(head -n 1 <<<"$OUT")" = alice ]
OUT=
kill "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null

# ksm-metrics.service's file, as the timer would write it.
PROM=/var/lib/prometheus/node-exporter/ksm.prom
mkdir -p "$(dirname "$PROM")" && /usr/sbin/ksmctl status --prometheus="$PROM" >/dev/null 2>&1
check "the metrics file written (as ksm-metrics.timer would)" [ -s "$PROM" ]

# --- roll back.
t0=$SECONDS
play -e ksm_unix_state=absent
[ "$RC" = 0 ] || tail -n 40 "$T/play.log"
check "the role (absent): exit 0 in $((SECONDS - t0)) s ($(recap))" [ "$RC" = 0 ]
check "... ksmctl unenroll ran and named the device" log_has "Now remove this host's device in Keeper"
check "... nothing had to be restored from the role's copies" log_has "restored from the saved copies: none"
check "no ksm package, no ksmd or ksm-keys user, no state of the role, no ksmd running" bash -c \
	"! dpkg-query -W -f='\${db:Status-Abbrev} \${Package}\n' 2>/dev/null | grep -Eq '^(ii|rc) +(libksm|libpam-ksm|libnss-ksm|ksm-tools)' &&
	 ! getent passwd ksmd ksm-keys && [ ! -e /var/lib/ksm-unix-ansible ] && ! pgrep -x ksmd >/dev/null"
check "no snapshot, verifiers or metrics left" bash -c "[ ! -e /var/lib/ksm ] && [ ! -e /var/lib/ksmd ] && [ ! -e '$PROM' ]"
etc_sums >"$W/etc.after"
if cmp -s "$W/etc.before" "$W/etc.after"; then
	ok "/etc after the rollback is /etc before the role ($(wc -l <"$W/etc.before") entries)"
else
	fail "/etc after the rollback differs: $(diff "$W/etc.before" "$W/etc.after" | head -n 20)"
fi
finish
