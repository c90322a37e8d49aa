#!/bin/bash
# SPDX-License-Identifier: MIT
# leak-sweep.sh ROOT... - after a test run that kept its state (TMPDIR=ROOT,
# KEEP_TMP=1; tests/run-all.sh does this), search every file under ROOT for
# every password the test vaults ever held: logs, stderr, syslog captures,
# snapshots, private stores, client configs, keyring dumps. Zero hits pass.
#
# The secrets come from the local server's DIR/secrets-seen files (every
# password-like field value a vault held, rotated ones included). What is
# not searched, and why:
#   - the server's own state directories (the vault itself keeps them);
#   - the vault files tests feed to the server (vault*.json, *.vault.json);
#   - "out" files: the stdout of the last command a test ran, which may be
#     `ksmctl secret get --field password` asked to print it.
# Everything else a secret turns up in is a leak, named with its path.
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 ROOT... | --self-test" >&2; exit 2; }

# --self-test: the sweep finds a planted secret, and passes a clean tree.
if [ "$1" = --self-test ]; then
	d=$(mktemp -d)
	trap 'rm -rf "$d"' EXIT
	mkdir -p "$d/run/srv" "$d/run/lib"
	for i in $(seq 1 12); do echo "planted-secret-$i-xYz"; done >"$d/run/srv/secrets-seen"
	echo '{"v":"planted-secret-3-xYz"}' >"$d/run/srv/vault-state.json"
	echo 'ksmctl: all fine' >"$d/run/err"
	"$0" "$d" >/dev/null || { echo "self-test: a clean tree failed"; exit 1; }
	echo 'auth failed for planted-secret-7-xYz' >"$d/run/lib/x.log"
	if ! out=$("$0" "$d") && grep -q "LEAK: $d/run/lib/x.log" <<<"$out"; then
		echo "self-test: ok (planted secret found, clean tree passed)"
		exit 0
	fi
	echo "self-test: the planted secret was not found"
	exit 1
fi
LIST=$(mktemp)
HITS=$(mktemp)
trap 'rm -f "$LIST" "$HITS"' EXIT

# Each value as it is, plus the bare TOTP seeds inside otpauth:// URLs.
find "$@" -name secrets-seen -type f -exec cat {} + 2>/dev/null |
	sed -n 'p; s/.*[?&]secret=\([A-Z2-7]\{16,\}\).*/\1/p' | sort -u >"$LIST"
n=$(wc -l <"$LIST")
servers=$(find "$@" -name secrets-seen -type f 2>/dev/null | wc -l)
echo "leak sweep: $n distinct secrets from $servers local server runs"
if [ "$n" -lt 10 ]; then
	echo "leak sweep: too few secrets found ($n): did the tests run with TMPDIR=ROOT KEEP_TMP=1?" >&2
	exit 1
fi

# The search must be able to find something: a server that saw secrets
# holds them in its vault state (positive control). Not just any vault
# state: a server whose vault has no secret (test_uids) has none to find.
ctl=
while IFS= read -r d; do
	[ -s "$d/secrets-seen" ] && [ -f "$d/vault-state.json" ] && { ctl="$d/vault-state.json"; break; }
done < <(find "$@" -name secrets-seen -type f -printf '%h\n' 2>/dev/null | sort)
if [ -z "$ctl" ] || ! grep -qaF -f "$LIST" "$ctl"; then
	echo "leak sweep: the positive control failed (no secret found in ${ctl:-any vault-state.json})" >&2
	exit 1
fi

# Server state directories hold secrets-seen; prune them, and vault inputs.
mapfile -t prune < <(find "$@" -name secrets-seen -type f -printf '%h\n' 2>/dev/null | sort -u)
files=0
while IFS= read -r -d '' f; do
	# Our own secret list and report (they may sit under ROOT via TMPDIR).
	[ "$f" = "$LIST" ] || [ "$f" = "$HITS" ] && continue
	files=$((files + 1))
	case "$f" in */vault*.json | *.vault.json | */out) continue ;; esac
	for d in "${prune[@]}"; do
		case "$f" in "$d"/*) continue 2 ;; esac
	done
	if grep -qaF -f "$LIST" -- "$f"; then
		# Name the file and the first 4 characters of what was found.
		s=$(grep -oaF -f "$LIST" -- "$f" | head -n 1)
		echo "LEAK: $f contains a vault secret (${s:0:4}...)" >>"$HITS"
	fi
done < <(find "$@" -type f -print0 2>/dev/null)

echo "leak sweep: searched $files files under $# paths"
if [ -s "$HITS" ]; then
	cat "$HITS"
	echo "leak sweep: $(wc -l <"$HITS") files hold vault secrets"
	exit 1
fi
echo "leak sweep: zero hits"
