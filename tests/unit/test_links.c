/* SPDX-License-Identifier: MIT */
/*
 * test_links.c - what a get_secret answer says besides its records, as the
 * official SDKs read it: record links (plain base64 JSON, and jit_settings
 * and ai_settings under the owning record's key), appData (the
 * application's name, under the app key), expiresOn and warnings; and
 * that all of it survives the JSON ksmd hands to ksmctl.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "crypto.h"
#include "get_secrets.h"

#define USER_UID    "UserRecordUid000000000"
#define MACHINE_UID "MachineRecordUid000000"

static uint8_t app_key[32], record_key[32], other_key[32];

static char *b64_of(const void *p, size_t n)
{
	char *s = ksm_b64_encode(p, n, false);

	assert_non_null(s);
	return s;
}

/* base64 of GCM(key, text). */
static char *sealed(const uint8_t key[32], const char *text, bool url)
{
	uint8_t *ct = NULL;
	size_t n = 0;
	char *s;

	assert_int_equal(ksm_gcm_encrypt(key, NULL, (const uint8_t *)text,
					 strlen(text), &ct, &n),
			 KSM_OK);
	s = ksm_b64_encode(ct, n, url);
	free(ct);
	assert_non_null(s);
	return s;
}

static void add(json_object *o, const char *k, char *v)
{
	assert_true(ksm_json_add_str(o, k, v));
	free(v);
}

static json_object *link(const char *uid, const char *path, char *data)
{
	json_object *l = json_object_new_object();

	if (uid)
		assert_true(ksm_json_add_str(l, "recordUid", uid));
	if (path)
		assert_true(ksm_json_add_str(l, "path", path));
	if (data)
		add(l, "data", data);
	return l;
}

/* A get_secret answer: one pamUser with links, appData, warnings. */
static json_object *answer(const char *app_data_plain)
{
	static const char user[] =
		"{\"type\":\"pamUser\",\"title\":\"alice\",\"fields\":"
		"[{\"type\":\"login\",\"value\":[\"alice\"]}]}";
	static const char plain[] =
		"{\"is_admin\":true,\"rotation_settings\":{\"noop\":true,"
		"\"schedule\":\"\"},\"belongs_to\":\"yes\"}";
	json_object *resp = json_object_new_object(),
		    *recs = json_object_new_array(),
		    *r = json_object_new_object(),
		    *links = json_object_new_array(),
		    *warn = json_object_new_array();

	add(r, "recordUid", strdup(USER_UID));
	{ /* the record key, GCM under the app key */
		uint8_t *ct = NULL;
		size_t n = 0;

		assert_int_equal(
			ksm_gcm_encrypt(app_key, NULL, record_key, 32, &ct, &n),
			KSM_OK);
		add(r, "recordKey", b64_of(ct, n));
		free(ct);
	}
	add(r, "data", sealed(record_key, user, false));
	json_object_object_add(r, "revision", json_object_new_int64(1001));
	/* Keeper's shapes: a credential link, self-links with settings. */
	json_object_array_add(
		links, link(MACHINE_UID, NULL, b64_of(plain, strlen(plain))));
	json_object_array_add(links,
			      link(USER_UID, "jit_settings",
				   sealed(record_key,
					  "{\"createEphemeral\":true,"
					  "\"elevationMethod\":\"group\"}",
					  false)));
	json_object_array_add(
		links, link(USER_UID, "ai_settings",
			    sealed(other_key, "{\"version\":\"v1\"}", false)));
	json_object_array_add(links, link(USER_UID, "meta", NULL));
	json_object_array_add(links, link(MACHINE_UID, NULL,
					  b64_of("[true]", 6))); /* no object */
	json_object_array_add(links, link(MACHINE_UID, NULL,
					  strdup("not base64!"))); /* no data */
	json_object_array_add(links, link("bad uid!", NULL, NULL));   /* out */
	json_object_array_add(links, link(NULL, "meta", NULL));	      /* out */
	json_object_array_add(links, link(MACHINE_UID, "p\n", NULL)); /* out */
	json_object_array_add(links, json_object_new_string("x"));    /* out */
	json_object_object_add(r, "links", links);
	json_object_array_add(recs, r);
	json_object_object_add(resp, "records", recs);
	if (app_data_plain)
		add(resp, "appData", sealed(app_key, app_data_plain, true));
	json_object_object_add(resp, "expiresOn",
			       json_object_new_int64(1893456000000LL));
	json_object_array_add(warn, json_object_new_string("device expires "
							   "soon"));
	json_object_array_add(warn, json_object_new_string("bell\a and tab\t"));
	json_object_array_add(warn, json_object_new_int(7));
	json_object_object_add(resp, "warnings", warn);
	return resp;
}

static ksm_secrets *decrypt(json_object *resp)
{
	struct ksm_client c = {.bound = true};
	ksm_secrets *s = NULL;
	ksm_error err = {0};

	memcpy(c.app_key, app_key, 32);
	assert_int_equal(ksm_secrets_from_response(&c, resp, &s, &err), KSM_OK);
	json_object_put(resp);
	return s;
}

/* Every check of the answer's content, on a set from either source. */
static void check_set(const ksm_secrets *s)
{
	const ksm_record *r;
	const ksm_link *l;
	char *v;

	assert_int_equal(ksm_secrets_count(s), 1);
	assert_int_equal(ksm_secrets_expires_on(s), 1893456000000LL);
	assert_string_equal(ksm_secrets_app_name(s), "Linux \xc3\xa9quipe?");
	assert_string_equal(ksm_secrets_app_type(s), "General");
	assert_int_equal(ksm_secrets_warning_count(s), 2);
	assert_string_equal(ksm_secrets_warning(s, 0), "device expires soon");
	assert_string_equal(ksm_secrets_warning(s, 1), "bell? and tab?");
	assert_null(ksm_secrets_warning(s, 2));
	r = ksm_secrets_find(s, USER_UID);
	assert_non_null(r);
	/* Six links have a valid recordUid and path; four are left out. */
	assert_int_equal(ksm_record_link_count(r), 6);
	l = ksm_record_link_at(r, 0);
	assert_string_equal(ksm_link_record_uid(l), MACHINE_UID);
	assert_null(ksm_link_path(l));
	assert_false(ksm_link_encrypted(l));
	assert_true(ksm_link_bool(l, "is_admin"));
	assert_true(ksm_link_bool(l, "rotation_settings.noop"));
	assert_false(ksm_link_bool(l, "belongs_to")); /* a string: false */
	assert_false(ksm_link_bool(l, "rotation_settings.noop.x"));
	assert_false(ksm_link_bool(l, "missing"));
	v = ksm_link_value(l, "rotation_settings");
	assert_string_equal(v, "{\"noop\":true,\"schedule\":\"\"}");
	ksm_free_secret(v);
	v = ksm_link_value(l, "belongs_to");
	assert_string_equal(v, "yes");
	ksm_free_secret(v);
	l = ksm_record_link_at(r, 1);
	assert_string_equal(ksm_link_path(l), "jit_settings");
	assert_true(ksm_link_encrypted(l));
	assert_true(ksm_link_bool(l, "createEphemeral"));
	v = ksm_link_data_json(l);
	assert_string_equal(
		v, "{\"createEphemeral\":true,\"elevationMethod\":\"group\"}");
	ksm_free_secret(v);
	/* Under another key: a link without data, not a failed record. */
	l = ksm_record_link_at(r, 2);
	assert_string_equal(ksm_link_path(l), "ai_settings");
	assert_null(ksm_link_data_json(l));
	assert_false(ksm_link_encrypted(l));
	l = ksm_record_link_at(r, 3);
	assert_string_equal(ksm_link_path(l), "meta");
	assert_null(ksm_link_data_json(l));
	assert_null(ksm_link_data_json(ksm_record_link_at(r, 4)));
	assert_null(ksm_link_data_json(ksm_record_link_at(r, 5)));
	assert_null(ksm_record_link_at(r, 6));
}

static void test_answer(void **state)
{
	ksm_secrets *s = decrypt(
		answer("{\"title\":\"Linux \xc3\xa9quipe\\u0001\",\"type\":"
		       "\"General\"}"));

	check_set(s);
	ksm_secrets_free(s);
}

/* ksmd -> ksmctl: the JSON carries the decoded links (ksmctl has no
 * record keys), the app's name, the expiry and the warnings. */
static void test_json_round_trip(void **state)
{
	ksm_secrets *s = decrypt(answer("{\"title\":\"Linux \xc3\xa9quipe\\u"
					"0001\",\"type\":\"General\"}")),
		    *back = NULL;
	char *text = ksm_secrets_to_json(s);
	ksm_error err = {0};

	assert_non_null(text);
	assert_int_equal(ksm_secrets_from_json(text, strlen(text), &back, &err),
			 KSM_OK);
	check_set(back);
	ksm_free_secret(text);
	ksm_secrets_free(back);
	ksm_secrets_free(s);
}

/* appData that does not decrypt, or is absent: no name, the records are
 * still read. */
static void test_app_data_absent_or_bad(void **state)
{
	json_object *resp = answer(NULL);
	ksm_secrets *s;
	char *bad = sealed(other_key, "{\"title\":\"x\"}", true);

	s = decrypt(answer(NULL));
	assert_string_equal(ksm_secrets_app_name(s), "");
	assert_int_equal(ksm_secrets_count(s), 1);
	ksm_secrets_free(s);
	add(resp, "appData", bad);
	s = decrypt(resp);
	assert_string_equal(ksm_secrets_app_name(s), "");
	assert_int_equal(ksm_secrets_count(s), 1);
	ksm_secrets_free(s);
}

static int setup(void **state)
{
	for (int i = 0; i < 32; i++) {
		app_key[i] = (uint8_t)(0x40 + i);
		record_key[i] = (uint8_t)(0x80 + i);
		other_key[i] = (uint8_t)(0xe0 + i);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_app_data_absent_or_bad),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
