# SPDX-License-Identifier: MIT
# Unit tests (cmocka): each links every internal layer of ksm-core.
if HAVE_CMOCKA
TEST_UNIT_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_ACCOUNTS)
TEST_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS)
TEST_UNIT_LIBS = $(KSM_LIBS_INTERNAL) $(CMOCKA_LIBS)
UNIT_TESTS = tests/unit/test_crypto tests/unit/test_record \
	tests/unit/test_notation tests/unit/test_totp \
	tests/unit/test_transcript tests/unit/test_config \
	tests/unit/test_accounts tests/unit/test_sync_rules
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
SANITIZER_TESTS += $(UNIT_TESTS)
tests_unit_test_crypto_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_crypto_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_crypto_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_record_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_record_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_record_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_notation_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_notation_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_notation_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_totp_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_totp_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_totp_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_transcript_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_transcript_CFLAGS = $(TEST_UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_transcript_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_config_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_config_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_accounts_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_accounts_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_accounts_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_sync_rules_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_sync_rules_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_sync_rules_LDADD = $(TEST_UNIT_LIBS)
endif
EXTRA_DIST += tests/vectors/ksm-real-transcript.json tests/vectors/README.md
