# SPDX-License-Identifier: MIT
# lib.sh - the load tests' helpers (sourced, bash), on top of tests/lib:
# common.sh (ok/fail/check/finish, $T, run), server.sh (the local server,
# req_gets/req_total/reset_stats, fault), namespace.sh (need_root_ns,
# setup_system_ns), syslog.sh (private_dev_log, log_mark), sshd.sh (a real
# sshd) and pam.sh (pam_service; libpam is driven by load_driver, not the
# harness).
#
# The vault is tests/load/mkvault.py: LOAD_USERS users load000.., whose
# names, passwords, uids and record UIDs are in $T/users.tsv (read with
# user_field; passwords never go through argv).

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KSM_PAM_NO_HARNESS=1
. "$srcdir/tests/lib/common.sh"
. "$srcdir/tests/lib/server.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/syslog.sh"
. "$srcdir/tests/lib/sshd.sh"
. "$srcdir/tests/lib/pam.sh"

DRIVER="$builddir/tests/load/load_driver"
LOADDIR="$TOP_SRC/tests/load"
USERS_TSV="$T/users.tsv"
[ -x "$DRIVER" ] || { echo "not built: $DRIVER (make check or make tests/load/load_driver)"; exit 99; }

# The test's own inputs that hold passwords go at exit, even when the state
# is kept (KEEP_TMP): what is left for tests/leak-sweep.sh to search is
# what our programs wrote.
load_cleanup() {
	rm -f "$USERS_TSV" "$T"/spec-*
	cleanup
}
trap load_cleanup EXIT

# make_vault N [KEYDIR]: $T/vault.json and $T/users.tsv.
make_vault() {
	"$PY" "$LOADDIR/mkvault.py" "$T/vault.json" "$USERS_TSV" "$@" || exit 99
}
# user_field I COLUMN: column (1 name, 2 password, 3 uid, 4 record) of user I.
user_field() { awk -F'\t' -v i=$(($1 + 1)) -v c="$2" 'NR == i {print $c}' "$USERS_TSV"; }
uname_of() { printf 'load%03d' "$1"; }

# count_log ERE: lines of the syslog since log_mark that match.
count_log() { log_since | grep -cE -- "$1"; }

# wait_log ERE N: wait (at most 5 s) until N lines since log_mark match;
# the syslog listener may lag behind a burst a little.
wait_log() {
	local i
	for i in $(seq 1 100); do
		[ "$(count_log "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# elapsed_ms T0_NS: milliseconds since $(date +%s%N) was T0_NS.
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

# figure LINE: a "# " line that the summary (run.sh) collects.
figure() { echo "# figure: $*"; }
