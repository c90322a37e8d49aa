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
