#!/bin/bash
# SPDX-License-Identifier: MIT
# test_max_response.sh - max_response_size (ksm.conf): a get_secret answer
# of the whole vault above it is refused, the error names the setting and
# how to raise it, the old snapshot is kept; with the setting raised the
# same vault syncs. The vault: bench/gen-vault.py 1500 (realistic padded
# records), an answer of about 3 MB, above max_response_size = 1M.
. "$(dirname "$0")/lib.sh"

N=1500
/usr/bin/python3 "$TOP_SRC/bench/gen-vault.py" "$N" >"$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
conf() { write_conf "snapshot = $T/snapshot" "uid_range = 10000-999999" "gid_range = 10000-999999" \
	"timeout_sync = 120" "$@"; }
conf # binding reads the vault too
KSM_TEST_NO_KSMD=1 bind bench-app
expect_rc "bind" 0
rm -f "$T/snapshot"
conf "max_response_size = 1M"
run_ksmctl sync
expect_rc "sync of $N records with max_response_size = 1M refused" 1
check "the refusal names max_response_size, its value and how to raise it ($(head -c 300 <<<"$ERR"))" \
	grep -q "larger than max_response_size (1 MiB): raise max_response_size in ksm.conf" <<<"$ERR"
check "no snapshot written" [ ! -e "$T/snapshot" ]
conf "max_response_size = 64M"
run_ksmctl sync
expect_rc "the same sync with max_response_size = 64M" 0
check "the snapshot holds the vault's accounts ($(grep -o '[0-9]* accounts' <<<"$OUT$ERR" | head -1))" \
	grep -qE "sync: [0-9]{3,4} accounts" <<<"$OUT$ERR"
finish
