/* SPDX-License-Identifier: MIT */
/*
 * test_jval.c - the compact JSON values records are held in (jval.h):
 * parsing, json-c's forms on output, repeated keys, escapes, depth,
 * refusals with their offset, edits, and the json-c converter.
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

#include "json.h"
#include "jval.h"

static ksm_jdoc *parse_ok(const char *text)
{
	ksm_jdoc *d = NULL;
	ksm_error err = {0};

	assert_int_equal(ksm_jdoc_parse(text, strlen(text), &d, &err), KSM_OK);
	assert_non_null(d);
	return d;
}

/* text parses and writes out as want, which json-c writes too. */
static void round_trip(const char *text, const char *want)
{
	ksm_jdoc *d = parse_ok(text);
	json_object *o = NULL;
	char *ours = ksm_jv_dup(ksm_jdoc_root(d)), *theirs;

	assert_string_equal(ours, want);
	assert_int_equal(ksm_json_parse(text, strlen(text), &o, NULL), KSM_OK);
	theirs = ksm_json_dup(o);
	assert_string_equal(theirs, want);
	free(ours);
	free(theirs);
	json_object_put(o);
	ksm_jdoc_free(d);
}

static void refused(const char *text, const char *msg)
{
	ksm_jdoc *d = (ksm_jdoc *)1;
	ksm_error err = {0};

	assert_int_equal(ksm_jdoc_parse(text, strlen(text), &d, &err),
			 KSM_ERR_INVALID);
	assert_null(d);
	if (!strstr(err.message, msg))
		fail_msg("'%s': got '%s', want '%s'", text, err.message, msg);
}

static void test_values(void **state)
{
	(void)state;
	round_trip("{\"a\":[1,-2,3.50,1e5,-0.0,true,false,null,\"x\"]}",
		   "{\"a\":[1,-2,3.50,1e5,-0.0,true,false,null,\"x\"]}");
	round_trip("  {} ", "{}");
	round_trip("[[],{},[[]]]", "[[],{},[[]]]");
	/* Integers as json-c reads them: -0 is 0, saturated beyond 64 bits. */
	round_trip("[-0,9223372036854775808,99999999999999999999,"
		   "-99999999999999999999]",
		   "[0,9223372036854775808,18446744073709551615,"
		   "-9223372036854775808]");
	/* Padding after the value, as the server sends records. */
	round_trip("{\"t\":\"x\"}          \n\t\r", "{\"t\":\"x\"}");
}

static void test_strings(void **state)
{
	(void)state;
	round_trip("[\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
		   "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
	round_trip("[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\\u001f\\u007f\"]",
		   "[\"/\\b\\f\\n\\r\\t\\\"\\\\\\u001f\x7f\"]");
	/* Lone surrogates are U+FFFD, as json-c makes them. */
	round_trip("[\"\\ud800\",\"\\udc00x\",\"\\ud800\\u0041\"]",
		   "[\"\xef\xbf\xbd\",\"\xef\xbf\xbdx\",\"\xef\xbf\xbd"
		   "A\"]");
	/* Raw control characters in strings pass (json-c takes them). */
	round_trip("[\"a\x01\tb\"]", "[\"a\\u0001\\tb\"]");
	/* A NUL inside a value stays, with its length. */
	{
		ksm_jdoc *d = parse_ok("{\"k\":[\"a\\u0000b\"]}");
		const ksm_jv *v =
			ksm_jv_at(ksm_jv_get(ksm_jdoc_root(d), "k"), 0);

		assert_int_equal(v->len, 3);
		assert_true(ksm_jv_has_nul(ksm_jdoc_root(d)));
		ksm_jdoc_free(d);
	}
}

static void test_repeated_keys(void **state)
{
	ksm_jdoc *d;
	char big[4096] = "{";
	size_t n = 1;

	(void)state;
	/* The first place, the last value (json-c, JavaScript). */
	round_trip("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}");
	/* Keys end at a NUL, as json-c's C-string keys. */
	round_trip("{\"a\\u0000b\":1,\"a\":2}", "{\"a\":2}");
	/* More than 16 members: the sorted path. */
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d",
				      i ? "," : "", i % 20, i);
	snprintf(big + n, sizeof(big) - n, "}");
	d = parse_ok(big);
	assert_int_equal(ksm_jdoc_root(d)->len, 20);
	assert_string_equal(ksm_jv_get(ksm_jdoc_root(d), "k0")->u.s, "20");
	assert_string_equal(ksm_jv_get(ksm_jdoc_root(d), "k19")->u.s, "39");
	assert_string_equal(ksm_jdoc_root(d)->u.v[0].u.s, "k0");
	ksm_jdoc_free(d);
}

static void test_refusals(void **state)
{
	char deep[200];

	(void)state;
	refused("", "text ends early");
	refused("{\"a\":", "text ends early");
	refused("[\"abc", "text ends early");
	refused("[1,]", "near offset 3: unexpected character");
	refused("{\"a\":1,}", "near offset 7: a quoted member name expected");
	refused("{a:1}", "near offset 1: a quoted member name expected");
	refused("[1 2]", "near offset 3: ',' or ']' expected");
	refused("{\"a\" 1}", "':' expected");
	refused("[1] x", "near offset 4: unexpected data after the value");
	refused("[01]", "near offset 1: bad number");
	refused("[1.]", "near offset 1: bad number");
	refused("[-]", "bad number");
	refused("[1e]", "bad number");
	refused("[NaN]", "bad literal");
	refused("[tru]", "near offset 1: bad literal");
	refused("[\"\\x\"]", "near offset 2: invalid escape");
	refused("[\"\\u12G4\"]", "invalid \\u escape");
	refused("[\"\xc3\"]", "invalid UTF-8");
	refused("[\"\xff\"]", "invalid UTF-8");
	refused("\f[]", "unexpected character");
	{
		ksm_jdoc *d = NULL;
		ksm_error err = {0};

		assert_int_equal(ksm_jdoc_parse("[1,\0]", 5, &d, &err),
				 KSM_ERR_INVALID);
		assert_non_null(strstr(err.message, "NUL byte at offset 3"));
	}
	/* 64 nested arrays pass, a value inside them does not. */
	memset(deep, '[', 64);
	memset(deep + 64, ']', 64);
	deep[128] = '\0';
	ksm_jdoc_free(parse_ok(deep));
	memset(deep, '[', 64);
	deep[64] = '1';
	memset(deep + 65, ']', 64);
	deep[129] = '\0';
	refused(deep, "nesting too deep");
}

static void test_edits(void **state)
{
	ksm_jdoc *d = parse_ok("{\"v\":[\"old\",{\"x\":\"y\"}],\"e\":[]}");
	ksm_jv *root = (ksm_jv *)ksm_jdoc_root(d);
	ksm_jv *v = ksm_jv_get(root, "v"), *e = ksm_jv_get(root, "e");
	size_t before = ksm_jdoc_size(d);
	char *t;

	(void)state;
	assert_true(ksm_jdoc_set_str(d, ksm_jv_at(v, 0), "new\n"));
	assert_true(ksm_jdoc_set_str(d, ksm_jv_at(v, 1), "flat"));
	assert_true(ksm_jdoc_append_str(d, e, "one"));
	assert_true(ksm_jdoc_append_str(d, e, "two"));
	assert_true(ksm_jdoc_size(d) > before);
	t = ksm_jv_dup(root);
	assert_string_equal(t, "{\"v\":[\"new\\n\",\"flat\"],\"e\":[\"one\","
			       "\"two\"]}");
	free(t);
	t = ksm_jv_text(ksm_jv_at(v, 0));
	assert_string_equal(t, "new\n");
	free(t);
	t = ksm_jv_text(root);
	assert_non_null(strstr(t, "\"flat\""));
	free(t);
	ksm_jdoc_free(d);
}

static void test_accessors_and_jsonc(void **state)
{
	const char *text = "{\"s\":\"x\",\"n\":5,\"a\":[1,\"2\"],\"o\":{}}";
	ksm_jdoc *d = parse_ok(text), *c = NULL;
	json_object *o = NULL;
	const ksm_jv *r = ksm_jdoc_root(d);
	char *a, *b;

	(void)state;
	assert_string_equal(ksm_jv_str(r, "s"), "x");
	assert_null(ksm_jv_str(r, "n"));
	assert_null(ksm_jv_get(r, "missing"));
	assert_null(ksm_jv_get(ksm_jv_get(r, "a"), "s"));
	assert_int_equal(ksm_jv_count(ksm_jv_get(r, "a")), 2);
	assert_int_equal(ksm_jv_count(r), 0);
	assert_null(ksm_jv_at(ksm_jv_get(r, "a"), 2));
	assert_false(ksm_jv_has_nul(r));
	a = ksm_jv_dup(NULL);
	assert_string_equal(a, "null");
	free(a);
	assert_int_equal(ksm_json_parse(text, strlen(text), &o, NULL), KSM_OK);
	assert_int_equal(ksm_jdoc_from_jsonc(o, &c), KSM_OK);
	a = ksm_jv_dup(ksm_jdoc_root(c));
	b = ksm_jv_dup(r);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_object_put(o);
	ksm_jdoc_free(c);
	ksm_jdoc_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_edits),
		cmocka_unit_test(test_accessors_and_jsonc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
