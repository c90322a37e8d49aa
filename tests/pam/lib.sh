# SPDX-License-Identifier: MIT
# lib.sh - the pam_ksm tests' helpers (sourced, bash), on top of tests/lib:
# common.sh (ok/fail/check/finish, $T, run), server.sh (the local server),
# namespace.sh (need_root_ns, setup_system_ns), syslog.sh (the /dev/log
# capture), sshd.sh (a real sshd), pam.sh (the harness, pam_service, pam)
# and pamvault.sh (the vault of tests/pam/mkvault.py and its secrets).

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
. "$srcdir/tests/lib/common.sh"
. "$srcdir/tests/lib/server.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/syslog.sh"
. "$srcdir/tests/lib/sshd.sh"
. "$srcdir/tests/lib/pam.sh"
. "$srcdir/tests/lib/pamvault.sh"

FREECHECK="$builddir/tests/pam/.libs/freecheck.so"

# expect_pam DESCRIPTION OP PAM_NAME [MAX_MS]: the last harness run printed
# "OP: PAM_NAME: ..." (and took at most MAX_MS).
expect_pam() {
	local what=$1 op=$2 want=$3 max=${4:-}
	if ! grep -qE "^$op: $want:" <<<"$OUT"; then
		fail "$what (wanted $op: $want; got: $(grep -E '^[a-z]+: PAM_' <<<"$OUT" | tr '\n' ' ')$ERR)"
	elif [ -n "$max" ] && [ "$MS" -gt "$max" ]; then
		fail "$what (${MS} ms > $max ms)"
	else
		ok "$what (${MS} ms)"
	fi
}
# expect_line DESCRIPTION ERE: a line of the last harness output matches.
expect_line() {
	if grep -qE -- "$2" <<<"$OUT"; then ok "$1"; else fail "$1 (no /$2/ in: $(head -c 600 <<<"$OUT") $ERR)"; fi
}

totp_now() { "$PY" "$PAMDIR/totp.py" "$TOTP_SECRET" "${1:-0}"; }

# sshd_vault_view KEYNAME...: ed25519 keys $T/KEYNAME (and .pub) and the
# host key $T/hostkey, the vault of mkvault.py with alice's and gina's
# keys, the test server on it, and the system view for a real sshd
# (setup_system_ns, sshd_system_dirs).
sshd_vault_view() {
	local n
	for n in "$@"; do
		ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
	done
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99
	"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" "$T" || exit 99
	ksm_start_server "$T/vault.json"
	setup_system_ns
	sshd_system_dirs
}
