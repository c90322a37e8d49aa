# SPDX-License-Identifier: MIT
# Load tests: concurrent pam_ksm authentications through libpam,
# concurrent ssh logins through a real sshd, sequential keys-helper calls,
# fd/RSS/heap stability of long-lived PAM and NSS consumers. Heavy, so not
# part of make check: tests/load/run.sh (a step of tests/run-all.sh) runs
# them. make check only builds the driver.
check_PROGRAMS += tests/load/load_driver
tests_load_load_driver_SOURCES = tests/load/load_driver.c
tests_load_load_driver_LDADD = -lpam -ldl
LOAD_TESTS = tests/load/test_load_pam.sh tests/load/test_load_sshd.sh \
	tests/load/test_load_ratelimit.sh \
	tests/load/test_load_keys.sh tests/load/test_load_nss.sh \
	tests/load/test_load_ksmd.sh
EXTRA_DIST += $(LOAD_TESTS) tests/load/run.sh tests/load/lib.sh \
	tests/load/mkvault.py
