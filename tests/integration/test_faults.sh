#!/bin/bash
# SPDX-License-Identifier: MIT
# test_faults.sh - ksmctl against each fault mode of the local server: the
# right exit code and message, within the time budget, config untouched.
# Twice: through ksmd (as on a host where it runs), then in direct mode
# (no ksmd: ksmctl's own client).
. "$(dirname "$0")/lib.sh"

ksm_start_server "$TOP_SRC/tests/integration/vault-basic.json"
write_conf "timeout_sync = 2"
bind
expect_rc "bind" 0
cp "$T/client.json" "$T/client.good"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=other-ca -keyout "$T/other.key" -out "$T/other-ca.pem" 2>/dev/null

# faults PATH: every fault mode, with checks named "PATH: ..." (ksmd or
# direct). ksmd reads ksm.conf only at start: every change goes through
# write_conf, which restarts a running ksmd.
faults() {
	local p=$1 n clear_pid
	write_conf "timeout_sync = 2"
	reset_stats
	run_ksmctl secret list
	expect_rc "$p: list" 0
	check "$p: one get_secret request per list once bound" [ "$(req_gets)" = 1 ]

	fault refuse
	run_ksmctl secret list
	expect_rc "$p: refuse: network error" 4 "connect|refused"
	expect_within "$p: refuse: fails fast" 1500
	if [ "$p" = ksmd ]; then
		check "$p: the error came from ksmd (\"ksmd: \")" grep -q "ksmd: " <<<"$ERR"
	else
		check "$p: the error is ksmctl's own (no \"ksmd: \")" bash -c "! grep -q 'ksmd: ' <<<\"\$1\"" _ "$ERR"
	fi

	fault blackhole
	run_ksmctl secret list
	expect_rc "$p: blackhole: timeout" 4 "time budget|timed? ?out"
	expect_within "$p: blackhole: within the 2 s budget" 3000

	fault delay:4
	run_ksmctl secret list
	expect_rc "$p: delay over the budget: timeout" 4 "time budget|timed? ?out"
	expect_within "$p: delay over the budget: within the 2 s budget" 3000

	fault delay:0.5
	run_ksmctl secret list
	expect_rc "$p: delay under the budget: success" 0

	fault http500
	run_ksmctl secret list
	expect_rc "$p: http500: network-class error naming the status" 4 "HTTP 500"

	fault corrupt
	run_ksmctl secret list
	expect_rc "$p: corrupt body: protocol error" 1 "does not decrypt"

	fault bad-signature
	run_ksmctl secret list
	expect_rc "$p: bad signature: access denied" 5 "Signature is invalid"

	fault throttle
	run_ksmctl secret list
	expect_rc "$p: throttled beyond the budget: gives up at once" 4 "throttled"
	expect_within "$p: throttled: no wait past the budget" 1500

	write_conf "timeout_sync = 10"
	fault throttle:1
	reset_stats
	( sleep 1.6; admin fault none >/dev/null ) &
	clear_pid=$!
	run_ksmctl secret list
	wait "$clear_pid"
	expect_rc "$p: throttle with retry_after: backs off and succeeds" 0
	n=$(req_gets)
	# About one retry a second until the fault clears at 1.6 s; on a loaded
	# machine the clearing admin tool itself may start a second late.
	check "$p: throttle: retried (2 to 4 get_secret requests, got $n)" [ "$n" -ge 2 -a "$n" -le 4 ]
	expect_within "$p: throttle: back-off honours retry_after (about 1 s each)" 4500

	fault key
	reset_stats
	run_ksmctl secret list
	expect_rc "$p: key-id rejection: retried with a fresh key and succeeded" 0
	check "$p: key-id rejection: exactly one retry" [ "$(req_gets)" = 2 ]

	fault key:always
	run_ksmctl secret list
	expect_rc "$p: key-id rejected every time: bounded retries, then access-class error" 5 "rejected"
	fault none

	check "$p: failures left the client config as it was" cmp -s "$T/client.json" "$T/client.good"

	# A certificate from another CA is refused: TLS checks stay on (the
	# later ca_file line wins; write_conf restarts ksmd to read it).
	write_conf "ca_file = $T/other-ca.pem"
	run_ksmctl secret list
	expect_rc "$p: a server certificate from another CA is refused" 4 "TLS|certificate"
	write_conf
	run_ksmctl secret list
	expect_rc "$p: and the right CA works again" 0
}

faults ksmd
ksmd_stop
faults direct

finish
