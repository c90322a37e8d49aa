#!/bin/bash
# SPDX-License-Identifier: MIT
# test_check.sh - ksmctl check, the host doctor: a healthy host passes
# (exit 0), then one mistake at a time is planted for each check; each is
# reported as FAIL (exit 1) with a fix, and where the fix can run here it
# is run as printed and the check passes again.
#
# Needs root (exit 77 otherwise). Everything runs in a private mount
# namespace: setup_system_ns (/etc/ksm, /var/lib/ksm, /etc/nsswitch.conf
# from $T), sshd_system_dirs (the built helper in /usr/sbin), and from $T
# too: /etc/ssh (a test sshd_config with its host key; the doctor runs the
# real sshd -T on it), /etc/pam.d (a copy of the host's), a tmpfs over /run
# and, for the systemd branch of the timer check, /run/systemd/system and a
# stand-in /usr/bin/systemctl that keeps ksm-sync.timer's state in a file
# (no systemd runs here; the real one answers is-enabled and is-active the
# same way: a word and exit 0 or not).
#
# Run by hand: cd build/normal && bash ../../tests/integration/test_check.sh
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/sshd.sh"
need_root_ns "$@"
need_sshd

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
sys_mount -t tmpfs -o mode=0755 tmpfs /run
setup_system_ns
sshd_system_dirs

# /etc/ssh: our drop-in, as the doctor asks for it (10-ksm.conf).
sshd_etc_ssh
printf 'AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %%u %%f\nAuthorizedKeysCommandUser nobody\n' \
	>/etc/ssh/sshd_config.d/10-ksm.conf

# /etc/pam.d: the host's files (sshd among them) with pam_ksm nowhere yet.
[ -f /etc/pam.d/sshd ] || { echo "SKIP: no /etc/pam.d/sshd"; exit 77; }
cp -a /etc/pam.d "$T/pam.d" || exit 99
sed -i '/pam_ksm/d' "$T"/pam.d/* || exit 99
sys_mount --bind "$T/pam.d" /etc/pam.d

# The stand-in systemctl (used only once /run/systemd/system exists).
mkdir -p "$T/ov/bin" && chmod 0755 "$T/ov/bin"
echo enabled >"$T/timer-state"
cat >"$T/ov/bin/systemctl" <<EOF
#!/bin/sh
state=\$(cat '$T/timer-state')
case "\$1 \$2" in
"is-enabled ksm-sync.timer") [ "\$state" = enabled ] && { echo enabled; exit 0; }; echo disabled; exit 1 ;;
"is-active ksm-sync.timer") [ "\$state" = enabled ] && { echo active; exit 0; }; echo inactive; exit 3 ;;
"enable --now") [ "\$3" = ksm-sync.timer ] && echo enabled >'$T/timer-state'; exit 0 ;;
"reload ssh") exit 0 ;;
esac
exit 1
EOF
chmod 0755 "$T/ov/bin/systemctl"
sys_mount -t overlay overlay -o "lowerdir=$T/ov/bin:/usr/bin" /usr/bin

# ksm-nsswitch as the package installs it.
install -m 0755 "$TOP_SRC/dist/ksm-nsswitch" "$T/ov/sbin/ksm-nsswitch" 2>/dev/null ||
	{ echo "cannot add ksm-nsswitch"; exit 99; }

bind
expect_rc "bind" 0
run_ksmctl sync
expect_rc "sync" 0

# doctor: ksmctl check --json, on the namespace's /etc/ksm/ksm.conf (the
# default: the fixes it prints then name no --conf).
doctor() { run "$KSMCTL" check --json; }
# conf_only [LINES]: a new ksm.conf that the running ksmd does not read.
conf_only() {
	local pid=$KSMD_PID
	KSMD_PID=
	sysconf "$@"
	KSMD_PID=$pid
}
# verdict NAME: "fail" if any entry of check NAME failed, else its status.
verdict() {
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
st = [c["status"] for c in d["checks"] if c["check"] == sys.argv[2]]
print("fail" if "fail" in st else (st[0] if st else "absent"))' "$OUT" "$1"
}
# first_fail NAME FIELD: message or fix of its first failed entry.
first_fail() {
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
for c in d["checks"]:
    if c["check"] == sys.argv[2] and c["status"] == "fail":
        print(c[sys.argv[3]]); break' "$OUT" "$1" "$2"
}

# expect_fail NAME REGEX [FIX_REGEX]: check exits 1, NAME fails with a
# message matching REGEX and a fix (matching FIX_REGEX); sets FIX.
expect_fail() {
	local msg
	doctor
	msg=$(first_fail "$1" message)
	FIX=$(first_fail "$1" fix)
	if [ "$RC" = 1 ] && [ "$(verdict "$1")" = fail ] && grep -qE -- "$2" <<<"$msg" &&
		[ -n "$FIX" ] && { [ -z "${3:-}" ] || grep -qE -- "$3" <<<"$FIX"; }; then
		ok "$1: $2 -> FAIL, fix: $FIX"
	else
		fail "$1: expected FAIL /$2/ with a fix /${3:-}/ (rc $RC): $OUT $ERR"
	fi
}
# expect_ok NAME DESCRIPTION: check exits 0 and NAME passed.
expect_ok() {
	doctor
	if [ "$RC" = 0 ] && [ "$(verdict "$1")" = ok ]; then ok "$2"; else fail "$2 (rc $RC): $OUT $ERR"; fi
}
# run_fix NAME [ROUNDS]: run the fix as printed (bash, ksmctl on PATH),
# again while NAME still fails (at most ROUNDS times), then expect it ok.
run_fix() {
	local i
	for i in $(seq 1 "${2:-1}"); do
		PATH="$(dirname "$KSMCTL"):$PATH" bash -c "$FIX" >"$T/fix.out" 2>&1 ||
			{ fail "$1: the fix failed: $FIX: $(cat "$T/fix.out")"; return; }
		doctor
		[ "$(verdict "$1")" = ok ] && break
		FIX=$(first_fail "$1" fix)
	done
	expect_ok "$1" "$1: after the fix as printed, the check passes"
}

# --- first the PAM stacks: sshd reaches no pam_ksm. The fixes (sed) add
# the fail-safe lines of pam_ksm(8).
expect_fail pam "sshd's auth stack .* has no pam_ksm" "^sed -i '[0-9]+i auth \[.*module_unknown=ignore.*\] pam_ksm.so' /etc/pam.d/sshd$"
check "pam: the account stack is named too" grep -q "sshd's account stack" <<<"$OUT"
run_fix pam 2
check "pam: the auth line went in above common-auth" bash -c \
	"grep -B1 '^@include common-auth' /etc/pam.d/sshd | grep -q '^auth .*pam_ksm.so'"

# --- a healthy host
run_ksmctl check
expect_rc "a healthy host: check exits 0" 0
for c in conf client_config ksmd snapshot sshd nsswitch pam clock; do
	check "healthy: $c ok" grep -qE "^ok +$c " <<<"$OUT"
done
check "healthy: timer skipped (systemd not running)" grep -qE "^skip +timer .*systemd is not running" <<<"$OUT"
# The sync records the device's expiry (0: the test server's devices never expire).
check "healthy: device ok (the sync recorded no expiry)" grep -qE "^ok +device .*does not expire" <<<"$OUT"
check "the last line counts the checks" bash -c "tail -n 1 '$T/out' | grep -qE '^checks: [0-9]+ ok, 0 failed, 1 skipped$'"
doctor
check "--json: a stable structure" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
names = [c["check"] for c in d["checks"]]
assert d["ok"] is True and d["failed"] == 0, d
assert names == ["conf", "client_config", "ksmd", "snapshot", "sshd", "nsswitch", "pam", "timer", "clock", "device"], names
assert all(set(c) == {"check", "status", "message", "fix"} for c in d["checks"]), d' "$OUT"

# --- conf: a bad line is named; the other checks still run.
cp /etc/ksm/ksm.conf "$T/ksm.conf.good"
echo "snapshot_warn_age = soon" >>/etc/ksm/ksm.conf
line=$(wc -l </etc/ksm/ksm.conf)
expect_fail conf "ksm.conf:$line: bad value for snapshot_warn_age" "ksmctl check"
v=$(verdict nsswitch)
check "conf: the other checks still report (nsswitch: $v)" [ "$v" = ok ]
cp "$T/ksm.conf.good" /etc/ksm/ksm.conf

# --- client_config: mode, owner, binding.
chmod 0644 /etc/ksm/client.json
expect_fail client_config "mode 0644, not 0600" "^chmod 0600 /etc/ksm/client.json$"
run_fix client_config
chown nobody /etc/ksm/client.json
expect_fail client_config "owned by uid $(id -u nobody), not by ksmd_user root" "^chown root /etc/ksm/client.json$"
run_fix client_config
mv /etc/ksm/client.json "$T/client.json.kept"
expect_fail client_config "no client config at /etc/ksm/client.json" "^ksmctl init --force --token -$"
mv "$T/client.json.kept" /etc/ksm/client.json
conf_only "ksmd_user = nobody"
expect_fail client_config "not by ksmd_user nobody" "^chown nobody /etc/ksm/client.json$"
conf_only

# --- ksmd: stopped.
ksmd_stop
expect_fail ksmd "ksmd does not answer: .*ksmd.sock" "^ksmd --conf /etc/ksm/ksm.conf &$"
ksmd_start "$T/ksm.conf"
expect_ok ksmd "ksmd: answering again"

# --- snapshot: mode, missing, stale, and nss_ksm's path.
chmod 0664 /var/lib/ksm/snapshot
expect_fail snapshot "mode 0664: it must be root's" "^chown root:root /var/lib/ksm/snapshot && chmod 0644 /var/lib/ksm/snapshot$"
run_fix snapshot
chmod 0600 /var/lib/ksm/snapshot
expect_fail snapshot "mode 0600: .*readable by all"
run_fix snapshot
mv /var/lib/ksm/snapshot "$T/snapshot.kept"
expect_fail snapshot "no snapshot at /var/lib/ksm/snapshot" "^ksmctl sync$"
run_fix snapshot
conf_only "snapshot_warn_age = 2"
sleep 3
expect_fail snapshot "s old, more than snapshot_warn_age \(2 s\)" "^ksmctl sync$"
run_fix snapshot
conf_only "snapshot = $T/elsewhere"
expect_fail snapshot "nss_ksm reads /var/lib/ksm/snapshot" "^sed -i --follow-symlinks .* /etc/ksm/ksm.conf && ksmctl sync$"
run_fix snapshot
check "snapshot: the fix set ksm.conf's snapshot back" grep -qx "snapshot = /var/lib/ksm/snapshot" /etc/ksm/ksm.conf
conf_only

# --- sshd: an earlier drop-in (systemd-userdb's) shadows ours; no
# AuthorizedKeysCommand at all; the wrong user. With systemd (the
# stand-in), so that the fixes' "systemctl reload ssh" runs.
mkdir -p /run/systemd/system
mv /etc/ssh/sshd_config.d/10-ksm.conf /etc/ssh/sshd_config.d/ksm.conf
printf 'AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %%u\nAuthorizedKeysCommandUser root\n' \
	>/etc/ssh/sshd_config.d/20-systemd-userdb.conf
expect_fail sshd "is '/usr/bin/userdbctl ssh-authorized-keys %u' \(set first in /etc/ssh/sshd_config.d/20-systemd-userdb.conf:1\)" \
	"sed -i '1s\|.*\|AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %u %f\|' /etc/ssh/sshd_config.d/20-systemd-userdb.conf && sshd -t && "
run_fix sshd 2
check "sshd: sshd -T now runs our helper as nobody" bash -c \
	"/usr/sbin/sshd -T | grep -qx 'authorizedkeyscommand /usr/sbin/ksm-authorized-keys %u %f' && /usr/sbin/sshd -T | grep -qx 'authorizedkeyscommanduser nobody'"
rm /etc/ssh/sshd_config.d/20-systemd-userdb.conf
mv /etc/ssh/sshd_config.d/ksm.conf "$T/ksm-dropin.kept"
expect_fail sshd "sshd has no AuthorizedKeysCommand" "^echo 'Include .*/sshd_config.d/ksm.conf' >/etc/ssh/sshd_config.d/10-ksm.conf && sshd -t && "
mv "$T/ksm-dropin.kept" /etc/ssh/sshd_config.d/10-ksm.conf
conf_only "keys_user = ksm-keys"
expect_fail sshd "AuthorizedKeysCommandUser is 'nobody' .*keys_user \(ksm-keys\)" "AuthorizedKeysCommandUser ksm-keys"
conf_only
rmdir /run/systemd/system

# --- nsswitch: ksm missing, before files, behind [NOTFOUND=return].
nss() { printf 'passwd: %s\ngroup: files ksm\nshadow: files\nhosts: files\n' "$1" >/etc/nsswitch.conf; }
nss "files systemd"
expect_fail nsswitch "the passwd line does not name ksm" "^ksm-nsswitch enable$"
run_fix nsswitch
nss "ksm files"
expect_fail nsswitch "names ksm before files" "^ksm-nsswitch disable && ksm-nsswitch enable$"
run_fix nsswitch
nss "files [NOTFOUND=return] ksm"
expect_fail nsswitch "\[NOTFOUND=return\] ends the lookup before ksm" "^sed -i .* /etc/nsswitch.conf$"
# sed -i cannot rename over the test's bind-mounted file: run it on a copy.
cp /etc/nsswitch.conf "$T/nss.copy"
bash -c "${FIX//\/etc\/nsswitch.conf/$T/nss.copy}"
check "nsswitch: the fix leaves the passwd line 'files ksm'" grep -qE '^passwd: files ksm$' "$T/nss.copy"
cp "$T/nss.copy" /etc/nsswitch.conf
expect_ok nsswitch "nsswitch: passes with the fixed line"

# --- pam: lines that lock local users out when pam_ksm cannot answer.
# The formerly documented, unsafe forms: no service_err=ignore (a broken
# ksm.conf), no module_unknown=ignore (pam_ksm.so removed, lines left),
# required.
cp /etc/pam.d/sudo "$T/sudo.kept"
sed -i '1a auth [success=done user_unknown=ignore default=die] pam_ksm.so totp=if_present' /etc/pam.d/sudo
expect_fail pam "/etc/pam.d/sudo:2: auth \[success=done user_unknown=ignore default=die\] pam_ksm.so is not fail-safe \(service_err=die, module_unknown=die\)" \
	"^sed -i '2c auth \[success=done user_unknown=ignore service_err=ignore module_unknown=ignore default=die\] pam_ksm.so totp=if_present' /etc/pam.d/sudo$"
run_fix pam
echo "account required pam_ksm.so" >>/etc/pam.d/su
expect_fail pam "/etc/pam.d/su:[0-9]+: account required pam_ksm.so is not fail-safe \(user_unknown=bad, service_err=bad, module_unknown=bad\)"
run_fix pam
echo "session [success=ok ignore=ignore default=die] pam_ksm.so" >>/etc/pam.d/login
expect_fail pam "login:[0-9]+: session .* is not fail-safe \(service_err=die, module_unknown=die\)"
run_fix pam
cp "$T/sudo.kept" /etc/pam.d/sudo

# --- timer: with systemd running (the stand-in), disabled, then enabled
# by the fix.
mkdir -p /run/systemd/system
expect_ok timer "timer: enabled and active"
echo disabled >"$T/timer-state"
expect_fail timer "ksm-sync.timer is not enabled \(systemctl is-enabled: disabled\)" "^systemctl enable --now ksm-sync.timer$"
run_fix timer
ksmd_stop
expect_fail ksmd "ksmd does not answer" "^systemctl enable --now ksmd.socket$"
ksmd_start "$T/ksm.conf"
rmdir /run/systemd/system

# --- clock: the server's Date 120 s behind ours (ksmd's latest answer),
# then from the last sync when ksmd has seen no answer.
fault clock:-120
run_ksmctl status --json
check "status --json: the clock through ksmd" grep -qE '"clock_skew_s":12[0-2]' <<<"$OUT"
check "status: a clock 120 s off is a warning (exit 7)" "$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
assert sys.argv[2] == "7" and any("the clock is +12" in w and "timedatectl set-ntp true" in w for w in d["warnings"]), d' "$OUT" "$RC"
expect_fail clock "the clock is \+12[0-2] s off the server's \(ksmd's latest vault answer" "^timedatectl set-ntp true$|^apt-get install chrony$"
run_ksmctl sync
fault none
ksmd_stop
ksmd_start "$T/ksm.conf"
expect_fail clock "the clock is \+12[0-2] s off the server's \(the last sync"
run_ksmctl sync
expect_ok clock "clock: right again after a sync"

# --- device: SNAPSHOT.status's device_expires_on (written by the sync).
status_set() {
	"$PY" - /var/lib/ksm/snapshot.status "$1" <<'PY'
import json, sys, time
path, v = sys.argv[1], sys.argv[2]
d = json.load(open(path))
if v == "absent":
    d.pop("device_expires_on", None)
else:
    d["device_expires_on"] = int(time.time()) + int(v) if v != "0" else 0
json.dump(d, open(path, "w"))
PY
}
status_set $((3 * 86400))
# The date it names is the expiry's (three days from now), not the epoch's.
WHEN=$(date -u -d @$(($(date +%s) + 3 * 86400)) +%Y-%m-%d)
expect_fail device "the device's access expires at ${WHEN}T.*, in 7[12] h" "ksmctl init --force --token -$"
status_set -60
expect_fail device "the device's access expired at"
status_set $((30 * 86400))
expect_ok device "device: expiring in 30 days passes"
status_set 0
doctor
check "device: 0 is no expiry" grep -q "does not expire" <<<"$OUT"
status_set absent

# --- usage and help
run_ksmctl check --bogus
expect_rc "check --bogus: usage (2)" 2
run_ksmctl check --help
check "check --help is check's own help (names every check)" bash -c \
	"grep -q '^  check \[--json\]' '$T/out' && grep -q '^  device ' '$T/out' && ! grep -q '^  secret' '$T/out'"

finish
