/* SPDX-License-Identifier: MIT */
/*
 * test_totp.c - TOTP: the RFC 6238 table of docs/protocol.md (as the
 * SDKs test it) for SHA1/SHA256/SHA512, defaults, otpauth URL parsing and
 * its errors, and the verification window.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define S1   "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
#define S256 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
#define S512                                                                   \
	"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"     \
	"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA="

struct vector {
	time_t t;
	const char *sha1, *sha256, *sha512;
};

static const struct vector table[] = {
	{59, "94287082", "46119246", "90693936"},
	{1111111109, "07081804", "68084774", "25091201"},
	{1111111111, "14050471", "67062674", "99943326"},
	{1234567890, "89005924", "91819424", "93441116"},
	{2000000000, "69279037", "90698825", "38618901"},
	{20000000000LL, "65353130", "77737706", "47863826"},
};

static ksm_totp parse_ok(const char *url)
{
	ksm_totp t;
	ksm_error err = {0};

	if (ksm_totp_parse(url, &t, &err) != KSM_OK)
		fail_msg("parse '%s': %s", url, err.message);
	return t;
}

static void parse_bad(const char *url, const char *msg_part)
{
	ksm_totp t;
	ksm_error err = {0};

	if (ksm_totp_parse(url, &t, &err) == KSM_OK)
		fail_msg("parse '%s' should have failed", url);
	assert_int_equal(err.code, KSM_ERR_INVALID);
	if (msg_part && !strstr(err.message, msg_part))
		fail_msg("parse '%s': message '%s' lacks '%s'", url,
			 err.message, msg_part);
	assert_null(t.secret);
	assert_int_equal(t.secret_len, 0);
}

static void code_is(const char *url, time_t now, const char *want,
		    unsigned want_left)
{
	ksm_totp t = parse_ok(url);
	char code[16];
	unsigned left = 0;
	ksm_error err = {0};

	assert_int_equal(ksm_totp_code(&t, now, code, &left, &err), KSM_OK);
	assert_string_equal(code, want);
	if (want_left)
		assert_int_equal(left, want_left);
	ksm_totp_clear(&t);
}

static void test_rfc6238_table(void **state)
{
	char url[256];

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct vector *v = &table[i];

		snprintf(url, sizeof(url),
			 "otpauth://totp/TEST:root@example.com?secret=" S1
			 "&issuer=TEST&algorithm=SHA1&digits=8&period=30");
		code_is(url, v->t, v->sha1, v->t == 59 ? 1 : 0);
		snprintf(url, sizeof(url),
			 "otpauth://totp/TEST:root@example.com?secret=" S256
			 "&issuer=TEST&algorithm=SHA256&digits=8&period=30");
		code_is(url, v->t, v->sha256, v->t == 59 ? 1 : 0);
		snprintf(url, sizeof(url),
			 "otpauth://totp/TEST:root@example.com?secret=" S512
			 "&issuer=TEST&algorithm=SHA512&digits=8&period=30");
		code_is(url, v->t, v->sha512, v->t == 59 ? 1 : 0);
	}
}

static void test_defaults(void **state)
{
	ksm_totp t;

	(void)state;
	/* Empty algorithm -> SHA1. */
	code_is("otpauth://totp/x?secret=" S1 "&algorithm=&digits=8",
		20000000000LL, "65353130", 0);
	/* No algorithm, digits 0 -> 6. */
	code_is("otpauth://totp/x?secret=" S1 "&digits=0", 20000000000LL,
		"353130", 0);
	/* Period 0 -> 30. */
	code_is("otpauth://totp/x?secret=" S1 "&digits=8&period=0", 59,
		"94287082", 1);
	t = parse_ok("otpauth://totp/x?secret=" S1);
	assert_int_equal(t.alg, KSM_TOTP_SHA1);
	assert_int_equal(t.digits, 6);
	assert_int_equal(t.period, 30);
	assert_int_equal(t.secret_len, 20);
	assert_memory_equal(t.secret, "12345678901234567890", 20);
	ksm_totp_clear(&t);
	assert_null(t.secret);
	/* Six digits at t=59: the last 6 of the 8-digit code. */
	code_is("otpauth://totp/x?secret=" S1, 59, "287082", 1);
}

static void test_url_variants(void **state)
{
	ksm_totp t;

	(void)state;
	/* Lower-case secret, padding optional, case-insensitive names. */
	t = parse_ok("OTPAUTH://TOTP/x?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq"
		     "gezdgnbvgy3tqojqgeza&algorithm=sha256");
	assert_int_equal(t.secret_len, 32);
	assert_int_equal(t.alg, KSM_TOTP_SHA256);
	ksm_totp_clear(&t);
	t = parse_ok("otpauth://totp/x?secret=" S256 "====");
	assert_int_equal(t.secret_len, 32);
	ksm_totp_clear(&t);
	/* No label, percent-encoding, unknown keys, fragment, last wins. */
	t = parse_ok("otpauth://totp?image=http%3A%2F%2Fx&secret=AAAA"
		     "&secret=G%45ZA&period=60&digits=10&counter=5#frag");
	assert_int_equal(t.secret_len, 2);
	assert_memory_equal(t.secret, "12", 2);
	assert_int_equal(t.period, 60);
	assert_int_equal(t.digits, 10);
	ksm_totp_clear(&t);
	/* Pairs without '=' and blank values are ignored. */
	t = parse_ok("otpauth://totp/a%20b?flag&digits=&period=&secret=" S1
		     "&algorithm=SHA512&&");
	assert_int_equal(t.digits, 6);
	assert_int_equal(t.period, 30);
	assert_int_equal(t.alg, KSM_TOTP_SHA512);
	ksm_totp_clear(&t);
	/* Keys are case-sensitive (as in the SDKs): SECRET is not secret. */
	parse_bad("otpauth://totp/x?SECRET=" S1, "no secret");
}

static void test_ten_digits(void **state)
{
	ksm_totp t = parse_ok("otpauth://totp/x?secret=" S1 "&digits=10");
	char code[16];

	(void)state;
	/* 10 digits: the 31-bit value zero-padded. */
	assert_int_equal(ksm_totp_code(&t, 59, code, NULL, NULL), KSM_OK);
	assert_int_equal(strlen(code), 10);
	assert_string_equal(code + 2, "94287082");
	assert_true(ksm_totp_verify(&t, 59, code));
	ksm_totp_clear(&t);
	code_is("otpauth://totp/x?secret=" S1 "&digits=7", 59, "4287082", 1);
}

static void test_parse_errors(void **state)
{
	ksm_totp t;

	(void)state;
	parse_bad("", "otpauth://");
	parse_bad("http://totp/x?secret=" S1, "otpauth://");
	parse_bad("otpauth:/totp/x?secret=" S1, "otpauth://");
	parse_bad("otpauth://hotp/x?secret=" S1 "&counter=1", "HOTP");
	parse_bad("otpauth://totpx/x?secret=" S1, "otpauth://totp/");
	parse_bad("otpauth://totp/x", "no secret");
	parse_bad("otpauth://totp/x?secret=", "no secret");
	parse_bad("otpauth://totp/x#?secret=" S1, "no secret");
	parse_bad("otpauth://totp/x?issuer=a", "no secret");
	parse_bad("otpauth://totp/x?secret=GEZ1", "base32");
	parse_bad("otpauth://totp/x?secret=GEZ%20A", "base32");
	parse_bad("otpauth://totp/x?secret=G", "base32");
	parse_bad("otpauth://totp/x?secret=GEZ", "base32");
	parse_bad("otpauth://totp/x?secret=GEZDGN", "base32");
	parse_bad("otpauth://totp/x?secret====", "base32");
	parse_bad("otpauth://totp/x?secret=GE=ZA", "base32");
	parse_bad("otpauth://totp/x?secret=" S1 "&algorithm=MD5", "MD5");
	parse_bad("otpauth://totp/x?secret=" S1 "&algorithm=SHA384", "SHA384");
	parse_bad("otpauth://totp/x?secret=" S1 "&digits=5", "6 to 10");
	parse_bad("otpauth://totp/x?secret=" S1 "&digits=11", "6 to 10");
	parse_bad("otpauth://totp/x?secret=" S1 "&digits=six", "digits");
	parse_bad("otpauth://totp/x?secret=" S1 "&digits=-6", "digits");
	parse_bad("otpauth://totp/x?secret=" S1 "&digits=99999999999",
		  "digits");
	parse_bad("otpauth://totp/x?secret=" S1 "&period=abc", "period");
	parse_bad("otpauth://totp/x?secret=" S1 "&period=-30", "period");
	parse_bad("otpauth://totp/x?secret=" S1 "&period=99999999999",
		  "period");
	parse_bad("otpauth://totp/x?secret=" S1 "%", "encoding");
	parse_bad("otpauth://totp/x?secret=" S1 "%4", "encoding");
	parse_bad("otpauth://totp/x?secret=" S1 "%zz", "encoding");
	parse_bad("otpauth://totp/x?secret=" S1 "%00", "encoding");
	assert_int_equal(ksm_totp_parse(NULL, &t, NULL), KSM_ERR_INVALID);
	assert_int_equal(
		ksm_totp_parse("otpauth://totp/x?secret=" S1, NULL, NULL),
		KSM_ERR_INVALID);
}

static void test_code_errors(void **state)
{
	ksm_totp t = {0};
	char code[16];
	ksm_error err = {0};

	(void)state;
	assert_int_equal(ksm_totp_code(&t, 59, code, NULL, &err),
			 KSM_ERR_INVALID);
	assert_int_equal(ksm_totp_code(NULL, 59, code, NULL, &err),
			 KSM_ERR_INVALID);
	t = parse_ok("otpauth://totp/x?secret=" S1);
	assert_int_equal(ksm_totp_code(&t, -1, code, NULL, &err),
			 KSM_ERR_INVALID);
	t.digits = 11;
	assert_int_equal(ksm_totp_code(&t, 59, code, NULL, &err),
			 KSM_ERR_INVALID);
	assert_false(ksm_totp_verify(&t, 59, "287082"));
	ksm_totp_clear(&t);
	ksm_totp_clear(NULL);
}

static void test_time_left(void **state)
{
	ksm_totp t = parse_ok("otpauth://totp/x?secret=" S1 "&period=60");
	char code[16];
	unsigned left;

	(void)state;
	assert_int_equal(ksm_totp_code(&t, 0, code, &left, NULL), KSM_OK);
	assert_int_equal(left, 60);
	assert_int_equal(ksm_totp_code(&t, 59, code, &left, NULL), KSM_OK);
	assert_int_equal(left, 1);
	assert_int_equal(ksm_totp_code(&t, 60, code, &left, NULL), KSM_OK);
	assert_int_equal(left, 60);
	ksm_totp_clear(&t);
}

static void code_at(const ksm_totp *t, time_t now, char code[16])
{
	assert_int_equal(ksm_totp_code(t, now, code, NULL, NULL), KSM_OK);
}

static void test_verify_window(void **state)
{
	ksm_totp t = parse_ok("otpauth://totp/x?secret=" S1 "&digits=8");
	time_t now = 1111111111;
	char prev[16], cur[16], next[16], far_past[16], far_future[16];

	(void)state;
	code_at(&t, now - 30, prev);
	code_at(&t, now, cur);
	code_at(&t, now + 30, next);
	code_at(&t, now - 60, far_past);
	code_at(&t, now + 60, far_future);
	assert_string_equal(cur, "14050471");
	assert_true(ksm_totp_verify(&t, now, cur));
	assert_true(ksm_totp_verify(&t, now, prev));
	assert_true(ksm_totp_verify(&t, now, next));
	assert_false(ksm_totp_verify(&t, now, far_past));
	assert_false(ksm_totp_verify(&t, now, far_future));
	assert_false(ksm_totp_verify(&t, now, "00000000"));
	assert_false(ksm_totp_verify(&t, now, "1405047"));
	assert_false(ksm_totp_verify(&t, now, "140504711"));
	assert_false(ksm_totp_verify(&t, now, ""));
	assert_false(ksm_totp_verify(&t, now, NULL));
	assert_false(ksm_totp_verify(NULL, now, cur));
	/* At the epoch there is no previous step. */
	code_at(&t, 0, cur);
	assert_true(ksm_totp_verify(&t, 0, cur));
	code_at(&t, 30, next);
	assert_true(ksm_totp_verify(&t, 0, next));
	ksm_totp_clear(&t);
	/* The SHA512 seed from the table, t=59. */
	t = parse_ok("otpauth://totp/x?secret=" S512
		     "&algorithm=SHA512&digits=8");
	assert_true(ksm_totp_verify(&t, 59, "90693936"));
	assert_true(ksm_totp_verify(&t, 89, "90693936"));
	assert_false(ksm_totp_verify(&t, 90, "90693936"));
	ksm_totp_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_url_variants),
		cmocka_unit_test(test_ten_digits),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_code_errors),
		cmocka_unit_test(test_time_left),
		cmocka_unit_test(test_verify_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
