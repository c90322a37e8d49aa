# SPDX-License-Identifier: MIT
# lib.sh - the nss_ksm tests' helpers (sourced, bash), on top of tests/lib:
# common.sh (ok/fail/check/finish, $T, run), server.sh (the local server,
# for test_nss_sync.sh) and nss.sh (the module, nss_probe, snapshots).

: "${srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=../lib/common.sh
. "$srcdir/tests/lib/common.sh"
# shellcheck source=../lib/server.sh
. "$srcdir/tests/lib/server.sh"
# shellcheck source=../lib/nss.sh
. "$srcdir/tests/lib/nss.sh"

# corrupt_copy IN OUT OFFSET: flip one byte.
corrupt_copy() {
	"$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
o = int(sys.argv[3])
d[o] ^= 0xFF
open(sys.argv[2], "wb").write(d)
PYEOF
}

# string_offset SNAPSHOT STRING: where STRING's first byte is in the
# snapshot's strings (to damage an entry that holds it).
string_offset() {
	"$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d.index(b"\0" + sys.argv[2].encode() + b"\0") + 1)' "$1" "$2"
}

# expect_line DESCRIPTION LINE: stdout contains LINE as a whole line.
expect_line() {
	if grep -qxF -- "$2" <<<"$OUT"; then
		ok "$1"
	else
		fail "$1 (no line '$2' in: $(head -c 400 <<<"$OUT"); rc $RC; stderr: $ERR)"
	fi
}
