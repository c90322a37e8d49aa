#!/bin/bash
# SPDX-License-Identifier: MIT
# demo.sh - ksm-unix end to end against the bundled local KSM server
# (README quick start, first command). Run as root on Debian 12: installs
# what it needs, builds under build/demo, and cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
B=$SRC/build/demo
T=$(mktemp -d /tmp/ksm-demo.XXXXXX)
# server_start, server_field, server_stop; and (tests/lib/ksmd.sh, which
# server.sh sources) the broker: ksmd_start, ksmd_stop.
builddir=$B KSM_TESTS_LIB=$SRC/tests/lib
. tests/lib/server.sh
bg_add() { :; } # ksmd.sh's hook; cleanup stops ksmd itself

cleanup() {
	ksmd_stop || true
	server_stop
	rm -rf "$T"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

[ "$(id -u)" = 0 ] && tests/install-deps.sh
if [ ! -x "$B/ksmctl" ]; then
	say "building ksm-unix (out of tree, $B)"
	[ -x configure ] || autoreconf -fi >/dev/null
	mkdir -p "$B"
	(cd "$B" && "$SRC/configure" -q && make -s -j"$(nproc)")
fi
KSMCTL=$B/ksmctl

say "starting the local KSM server with a sample vault"
server_start "$T/srv" demo/vault.json "$T/server.log" || { cat "$T/server.log"; exit 1; }
field() { server_field "$T/srv" "$1"; }
HOST=$(field hostname)
echo "listening on $HOST (test CA $(field ca_file))"
# The demo's own ksmd socket and state, never the host's.
mkdir -m 0700 "$T/private"
cat >"$T/ksm.conf" <<CONF
client_config = $T/client.json
ca_file = $(field ca_file)
ksmd_socket = $T/ksmd.sock
ksmd_user = $(id -un)
private_store = $T/private/store
snapshot = $T/snapshot
# alice's record asks for the local group sudo: allowed only by this opt-in
# (by default a record may join no local group)
local_groups = sudo
CONF
ADMIN="tests/server/ksm-server-admin --state $T/srv"

say "the admin creates a one-time token for this host in Keeper"
TOKEN=$($ADMIN token --app demo-host)
echo "token: ${TOKEN:0:6}... (bare, no region prefix: the host goes in --host)"

say "bind the host"
# In a file (or on standard input, or in KSM_TOKEN): a token on the command
# line is refused, since every local user can read it in ps.
(umask 077 && printf '%s\n' "$TOKEN" >"$T/token")
echo "\$ ksmctl init --token-file token --host $HOST --server-key 99:..."
"$KSMCTL" --conf "$T/ksm.conf" init --token-file "$T/token" --host "$HOST" \
	--server-key "$(field server_public_key_id):$(field server_public_key)"
rm -f "$T/token"
ls -l "$T/client.json"

if [ "$(id -u)" = 0 ]; then
	say "start ksmd, the host's broker: the only process that reads client.json and talks to Keeper"
	echo "\$ ksmd --conf ksm.conf --foreground &"
	ksmd_start "$T/ksm.conf"
	echo "ksmd runs (pid $KSMD_PID, socket $T/ksmd.sock); ksmctl's vault reads below go through it"
else
	echo "(not root: no ksmd; ksmctl reads the vault itself, in direct mode)"
fi

say "what the application sees"
run "$KSMCTL" --conf "$T/ksm.conf" secret list
run "$KSMCTL" --conf "$T/ksm.conf" secret get DemoAliceRecord0000000
run "$KSMCTL" --conf "$T/ksm.conf" notation keeper://alice/field/password
run "$KSMCTL" --conf "$T/ksm.conf" notation 'keeper://deploy/field/keyPair[0][publicKey]'
run "$KSMCTL" --conf "$T/ksm.conf" totp DemoAliceRecord0000000

say "KeeperPAM rotates alice's password; the next read sees it at once"
$ADMIN set-field --record DemoAliceRecord0000000 --field password --value 'Rotated-Passw0rd-2' >/dev/null
run "$KSMCTL" --conf "$T/ksm.conf" notation keeper://alice/field/password

say "secrets into a program's environment, never onto disk"
DB_PASSWORD='keeper://alice/field/password' \
	run "$KSMCTL" --conf "$T/ksm.conf" exec -- sh -c 'echo "the child got DB_PASSWORD of ${#DB_PASSWORD} characters"'

say "the accounts for this host: the snapshot nss_ksm and the keys helper read"
run "$KSMCTL" --conf "$T/ksm.conf" sync

say "status"
run "$KSMCTL" --conf "$T/ksm.conf" status

say "part 2: real sshd, sudo and keyctl (in a private mount namespace)"
ksmd_stop || true
server_stop
if [ "$(id -u)" = 0 ]; then
	builddir=$B srcdir=$SRC demo/login-tour.sh || exit 1
else
	echo "(skipped: needs root)"
fi

say "done; servers and ksmd stopped, $T removed, the machine's /etc untouched"
