# Unit tests (cmocka) and integration tests.
if HAVE_CMOCKA
TEST_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS)
TEST_UNIT_LIBS = libksmcore.la $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_crypto
tests_unit_test_crypto_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_crypto_LDADD = $(TEST_UNIT_LIBS)
TESTS += tests/unit/test_crypto
endif
include tests/unit/records.mk

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_transcript
tests_unit_test_transcript_CFLAGS = $(TEST_UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_transcript_LDADD = $(TEST_UNIT_LIBS)
TESTS += tests/unit/test_transcript
endif
EXTRA_DIST += tests/vectors/ksm-real-transcript.json tests/vectors/README.md

# Integration tests: bash scripts against the local KSM server.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(BASH)
AM_TESTS_ENVIRONMENT = srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)'; export srcdir builddir;
TESTS += tests/integration/test_ksmctl.sh tests/integration/test_faults.sh \
	tests/integration/test_api.sh tests/integration/test_sync.sh \
	tests/integration/test_keys.sh tests/integration/test_sshd.sh \
	tests/integration/test_hostile.sh
check_PROGRAMS += tests/integration/api_client
tests_integration_api_client_SOURCES = tests/integration/api_client.c
tests_integration_api_client_LDADD = libksm.la

# Whole directories; dist-hook drops what is generated in them.
EXTRA_DIST += tests/integration/lib.sh tests/integration/vault-basic.json \
	tests/integration/test_ksmctl.sh tests/integration/test_faults.sh \
	tests/integration/test_api.sh tests/integration/test_sync.sh \
	tests/integration/test_keys.sh tests/integration/test_sshd.sh tests/integration/mkvault.py \
	tests/integration/test_hostile.sh tests/integration/mkhostile.py tests/server tests/interop tests/fuzz tests/run-all.sh tests/leak-sweep.sh tests/install-deps.sh
dist-hook:
	rm -rf $(distdir)/tests/interop/node_modules
	find $(distdir)/tests -name __pycache__ -prune -exec rm -rf {} +
	rm -rf $(distdir)/tests/fuzz/crashes

# The scripts are not built, so their log directory must be made.

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_UNIT_LIBS)
TESTS += tests/unit/test_config
endif

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_accounts
tests_unit_test_accounts_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_accounts_LDADD = $(TEST_UNIT_LIBS)
TESTS += tests/unit/test_accounts
endif
