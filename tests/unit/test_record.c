/* SPDX-License-Identifier: MIT */
/*
 * test_record.c - record parsing, shape checks and the public accessors:
 * every field value shape of docs/protocol.md, its real record
 * plaintext, and malformed input.
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

/* Record "L-b-Ijj9rqd-3spgNZiZWA" of the real transcript, as decrypted,
 * without its padding (the test pads it back to 384 bytes). */
static const char real_record2[] =
	"{\"title\":\"RECoRD 2\",\"type\":\"login\",\"fields\":["
	"{\"type\":\"passkey\",\"value\":[]},"
	"{\"type\":\"login\",\"value\":[\"login value\"]},"
	"{\"type\":\"password\",\"value\":[\"Lex1S++Wx6g^,LC.(Vp<\"]},"
	"{\"type\":\"url\",\"value\":[\"https://g\"]},"
	"{\"type\":\"fileRef\",\"value\":[]},"
	"{\"type\":\"oneTimeCode\",\"value\":[]}],"
	"\"custom\":[],\"notes\":\"h\"}";

/* One field of every shape a Linux login may meet. */
static const char all_shapes[] =
	"{\"type\":\"pamUser\",\"title\":\"Shapes\",\"notes\":\"n/otes\","
	"\"fields\":["
	"{\"type\":\"login\",\"value\":[\"alice\"]},"
	"{\"type\":\"password\",\"value\":[\"p@ss/w\\\"rd\"],"
	"\"enforceGeneration\":true,\"complexity\":{\"length\":20,"
	"\"caps\":1,\"lowercase\":1,\"digits\":1,\"special\":1}},"
	"{\"type\":\"secret\",\"label\":\"Private PEM Key\",\"value\":"
	"[\"-----BEGIN KEY-----\\nAAA\\n-----END KEY-----\\n\"]},"
	"{\"type\":\"keyPair\",\"value\":[{\"publicKey\":\"ssh-ed25519 AAAA\","
	"\"privateKey\":\"-----BEGIN OPENSSH PRIVATE KEY-----\"}]},"
	"{\"type\":\"host\",\"value\":[{\"hostName\":\"db.example\","
	"\"port\":\"5432\"}]},"
	"{\"type\":\"pamHostname\",\"value\":[{\"hostName\":\"10.0.0.1\","
	"\"port\":\"22\"}]},"
	"{\"type\":\"oneTimeCode\",\"value\":[\"otpauth://totp/"
	"x?secret=GEZA\"]},"
	"{\"type\":\"url\",\"value\":[\"https://a\",\"https://b\"]},"
	"{\"type\":\"fileRef\",\"value\":[\"f1uid\",\"f2uid\"]},"
	"{\"type\":\"script\",\"label\":\"Rotation Scripts\",\"value\":"
	"[{\"fileRef\":\"f1uid\",\"command\":\"/bin/rot\","
	"\"recordRef\":[\"r1\"]}]},"
	"{\"type\":\"checkbox\",\"label\":\"Managed\",\"value\":[true]},"
	"{\"type\":\"passkey\",\"value\":[{\"privateKey\":{\"crv\":\"P-256\","
	"\"d\":\"dd\",\"ext\":true,\"key_ops\":[\"sign\"],\"kty\":\"EC\","
	"\"x\":\"xx\",\"y\":\"yy\"},\"credentialId\":\"cid\",\"signCount\":3,"
	"\"userId\":\"uid\",\"relyingParty\":\"rp\",\"username\":\"u\","
	"\"createdDate\":1700000000000}]},"
	"{\"type\":\"multiline\",\"value\":[]},"
	"{\"type\":\"text\",\"label\":\"Dup\",\"value\":[\"a\"]},"
	"{\"type\":\"text\",\"label\":\"Dup\",\"value\":[\"b\"]}"
	"],\"custom\":["
	"{\"type\":\"text\",\"label\":\"env\",\"value\":[\"prod\"]},"
	"{\"type\":\"text\",\"label\":\"login\",\"value\":[\"custom-login\"]},"
	"{\"type\":\"phone\",\"value\":[null,{\"number\":\"555\"}]}"
	"]}";

static ksm_record *parse_ok(const char *json, size_t len)
{
	ksm_record *r = NULL;
	ksm_error err = {0};

	assert_int_equal(ksm_record_parse("UID", json, len, &r, &err), KSM_OK);
	assert_non_null(r);
	return r;
}

/* Parse must fail with code and a non-empty message. */
static void parse_bad(const char *json, size_t len, ksm_status want)
{
	ksm_record *r = (ksm_record *)1;
	ksm_error err = {0};

	assert_int_equal(ksm_record_parse("BADUID", json, len, &r, &err), want);
	assert_null(r);
	assert_int_equal(err.code, want);
	assert_true(strlen(err.message) > 0);
	assert_non_null(strstr(err.message, "BADUID"));
}

static void assert_text(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	ksm_free_secret(got);
}

static const ksm_field *field(const ksm_record *r, ksm_section s,
			      const char *name)
{
	const ksm_field *f = NULL;

	assert_int_equal(ksm_record_find_field(r, s, name, &f), KSM_OK);
	assert_non_null(f);
	return f;
}

static void test_real_record(void **state)
{
	char buf[385];
	const ksm_field *f;
	ksm_record *r;
	size_t len = strlen(real_record2);

	(void)state;
	memset(buf, ' ', 384);
	memcpy(buf, real_record2, len);
	buf[384] = '\0';
	r = parse_ok(buf, 384);
	assert_string_equal(ksm_record_uid(r), "UID");
	assert_string_equal(ksm_record_title(r), "RECoRD 2");
	assert_string_equal(ksm_record_type(r), "login");
	assert_string_equal(ksm_record_notes(r), "h");
	assert_int_equal(ksm_record_field_count(r, KSM_FIELDS), 6);
	assert_int_equal(ksm_record_field_count(r, KSM_CUSTOM), 0);
	assert_int_equal(ksm_record_field_count(r, KSM_ANY), 6);
	f = ksm_record_field_at(r, KSM_FIELDS, 2);
	assert_string_equal(ksm_field_type(f), "password");
	assert_null(ksm_field_label(f));
	assert_text(ksm_field_value_text(f, 0), "Lex1S++Wx6g^,LC.(Vp<");
	assert_text(ksm_record_first_value(r, "password"),
		    "Lex1S++Wx6g^,LC.(Vp<");
	assert_text(ksm_record_first_value(r, "url"), "https://g");
	assert_text(ksm_record_first_value(r, "login"), "login value");
	/* Empty value arrays. */
	assert_null(ksm_record_first_value(r, "oneTimeCode"));
	f = field(r, KSM_FIELDS, "passkey");
	assert_int_equal(ksm_field_value_count(f), 0);
	assert_null(ksm_field_value_text(f, 0));
	assert_null(ksm_field_value_property(f, 0, "credentialId"));
	assert_null(ksm_record_folder_uid(r));
	assert_int_equal(ksm_record_file_count(r), 0);
	assert_null(ksm_record_file_at(r, 0));
	/* Round trip of the data, compact, no padding. */
	assert_text(ksm_record_data_json(r), real_record2);
	ksm_record_free(r);
}

static void test_shapes_strings(void **state)
{
	ksm_record *r = parse_ok(all_shapes, strlen(all_shapes));
	const ksm_field *f;

	(void)state;
	assert_string_equal(ksm_record_type(r), "pamUser");
	assert_string_equal(ksm_record_notes(r), "n/otes");
	assert_text(ksm_record_first_value(r, "login"), "alice");
	assert_text(ksm_record_first_value(r, "password"), "p@ss/w\"rd");
	f = field(r, KSM_FIELDS, "Private PEM Key");
	assert_string_equal(ksm_field_type(f), "secret");
	assert_string_equal(ksm_field_label(f), "Private PEM Key");
	assert_text(ksm_field_value_text(f, 0),
		    "-----BEGIN KEY-----\nAAA\n-----END KEY-----\n");
	/* Found by type as well as by label. */
	assert_ptr_equal(field(r, KSM_FIELDS, "secret"), f);
	assert_text(ksm_record_first_value(r, "oneTimeCode"),
		    "otpauth://totp/x?secret=GEZA");
	f = field(r, KSM_FIELDS, "url");
	assert_int_equal(ksm_field_value_count(f), 2);
	assert_text(ksm_field_value_text(f, 1), "https://b");
	assert_null(ksm_field_value_text(f, 2));
	f = field(r, KSM_FIELDS, "fileRef");
	assert_text(ksm_field_value_text(f, 0), "f1uid");
	/* Property of a string value: none. */
	assert_null(ksm_field_value_property(f, 0, "x"));
	f = field(r, KSM_FIELDS, "multiline");
	assert_int_equal(ksm_field_value_count(f), 0);
	ksm_record_free(r);
}

static void test_shapes_objects(void **state)
{
	ksm_record *r = parse_ok(all_shapes, strlen(all_shapes));
	const ksm_field *f;

	(void)state;
	f = field(r, KSM_FIELDS, "keyPair");
	assert_text(ksm_field_value_property(f, 0, "publicKey"),
		    "ssh-ed25519 AAAA");
	assert_text(ksm_field_value_property(f, 0, "privateKey"),
		    "-----BEGIN OPENSSH PRIVATE KEY-----");
	assert_null(ksm_field_value_property(f, 0, "nope"));
	assert_null(ksm_field_value_property(f, 1, "publicKey"));
	f = field(r, KSM_FIELDS, "host");
	assert_text(ksm_field_value_property(f, 0, "hostName"), "db.example");
	assert_text(ksm_field_value_property(f, 0, "port"), "5432");
	assert_text(ksm_field_value_text(f, 0),
		    "{\"hostName\":\"db.example\",\"port\":\"5432\"}");
	f = field(r, KSM_FIELDS, "pamHostname");
	assert_text(ksm_field_value_property(f, 0, "hostName"), "10.0.0.1");
	assert_text(ksm_field_value_property(f, 0, "port"), "22");
	f = field(r, KSM_FIELDS, "Rotation Scripts");
	assert_string_equal(ksm_field_type(f), "script");
	/* Slashes are not escaped in compact JSON. */
	assert_text(ksm_field_value_text(f, 0),
		    "{\"fileRef\":\"f1uid\",\"command\":\"/bin/rot\","
		    "\"recordRef\":[\"r1\"]}");
	assert_text(ksm_field_value_property(f, 0, "recordRef"), "[\"r1\"]");
	f = field(r, KSM_FIELDS, "Managed");
	assert_text(ksm_field_value_text(f, 0), "true");
	assert_text(ksm_record_first_value(r, "checkbox"), "true");
	f = field(r, KSM_FIELDS, "passkey");
	assert_text(ksm_field_value_property(f, 0, "credentialId"), "cid");
	assert_text(ksm_field_value_property(f, 0, "signCount"), "3");
	assert_text(ksm_field_value_property(f, 0, "createdDate"),
		    "1700000000000");
	assert_text(ksm_field_value_property(f, 0, "privateKey"),
		    "{\"crv\":\"P-256\",\"d\":\"dd\",\"ext\":true,"
		    "\"key_ops\":[\"sign\"],\"kty\":\"EC\",\"x\":\"xx\","
		    "\"y\":\"yy\"}");
	f = field(r, KSM_CUSTOM, "phone");
	assert_text(ksm_field_value_text(f, 0), "null");
	assert_null(ksm_field_value_property(f, 0, "number"));
	assert_text(ksm_field_value_property(f, 1, "number"), "555");
	ksm_record_free(r);
}

static void test_find_field(void **state)
{
	ksm_record *r = parse_ok(all_shapes, strlen(all_shapes));
	const ksm_field *f = (const ksm_field *)1;

	(void)state;
	assert_int_equal(ksm_record_field_count(r, KSM_FIELDS), 15);
	assert_int_equal(ksm_record_field_count(r, KSM_CUSTOM), 3);
	assert_int_equal(ksm_record_field_count(r, KSM_ANY), 18);
	assert_string_equal(ksm_field_type(ksm_record_field_at(r, KSM_ANY, 15)),
			    "text");
	assert_string_equal(
		ksm_field_label(ksm_record_field_at(r, KSM_ANY, 15)), "env");
	assert_null(ksm_record_field_at(r, KSM_ANY, 18));
	assert_null(ksm_record_field_at(r, KSM_CUSTOM, 3));
	assert_int_equal(ksm_record_find_field(r, KSM_FIELDS, "nope", &f),
			 KSM_ERR_NOT_FOUND);
	assert_null(f);
	/* Exact match: case matters. */
	assert_int_equal(ksm_record_find_field(r, KSM_FIELDS, "Login", &f),
			 KSM_ERR_NOT_FOUND);
	assert_int_equal(ksm_record_find_field(r, KSM_FIELDS, "Dup", &f),
			 KSM_ERR_AMBIGUOUS);
	/* "text" is the type of both Dup fields. */
	assert_int_equal(ksm_record_find_field(r, KSM_FIELDS, "text", &f),
			 KSM_ERR_AMBIGUOUS);
	/* One "login" in each section: unique within each, not in both. */
	assert_int_equal(ksm_record_find_field(r, KSM_FIELDS, "login", &f),
			 KSM_OK);
	assert_int_equal(ksm_record_find_field(r, KSM_CUSTOM, "login", &f),
			 KSM_OK);
	assert_text(ksm_field_value_text(f, 0), "custom-login");
	assert_int_equal(ksm_record_find_field(r, KSM_ANY, "login", &f),
			 KSM_ERR_AMBIGUOUS);
	assert_int_equal(ksm_record_find_field(r, KSM_ANY, "env", &f), KSM_OK);
	/* first_value prefers the standard fields. */
	assert_text(ksm_record_first_value(r, "login"), "alice");
	assert_text(ksm_record_first_value(r, "env"), "prod");
	assert_null(ksm_record_first_value(r, "nope"));
	assert_int_equal(ksm_record_find_field(NULL, KSM_ANY, "x", &f),
			 KSM_ERR_INVALID);
	ksm_record_free(r);
}

static void test_set_value(void **state)
{
	ksm_record *r = parse_ok(all_shapes, strlen(all_shapes));
	ksm_error err = {0};
	char *json;

	(void)state;
	assert_int_equal(ksm_record_set_value(r, KSM_FIELDS, "password",
					      "n3w/P\"w", &err),
			 KSM_OK);
	assert_text(ksm_record_first_value(r, "password"), "n3w/P\"w");
	/* Empty value array gets its first value. */
	assert_int_equal(
		ksm_record_set_value(r, KSM_FIELDS, "multiline", "m", &err),
		KSM_OK);
	assert_text(ksm_record_first_value(r, "multiline"), "m");
	/* Object value replaced by a string, other values kept. */
	assert_int_equal(ksm_record_set_value(r, KSM_FIELDS, "url", "u", &err),
			 KSM_OK);
	assert_text(ksm_field_value_text(field(r, KSM_FIELDS, "url"), 1),
		    "https://b");
	assert_int_equal(ksm_record_set_value(r, KSM_FIELDS, "nope", "x", &err),
			 KSM_ERR_NOT_FOUND);
	assert_int_equal(err.code, KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "nope"));
	assert_int_equal(ksm_record_set_value(r, KSM_FIELDS, "Dup", "x", &err),
			 KSM_ERR_AMBIGUOUS);
	assert_int_equal(
		ksm_record_set_value(r, KSM_CUSTOM, "env", "staging", &err),
		KSM_OK);
	json = ksm_record_data_json(r);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"value\":[\"n3w/P\\\"w\"]"));
	assert_non_null(strstr(json, "\"value\":[\"staging\"]"));
	assert_non_null(strstr(json, "\"complexity\":{\"length\":20,"));
	ksm_free_secret(json);
	assert_int_equal(
		ksm_record_set_value(r, KSM_FIELDS, "login", NULL, &err),
		KSM_ERR_INVALID);
	ksm_record_free(r);
}

static void test_files(void **state)
{
	ksm_record *r = parse_ok(real_record2, strlen(real_record2));

	(void)state;
	r->files = calloc(2, sizeof(*r->files));
	assert_non_null(r->files);
	r->n_files = 2;
	r->files[0].uid = strdup("FILEUID0");
	r->files[0].name = strdup("id_rsa.pub");
	r->files[0].title = strdup("Public key");
	r->files[0].mime_type = strdup("text/plain");
	r->files[0].size = 42;
	r->files[0].url = strdup("https://x/y?sig=secret");
	memset(r->files[0].key, 0xaa, sizeof(r->files[0].key));
	r->files[1].uid = strdup("FILEUID1");
	r->folder_uid = strdup("FOLDER");
	r->revision = 1411017;
	r->editable = true;
	assert_int_equal(ksm_record_file_count(r), 2);
	assert_string_equal(ksm_file_uid(ksm_record_file_at(r, 0)), "FILEUID0");
	assert_string_equal(ksm_file_name(ksm_record_file_at(r, 0)),
			    "id_rsa.pub");
	assert_string_equal(ksm_file_title(ksm_record_file_at(r, 0)),
			    "Public key");
	assert_string_equal(ksm_file_mime_type(ksm_record_file_at(r, 0)),
			    "text/plain");
	assert_int_equal(ksm_file_size(ksm_record_file_at(r, 0)), 42);
	assert_string_equal(ksm_file_name(ksm_record_file_at(r, 1)), "");
	assert_string_equal(ksm_file_title(ksm_record_file_at(r, 1)), "");
	assert_null(ksm_record_file_at(r, 2));
	assert_string_equal(ksm_record_folder_uid(r), "FOLDER");
	assert_int_equal(ksm_record_revision(r), 1411017);
	assert_true(ksm_record_is_editable(r));
	ksm_record_free(r);
}

static void test_minimal_and_null_sections(void **state)
{
	static const char *ok[] = {
		"{}",
		"{\"fields\":null,\"custom\":null,\"title\":null}",
		"  {\"fields\":[]}\n\t\r ",
		"{\"fields\":[{\"type\":\"x\",\"value\":[],\"label\":null}]}",
	};
	ksm_record *r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = parse_ok(ok[i], strlen(ok[i]));
		assert_string_equal(ksm_record_title(r), "");
		assert_string_equal(ksm_record_type(r), "");
		assert_string_equal(ksm_record_notes(r), "");
		assert_null(ksm_record_first_value(r, "x"));
		ksm_record_free(r);
	}
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"   ",
		"[]",
		"\"str\"",
		"42",
		"null",
		"{\"fields\":{}}",
		"{\"fields\":\"x\"}",
		"{\"custom\":[1]}",
		"{\"fields\":[{\"value\":[]}]}",
		"{\"fields\":[{\"type\":1,\"value\":[]}]}",
		"{\"fields\":[{\"type\":\"login\"}]}",
		"{\"fields\":[{\"type\":\"login\",\"value\":\"alice\"}]}",
		"{\"fields\":[{\"type\":\"login\",\"value\":{}}]}",
		"{\"fields\":[{\"type\":\"t\",\"value\":[],\"label\":5}]}",
		"{\"title\":5}",
		"{\"notes\":[]}",
		"{\"type\":true}",
		"{\"title\":\"x\"",
		"{\"title\":\"x\"} x",
		"{\"title\":\"x\"}{}",
		"{\"a\":[1,]}",
		"{\"a\":\"\xff\xfe\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_bad(bad[i], strlen(bad[i]), KSM_ERR_PROTOCOL);
	/* NUL inside. */
	parse_bad("{}\0 ", 4, KSM_ERR_PROTOCOL);
}

static void test_deep_nesting(void **state)
{
	size_t depth = 10000, i, n = 0;
	char *s = malloc(2 * depth + 32);

	(void)state;
	assert_non_null(s);
	n += (size_t)sprintf(s, "{\"a\":");
	for (i = 0; i < depth; i++)
		s[n++] = '[';
	for (i = 0; i < depth; i++)
		s[n++] = ']';
	s[n++] = '}';
	s[n] = '\0';
	parse_bad(s, n, KSM_ERR_PROTOCOL);
	free(s);
}

static void test_too_large(void **state)
{
	size_t len = 2u << 20;
	char *s = malloc(len + 1);

	(void)state;
	assert_non_null(s);
	/* Valid JSON padded with spaces: only the size is wrong. */
	memset(s, ' ', len);
	memcpy(s, "{}", 2);
	s[len] = '\0';
	parse_bad(s, len, KSM_ERR_PROTOCOL);
	free(s);
}

static void test_json_parse(void **state)
{
	json_object *o = NULL;
	ksm_error err = {0};

	(void)state;
	assert_int_equal(ksm_json_parse("123", 3, &o, &err), KSM_OK);
	assert_int_equal(json_object_get_int(o), 123);
	json_object_put(o);
	assert_int_equal(
		ksm_json_parse("{\"k\":\"v\",\"n\":1}  ", 17, &o, &err),
		KSM_OK);
	assert_string_equal(ksm_json_str(o, "k"), "v");
	assert_null(ksm_json_str(o, "n"));
	assert_null(ksm_json_str(o, "missing"));
	assert_null(ksm_json_str(NULL, "k"));
	json_object_put(o);
	/* Length is honoured: the tail beyond len is not read. */
	assert_int_equal(ksm_json_parse("{}garbage", 2, &o, &err), KSM_OK);
	json_object_put(o);
	assert_int_equal(ksm_json_parse("{\"k\":", 5, &o, &err),
			 KSM_ERR_INVALID);
	assert_null(o);
	assert_true(strlen(err.message) > 0);
	assert_int_equal(ksm_json_parse(NULL, 0, &o, &err), KSM_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_record),
		cmocka_unit_test(test_shapes_strings),
		cmocka_unit_test(test_shapes_objects),
		cmocka_unit_test(test_find_field),
		cmocka_unit_test(test_set_value),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_minimal_and_null_sections),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_json_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
