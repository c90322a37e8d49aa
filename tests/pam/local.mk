# SPDX-License-Identifier: MIT
# pam_ksm tests: a libpam harness (pam_start_confdir with a test
# confdir), a free() interposer that catches unwiped secrets, and bash
# scripts for libpam, real sudo, real sshd, valgrind. The scripts that need
# root or mount namespaces exit 77 (skip) without them. test_sshd_stacks.sh
# and test_su_sudo_stacks.sh log in through every documented PAM stack
# (the docs' own text, tests/lib/pamdocs.sh, and the pam-auth-update
# profiles) with every fault that must not lock out root or local users.
check_PROGRAMS += tests/pam/pam_harness
tests_pam_pam_harness_SOURCES = tests/pam/pam_harness.c
# libcrypt loaded at start: ASan's crypt_r interceptor cannot find it when
# only the dlopened module pulls it in (a NULL call under ASan otherwise).
tests_pam_pam_harness_LDADD = -lpam -lkeyutils -lcrypt
tests_pam_pam_harness_LDFLAGS = -Wl,--no-as-needed

# LD_PRELOAD'ed by test_pam_valgrind.sh; -rpath makes libtool build a
# shared module although it is never installed.
# pam_ksm_probe.so is a test-only PAM module that reports pam_ksm's PAM data.
check_LTLIBRARIES = tests/pam/freecheck.la tests/pam/pam_ksm_probe.la
tests_pam_freecheck_la_SOURCES = tests/pam/freecheck.c
tests_pam_freecheck_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_pam_freecheck_la_LIBADD = -ldl
tests_pam_pam_ksm_probe_la_SOURCES = tests/pam/pam_ksm_probe.c
tests_pam_pam_ksm_probe_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_pam_pam_ksm_probe_la_LIBADD = -lpam

PAM_TESTS = tests/pam/test_pam_symbols.sh tests/pam/test_pam.sh tests/pam/test_sudo.sh \
	tests/pam/test_boundary.sh \
	tests/pam/test_sshd_pam.sh tests/pam/test_pam_valgrind.sh \
	tests/pam/test_sshd_stacks.sh tests/pam/test_su_sudo_stacks.sh
TESTS += $(PAM_TESTS)
# test_pam.sh runs our harness; sudo, sshd and valgrind are not sanitized.
SANITIZER_TESTS += tests/pam/test_pam.sh
ROOT_TESTS += tests/pam/test_pam.sh tests/pam/test_sudo.sh tests/pam/test_boundary.sh \
	tests/pam/test_sshd_pam.sh tests/pam/test_pam_valgrind.sh \
	tests/pam/test_sshd_stacks.sh tests/pam/test_su_sudo_stacks.sh
EXTRA_DIST += $(PAM_TESTS) tests/pam/lib.sh tests/pam/stacks.sh tests/pam/mkvault.py \
	tests/pam/totp.py tests/pam/valgrind.supp bench/run-pam.sh
