# Unit tests of the record model, notation and TOTP (records work).
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_record tests/unit/test_notation \
	tests/unit/test_totp
tests_unit_test_record_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_record_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_notation_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_notation_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_totp_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_totp_LDADD = $(TEST_UNIT_LIBS)
TESTS += tests/unit/test_record tests/unit/test_notation \
	tests/unit/test_totp
endif
