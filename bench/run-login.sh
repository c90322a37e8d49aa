#!/bin/bash
# SPDX-License-Identifier: MIT
# run-login.sh - whole ssh logins through one real sshd on loopback: vault
# users (pam_ksm -> ksmd -> the local KSM server; keys from the snapshot
# through ksm-authorized-keys) against local users (pam_unix with a hash in
# /etc/shadow; ~/.ssh/authorized_keys), in the same run, taking turns, with
# a real ssh client running "true". Then bursts of concurrent password
# logins.
#
# One sshd (tests/lib/sshd.sh sshd_start), config:
#   AuthorizedKeysFile .ssh/authorized_keys          (local users)
#   AuthorizedKeysCommand ksm-authorized-keys %u %f  (vault users)
#   UsePAM yes, KbdInteractiveAuthentication yes, MaxStartups 2 x BURST
# and /etc/pam.d/sshd: pam_ksm over pam_unix (as man pam_ksm(8), EXAMPLES,
# but with ignore=ignore on the auth line: pam_ksm's setcred answers
# PAM_IGNORE for a local user, and without it sshd's pam_setcred fails
# for local keyboard-interactive logins; see bench/README.md):
#   auth     [success=done user_unknown=ignore ignore=ignore default=die] pam_ksm.so
#   auth     required pam_unix.so
#   account  [success=done user_unknown=ignore ignore=ignore default=die] pam_ksm.so
#   account  required pam_unix.so
#   session  optional pam_keyinit.so force revoke
#   session  optional pam_ksm.so
#   session  required pam_unix.so
# The vault is tests/load/mkvault.py's (BURST_USERS users load000..,
# each with its own password; load000 also has an ed25519 key). The local
# user "benchlocal" (uid 263900) is added to copies of /etc/passwd and
# /etc/shadow bind-mounted over the real ones, with a hash made by
# "openssl passwd -6" (sha512crypt; LOCAL_HASH=yescrypt: mkpasswd or
# crypt(3) through python), and has an authorized_keys file in its home.
# Everything runs in a private mount namespace (tests/lib/namespace.sh,
# a private /dev/log from tests/lib/syslog.sh): the host's files do not
# change.
#
#  (a) key login:  vault load000 (helper, snapshot; session: ksm:password
#      through ksmd)  vs  benchlocal (authorized_keys)
#  (b) password login (keyboard-interactive, SSH_ASKPASS): vault users
#      load001, load003..load008 in turn (pam_ksm -> ksmd -> server, live;
#      in turn and with the tests' auth_reuse of 1 s, so that no login can
#      take a read of another's, which ksmd lets an auth do)  vs
#      benchlocal (pam_unix)
#      ROUNDS rounds; in each the four kinds run N logins each, in an order
#      that rotates from round to round. Medians of the wall times of the
#      single logins (ssh started to ssh exited), and CPU per login of
#      sshd (with all its connection processes), ksmd, the server and the
#      clients.
#  (c) get_secret requests (ksm-server-admin stats) per login: the first
#      password login of load002 and the first key login of load000, and
#      on average over the timed blocks of (a) and (b).
#  (d) bursts of BURST concurrent password logins, released together
#      (flock barrier), each more than 10 s after any earlier vault read,
#      with ksmd's default auth_reuse (5 s):
#      vault-first (BURST_USERS users, each BURST/BURST_USERS times; for
#      most of them the first login on this host, so ksmd makes their
#      offline verifiers), vault-again (the same once the verifiers exist),
#      local (benchlocal BURST times, pam_unix: what this machine does with
#      the same burst) and, with BURST_CONF, vault-conf (ksm.conf lines,
#      ";"-separated, e.g. BURST_CONF="timeout_auth = 20"). Logins that
#      succeed, get_secret per user, pam_ksm's verdicts, CPU.
#
# Usage: bench/run-login.sh [BUILDDIR]   (root; BUILDDIR: where configure and
#        make ran; default $BUILDDIR, else build/normal, else the source tree.
#        Build first: make -j2 there.)
# Env:   N=5 logins per kind per round   ROUNDS=6   BURST=200   BURST_USERS=20
#        KEX=curve25519-sha256 (the client's KexAlgorithms; KEX=default: its own)
#        LOCAL_HASH=sha512|yescrypt   BURST_LOCAL=1   BURST_CONF=
#        OUT=bench/results/login.json   KEEP_TMP=1
# About 2 minutes on 2 cores with the defaults. Exit 0 if every login of
# (a) and (b) succeeded (goals met or not; the bursts are goals).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
N=${N:-5}
ROUNDS=${ROUNDS:-6}
BURST=${BURST:-200}
BURST_USERS=${BURST_USERS:-20}
LOCAL_HASH=${LOCAL_HASH:-sha512}
KEX=${KEX:-curve25519-sha256}
RESULTS=${OUT:-$here/results/login.json}
case $RESULTS in /*) ;; *) RESULTS=$PWD/$RESULTS ;; esac
if [ -z "${KSM_BENCH_BUILDDIR:-}" ]; then
	b=${1:-${BUILDDIR:-}}
	if [ -z "$b" ]; then
		b=$top/build/normal
		[ -x "$top/ksmd/ksmd" ] && b=$top
	fi
	KSM_BENCH_BUILDDIR=$(cd "$b" && pwd) || { echo "run-login.sh: no build directory $b" >&2; exit 2; }
	export KSM_BENCH_BUILDDIR
fi
[ "$BURST_USERS" -ge 9 ] || { echo "run-login.sh: BURST_USERS >= 9" >&2; exit 2; }
srcdir=$top builddir=$KSM_BENCH_BUILDDIR
export srcdir builddir N ROUNDS BURST BURST_USERS LOCAL_HASH KEX OUT=$RESULTS
[ -x "$builddir/ksmd/ksmd" ] || { echo "run-login.sh: not built: $builddir/ksmd/ksmd (make -j2 there)" >&2; exit 2; }

. "$top/tests/lib/common.sh"
. "$top/tests/lib/server.sh"
. "$top/tests/lib/namespace.sh"
. "$top/tests/lib/syslog.sh"
. "$top/tests/lib/sshd.sh"
# need_root_ns: root, then this script again inside a private mount namespace.
need_root_ns "$@"
need_sshd /usr/bin/flock
command -v openssl >/dev/null || { echo "run-login.sh: openssl missing"; exit 2; }
private_dev_log
t_start=$(date +%s)
# Inputs holding passwords go at exit even with KEEP_TMP.
bench_cleanup() {
	rm -f "$T/users.tsv" "$T/shadow"
	cleanup
}
trap bench_cleanup EXIT
die() { fail "$*"; [ -s "$T/sshd.log" ] && tail -n 20 "$T/sshd.log" | sed 's/^/# sshd: /'; exit 1; }
log() { echo "# $*"; }

LOCAL=benchlocal
LOCAL_UID=263900
LOCAL_PW=bench-local-pw-4Vq8Rz
VKEY=load000 # vault user, key logins
VPW=load001  # vault user, password logins (the first of VPWS)
# The timed password logins take turns among these users, so that no login
# finds a read of its user's record made in the last second, which ksmd
# would let it take (auth_reuse, 1 s here as in the tests): each timed
# login then asks the vault, as a lone login does.
VPWS=(load001 load003 load004 load005 load006 load007 load008)
VONE=load002 # vault user, the single password login of (c)

# --- vault, server, ksmd, snapshot
mkdir -p "$T/keys"
for u in $VKEY $LOCAL; do
	ssh-keygen -q -t ed25519 -N '' -C "$u@bench" -f "$T/keys/$u" || exit 2
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 2
"$PY" "$top/tests/load/mkvault.py" "$T/vault.json" "$T/users.tsv" "$BURST_USERS" "$T/keys" || exit 2
pw_of() { awk -F'\t' -v u="$1" '$1 == u {print $2}' "$T/users.tsv"; }
uid_of() { awk -F'\t' -v u="$1" '$1 == u {print $3}' "$T/users.tsv"; }
ksm_start_server "$T/vault.json"
setup_system_ns
sshd_system_dirs
bind
[ "$RC" = 0 ] || die "ksmctl init: $ERR"
run_ksmctl sync
[ "$RC" = 0 ] || die "ksmctl sync: $ERR"
log "ksmctl sync: $OUT"

# --- the local user (after the sync: it is no vault account)
case $LOCAL_HASH in
sha512)
	HASH=$(printf '%s\n' "$LOCAL_PW" | openssl passwd -6 -stdin)
	HASHER="openssl passwd -6 (sha512crypt, 5000 rounds)"
	;;
yescrypt)
	if command -v mkpasswd >/dev/null; then
		HASH=$(printf '%s\n' "$LOCAL_PW" | mkpasswd -m yescrypt --stdin)
		HASHER="mkpasswd -m yescrypt"
	else
		HASH=$(KSM_PW=$LOCAL_PW "$PY" -c 'import ctypes, os
c = ctypes.CDLL("libcrypt.so.1"); c.crypt_gensalt.restype = c.crypt.restype = ctypes.c_char_p
s = c.crypt_gensalt(b"$y$", 0, None, 0); print(c.crypt(os.environ["KSM_PW"].encode(), s).decode())')
		HASHER="crypt_gensalt(\$y\$) via python ctypes"
	fi
	;;
*) die "LOCAL_HASH: sha512 or yescrypt" ;;
esac
case $HASH in '$6$'* | '$y$'*) ;; *) die "no password hash: $HASH" ;; esac
{ grep -v "^$LOCAL:" /etc/passwd; echo "$LOCAL:x:$LOCAL_UID:$LOCAL_UID:bench:/home/$LOCAL:/bin/bash"; } >"$T/passwd"
{ grep -v "^$LOCAL:" /etc/shadow; echo "$LOCAL:$HASH:20000:0:99999:7:::"; } >"$T/shadow"
chmod 0644 "$T/passwd"
chmod 0640 "$T/shadow"
sys_mount --bind "$T/passwd" /etc/passwd
sys_mount --bind "$T/shadow" /etc/shadow
mkdir -p "/home/$LOCAL/.ssh"
cp "$T/keys/$LOCAL.pub" "/home/$LOCAL/.ssh/authorized_keys"
chown -R "$LOCAL_UID:$LOCAL_UID" "/home/$LOCAL"
chmod 0700 "/home/$LOCAL/.ssh"
chmod 0600 "/home/$LOCAL/.ssh/authorized_keys"
for i in $(seq 0 $((BURST_USERS - 1))); do
	u=$(printf 'load%03d' "$i")
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u" || die "home of $u (nss_ksm)"
done

# --- PAM and sshd
cat >"$T/pam-sshd" <<'PAM'
#%PAM-1.0
auth     [success=done user_unknown=ignore ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
auth     required pam_unix.so
account  [success=done user_unknown=ignore ignore=ignore default=die] pam_ksm.so conf=/etc/ksm/ksm.conf
account  required pam_unix.so
session  optional pam_keyinit.so force revoke
session  optional pam_ksm.so conf=/etc/ksm/ksm.conf
session  required pam_unix.so
password required pam_deny.so
PAM
chmod 0644 "$T/pam-sshd"
[ -e /etc/pam.d/sshd ] || die "no /etc/pam.d/sshd to mount over"
sys_mount --bind "$T/pam-sshd" /etc/pam.d/sshd
# sshd keeps the first value of a keyword: these override sshd_start's.
sshd_start "AuthorizedKeysFile .ssh/authorized_keys" "LogLevel INFO" \
	"MaxStartups $((BURST * 2))" "LoginGraceTime 120"
SSH_OPTS=(-F /dev/null -p "$PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=60 -o LogLevel=ERROR -o ControlMaster=no -o ControlPath=none)
# The client's key exchange: its default (sntrup761x25519-sha512 in
# OpenSSH 9.2) costs the client about 90 ms of CPU per login here, which
# a remote client would spend on its own machine; curve25519 about 5 ms.
[ "$KEX" = default ] || SSH_OPTS+=(-o "KexAlgorithms=$KEX")

# key_login USER [COMMAND]; pw_login USER PASSWORD [COMMAND]: one ssh
# client; sets RC and MS (wall, ms, from EPOCHREALTIME: no fork).
key_login() {
	local t0=$EPOCHREALTIME
	OUT=$(timeout 120 ssh "${SSH_OPTS[@]}" -i "$T/keys/$1" -o BatchMode=yes -o IdentitiesOnly=yes \
		-o PreferredAuthentications=publickey "$1@127.0.0.1" "${2:-true}" 2>"$T/err" </dev/null)
	RC=$?
	MS=$(elapsed "$t0")
}
pw_login() {
	local t0=$EPOCHREALTIME
	OUT=$(KSM_TEST_PW=$2 SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 120 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$1@127.0.0.1" "${3:-true}" 2>"$T/err" </dev/null)
	RC=$?
	MS=$(elapsed "$t0")
}
elapsed() { # T0 (EPOCHREALTIME) -> ms with 3 decimals
	local t1=$EPOCHREALTIME
	printf "%d.%03d\n" $(((${t1/./} - ${1/./}) / 1000)) $(((${t1/./} - ${1/./}) % 1000))
}
# login KIND: one login of a kind of (a)/(b).
login() {
	case $1 in
	key_vault) key_login "$VKEY" ;;
	key_local) key_login "$LOCAL" ;;
	pw_vault)
		local u=${VPWS[$((PW_TURN % ${#VPWS[@]}))]}
		PW_TURN=$((PW_TURN + 1))
		pw_login "$u" "$(pw_of "$u")"
		;;
	pw_local) pw_login "$LOCAL" "$LOCAL_PW" ;;
	esac
}
VPW_PW=$(pw_of "$VPW")
PW_TURN=0

# --- sanity: each kind logs in as its user; vault sessions hold ksm:password
REMOTE='echo "uid=$(id -u)"; keyctl pipe %user:ksm:password 2>/dev/null | sha256sum | cut -c1-64'
hash_of() { printf '%s' "$1" | sha256sum | cut -c1-64; }
NOKEY=$(printf '' | sha256sum | cut -c1-64)
# must WHAT CMD...: ok, or stop here.
must() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else die "$what (rc $RC: $(head -c 300 "$T/err") $(head -c 200 <<<"$OUT"))"; fi
}
session_is() { # UID HASH: the last login ran as UID, its ksm:password hashes to HASH
	[ "$RC" = 0 ] && grep -qx "uid=$1" <<<"$OUT" && grep -qx "$2" <<<"$OUT"
}
key_login "$LOCAL" "$REMOTE"
must "key login, local (authorized_keys): uid $LOCAL_UID, no ksm:password" session_is "$LOCAL_UID" "$NOKEY"
pw_login "$LOCAL" "$LOCAL_PW" "$REMOTE"
must "password login, local (pam_unix): uid $LOCAL_UID" session_is "$LOCAL_UID" "$NOKEY"
pw_login "$LOCAL" "wrong-$LOCAL_PW"
must "password login, local, wrong password: refused" [ "$RC" = 255 ]

# (c) single logins of users with no recent read.
log_mark
reset_stats
pw_login "$VONE" "$(pw_of "$VONE")" "$REMOTE"
ONE_PW_GETS=$(req_gets)
ONE_PW_TOTAL=$(req_total)
must "password login, vault ($VONE): its uid, its ksm:password in the session" \
	session_is "$(uid_of "$VONE")" "$(hash_of "$(pw_of "$VONE")")"
sleep 0.2
must "pam_ksm: $VONE accepted by the vault, live" grep -qE "pam_ksm\(sshd:auth\): $VONE: password accepted by the vault \(live" <(log_since)
log "one vault password login: $ONE_PW_GETS get_secret ($ONE_PW_TOTAL requests)"
reset_stats
key_login "$VKEY" "$REMOTE"
ONE_KEY_GETS=$(req_gets)
ONE_KEY_TOTAL=$(req_total)
must "key login, vault ($VKEY, key from the helper): its uid, its ksm:password in the session" \
	session_is "$(uid_of "$VKEY")" "$(hash_of "$(pw_of "$VKEY")")"
log "one vault key login: $ONE_KEY_GETS get_secret ($ONE_KEY_TOTAL requests)"
pw_login "$VPW" "wrong-$VPW_PW"
must "password login, vault, wrong password: refused" [ "$RC" = 255 ]
must "sshd: accepted publickey for $VKEY" grep -q "Accepted publickey for $VKEY" "$T/sshd.log"

# --- CPU accounting (clock ticks): the sshd listener's own and its waited-for
# children's (every connection's processes: privsep, PAM child, session,
# the keys helper), ksmd's and the server's (all threads), and this
# shell's waited-for children (the ssh clients, timeout, setsid, askpass).
TICK=$(getconf CLK_TCK)
ticks() { # PID [all]: utime+stime (+cutime+cstime with "all")
	local f
	read -ra f <"/proc/$1/stat" 2>/dev/null || { echo 0; return; }
	# fields after "(comm)": state is f[2]; utime f[13] stime f[14] cutime f[15] cstime f[16]
	if [ "${2:-}" = all ]; then echo $((f[13] + f[14] + f[15] + f[16])); else echo $((f[13] + f[14])); fi
}
# cpu_snap VAR: "sshd ksmd server clients" now, into VAR. In this shell,
# not a subshell: times(1) reports the children this process waited for.
cpu_snap() {
	times >"$T/times"
	printf -v "$1" '%s %s %s %s' "$(ticks "$SSHD_PID" all)" "$(ticks "$KSMD_PID")" "$(ticks "$SERVER_PID")" \
		"$(sed -n 2p "$T/times" | sed -E 's/([0-9]+)m([0-9]+)\.([0-9]+)s/\1 \2 \3/g' |
			awk -v hz="$TICK" '{printf "%d", (($1 * 60 + $2 + $3 / 1000) + ($4 * 60 + $5 + $6 / 1000)) * hz}')"
}
cpu_diff() { # BEFORE AFTER -> "sshd ksmd server clients" in ticks
	local -a a b
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[2] - a[2])) $((b[3] - a[3]))"
}
# sshd_idle: every connection's process has exited and been reaped.
sshd_idle() {
	local i
	for i in $(seq 1 100); do
		[ -z "$(pgrep -P "$SSHD_PID")" ] && return 0
		sleep 0.02
	done
}

# --- (a), (b): ROUNDS rounds, the four kinds in turn, N logins each
KINDS=(key_local key_vault pw_local pw_vault)
: >"$T/raw.tsv"
: >"$T/blocks.tsv"
log "warm-up"
for k in "${KINDS[@]}"; do login "$k"; [ "$RC" = 0 ] || die "warm-up $k failed: $(cat "$T/err")"; done
log "$ROUNDS rounds x 4 kinds x $N logins"
log_mark
for r in $(seq 1 "$ROUNDS"); do
	for j in 0 1 2 3; do
		k=${KINDS[$(((j + r) % 4))]}
		reset_stats
		sshd_idle
		cpu_snap c0
		for i in $(seq 1 "$N"); do
			login "$k"
			printf '%s\t%s\t%s\t%s\n' "$k" "$r" "$RC" "$MS" >>"$T/raw.tsv"
			[ "$RC" = 0 ] || echo "# $k login failed (rc $RC): $(head -c 300 "$T/err")"
		done
		sshd_idle
		cpu_snap c1
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$k" "$r" "$N" "$(req_gets)" "$(req_total)" "$(cpu_diff "$c0" "$c1")" >>"$T/blocks.tsv"
	done
	log "round $r: $(awk -F'\t' -v r="$r" '$2 == r {s[$1] += $4; n[$1]++} END {for (k in s) printf "%s %.0f ms  ", k, s[k] / n[k]}' "$T/raw.tsv")"
done
sleep 0.3
LIVE_OK=$(log_since | grep -cE "pam_ksm\(sshd:auth\): load00[1345678]: password accepted by the vault \(live")
OFFLINE=$(log_since | grep -cE "pam_ksm.*(offline|vault check failed)")

# --- (d) bursts: BURST concurrent password logins, released together
# (flock barrier). burst LABEL vault|local: vault = BURST_USERS users
# load000.., each BURST/BURST_USERS times; local = benchlocal BURST times.
# One JSON line per burst in $T/bursts.jsonl, one line per login in
# $T/burst-LABEL.tsv.
burst_login() { # I KIND
	local i=$1 u pw t0
	exec 9>&-
	if [ "$2" = vault ]; then
		u=$(printf 'load%03d' $((i % BURST_USERS)))
		pw=$(pw_of "$u")
	else
		u=$LOCAL pw=$LOCAL_PW
	fi
	: >"$T/ready-$i"
	flock -s "$T/barrier" true
	t0=$EPOCHREALTIME
	KSM_TEST_PW=$pw SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		timeout 120 setsid -w ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no \
		-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
		"$u@127.0.0.1" 'id -u' >"$T/burst-$i" 2>"$T/burst-$i.err" </dev/null
	printf 'rc=%s\nms=%s\n' "$?" "$(elapsed "$t0")" >>"$T/burst-$i"
}
: >"$T/bursts.jsonl"
burst() { # LABEL KIND [KSM.CONF LINES]
	local label=$1 kind=$2 i p u want ok t0 c0 c1 ms gets total live why drops
	shift 2
	if [ $# -gt 0 ]; then sysconf "$@"; fi # restarts ksmd on it
	rm -f "$T"/ready-* "$T"/burst-[0-9]*
	log "burst $label: $BURST concurrent password logins ($kind)${*:+, ksm.conf: $*}"
	reset_stats
	sshd_idle
	log_mark
	exec 9>"$T/barrier"
	flock -x 9
	local -a pids=()
	for i in $(seq 0 $((BURST - 1))); do
		burst_login "$i" "$kind" &
		pids+=($!)
	done
	for _ in $(seq 1 1200); do
		[ "$(find "$T" -maxdepth 1 -name 'ready-*' | wc -l)" = "$BURST" ] && break
		sleep 0.05
	done
	sleep 0.3 # from ready to blocked in flock
	cpu_snap c0
	t0=$EPOCHREALTIME
	flock -u 9
	exec 9>&-
	for p in "${pids[@]}"; do wait "$p"; done
	ms=$(elapsed "$t0")
	sshd_idle
	cpu_snap c1
	gets=$(req_gets)
	total=$(req_total)
	sleep 0.3
	: >"$T/burst-$label.tsv"
	for i in $(seq 0 $((BURST - 1))); do
		if [ "$kind" = vault ]; then u=$(printf 'load%03d' $((i % BURST_USERS))); want=$(uid_of "$u"); else u=$LOCAL want=$LOCAL_UID; fi
		ok=0
		grep -qx "$want" "$T/burst-$i" && grep -qx rc=0 "$T/burst-$i" && ok=1
		printf '%s\t%s\t%s\t%s\n' "$i" "$u" "$ok" "$(sed -n 's/^ms=//p' "$T/burst-$i")" >>"$T/burst-$label.tsv"
	done
	# pam_ksm's verdicts, by kind (numbers and the record UID taken out)
	why=$(log_since | sed -nE 's/.*pam_ksm\(sshd:auth\): [^:]+: //p' |
		sed -E 's/[0-9]+ ms/N ms/; s/record [A-Za-z0-9]+/record R/; s|https://[^ ]*: ||' | sort | uniq -c | sort -rn |
		"$PY" -c 'import json,sys; print(json.dumps({l.strip().split(" ", 1)[1]: int(l.split()[0]) for l in sys.stdin if l.strip()}))')
	live=$(log_since | grep -cE "pam_ksm\(sshd:auth\): [^:]+: password accepted by the vault \(live")
	# ksmd's time from the request to the vault's answer, of the live accepts
	log_since | sed -nE 's/.*pam_ksm\(sshd:auth\): [^:]+: password accepted by the vault \(live, ([0-9]+) ms.*/\1/p' >"$T/live-ms-$label"
	drops=$(grep -c 'drop connection\|beginning MaxStartups' "$T/sshd.log")
	ok=$(awk -F'\t' '$3 == 1' "$T/burst-$label.tsv" | wc -l)
	log "burst $label: $ok/$BURST ok in $ms ms; $gets get_secret ($total requests); $live accepted live; CPU ticks sshd/ksmd/server/clients: $(cpu_diff "$c0" "$c1")"
	[ "$ok" = "$BURST" ] || echo "$why" | "$PY" -c 'import json,sys; [print(f"#   {n} x {k}") for k, n in json.load(sys.stdin).items()]'
	LABEL=$label KIND=$kind CONF="$*" MS=$ms GETS=$gets TOTAL=$total LIVE=$live WHY=$why DROPS=$drops CPU="$(cpu_diff "$c0" "$c1")" \
		"$PY" -c 'import json, os; E = os.environ
print(json.dumps({"label": E["LABEL"], "kind": E["KIND"], "conf": E["CONF"], "wall_ms": float(E["MS"]),
  "get_secret": int(E["GETS"]), "requests": int(E["TOTAL"]), "accepted_live": int(E["LIVE"]),
  "pam_ksm_auth_verdicts": json.loads(E["WHY"]), "sshd_dropped": int(E["DROPS"]),
  "cpu_ticks": dict(zip(("sshd", "ksmd", "server", "clients"), map(int, E["CPU"].split())))}))' >>"$T/bursts.jsonl"
}
# Before each vault burst: no read of the last 10 s left for a session to
# reuse. vault-first: the first logins of most of these users on this host
# (ksmd makes their offline verifiers); vault-again: the same burst once
# the verifiers exist; local: benchlocal, pam_unix, the same burst.
# The bursts run with ksmd's default auth_reuse (5 s); the timed logins
# above ran with the tests' 1 s (tests/lib/server.sh) and their users in
# turn, so that each made its own request, as a lone login does.
AUTH_REUSE=
sysconf # restarts ksmd on it
log "waiting 11 s (no read of the last 10 s)"
sleep 11
burst vault-first vault
log "waiting 11 s"
sleep 11
burst vault-again vault
if [ "${BURST_LOCAL:-1}" = 1 ]; then burst local local; fi
if [ -n "${BURST_CONF:-}" ]; then
	log "waiting 11 s"
	sleep 11
	IFS=';' read -ra extra <<<"$BURST_CONF"
	burst vault-conf vault "${extra[@]}"
fi

mkdir -p "$(dirname "$RESULTS")"
HASH_PREFIX=${HASH:0:3}
export t_start TICK HASHER HASH_PREFIX ONE_PW_GETS ONE_PW_TOTAL ONE_KEY_GETS ONE_KEY_TOTAL LIVE_OK OFFLINE
"$PY" - "$T" "$RESULTS" <<'PY'
import json, os, platform, statistics as st, subprocess, sys, time
t, out = sys.argv[1], sys.argv[2]
E = os.environ
tick_ms = 1000 / int(E["TICK"])
def sh(*c):
    try:
        p = subprocess.run(c, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).strip()
    except Exception:
        return None
def cpu():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))]
def tsv(name):
    return [l.rstrip("\n").split("\t") for l in open(os.path.join(t, name))]
raw, blocks = tsv("raw.tsv"), tsv("blocks.tsv")
CPU_PARTS = ("sshd", "ksmd", "server", "clients")
kinds = {}
for k in ("key_local", "key_vault", "pw_local", "pw_vault"):
    ms = [float(r[3]) for r in raw if r[0] == k]
    bl = [b for b in blocks if b[0] == k]
    logins = sum(int(b[2]) for b in bl)
    cpu_ticks = [sum(int(b[5].split()[i]) for b in bl) for i in range(4)]
    kinds[k] = {"logins": len(ms), "failed": sum(1 for r in raw if r[0] == k and r[2] != "0"),
                "median_ms": round(st.median(ms), 2), "p10_ms": round(q(ms, .1), 2),
                "p90_ms": round(q(ms, .9), 2), "min_ms": round(min(ms), 2), "max_ms": round(max(ms), 2),
                "cpu_ms_per_login": {p: round(cpu_ticks[i] * tick_ms / logins, 1) for i, p in enumerate(CPU_PARTS)},
                "get_secret_per_login": round(sum(int(b[3]) for b in bl) / logins, 3),
                "requests_per_login": round(sum(int(b[4]) for b in bl) / logins, 3),
                "get_secret_per_block": [int(b[3]) for b in bl]}
    c = kinds[k]["cpu_ms_per_login"]
    c["host_side"] = round(c["sshd"] + c["ksmd"] + c["server"], 1)
def per_round(v, l):
    res = []
    for r in sorted({int(x[1]) for x in raw}):
        a = [float(x[3]) for x in raw if x[0] == v and int(x[1]) == r]
        b = [float(x[3]) for x in raw if x[0] == l and int(x[1]) == r]
        res.append(round(st.median(a) / st.median(b), 3))
    return res
ratio_key = kinds["key_vault"]["median_ms"] / kinds["key_local"]["median_ms"]
ratio_pw = kinds["pw_vault"]["median_ms"] / kinds["pw_local"]["median_ms"]
bursts = {}
for line in open(os.path.join(t, "bursts.jsonl")):
    b = json.loads(line)
    rows = tsv("burst-%s.tsv" % b["label"])
    ms = [float(r[3]) for r in rows if r[3]]
    users = len({r[1] for r in rows})
    lm = [int(x) for x in open(os.path.join(t, "live-ms-%s" % b["label"])) if x.strip()]
    if lm:
        b["vault_read_ms_of_live_accepts"] = {"median": st.median(lm), "p90": q(lm, .9), "max": max(lm)}
    b.update(logins=len(rows), users=users, ok=sum(1 for r in rows if r[2] == "1"),
             login_median_ms=round(st.median(ms), 1), login_p90_ms=round(q(ms, .9), 1), login_max_ms=round(max(ms), 1),
             get_secret_per_user=round(b["get_secret"] / users, 3),
             cpu_s={p: round(b["cpu_ticks"][p] * tick_ms / 1000, 2) for p in CPU_PARTS})
    del b["cpu_ticks"]
    bursts[b.pop("label")] = b
res = {
    "benchmark": "ssh logins through one sshd: vault users (pam_ksm, ksmd, ksm-authorized-keys) vs local users (pam_unix, authorized_keys)",
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "duration_s": int(time.time()) - int(E["t_start"]),
    "env": {"cpu": cpu(), "nproc": os.cpu_count(), "kernel": platform.release(),
            "openssh": sh("ssh", "-V"), "builddir": E["builddir"],
            "git_head": sh("git", "-C", E["srcdir"], "rev-parse", "--short", "HEAD"),
            "git_dirty": bool(sh("git", "-C", E["srcdir"], "status", "--porcelain", "--untracked-files=no"))},
    "settings": {"N": int(E["N"]), "ROUNDS": int(E["ROUNDS"]), "BURST": int(E["BURST"]),
                 "BURST_USERS": int(E["BURST_USERS"]), "local_hash": E["HASHER"], "local_hash_prefix": E["HASH_PREFIX"],
                 "ssh_command": "true", "client_kex": E["KEX"], "timing": "wall time of one ssh client process (EPOCHREALTIME around it)",
                 "cpu": "ms per login: sshd = the listener and every process of the connection (waited-for children), "
                        "ksmd and server = all their threads, clients = ssh, timeout, setsid, askpass"},
    "logins": kinds,
    "ratios": {"key_vault_over_local": round(ratio_key, 3), "pw_vault_over_local": round(ratio_pw, 3),
               "key_per_round": per_round("key_vault", "key_local"),
               "pw_per_round": per_round("pw_vault", "pw_local")},
    "single": {"pw_vault_get_secret": int(E["ONE_PW_GETS"]), "pw_vault_requests": int(E["ONE_PW_TOTAL"]),
               "key_vault_get_secret": int(E["ONE_KEY_GETS"]), "key_vault_requests": int(E["ONE_KEY_TOTAL"]),
               "note": "the first password login of load002, then the first key login of load000"},
    "timed_pw_vault_accepted_live": int(E["LIVE_OK"]), "timed_offline_or_failed_vault_checks": int(E["OFFLINE"]),
    "bursts": bursts,
}
g = res["goal"] = {
    "key_vault_at_most_1.3x_local": ratio_key <= 1.3,
    "pw_vault_at_most_1.3x_local": ratio_pw <= 1.3,
    "exactly_1_get_secret_per_pw_login": res["single"]["pw_vault_get_secret"] == 1 and kinds["pw_vault"]["get_secret_per_login"] == 1.0,
    "at_most_1_get_secret_per_key_login": res["single"]["key_vault_get_secret"] <= 1 and kinds["key_vault"]["get_secret_per_login"] <= 1.0,
}
for label in ("vault-first", "vault-again"):
    b = bursts[label]
    g[f"burst_{label}_all_ok"] = b["ok"] == b["logins"]
    g[f"burst_{label}_at_most_2_get_secret_per_user"] = b["get_secret_per_user"] <= 2
res["all_ok"] = all(v["failed"] == 0 for v in kinds.values())
with open(out, "w") as f:
    json.dump(res, f, indent=1)
    f.write("\n")
print()
for k, v in kinds.items():
    c = v["cpu_ms_per_login"]
    print(f"{k:10s} median {v['median_ms']:6.1f} ms (p10 {v['p10_ms']:.1f}, p90 {v['p90_ms']:.1f}; {v['logins']} logins, "
          f"{v['failed']} failed); CPU ms/login sshd {c['sshd']} ksmd {c['ksmd']} server {c['server']} clients {c['clients']}; "
          f"get_secret/login {v['get_secret_per_login']}")
print(f"ratio vault/local: key {ratio_key:.3f} (rounds {res['ratios']['key_per_round']}), "
      f"password {ratio_pw:.3f} (rounds {res['ratios']['pw_per_round']})")
print(f"single logins: password {res['single']['pw_vault_get_secret']} get_secret, key {res['single']['key_vault_get_secret']} get_secret")
for label, b in bursts.items():
    print(f"burst {label}: {b['logins']} logins of {b['users']} users, {b['ok']} ok, {b['wall_ms'] / 1000:.1f} s, "
          f"login median {b['login_median_ms']} ms, max {b['login_max_ms']} ms; {b['get_secret']} get_secret = "
          f"{b['get_secret_per_user']} per user; {b['accepted_live']} live; CPU s {b['cpu_s']}")
for k, v in g.items():
    print(f"goal {k}: {'met' if v else 'NOT met'}")
print(f"raw results: {out} ({res['duration_s']} s)")
sys.exit(0 if res["all_ok"] else 1)
PY
rc=$?
finish >/dev/null
exit $rc
