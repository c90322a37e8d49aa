#!/bin/bash
# SPDX-License-Identifier: MIT
# test_nss_symbols.sh - the shape of libnss_ksm.so.2: its name and soname,
# exactly the _nss_ksm_* entry points exported, libc its only dependency
# (no libcrypto, libcurl, json-c, keyutils), hardening (RELRO, BIND_NOW,
# stack protector, no executable stack), and no calls it must never make
# (exit, printing, syslog, network, threads of its own).
. "$(dirname "$0")/lib.sh"

WANT="_nss_ksm_endgrent
_nss_ksm_endpwent
_nss_ksm_getgrent_r
_nss_ksm_getgrgid_r
_nss_ksm_getgrnam_r
_nss_ksm_getpwent_r
_nss_ksm_getpwnam_r
_nss_ksm_getpwuid_r
_nss_ksm_initgroups_dyn
_nss_ksm_setgrent
_nss_ksm_setpwent"

got=$(nm -D --defined-only "$MOD" | awk '{print $3}' | sort)
if [ "$got" = "$WANT" ]; then
	ok "exports exactly the 11 _nss_ksm_* entry points"
else
	fail "exported symbols differ: $(diff <(echo "$WANT") <(echo "$got") | tr '\n' ' ')"
fi

if [ -n "$SAN_PRELOAD" ]; then
	# ASan+UBSan build: the runtime libraries and their hooks are expected.
	echo "# sanitizer build: dependency and import checks skipped"
	finish
	exit
fi

run readelf -d "$MOD"
expect_line "soname libnss_ksm.so.2" \
	" 0x000000000000000e (SONAME)             Library soname: [libnss_ksm.so.2]"
needed=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$OUT" | tr '\n' ' ')
if [ "$needed" = "libc.so.6 " ]; then ok "NEEDED: libc.so.6 only"; else fail "NEEDED: $needed"; fi
if grep -q 'BIND_NOW' <<<"$OUT" || grep -q 'Flags: NOW' <<<"$OUT"; then ok "BIND_NOW"; else fail "no BIND_NOW"; fi

run ldd "$MOD"
others=$(grep -vE '^\s*(linux-vdso\.so\.1|libc\.so\.6|/lib.*/ld-linux[^ ]*\.so\.[0-9]+) ' <<<"$OUT")
if [ "$RC" -eq 0 ] && [ -z "$others" ]; then
	ok "ldd: libc only"
else
	fail "ldd shows more than libc: $others"
fi

run readelf -lW "$MOD"
if grep -q 'GNU_RELRO' <<<"$OUT"; then ok "RELRO segment"; else fail "no GNU_RELRO"; fi
if grep -E 'GNU_STACK' <<<"$OUT" | grep -q 'RWE'; then fail "executable stack"; else ok "no executable stack"; fi

undef=$(nm -D --undefined-only "$MOD" | awk '{print $2}' | sed 's/@.*//')
if grep -qx '__stack_chk_fail' <<<"$undef"; then ok "built with the stack protector"; else fail "no __stack_chk_fail"; fi
forbidden=$(grep -xE 'exit|_exit|_Exit|abort|printf|fprintf|vfprintf|puts|fputs|putchar|perror|write|syslog|vsyslog|openlog|socket|connect|dlopen|pthread_create|fork|system|popen|malloc|calloc|free|getenv|setenv|fopen' <<<"$undef" | tr '\n' ' ')
if [ -z "$forbidden" ]; then
	ok "no exit, printing, logging, network, threads, getenv or heap but realloc"
else
	fail "imports it must not use: $forbidden"
fi
if grep -qx 'secure_getenv' <<<"$undef"; then ok "the test override goes through secure_getenv"; else fail "no secure_getenv"; fi

# The compiled-in path is the default of ksm.conf's snapshot option.
if strings "$MOD" | grep -qx '/var/lib/ksm/snapshot'; then ok "compiled-in path /var/lib/ksm/snapshot"; else fail "snapshot path not compiled in"; fi

finish
