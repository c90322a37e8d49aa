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
