/* SPDX-License-Identifier: MIT */
/*
 * test_notation.c - Keeper notation parsing and selection.
 *
 * Ports the cases of the official SDK's notation tests (PYT/notation_test.py
 * test_notation_parser, test_get_notation_results, the custom-field-less
 * record and the modern forms of test_get_notation) plus the examples and
 * error cases of docs/protocol.md.
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

#include "record.h"

#define UID "AbCdEfGhIjKlMnOpQrStUv" /* 22 chars of the UID alphabet */

/* The SDK tests' special strings (raw and escaped forms). */
static const char special_title[] =
	"My Special Title /[]\\ , \" ' : ; <>!@#$%^&*()-=+_.";
static const char special_title_esc[] =
	"My Special Title \\/\\[\\]\\\\ , \" ' : ; <>!@#$%^&*()-=+_.";
static const char special_label[] =
	"My Label /[]\\ , \" ' : ; <>!@#$%^&*()-=+_[";
static const char special_label_esc[] =
	"My Label \\/\\[\\]\\\\ , \" ' : ; <>!@#$%^&*()-=+_\\[";
static const char special_value[] =
	"special text /[]\\ , \" ' : ; <>!@#$%^&*()-=+_.";

/* ------------------------------------------------------------- helpers */

static ksm_notation parse_ok(const char *text)
{
	ksm_notation n;
	ksm_error err = {0};
	ksm_status st = ksm_notation_parse(text, &n, &err);

	if (st != KSM_OK)
		fail_msg("parse '%s': %s", text, err.message);
	return n;
}

static void parse_bad(const char *text, const char *msg_part)
{
	ksm_notation n;
	ksm_error err = {0};

	if (ksm_notation_parse(text, &n, &err) == KSM_OK)
		fail_msg("parse '%s' should have failed", text);
	assert_int_equal(err.code, KSM_ERR_NOTATION);
	if (msg_part && !strstr(err.message, msg_part))
		fail_msg("parse '%s': message '%s' lacks '%s'", text,
			 err.message, msg_part);
	assert_null(n.record);
	assert_null(n.param);
	assert_null(n.index2);
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* idx1: -2 none, -1 "[]", >= 0 "[n]". */
static void check_parse(const char *text, const char *record, ksm_selector sel,
			const char *param, long idx1, const char *idx2)
{
	ksm_notation n = parse_ok(text);

	assert_string_equal(n.record, record);
	assert_int_equal(n.selector, sel);
	assert_str_or_null(n.param, param);
	assert_int_equal(n.has_index1, idx1 != -2);
	assert_int_equal(n.index1_all, idx1 == -1);
	if (idx1 >= 0)
		assert_int_equal(n.index1, (size_t)idx1);
	assert_str_or_null(n.index2, idx2);
	ksm_notation_clear(&n);
	assert_null(n.record);
}

static ksm_record *record_from(json_object *data)
{
	const char *s =
		json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN);
	ksm_record *r = NULL;
	ksm_error err = {0};

	if (ksm_record_parse(UID, s, strlen(s), &r, &err) != KSM_OK)
		fail_msg("record: %s", err.message);
	json_object_put(data);
	return r;
}

static void add_field(json_object *arr, const char *type, const char *label,
		      json_object *values)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "type", json_object_new_string(type));
	if (label)
		json_object_object_add(f, "label",
				       json_object_new_string(label));
	json_object_object_add(f, "value", values);
	json_object_array_add(arr, f);
}

static json_object *strs(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *str1(const char *v)
{
	return strs(&v, 1);
}

static json_object *parse_json(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

/* The "My Title" record of test_get_notation_results. */
static ksm_record *sdk_record(void)
{
	static const char *const custom2[] = {"one", "two", "three"};
	json_object *d = json_object_new_object();
	json_object *fields = json_object_new_array();
	json_object *custom = json_object_new_array();

	json_object_object_add(d, "title", json_object_new_string("My Title"));
	json_object_object_add(d, "type", json_object_new_string("login"));
	json_object_object_add(d, "notes", json_object_new_string("My Notes"));
	add_field(fields, "login", NULL, str1("My Login 1"));
	add_field(fields, "password", NULL, str1("My Password 1"));
	add_field(custom, "text", "My Custom 1", str1("custom1"));
	add_field(custom, "text", "My Custom 2", strs(custom2, 3));
	add_field(
		custom, "phone", NULL,
		parse_json("[{\"number\":\"555-5555555\",\"ext\":\"55\"},"
			   "{\"number\":\"777-7777777\",\"ext\":\"77\"},"
			   "{\"number\":\"888-8888888\",\"ext\":\"\","
			   "\"type\":\"Home\"},"
			   "{\"number\":\"999-9999999\",\"type\":\"Work\"}]"));
	add_field(custom, "name", NULL,
		  parse_json("[{\"first\":\"Jenny\",\"middle\":\"D\","
			     "\"last\":\"Smith\"},"
			     "{\"first\":\"Jennifer\",\"middle\":\"Doe\","
			     "\"last\":\"Smith\"}]"));
	add_field(custom, "text", "Dup", str1("a"));
	add_field(custom, "text", "Dup", str1("b"));
	add_field(custom, "text", "Empty", json_object_new_array());
	json_object_object_add(d, "fields", fields);
	json_object_object_add(d, "custom", custom);
	return record_from(d);
}

/* Select, expecting success and exactly the want[] values. */
static void select_ok(const ksm_record *r, const char *text,
		      const char *const *want, size_t nwant)
{
	ksm_notation n = parse_ok(text);
	ksm_error err = {0};
	char **v = NULL;
	size_t count = 99;

	if (ksm_notation_select(&n, r, &v, &count, &err) != KSM_OK)
		fail_msg("select '%s': %s", text, err.message);
	if (count != nwant)
		fail_msg("select '%s': %zu values, want %zu", text, count,
			 nwant);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(v[i], want[i]);
	ksm_strv_free(v, count);
	ksm_notation_clear(&n);
}

static void select_one(const ksm_record *r, const char *text, const char *want)
{
	select_ok(r, text, &want, 1);
}

static void select_bad(const ksm_record *r, const char *text, ksm_status want,
		       const char *msg_part)
{
	ksm_notation n = parse_ok(text);
	ksm_error err = {0};
	char **v = (char **)1;
	size_t count = 99;

	assert_int_equal(ksm_notation_select(&n, r, &v, &count, &err), want);
	assert_int_equal(err.code, want);
	assert_null(v);
	assert_int_equal(count, 0);
	if (msg_part && !strstr(err.message, msg_part))
		fail_msg("select '%s': message '%s' lacks '%s'", text,
			 err.message, msg_part);
	ksm_notation_clear(&n);
}

/* --------------------------------------------------------- parser tests */

/* PYT/notation_test.py test_notation_parser, one for one. */
static void test_sdk_parser_cases(void **state)
{
	(void)state;
	parse_bad("/file", "file selector needs a file name");
	parse_bad("/type/extra", "take no parameter");
	check_parse("/type", "", KSM_SEL_TYPE, NULL, -2, NULL);
	check_parse("/title", "", KSM_SEL_TITLE, NULL, -2, NULL);
	check_parse("/notes", "", KSM_SEL_NOTES, NULL, -2, NULL);
	check_parse("/file/filename.ext", "", KSM_SEL_FILE, "filename.ext", -2,
		    NULL);
	check_parse("/field/text", "", KSM_SEL_FIELD, "text", -2, NULL);
	check_parse("/custom_field/label with \\[[0][middle]", "",
		    KSM_SEL_CUSTOM_FIELD, "label with [", 0, "middle");
	check_parse(
		"title with \\[\\]\\//custom_field/label with \\[[0][middle]",
		"title with []/", KSM_SEL_CUSTOM_FIELD, "label with [", 0,
		"middle");
}

/* The notations of test_get_notation_results, parsed. */
static void test_sdk_result_notations(void **state)
{
	char buf[512];

	(void)state;
	check_parse("keeper://" UID "/field/login", UID, KSM_SEL_FIELD, "login",
		    -2, NULL);
	check_parse(UID "/field/login", UID, KSM_SEL_FIELD, "login", -2, NULL);
	check_parse("keeper://" UID "/field/login[0]", UID, KSM_SEL_FIELD,
		    "login", 0, NULL);
	check_parse("keeper://" UID "/field/login[1]", UID, KSM_SEL_FIELD,
		    "login", 1, NULL);
	check_parse("keeper://" UID "/custom_field/My Custom 1", UID,
		    KSM_SEL_CUSTOM_FIELD, "My Custom 1", -2, NULL);
	check_parse("keeper://" UID "/custom_field/My Custom 2[]", UID,
		    KSM_SEL_CUSTOM_FIELD, "My Custom 2", -1, NULL);
	check_parse("keeper://" UID "/custom_field/phone[0][number]", UID,
		    KSM_SEL_CUSTOM_FIELD, "phone", 0, "number");
	check_parse(UID "/custom_field/name[][middle]", UID,
		    KSM_SEL_CUSTOM_FIELD, "name", -1, "middle");
	check_parse("keeper://" UID "/type", UID, KSM_SEL_TYPE, NULL, -2, NULL);
	snprintf(buf, sizeof(buf), "keeper://%s/title", special_title_esc);
	check_parse(buf, special_title, KSM_SEL_TITLE, NULL, -2, NULL);
	snprintf(buf, sizeof(buf), "keeper://%s/custom_field/%s",
		 special_title_esc, special_label_esc);
	check_parse(buf, special_title, KSM_SEL_CUSTOM_FIELD, special_label, -2,
		    NULL);
	snprintf(buf, sizeof(buf), "keeper://%s/custom_field/%s[]",
		 special_title_esc, special_label_esc);
	check_parse(buf, special_title, KSM_SEL_CUSTOM_FIELD, special_label, -1,
		    NULL);
	/* Legacy-only form (test_get_notation): refused by the new parser. */
	parse_bad(UID "/custom_field/name[first]", "first index must be");
}

static void test_prefix_and_case(void **state)
{
	(void)state;
	check_parse("KEEPER://" UID "/FIELD/password", UID, KSM_SEL_FIELD,
		    "password", -2, NULL);
	check_parse("Keeper://x/Custom_Field/Login", "x", KSM_SEL_CUSTOM_FIELD,
		    "Login", -2, NULL);
	check_parse("x/TyPe", "x", KSM_SEL_TYPE, NULL, -2, NULL);
	check_parse("x/NOTES", "x", KSM_SEL_NOTES, NULL, -2, NULL);
	check_parse("x/File/A.TXT", "x", KSM_SEL_FILE, "A.TXT", -2, NULL);
	/* "keeper:/" is not the prefix: it is a record title "keeper:". */
	check_parse("keeper:/type", "keeper:", KSM_SEL_TYPE, NULL, -2, NULL);
	/* A lone trailing '/' after a short selector is tolerated (SDKs). */
	check_parse("x/title/", "x", KSM_SEL_TITLE, NULL, -2, NULL);
}

static void test_params_and_indexes(void **state)
{
	(void)state;
	/* '/' and ']' need no escape inside a parameter. */
	check_parse("x/field/a/b", "x", KSM_SEL_FIELD, "a/b", -2, NULL);
	check_parse("x/field/a]b", "x", KSM_SEL_FIELD, "a]b", -2, NULL);
	check_parse("x/file/dir/f.txt", "x", KSM_SEL_FILE, "dir/f.txt", -2,
		    NULL);
	check_parse("x/file/f\\[1\\].txt", "x", KSM_SEL_FILE, "f[1].txt", -2,
		    NULL);
	check_parse("x/field/url[]", "x", KSM_SEL_FIELD, "url", -1, NULL);
	check_parse("x/field/url[007]", "x", KSM_SEL_FIELD, "url", 7, NULL);
	/* "[n][]" is the whole value. */
	check_parse("x/field/phone[0][]", "x", KSM_SEL_FIELD, "phone", 0, NULL);
	check_parse("x/field/a[0][p\\]q\\[r\\/s]", "x", KSM_SEL_FIELD, "a", 0,
		    "p]q[r/s");
	check_parse("x/field/a[0][two words]", "x", KSM_SEL_FIELD, "a", 0,
		    "two words");
	/* An escaped backslash may end a parameter or an index. */
	check_parse("x/field/a\\\\[0][p\\\\]", "x", KSM_SEL_FIELD, "a\\", 0,
		    "p\\");
	check_parse("a\\\\b/type", "a\\b", KSM_SEL_TYPE, NULL, -2, NULL);
	/* Non-ASCII titles pass through. */
	check_parse("Zürich ✓/title", "Zürich ✓", KSM_SEL_TITLE, NULL, -2,
		    NULL);
}

static void test_base64_form(void **state)
{
	ksm_notation n;
	ksm_error err = {0};
	const char *plain = "keeper://" UID "/custom_field/phone[0][number]";
	char *b64;

	(void)state;
	b64 = ksm_b64_encode((const uint8_t *)plain, strlen(plain), true);
	assert_non_null(b64);
	assert_null(strchr(b64, '/'));
	check_parse(b64, UID, KSM_SEL_CUSTOM_FIELD, "phone", 0, "number");
	free(b64);
	/* Padded is fine too (decoder is lenient). */
	b64 = ksm_b64_encode((const uint8_t *)"x/type", 6, false);
	assert_non_null(b64);
	check_parse(b64, "x", KSM_SEL_TYPE, NULL, -2, NULL);
	free(b64);
	/* Decodes, but to a notation without a selector. */
	b64 = ksm_b64_encode((const uint8_t *)"justtext", 8, true);
	assert_non_null(b64);
	parse_bad(b64, "selector");
	free(b64);
	parse_bad("not base64!", "base64url");
	parse_bad("A", "base64url");
	/* Invalid UTF-8 after decoding (0xff 0xfe). */
	parse_bad("__4", "base64url");
	/* NUL after decoding. */
	parse_bad("AAAA", "base64url");
	assert_int_equal(ksm_notation_parse("eC90eXBl", &n, &err), KSM_OK);
	assert_string_equal(n.record, "x");
	ksm_notation_clear(&n);
}

static void test_parse_errors(void **state)
{
	ksm_notation n;

	(void)state;
	parse_bad("", "empty");
	parse_bad("keeper://", "missing record");
	parse_bad("KEEPER://", "missing record");
	parse_bad("x/", "missing selector");
	parse_bad("a\\/b", "missing '/'"); /* only an escaped '/' */
	parse_bad("title\\/only/", "missing selector");
	parse_bad("x/bogus", "unknown selector 'bogus'");
	parse_bad("x/fields/login", "unknown selector");
	parse_bad("x/type/extra", "take no parameter");
	parse_bad("x/notes/a/b", "position 8");
	parse_bad("x/field", "needs a field type");
	parse_bad("x/field/", "needs a field type");
	parse_bad("x/field/[0]", "needs a field type");
	parse_bad("x/custom_field", "needs a field type");
	parse_bad("x/file", "needs a file name");
	parse_bad("x/file/", "needs a file name");
	parse_bad("x/file/a[0]", "no index");
	parse_bad("x/file/a[", "no index");
	parse_bad("x/field/a[", "not closed");
	parse_bad("x/field/a[0", "not closed");
	parse_bad("x/field/a[0][b", "not closed");
	parse_bad("x/field/a[0\\]", "not closed");
	parse_bad("x/field/a[x]", "first index must be");
	parse_bad("x/field/a[-1]", "first index must be");
	parse_bad("x/field/a[ 1]", "first index must be");
	parse_bad("x/field/a[99999999999999999999999999]", "too large");
	parse_bad("x/field/a[0]x", "unexpected text after the first index");
	parse_bad("x/field/a[0][b]c", "extra characters");
	parse_bad("x/field/a[0][b][c]", "extra characters");
	parse_bad("x/field/a[[0]]", "'[' inside an index");
	parse_bad("x/field/a[0][[b]]", "'[' inside an index");
	parse_bad("x\\y/type", "invalid escape sequence at position 1");
	parse_bad("x/field/a\\n", "invalid escape sequence at position 9");
	parse_bad("x/field/a\\", "incomplete escape");
	parse_bad("x\\", "base64url");
	parse_bad("x\\/type\\", "incomplete escape");
	parse_bad("x/field/a[0][b\\x]", "invalid escape");
	/* Errors leave the output cleared; NULL output is refused. */
	assert_int_equal(ksm_notation_parse("x/type", NULL, NULL),
			 KSM_ERR_INVALID);
	assert_int_equal(ksm_notation_parse(NULL, &n, NULL), KSM_ERR_NOTATION);
	assert_null(n.record);
	ksm_notation_clear(NULL);
}

static void test_record_is_uid(void **state)
{
	ksm_notation n = {0};

	(void)state;
	assert_false(ksm_notation_record_is_uid(&n));
	n = parse_ok(UID "/type");
	assert_true(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	n = parse_ok("L-b-Ijj9rqd-3spgNZiZWA/type");
	assert_true(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	n = parse_ok("L-b-Ijj9rqd-3spgNZiZW/type"); /* 21 */
	assert_false(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	n = parse_ok("L-b-Ijj9rqd-3spgNZiZWAx/type"); /* 23 */
	assert_false(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	n = parse_ok("L-b-Ijj9rqd-3spgNZiZ+A/type");
	assert_false(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	n = parse_ok("My Server Title/type");
	assert_false(ksm_notation_record_is_uid(&n));
	ksm_notation_clear(&n);
	assert_false(ksm_notation_record_is_uid(NULL));
}

/* ------------------------------------------------------ selection tests */

/* PYT/notation_test.py test_get_notation_results, against one record. */
static void test_sdk_results(void **state)
{
	static const char *const all3[] = {"one", "two", "three"};
	static const char *const middles[] = {"D", "Doe"};
	ksm_record *r = sdk_record();

	(void)state;
	select_one(r, "keeper://" UID "/field/login", "My Login 1");
	select_one(r, UID "/field/login", "My Login 1");
	select_one(r, "keeper://" UID "/field/login[0]", "My Login 1");
	select_bad(r, "keeper://" UID "/field/login[1]", KSM_ERR_NOT_FOUND,
		   "index out of bounds");
	select_one(r, "keeper://" UID "/custom_field/My Custom 1", "custom1");
	select_ok(r, "keeper://" UID "/custom_field/My Custom 2[]", all3, 3);
	select_ok(r, "keeper://" UID "/custom_field/My Custom 2", all3, 3);
	select_one(r, "keeper://" UID "/custom_field/My Custom 2[1]", "two");
	select_one(r, "keeper://" UID "/custom_field/phone[0][number]",
		   "555-5555555");
	select_one(r, "keeper://" UID "/custom_field/phone[1][number]",
		   "777-7777777");
	/* Compact JSON (as the JS SDK; Python adds spaces). */
	select_one(r, "keeper://" UID "/custom_field/phone[2]",
		   "{\"number\":\"888-8888888\",\"ext\":\"\","
		   "\"type\":\"Home\"}");
	select_one(r, UID "/custom_field/name[0][first]", "Jenny");
	select_ok(r, UID "/custom_field/name[][middle]", middles, 2);
	select_one(r, "keeper://" UID "/type", "login");
	select_one(r, "keeper://" UID "/title", "My Title");
	select_one(r, "keeper://" UID "/notes", "My Notes");
	ksm_record_free(r);
}

static void test_select_more(void **state)
{
	static const char *const types[] = {"Home", "Work"};
	static const char *const exts[] = {"55", "77", ""};
	ksm_record *r = sdk_record();
	ksm_notation n;
	char **v;
	size_t count;
	ksm_error err = {0};

	(void)state;
	/* Values without the property are skipped. */
	select_ok(r, "x/custom_field/phone[][type]", types, 2);
	select_ok(r, "x/custom_field/phone[][ext]", exts, 3);
	select_ok(r, "x/custom_field/phone[3][ext]", NULL, 0);
	/* Property of a string value: nothing. */
	select_ok(r, "x/custom_field/My Custom 2[][p]", NULL, 0);
	select_one(r, "x/custom_field/name[1][]",
		   "{\"first\":\"Jennifer\",\"middle\":\"Doe\","
		   "\"last\":\"Smith\"}");
	select_ok(r, "x/custom_field/Empty", NULL, 0);
	select_ok(r, "x/custom_field/Empty[]", NULL, 0);
	select_bad(r, "x/custom_field/Empty[0]", KSM_ERR_NOT_FOUND,
		   "out of bounds");
	select_bad(r, "x/custom_field/Dup", KSM_ERR_AMBIGUOUS, "Dup");
	select_bad(r, "x/custom_field/nope", KSM_ERR_NOT_FOUND, "nope");
	/* Sections are separate; match is exact. */
	select_bad(r, "x/field/My Custom 1", KSM_ERR_NOT_FOUND, NULL);
	select_bad(r, "x/custom_field/login", KSM_ERR_NOT_FOUND, NULL);
	select_bad(r, "x/field/Login", KSM_ERR_NOT_FOUND, NULL);
	/* By type: "text" is the type of several custom fields. */
	select_bad(r, "x/custom_field/text", KSM_ERR_AMBIGUOUS, NULL);
	select_one(r, "x/field/password", "My Password 1");
	/* File notations are not for select. */
	n = parse_ok("x/file/a.txt");
	assert_int_equal(ksm_notation_select(&n, r, &v, &count, &err),
			 KSM_ERR_INVALID);
	ksm_notation_clear(&n);
	ksm_record_free(r);
}

/* test_secrets_manager_custom_field: a record without "custom". */
static void test_record_without_custom(void **state)
{
	static const char json[] =
		"{\"type\":\"login\",\"title\":\"T\",\"fields\":["
		"{\"type\":\"login\",\"value\":[\"My Login 1\"]}]}";
	ksm_record *r = NULL;

	(void)state;
	assert_int_equal(ksm_record_parse(UID, json, strlen(json), &r, NULL),
			 KSM_OK);
	select_bad(r, UID "/custom_field/My Custom 1", KSM_ERR_NOT_FOUND,
		   "My Custom 1");
	/* No notes: no value. */
	select_ok(r, UID "/notes", NULL, 0);
	select_one(r, UID "/field/login", "My Login 1");
	ksm_record_free(r);
}

/* The special-character record of test_get_notation_results. */
static void test_special_characters(void **state)
{
	json_object *d = json_object_new_object();
	json_object *custom = json_object_new_array();
	ksm_record *r;
	char buf[512];

	(void)state;
	json_object_object_add(d, "title",
			       json_object_new_string(special_title));
	json_object_object_add(d, "type", json_object_new_string("file"));
	add_field(custom, "text", special_label, str1(special_value));
	json_object_object_add(d, "custom", custom);
	r = record_from(d);
	snprintf(buf, sizeof(buf), "keeper://%s/type", special_title_esc);
	select_one(r, buf, "file");
	snprintf(buf, sizeof(buf), "keeper://%s/title", special_title_esc);
	select_one(r, buf, special_title);
	snprintf(buf, sizeof(buf), "keeper://%s/custom_field/%s",
		 special_title_esc, special_label_esc);
	select_one(r, buf, special_value);
	snprintf(buf, sizeof(buf), "keeper://%s/custom_field/%s[]",
		 special_title_esc, special_label_esc);
	select_one(r, buf, special_value);
	ksm_record_free(r);
}

/* docs/protocol.md's notation examples on an sshKeys-like record. */
static void test_protocol_examples(void **state)
{
	static const char json[] =
		"{\"type\":\"sshKeys\",\"title\":\"My Server Title\","
		"\"fields\":["
		"{\"type\":\"password\",\"value\":[\"S3cr3t!\"]},"
		"{\"type\":\"url\",\"value\":[\"https://a\",\"https://b\"]},"
		"{\"type\":\"keyPair\",\"value\":[{\"publicKey\":\"ssh-rsa "
		"AA\","
		"\"privateKey\":\"-----BEGIN-----\"}]},"
		"{\"type\":\"checkbox\",\"value\":[false]},"
		"{\"type\":\"host\",\"value\":[{\"hostName\":\"h\","
		"\"port\":\"22\"}]}]}";
	static const char *const urls[] = {"https://a", "https://b"};
	ksm_record *r = NULL;

	(void)state;
	assert_int_equal(ksm_record_parse(UID, json, strlen(json), &r, NULL),
			 KSM_OK);
	select_one(r, "keeper://" UID "/field/password", "S3cr3t!");
	select_ok(r, UID "/field/url[]", urls, 2);
	select_one(r, UID "/field/url[0]", "https://a");
	select_one(r, "My Server Title/field/keyPair[0][privateKey]",
		   "-----BEGIN-----");
	select_one(r, "x/field/checkbox", "false");
	select_one(r, "x/field/host[0][port]", "22");
	select_one(r, "x/field/host", "{\"hostName\":\"h\",\"port\":\"22\"}");
	ksm_record_free(r);
}

static void test_find_file(void **state)
{
	static const char json[] = "{\"title\":\"T\"}";
	ksm_record *r = NULL;
	const ksm_file *f;
	ksm_notation n;
	ksm_error err = {0};

	(void)state;
	assert_int_equal(ksm_record_parse(UID, json, strlen(json), &r, NULL),
			 KSM_OK);
	n = parse_ok(UID "/file/id_rsa.pub");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err),
			 KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "no file attachments"));
	ksm_notation_clear(&n);

	r->files = calloc(3, sizeof(*r->files));
	assert_non_null(r->files);
	r->n_files = 3;
	r->files[0].uid = strdup("FILE0");
	r->files[0].name = strdup("id_rsa.pub");
	r->files[0].title = strdup("Public key");
	r->files[1].uid = strdup("FILE1");
	r->files[1].name = strdup("same");
	r->files[2].uid = strdup("FILE2");
	r->files[2].title = strdup("same");

	n = parse_ok(UID "/file/id_rsa.pub");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err), KSM_OK);
	assert_ptr_equal(f, &r->files[0]);
	ksm_notation_clear(&n);
	n = parse_ok(UID "/file/Public key");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err), KSM_OK);
	assert_ptr_equal(f, &r->files[0]);
	ksm_notation_clear(&n);
	n = parse_ok(UID "/file/FILE1");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err), KSM_OK);
	assert_ptr_equal(f, &r->files[1]);
	ksm_notation_clear(&n);
	n = parse_ok(UID "/file/same");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err),
			 KSM_ERR_AMBIGUOUS);
	assert_null(f);
	ksm_notation_clear(&n);
	n = parse_ok(UID "/file/other");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err),
			 KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "other"));
	ksm_notation_clear(&n);
	n = parse_ok(UID "/field/login");
	assert_int_equal(ksm_notation_find_file(&n, r, &f, &err),
			 KSM_ERR_INVALID);
	ksm_notation_clear(&n);
	ksm_record_free(r);
}

/* ksm_notation_scan: where a notation inside other text ends. */
static void scan_ok(const char *text, ksm_scan_form form, size_t want_used,
		    const char *record, const char *param)
{
	ksm_notation n;
	ksm_error err = {0};
	size_t used = 99;

	if (ksm_notation_scan(text, strlen(text), form, &n, &used, &err) !=
	    KSM_OK)
		fail_msg("scan '%s': %s", text, err.message);
	assert_int_equal(used, want_used);
	assert_string_equal(n.record, record);
	assert_str_or_null(n.param, param);
	ksm_notation_clear(&n);
}

static void scan_bad(const char *text, ksm_scan_form form)
{
	ksm_notation n;
	ksm_error err = {0};
	size_t used = 99;

	assert_int_not_equal(
		ksm_notation_scan(text, strlen(text), form, &n, &used, &err),
		KSM_OK);
	assert_int_equal(used, 0);
	assert_null(n.record);
	assert_true(err.message[0]);
}

static void test_scan(void **state)
{
	(void)state;
	/* Bare: whitespace, quotes and the stop characters end it. */
	scan_ok("keeper://" UID "/field/password rest", KSM_SCAN_BARE, 46, UID,
		"password");
	scan_ok("keeper://db/field/host:5432", KSM_SCAN_BARE, 22, "db", "host");
	scan_ok("KEEPER://db/field/user@host", KSM_SCAN_BARE, 22, "db", "user");
	scan_ok("keeper://db/field/pw\"", KSM_SCAN_BARE, 20, "db", "pw");
	scan_ok("keeper://db/field/pw:-x", KSM_SCAN_BARE, 20, "db", "pw");
	scan_ok("keeper://db/field/pw|base64", KSM_SCAN_BARE, 20, "db", "pw");
	scan_ok("keeper://db/field/pw</p>", KSM_SCAN_BARE, 20, "db", "pw");
	scan_ok("keeper://db/title rest", KSM_SCAN_BARE, 17, "db", NULL);
	/* Escapes never end it; indexes are part of it. */
	scan_ok("keeper://a\\/b/field/name[0][first];", KSM_SCAN_BARE, 34,
		"a/b", "name");
	/* Braced: spaces, ':' and quotes are text; '}', '|', ":-" end it. */
	scan_ok("keeper://My Title/field/pass: word}", KSM_SCAN_BRACED, 34,
		"My Title", "pass: word");
	scan_ok("keeper://t/field/a:b:-c}", KSM_SCAN_BRACED, 20, "t", "a:b");
	scan_ok("keeper://t/custom_field/\"x\"|trim}", KSM_SCAN_BRACED, 27, "t",
		"\"x\"");
	scan_ok("keeper://t/field/a\nb}", KSM_SCAN_BRACED, 18, "t", "a");
	/* A NUL byte ends both forms. */
	{
		static const char nul[] = "keeper://t/field/a\0b";
		ksm_notation n;
		size_t used;

		assert_int_equal(ksm_notation_scan(nul, sizeof(nul) - 1,
						   KSM_SCAN_BRACED, &n, &used,
						   NULL),
				 KSM_OK);
		assert_int_equal(used, 18);
		ksm_notation_clear(&n);
	}
	scan_bad("keeper://docs for more", KSM_SCAN_BARE);
	scan_bad("keeper://My Title/field/password", KSM_SCAN_BARE);
	scan_bad("keeper://x/field/a\\ b", KSM_SCAN_BARE);
	scan_bad("keeper://x/field/", KSM_SCAN_BARE);
	scan_bad("http://x/field/y", KSM_SCAN_BARE);
	scan_bad("keeper:/", KSM_SCAN_BRACED);
}

static void test_query(void **state)
{
	ksm_notation ns[3];
	const char *uids[3];
	ksm_query q;

	(void)state;
	ns[0] = parse_ok(UID "/field/a");
	ns[1] = parse_ok("keeper://" UID "/field/b");
	ns[2] = parse_ok("OtherRecordUid00000000/notes");
	assert_ptr_equal(ksm_notation_query(ns, 3, uids, &q), &q);
	assert_int_equal(q.n_record_uids, 2); /* the same UID once */
	assert_string_equal(q.record_uids[0], UID);
	assert_string_equal(q.record_uids[1], "OtherRecordUid00000000");
	ksm_notation_clear(&ns[2]);
	ns[2] = parse_ok("a title/notes");
	assert_null(ksm_notation_query(ns, 3, uids, &q));
	for (int i = 0; i < 3; i++)
		ksm_notation_clear(&ns[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sdk_parser_cases),
		cmocka_unit_test(test_sdk_result_notations),
		cmocka_unit_test(test_prefix_and_case),
		cmocka_unit_test(test_params_and_indexes),
		cmocka_unit_test(test_base64_form),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_record_is_uid),
		cmocka_unit_test(test_sdk_results),
		cmocka_unit_test(test_select_more),
		cmocka_unit_test(test_record_without_custom),
		cmocka_unit_test(test_special_characters),
		cmocka_unit_test(test_protocol_examples),
		cmocka_unit_test(test_find_file),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
