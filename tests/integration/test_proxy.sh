#!/bin/bash
# SPDX-License-Identifier: MIT
# test_proxy.sh - every request of the host through ksm.conf's proxy, a
# real one: Debian's tinyproxy (BasicAuth), started here on a local port,
# in front of the local KSM server (HTTPS on 127.0.0.1 with its test CA);
# stunnel in front of it for an https:// proxy. ksmctl init (direct), the
# sync and a PAM login through ksmd, ksmctl in direct mode; the proxy's log
# shows the CONNECT to the server's host:port. The failures an admin meets
# (proxy down, wrong or missing password, a proxy that refuses the CONNECT,
# a proxy that cannot reach the server, an untrusted https:// proxy) each
# name the proxy (never its password) and the fix. no_proxy is honoured,
# the environment's proxy variables are not, and the password stays out of
# every message and log.
#
# Needs tinyproxy (tests/install-deps.sh); skipped (77) without it. The
# PAM login needs root (pam_ksm asks ksmd as root); stunnel is optional.
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/sshd.sh" # free_port
. "$srcdir/tests/lib/pam.sh"
. "$srcdir/tests/lib/pamvault.sh"

command -v tinyproxy >/dev/null || { echo "# no tinyproxy: skipped"; exit 77; }

PROXY_USER=fleet
PROXY_PW=pxy-pw-Ur4nS9dQ
# proxy_start NAME [LINES...]: tinyproxy on a free port, or on $ON_PORT
# ($PROXY_PORT), with the test's user and password; its log is
# $T/NAME.log. Killed at exit.
proxy_start() {
	local name=$1 i
	shift
	PROXY_PORT=${ON_PORT:-$(free_port)}
	{
		echo "Port $PROXY_PORT"
		echo "Listen 127.0.0.1"
		echo "Timeout 30"
		echo "LogFile \"$T/$name.log\""
		echo "LogLevel Info"
		echo "MaxClients 50"
		echo "Allow 127.0.0.1"
		echo "DisableViaHeader Yes"
		echo "BasicAuth $PROXY_USER $PROXY_PW"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
	tinyproxy -d -c "$T/$name.conf" 2>>"$T/$name.err" &
	eval "PID_$name=$!"
	bg_add "$!"
	for i in $(seq 1 100); do
		grep -q "listening on" "$T/$name.log" 2>/dev/null && return 0
		"$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
			"$PROXY_PORT" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "tinyproxy did not start"
	cat "$T/$name.err" "$T/$name.log"
	exit 99
}
# connects NAME: how many CONNECTs to the server the proxy's log shows.
connects() { grep -cF "CONNECT $SRV_HOST HTTP" "$T/$1.log" 2>/dev/null || true; }
# conf [LINES...]: the test's ksm.conf (restarting ksmd when it runs).
conf() {
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"timeout_auth = 2" "timeout_sync = 4" "$@"
}
# no_password_in DESCRIPTION FILE...: the proxy's password is in none.
no_password_in() {
	local what=$1
	shift
	if grep -lF -- "$PROXY_PW" "$@" 2>/dev/null; then fail "$what"; else ok "$what"; fi
}

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
mkdir -m 0700 "$T/private"
proxy_start main
MAIN=$PROXY_PORT
printf '%s\n' "$PROXY_PW" >"$T/proxy.pw"
chmod 600 "$T/proxy.pw"
VIA="proxy = http://$PROXY_USER@127.0.0.1:$MAIN"
conf "$VIA" "proxy_password_file = $T/proxy.pw"

# ------------------------------------------------- everything through it
n0=$(connects main)
bind
expect_rc "ksmctl init (binding) through the proxy" 0
n1=$(connects main)
check "the proxy's log shows the CONNECT to the server ($SRV_HOST) for the binding ($n0 -> $n1)" \
	[ "$n1" -gt "$n0" ]
run_ksmctl sync
expect_rc "ksmctl sync through ksmd and the proxy" 0
n2=$(connects main)
check "the sync's request went through the proxy too ($n1 -> $n2 CONNECTs)" [ "$n2" -gt "$n1" ]
check "ksmd logs the proxy it uses, without its user or password" \
	grep -qF "through the proxy http://127.0.0.1:$MAIN " "$T/ksmd.log"
if [ "$(id -u)" = 0 ]; then
	pam_service ksm
	PW=$PW_ALICE
	pam ksm alice auth
	if grep -q "^auth: PAM_SUCCESS:" <<<"$OUT"; then
		ok "a PAM login (pam_ksm -> ksmd) through the proxy"
	else
		fail "a PAM login through the proxy: $OUT $ERR"
	fi
	n3=$(connects main)
	check "the login's vault read went through the proxy ($n2 -> $n3 CONNECTs)" [ "$n3" -gt "$n2" ]
else
	echo "# not root: the PAM login through the proxy is not checked"
fi
run_ksmctl init --check
expect_rc "ksmctl init --check through ksmd and the proxy" 0
check "init --check reports the answer" grep -q "^check: the server answered (through ksmd); [0-9]* record" <<<"$OUT"

# The proxy down: the vault cannot be reached, and the message says why.
kill "$PID_main" 2>/dev/null && wait "$PID_main" 2>/dev/null
run_ksmctl sync
expect_rc "proxy down: the sync fails as a network failure (4), naming the proxy" 4 \
	"cannot connect to the proxy http://127.0.0.1:$MAIN"
ON_PORT=$MAIN proxy_start main
conf "proxy = http://$PROXY_USER@127.0.0.1:$MAIN" "proxy_password_file = $T/proxy.pw"
run_ksmctl sync
expect_rc "proxy back: the sync works again" 0

# ------------------------------------------------------ wrong password
printf 'not-the-password\n' >"$T/proxy.pw"
conf "proxy = http://$PROXY_USER@127.0.0.1:$MAIN" "proxy_password_file = $T/proxy.pw"
run_ksmctl sync
expect_rc "wrong proxy password: the sync fails (4) with the proxy's refusal of the credentials" 4 \
	"the proxy http://127.0.0.1:$MAIN refused the user name and password \(HTTP 40[17]\)"
check "the message names what to fix (proxy_password_file)" grep -q "proxy_password_file" <<<"$ERR"
ksmd_stop
run_ksmctl secret list
expect_rc "wrong proxy password, direct mode (no ksmd): the same message" 4 \
	"refused the user name and password \(HTTP 40[17]\)"
check "the wrong password is in no message" bash -c "! grep -qF not-the-password <<<\"\$1\"" _ "$ERR"
printf '%s\n' "$PROXY_PW" >"$T/proxy.pw"
conf "proxy = http://127.0.0.1:$MAIN"
run_ksmctl secret list
expect_rc "no user and password for a proxy that wants them: 407, and how to give them" 4 \
	"needs a user name and password \(HTTP 407\).*proxy_password_file"
chmod 644 "$T/proxy.pw"
conf "proxy = http://$PROXY_USER@127.0.0.1:$MAIN" "proxy_password_file = $T/proxy.pw"
run_ksmctl secret list
expect_rc "a proxy_password_file others can read is refused (3), with the chmod" 3 "chmod 600"
chmod 600 "$T/proxy.pw"

# ------------------------------------------------ the environment's proxies
n0=$(connects main)
https_proxy=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1 ALL_PROXY=http://127.0.0.1:1 \
	no_proxy='*' NO_PROXY='*' run_ksmctl secret list
expect_rc "the environment's https_proxy, ALL_PROXY and no_proxy are ignored (direct mode)" 0
check "... and the request still went through ksm.conf's proxy ($n0 -> $(connects main))" \
	[ "$(connects main)" -gt "$n0" ]

# ------------------------------------------------------------- no_proxy
CLOSED=$(free_port)
conf "proxy = http://$PROXY_USER@127.0.0.1:$CLOSED" "proxy_password_file = $T/proxy.pw" \
	"no_proxy = example.invalid, 127.0.0.1"
n0=$(connects main)
run_ksmctl secret list
expect_rc "no_proxy = ..., 127.0.0.1: the server is reached directly (the proxy is down)" 0
conf "proxy = http://$PROXY_USER@127.0.0.1:$MAIN" "proxy_password_file = $T/proxy.pw" \
	"no_proxy = 127.0.0.1"
bind
expect_rc "no_proxy: ksmctl init binds directly" 0
run_ksmctl sync
expect_rc "no_proxy: the sync through ksmd, directly" 0
check "no_proxy: the proxy saw no CONNECT ($n0 -> $(connects main))" [ "$(connects main)" = "$n0" ]
conf "proxy = http://$PROXY_USER@127.0.0.1:$CLOSED" "proxy_password_file = $T/proxy.pw" \
	"no_proxy = localhost, .example"
ksmd_stop
run_ksmctl secret list
expect_rc "no_proxy names other hosts: the proxy is used (and is down here)" 4 \
	"cannot connect to the proxy http://127.0.0.1:$CLOSED"
conf "proxy = http://$PROXY_USER@127.0.0.1:$MAIN" "no_proxy = bad/item"
run_ksmctl secret list
expect_rc "a bad no_proxy entry is a ksm.conf error (3)" 3 "bad value for no_proxy"

# ------------------------------------------- proxies that refuse or fail
proxy_start strict "ConnectPort 443"
STRICT=$PROXY_PORT
conf "proxy = http://$PROXY_USER@127.0.0.1:$STRICT" "proxy_password_file = $T/proxy.pw"
run_ksmctl secret list
expect_rc "a proxy that refuses the CONNECT: 4, naming the proxy, the target and the fix" 4 \
	"the proxy http://127.0.0.1:$STRICT refused to connect to $SRV_HOST \(HTTP 403.*allow CONNECT"
check "the refusing proxy's log shows the CONNECT it refused" \
	grep -qF "CONNECT $SRV_HOST HTTP" "$T/strict.log"
conf "$VIA" "proxy_password_file = $T/proxy.pw"
fault refuse
run_ksmctl secret list
expect_rc "a proxy that cannot reach the server: 4, saying so" 4 \
	"the proxy http://127.0.0.1:$MAIN could not reach $SRV_HOST \(HTTP 5[0-9][0-9]"
fault none
run_ksmctl secret list
expect_rc "the server back: through the proxy again" 0

# ---------------------------------------- the password in ksm.conf itself
conf "proxy = http://$PROXY_USER:$PROXY_PW@127.0.0.1:$MAIN"
chmod 644 "$T/ksm.conf"
run_ksmctl secret list
expect_rc "the password in the proxy URL works" 0
check "... with a warning: ksm.conf is readable by everyone" \
	grep -q "holds the proxy's password and every local user may read it (mode 0644).*proxy_password_file" <<<"$ERR"
chmod 600 "$T/ksm.conf"
run_ksmctl secret list
check "no warning when only root may read ksm.conf" bash -c "[ $RC = 0 ] && ! grep -q 'may read it' <<<\"\$1\"" _ "$ERR"
conf "proxy = http://$PROXY_USER:$PROXY_PW@127.0.0.1"
run_ksmctl secret list
expect_rc "a proxy URL without a port is a ksm.conf error (3) ..." 3 "bad value for proxy: expected"
check "... that does not repeat the password" bash -c "! grep -qF -- '$PROXY_PW' <<<\"\$1\"" _ "$ERR"

# ------------------------------------------------------ an https:// proxy
if command -v stunnel >/dev/null && command -v openssl >/dev/null; then
	(
		cd "$T" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=ksm-unix test proxy CA" -keyout pca.key -out pca.pem
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj "/CN=localhost" -keyout ptls.key -out ptls.csr
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ptls.ext
		openssl x509 -req -in ptls.csr -CA pca.pem -CAkey pca.key -CAcreateserial \
			-days 2 -extfile ptls.ext -out ptls.pem
	) >"$T/openssl.log" 2>&1 || { cat "$T/openssl.log"; exit 99; }
	TLSP=$(free_port)
	cat >"$T/stunnel.conf" <<EOF
foreground = yes
pid =
[proxy]
accept = 127.0.0.1:$TLSP
connect = 127.0.0.1:$MAIN
cert = $T/ptls.pem
key = $T/ptls.key
EOF
	stunnel "$T/stunnel.conf" 2>"$T/stunnel.log" &
	bg_add "$!"
	for i in $(seq 1 100); do
		"$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' \
			"$TLSP" 2>/dev/null && break
		sleep 0.05
	done
	n0=$(connects main)
	conf "proxy = https://$PROXY_USER@localhost:$TLSP" "proxy_password_file = $T/proxy.pw" \
		"proxy_ca_file = $T/pca.pem"
	run_ksmctl secret list
	expect_rc "an https:// proxy, verified with proxy_ca_file" 0
	check "... its CONNECT reached tinyproxy behind stunnel ($n0 -> $(connects main))" \
		[ "$(connects main)" -gt "$n0" ]
	conf "proxy = https://$PROXY_USER@localhost:$TLSP" "proxy_password_file = $T/proxy.pw"
	run_ksmctl secret list
	expect_rc "an https:// proxy whose CA is not trusted: refused, pointing at proxy_ca_file" 4 \
		"the proxy https://localhost:$TLSP: its certificate is not trusted.*proxy_ca_file"
else
	echo "# no stunnel or openssl: the https:// proxy is not checked"
fi

# ------------------------------------------------------- nothing leaked
no_password_in "the proxy's password is in no log of ksmd, the server or the proxies" \
	"$T/ksmd.log" "$T/server.log" "$T/main.log" "$T/strict.log"
finish
