#!/bin/sh
# SPDX-License-Identifier: MIT
# Interop test: the official Keeper JS SDK (pinned in package-lock.json) against the local
# KSM test server (tests/server/ksm-server).
#
# Usage: tests/interop/run-interop.sh
# Env:
#   KSM_INTEROP_CONFIG_OUT=path  copy the client config the JS SDK wrote (bound, with appKey)
#                                to path, for a later cross-check by the C tool
#   KSM_INTEROP_STATE_DIR=dir    use (and keep) this server state directory instead of a
#                                temporary one; restart the server on the same port with
#                                `ksm-server --vault tests/interop/vault.json --state dir
#                                 --listen <hostname from the config>` to reuse the config
# Exit status: 0 if every check passed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
server_dir="$here/../server"
vault="$here/vault.json"

if [ ! -d "$here/node_modules/@keeper-security/secrets-manager-core" ]; then
    (cd "$here" && npm ci --no-audit --no-fund >/dev/null)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ksm-interop.XXXXXX")
state="${KSM_INTEROP_STATE_DIR:-$work/state}"
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$server_dir/ksm-server" --vault "$vault" --state "$state" 2>"$work/server.log" &
server_pid=$!
i=0
while [ ! -s "$state/server.json" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
        echo "ksm-server did not start:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

# The device's access expiry, which the server sends as expiresOn.
expires_on=1893456000000
token=$("$server_dir/ksm-server-admin" --state "$state" token --app interop-app \
    --expires-on "$expires_on")
rc=0
SERVER_JSON="$state/server.json" VAULT_JSON="$vault" KSM_TOKEN="$token" \
    EXPIRES_ON="$expires_on" \
    CONFIG_FILE="$work/client-config.json" NODE_EXTRA_CA_CERTS="$state/ca.pem" \
    node "$here/interop.js" || rc=$?

if [ -n "${KSM_INTEROP_CONFIG_OUT:-}" ]; then
    cp "$work/client-config.json" "$KSM_INTEROP_CONFIG_OUT"
    chmod 600 "$KSM_INTEROP_CONFIG_OUT"
    echo "client config written to $KSM_INTEROP_CONFIG_OUT (server state: $state)"
fi
if [ $rc -ne 0 ]; then
    echo "--- server log ---" >&2
    cat "$work/server.log" >&2
fi
exit $rc
