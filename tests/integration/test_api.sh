#!/bin/bash
# SPDX-License-Identifier: MIT
# test_api.sh - libksm's API (updates, transactions, folders, files) against
# the local server, through tests/integration/api_client.
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
bind
expect_rc "bind" 0
if "$builddir/tests/integration/api_client" "$T/ksm.conf"; then
	ok "libksm API client"
else
	fail "libksm API client"
fi
finish
