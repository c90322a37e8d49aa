#!/bin/bash
# SPDX-License-Identifier: MIT
# test_faults.sh - ksmctl against each fault mode of the local server: the
# right exit code and message, within the time budget, config untouched.
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
write_conf "timeout_sync = 2"
bind
expect_rc "bind" 0
cp "$T/client.json" "$T/client.good"

reset_stats
run_ksmctl secret list
expect_rc "list" 0
check "one get_secret request per list once bound" [ "$(req_gets)" = 1 ]

fault refuse
run_ksmctl secret list
expect_rc "refuse: network error" 4 "connect|refused"
expect_within "refuse: fails fast" 1500

fault blackhole
run_ksmctl secret list
expect_rc "blackhole: timeout" 4 "time budget|timed? ?out"
expect_within "blackhole: within the 2 s budget" 3000

fault delay:4
run_ksmctl secret list
expect_rc "delay over the budget: timeout" 4 "time budget|timed? ?out"
expect_within "delay over the budget: within the 2 s budget" 3000

fault delay:0.5
run_ksmctl secret list
expect_rc "delay under the budget: success" 0

fault http500
run_ksmctl secret list
expect_rc "http500: network-class error naming the status" 4 "HTTP 500"

fault corrupt
run_ksmctl secret list
expect_rc "corrupt body: protocol error" 1 "does not decrypt"

fault bad-signature
run_ksmctl secret list
expect_rc "bad signature: access denied" 5 "Signature is invalid"

fault throttle
run_ksmctl secret list
expect_rc "throttled beyond the budget: gives up at once" 4 "throttled"
expect_within "throttled: no wait past the budget" 1500

write_conf "timeout_sync = 10"
fault throttle:1
reset_stats
( sleep 1.6; admin fault none >/dev/null ) &
clear_pid=$!
run_ksmctl secret list
wait "$clear_pid"
expect_rc "throttle with retry_after: backs off and succeeds" 0
n=$(req_gets)
check "throttle: retried (2 to 3 get_secret requests, got $n)" [ "$n" -ge 2 -a "$n" -le 3 ]
expect_within "throttle: back-off honours retry_after (about 1 s each)" 4500

fault key
reset_stats
run_ksmctl secret list
expect_rc "key-id rejection: retried with a fresh key and succeeded" 0
check "key-id rejection: exactly one retry" [ "$(req_gets)" = 2 ]

fault key:always
run_ksmctl secret list
expect_rc "key-id rejected every time: bounded retries, then access-class error" 5 "rejected"
fault none

check "failures left the client config as it was" cmp -s "$T/client.json" "$T/client.good"

# A certificate from another CA is refused: TLS checks stay on.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=other-ca -keyout "$T/other.key" -out "$T/other-ca.pem" 2>/dev/null
sed -i "s|^ca_file = .*|ca_file = $T/other-ca.pem|" "$T/ksm.conf"
run_ksmctl secret list
expect_rc "a server certificate from another CA is refused" 4 "TLS|certificate"
write_conf
run_ksmctl secret list
expect_rc "and the right CA works again" 0

finish
