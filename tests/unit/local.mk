# SPDX-License-Identifier: MIT
# Unit tests (cmocka): each links every internal layer of ksm-core.
if HAVE_CMOCKA
TEST_UNIT_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_ACCOUNTS)
TEST_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS)
TEST_UNIT_LIBS = $(KSM_LIBS_INTERNAL) $(CMOCKA_LIBS)
UNIT_TESTS = tests/unit/test_crypto tests/unit/test_record \
	tests/unit/test_notation tests/unit/test_totp \
	tests/unit/test_transcript tests/unit/test_config \
	tests/unit/test_accounts tests/unit/test_template \
	tests/unit/test_links tests/unit/test_privkey tests/unit/test_sync_rules \
	tests/unit/test_host_scope tests/unit/test_jval
check_PROGRAMS += $(UNIT_TESTS)
# The local users and groups of the tests that turn records into accounts.
UNIT_LOCAL_DB = tests/unit/local_db_fixture.c tests/unit/local_db_fixture.h
TESTS += $(UNIT_TESTS)
SANITIZER_TESTS += $(UNIT_TESTS)
tests_unit_test_crypto_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_crypto_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_crypto_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_record_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_record_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_record_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_jval_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_jval_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_jval_LDADD = $(TEST_UNIT_LIBS)
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
tests_unit_test_accounts_SOURCES = tests/unit/test_accounts.c $(UNIT_LOCAL_DB)
tests_unit_test_accounts_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_accounts_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_accounts_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_sync_rules_SOURCES = tests/unit/test_sync_rules.c $(UNIT_LOCAL_DB)
tests_unit_test_sync_rules_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_sync_rules_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_sync_rules_LDADD = $(TEST_UNIT_LIBS)
# The templates of ksmctl interpolate: a tools/ source, libcrypto digests.
tests_unit_test_template_SOURCES = tests/unit/test_template.c \
	tools/ksmctl_template.c
tests_unit_test_template_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_template_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_template_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_links_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_links_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_links_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_host_scope_SOURCES = tests/unit/test_host_scope.c $(UNIT_LOCAL_DB)
tests_unit_test_host_scope_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_host_scope_CFLAGS = $(TEST_UNIT_CFLAGS)
tests_unit_test_host_scope_LDADD = $(TEST_UNIT_LIBS)
tests_unit_test_privkey_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_unit_test_privkey_CFLAGS = $(TEST_UNIT_CFLAGS) -DSRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_privkey_LDADD = $(TEST_UNIT_LIBS)
endif
EXTRA_DIST += tests/vectors/ksm-real-transcript.json tests/vectors/README.md
# The test keys (tests/vectors/keys/make-keys.sh writes them).
EXTRA_DIST += \
	tests/vectors/keys/PASSPHRASE \
	tests/vectors/keys/bad-dsa.key \
	tests/vectors/keys/bad-ed448.key \
	tests/vectors/keys/bad-pbkdf2-rounds.key \
	tests/vectors/keys/bad-secp256k1.key \
	tests/vectors/keys/ecdsa256-openssh.fp \
	tests/vectors/keys/ecdsa256-openssh.key \
	tests/vectors/keys/ecdsa256-openssh.pub \
	tests/vectors/keys/ecdsa256-pkcs8-scrypt-enc.fp \
	tests/vectors/keys/ecdsa256-pkcs8-scrypt-enc.key \
	tests/vectors/keys/ecdsa256-pkcs8-scrypt-enc.pub \
	tests/vectors/keys/ecdsa256-pkcs8.fp \
	tests/vectors/keys/ecdsa256-pkcs8.key \
	tests/vectors/keys/ecdsa256-pkcs8.pub \
	tests/vectors/keys/ecdsa256-sec1.fp \
	tests/vectors/keys/ecdsa256-sec1.key \
	tests/vectors/keys/ecdsa256-sec1.pub \
	tests/vectors/keys/ecdsa384-openssh.fp \
	tests/vectors/keys/ecdsa384-openssh.key \
	tests/vectors/keys/ecdsa384-openssh.pub \
	tests/vectors/keys/ecdsa384-sec1-enc.fp \
	tests/vectors/keys/ecdsa384-sec1-enc.key \
	tests/vectors/keys/ecdsa384-sec1-enc.pub \
	tests/vectors/keys/ecdsa521-openssh-enc.fp \
	tests/vectors/keys/ecdsa521-openssh-enc.key \
	tests/vectors/keys/ecdsa521-openssh-enc.pub \
	tests/vectors/keys/ecdsa521-pkcs8-enc.fp \
	tests/vectors/keys/ecdsa521-pkcs8-enc.key \
	tests/vectors/keys/ecdsa521-pkcs8-enc.pub \
	tests/vectors/keys/ecdsa521-sec1-nopub.fp \
	tests/vectors/keys/ecdsa521-sec1-nopub.key \
	tests/vectors/keys/ecdsa521-sec1-nopub.pub \
	tests/vectors/keys/ed25519-openssh-enc.fp \
	tests/vectors/keys/ed25519-openssh-enc.key \
	tests/vectors/keys/ed25519-openssh-enc.pub \
	tests/vectors/keys/ed25519-openssh.fp \
	tests/vectors/keys/ed25519-openssh.key \
	tests/vectors/keys/ed25519-openssh.pub \
	tests/vectors/keys/ed25519-pkcs8-enc.fp \
	tests/vectors/keys/ed25519-pkcs8-enc.key \
	tests/vectors/keys/ed25519-pkcs8-enc.pub \
	tests/vectors/keys/ed25519-pkcs8.fp \
	tests/vectors/keys/ed25519-pkcs8.key \
	tests/vectors/keys/ed25519-pkcs8.pub \
	tests/vectors/keys/make-keys.sh \
	tests/vectors/keys/rsa-openssh-enc.fp \
	tests/vectors/keys/rsa-openssh-enc.key \
	tests/vectors/keys/rsa-openssh-enc.pub \
	tests/vectors/keys/rsa-openssh.fp \
	tests/vectors/keys/rsa-openssh.key \
	tests/vectors/keys/rsa-openssh.pub \
	tests/vectors/keys/rsa-pkcs1-enc.fp \
	tests/vectors/keys/rsa-pkcs1-enc.key \
	tests/vectors/keys/rsa-pkcs1-enc.pub \
	tests/vectors/keys/rsa-pkcs1.fp \
	tests/vectors/keys/rsa-pkcs1.key \
	tests/vectors/keys/rsa-pkcs1.pub \
	tests/vectors/keys/rsa-pkcs8-enc.fp \
	tests/vectors/keys/rsa-pkcs8-enc.key \
	tests/vectors/keys/rsa-pkcs8-enc.pub \
	tests/vectors/keys/rsa-pkcs8.fp \
	tests/vectors/keys/rsa-pkcs8.key \
	tests/vectors/keys/rsa-pkcs8.pub
