# SPDX-License-Identifier: MIT
# Integration tests: bash scripts against the local KSM server.
# test_sshd.sh and test_sshd_pem.sh load our programs into a system sshd,
# test_explain.sh nss_ksm into getent: not sanitized.
INTEGRATION_OWN_TESTS = tests/integration/test_ksmctl.sh \
	tests/integration/test_faults.sh tests/integration/test_api.sh \
	tests/integration/test_sync.sh tests/integration/test_keys.sh \
	tests/integration/test_hostile.sh tests/integration/test_proxy.sh \
	tests/integration/test_enroll.sh tests/integration/test_metrics.sh \
	tests/integration/test_status.sh tests/integration/test_interpolate.sh \
	tests/integration/test_ksmctl_records.sh tests/integration/test_demo_vault.sh \
	tests/integration/test_uids.sh tests/integration/test_sync_guard.sh \
	tests/integration/test_max_response.sh
# test_check.sh runs system programs (sshd -T) with our NSS module in
# place, test_explain.sh getent, test_unenroll.sh sshd -t and
# pam-auth-update: not sanitized either.
INTEGRATION_TESTS = $(INTEGRATION_OWN_TESTS) tests/integration/test_sshd.sh \
	tests/integration/test_sshd_pem.sh tests/integration/test_check.sh \
	tests/integration/test_explain.sh tests/integration/test_sshd_keeperpam.sh \
	tests/integration/test_unenroll.sh
TESTS += $(INTEGRATION_TESTS)
SANITIZER_TESTS += $(INTEGRATION_OWN_TESTS)
ROOT_TESTS += tests/integration/test_sshd.sh tests/integration/test_sshd_pem.sh \
	tests/integration/test_check.sh tests/integration/test_explain.sh \
	tests/integration/test_sshd_keeperpam.sh \
	tests/integration/test_unenroll.sh
check_PROGRAMS += tests/integration/api_client
tests_integration_api_client_SOURCES = tests/integration/api_client.c
tests_integration_api_client_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_PUBLIC)
tests_integration_api_client_LDADD = libksm.la
# test_demo_vault.sh reads the demo's sample vault.
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh demo/vault.json \
	tests/integration/vault-basic.json tests/integration/vault-cli.json \
	tests/integration/mkvault.py \
	tests/integration/mkhostile.py tests/integration/mkuidvault.py
