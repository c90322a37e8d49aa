/* SPDX-License-Identifier: MIT */
/*
 * test_transcript.c - the full decryption chain against a recorded
 * exchange with Keeper's real server (tests/vectors/README.md): clientId,
 * app key from the binding answer, shared folder and record keys, both
 * passwords, and the 403 error of the third answer.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fileio.h"
#include "get_secrets.h"

#define TOKEN "YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c"
#define CLIENT_ID                                                              \
	"6FSaAYix6NY+3gFbC4h3yVRgKDl1prYLTowsYcd2vWipj27jpjtaYgTz1N+"          \
	"XKOQgtt42R"                                                           \
	"Ma7GBg7sIZfnwlWVQ=="
#define APP_KEY "6hxMRiJZlIRwZFeuO1XJTv22Ai8D/+tJEEdQXmmm7iA="

static json_object *load_transcript(void)
{
	char *text = NULL;
	size_t len = 0;
	json_object *o = NULL;

	assert_int_equal(
		ksm_read_file(SRCDIR "/tests/vectors/ksm-real-transcript.json",
			      1 << 20, &text, &len, NULL, NULL),
		KSM_OK);
	assert_int_equal(ksm_json_parse(text, len, &o, NULL), KSM_OK);
	free(text);
	return o;
}

/* Decrypt entry i's body with its transmission key. */
static json_object *entry_json(json_object *t, size_t i, long *status)
{
	json_object *e = json_object_array_get_idx(t, i), *v, *out = NULL;
	uint8_t tk[32], *body, *pt;
	size_t blen, ptlen;
	const char *data = ksm_json_str(e, "data");

	assert_true(json_object_object_get_ex(e, "statusCode", &v));
	*status = json_object_get_int(v);
	assert_int_equal(ksm_b64_decode_exact(
				 ksm_json_str(e, "transmissionKey"), tk, 32),
			 KSM_OK);
	assert_int_equal(ksm_b64_decode(data, strlen(data), &body, &blen),
			 KSM_OK);
	if (*status != 200) {
		ksm_http_response r = {
			.status = *status, .body = body, .len = blen};
		ksm_error err = {0};

		assert_int_equal(ksm_map_http_error("get_secret", &r, &err),
				 KSM_ERR_ACCESS_DENIED);
		assert_string_equal(err.server_code, "access_denied");
		assert_non_null(strstr(err.message, "Signature is invalid"));
		assert_int_equal(err.http_status, 403);
		free(body);
		return NULL;
	}
	assert_int_equal(ksm_gcm_decrypt(tk, body, blen, &pt, &ptlen), KSM_OK);
	assert_int_equal(ksm_json_parse((char *)pt, ptlen, &out, NULL), KSM_OK);
	free(pt);
	free(body);
	return out;
}

static void check_records(const ksm_secrets *s)
{
	const ksm_record *r1, *r2;
	char *v;

	assert_int_equal(ksm_secrets_count(s), 2);
	assert_int_equal(ksm_secrets_bad_count(s), 0);
	r1 = ksm_secrets_find(s, "Ue8h6JyWUs7Iu6eY_mha-w");
	r2 = ksm_secrets_find(s, "L-b-Ijj9rqd-3spgNZiZWA");
	assert_non_null(r1);
	assert_non_null(r2);
	assert_string_equal(ksm_record_title(r1), "RECoRD 1");
	assert_string_equal(ksm_record_type(r1), "login");
	assert_string_equal(ksm_record_notes(r1), "asdf");
	assert_int_equal(ksm_record_revision(r1), 1411018);
	assert_int_equal(ksm_record_revision(r2), 1411017);
	assert_string_equal(ksm_record_folder_uid(r1),
			    "y6FBhg7C-wy2zaM0-ouI-Q");
	v = ksm_record_first_value(r1, "password");
	assert_string_equal(v, "EwFpmg);7KsO9+ln8g7");
	ksm_free_secret(v);
	v = ksm_record_first_value(r1, "url");
	assert_string_equal(v, "https://c.com");
	ksm_free_secret(v);
	assert_string_equal(ksm_record_title(r2), "RECoRD 2");
	assert_string_equal(ksm_record_notes(r2), "h");
	v = ksm_record_first_value(r2, "password");
	assert_string_equal(v, "Lex1S++Wx6g^,LC.(Vp<");
	ksm_free_secret(v);
	v = ksm_record_first_value(r2, "url");
	assert_string_equal(v, "https://g");
	ksm_free_secret(v);
}

static void test_real_transcript(void **state)
{
	json_object *t = load_transcript(), *resp;
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	long status;

	assert_int_equal(ksm_client_config_from_token(TOKEN,
						      "fake.keepersecurity.com",
						      NULL, &cfg, &err),
			 KSM_OK);
	assert_string_equal(ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID),
			    CLIENT_ID);
	assert_int_equal(ksm_client_new(cfg, NULL, &c, &err), KSM_OK);
	assert_false(ksm_client_is_bound(c));

	/* Entry 0: the binding answer. */
	resp = entry_json(t, 0, &status);
	assert_int_equal(status, 200);
	assert_int_equal(ksm_secrets_from_response(c, resp, &s, &err), KSM_OK);
	json_object_put(resp);
	assert_true(ksm_client_is_bound(c));
	assert_string_equal(ksm_client_config_get(ksm_client_get_config(c),
						  KSM_CFG_APP_KEY),
			    APP_KEY);
	assert_null(ksm_client_config_get(ksm_client_get_config(c),
					  KSM_CFG_CLIENT_KEY));
	assert_non_null(ksm_client_config_get(ksm_client_get_config(c),
					      KSM_CFG_APP_OWNER_PUBLIC_KEY));
	check_records(s);
	ksm_secrets_free(s);

	/* Entry 1: bound, no app key in it. */
	resp = entry_json(t, 1, &status);
	assert_int_equal(ksm_secrets_from_response(c, resp, &s, &err), KSM_OK);
	json_object_put(resp);
	check_records(s);
	ksm_secrets_free(s);

	/* Entry 2: plaintext 403. */
	assert_null(entry_json(t, 2, &status));
	assert_int_equal(status, 403);

	ksm_client_free(c);
	json_object_put(t);
}

/* A binding answer encrypted for another token must not bind. */
static void test_wrong_token(void **state)
{
	json_object *t = load_transcript(), *resp;
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	long status;

	assert_int_equal(
		ksm_client_config_from_token(
			"US:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
			NULL, &cfg, &err),
		KSM_OK);
	assert_string_equal(ksm_client_config_get(cfg, KSM_CFG_HOSTNAME),
			    "keepersecurity.com");
	assert_int_equal(ksm_client_new(cfg, NULL, &c, &err), KSM_OK);
	resp = entry_json(t, 0, &status);
	assert_int_equal(ksm_secrets_from_response(c, resp, &s, &err),
			 KSM_ERR_PROTOCOL);
	assert_null(s);
	assert_false(ksm_client_is_bound(c));
	json_object_put(resp);
	ksm_client_free(c);
	json_object_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_transcript),
		cmocka_unit_test(test_wrong_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
