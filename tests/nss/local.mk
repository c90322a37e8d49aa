# SPDX-License-Identifier: MIT
# Tests: bash scripts (exported symbols, direct calls, nss_wrapper, real
# glibc in a mount namespace, threads, ksmctl sync end to end) and their
# helper programs. Snapshots come from tests/nss/mksnap.py, a writer
# independent of ksm-core (and from ksmctl sync in test_nss_sync.sh).
check_PROGRAMS += tests/nss/nss_probe tests/nss/nss_threads
tests_nss_nss_probe_SOURCES = tests/nss/nss_probe.c
tests_nss_nss_probe_LDADD = -ldl
tests_nss_nss_threads_SOURCES = tests/nss/nss_threads.c
tests_nss_nss_threads_LDADD = -ldl
NSS_TESTS = tests/nss/test_nss_symbols.sh tests/nss/test_nss_module.sh \
	tests/nss/test_nss_wrapper.sh tests/nss/test_nss_glibc.sh \
	tests/nss/test_nss_threads.sh tests/nss/test_nss_sync.sh
TESTS += $(NSS_TESTS)
# Our own programs (nss_probe, nss_threads, ksmctl): sanitized too.
SANITIZER_TESTS += tests/nss/test_nss_module.sh tests/nss/test_nss_threads.sh \
	tests/nss/test_nss_sync.sh
ROOT_TESTS += tests/nss/test_nss_glibc.sh
EXTRA_DIST += $(NSS_TESTS) tests/nss/lib.sh tests/nss/mksnap.py \
	tests/nss/users.json
