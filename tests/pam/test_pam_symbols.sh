#!/bin/bash
# SPDX-License-Identifier: MIT
# test_pam_symbols.sh - pam_ksm.so exports exactly the PAM service functions
# (version script), checked with nm and by dlopen, and as a thin client of
# ksmd it needs only libpam, libkeyutils and libc (docs/design.md, "Parts
# and what they link": no libksm, libcurl, OpenSSL, json-c or libcrypt);
# libksm.so exports only what ksm.h declares.
set -u
: "${builddir:=$(pwd)}"
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
MOD="$builddir/.libs/pam_ksm.so"
LIB="$builddir/.libs/libksm.so.0"
# shellcheck source=../lib/checks.sh
. "$srcdir/tests/lib/checks.sh"

want="pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred"
got=$(nm -D --defined-only "$MOD" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort | tr '\n' ' ' | sed 's/ $//')
check "pam_ksm.so exports exactly the pam_sm_* functions (got: $got)" [ "$got" = "$want" ]
check "dlopen finds every entry point and no internal symbol" /usr/bin/python3 - "$MOD" <<'PY'
import ctypes, sys
m = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_LOCAL)
for f in ("pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
          "pam_sm_open_session", "pam_sm_close_session", "pam_sm_chauthtok"):
    getattr(m, f)
for f in ("pam_ksm_parse_args", "pam_ksm_user_load", "pam_ksm_keyring_install",
          "ksm_snap_open", "ksm_set_error"):
    try:
        getattr(m, f)
    except AttributeError:
        continue
    sys.exit("internal symbol exported: " + f)
PY
# (A sanitizer build adds its runtimes.)
needed=$(readelf -d "$MOD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -vE '^lib(a|ub|t|l)san\.' |
	sort | tr '\n' ' ' | sed 's/ $//')
check "pam_ksm.so needs only libc, libkeyutils and libpam (NEEDED: $needed)" \
	[ "$needed" = "libc.so.6 libkeyutils.so.1 libpam.so.0" ]
check "pam_ksm.so has RELRO and BIND_NOW" bash -c "readelf -d '$MOD' | grep -q BIND_NOW && readelf -lW '$MOD' | grep -q GNU_RELRO"

# libksm: every exported function is declared in ksm.h.
exported=$(nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort)
missing=""
for f in $exported; do
	grep -qE "\\b$f\\(" "$srcdir/ksm-core/include/ksm.h" || missing="$missing $f"
done
check "libksm.so exports only ksm.h's functions (extra:${missing:- none})" [ -z "$missing" ]
check "libksm.so exports no non-ksm_ symbol" bash -c "! nm -D --defined-only '$LIB' | awk '\$2 == \"T\" {print \$3}' | grep -v '^ksm_'"

finish
