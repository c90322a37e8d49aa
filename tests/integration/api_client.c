/* SPDX-License-Identifier: MIT */
/*
 * api_client.c - libksm's public API against the local KSM server: folders,
 * updates with rotation transactions (commit and rollback), revision and
 * permission errors, file download, one request per get_secret, record
 * links and the application's name.
 *
 * Usage: api_client KSM.CONF   (the config must already be bound)
 */
#include "ksm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE  "AliceRec00000000000000"
#define BOB    "BobRec0000000000000000"
#define DIRECT "DirectRec0000000000000"
#define BUDGET 5000

static int passed, failed;

static void check(bool ok, const char *what, const ksm_error *err)
{
	if (ok) {
		passed++;
		printf("ok - %s\n", what);
	} else {
		failed++;
		printf("not ok - %s%s%s\n", what,
		       err && err->message[0] ? ": " : "",
		       err ? err->message : "");
	}
}

/* A fresh copy of one record (the caller frees the set). */
static ksm_record *fetch(ksm_client *c, const char *uid, ksm_secrets **s,
			 ksm_error *err)
{
	ksm_query q = {.record_uids = &uid, .n_record_uids = 1};

	*s = NULL;
	if (ksm_get_secrets(c, &q, BUDGET, s, err) != KSM_OK)
		return NULL;
	return ksm_secrets_edit(*s, uid);
}

static bool password_is(ksm_client *c, const char *uid, const char *want,
			int64_t *rev)
{
	ksm_secrets *s;
	ksm_error err = {0};
	const ksm_record *r = fetch(c, uid, &s, &err);
	char *v = r ? ksm_record_first_value(r, "password") : NULL;
	bool ok = v && strcmp(v, want) == 0;

	if (r && rev)
		*rev = ksm_record_revision(r);
	ksm_free_secret(v);
	ksm_secrets_free(s);
	return ok;
}

static void test_folders(ksm_client *c)
{
	ksm_folders *f = NULL;
	ksm_error err = {0};
	bool root = false, sub = false;

	check(ksm_get_folders(c, BUDGET, &f, &err) == KSM_OK, "get_folders",
	      &err);
	for (size_t i = 0; i < ksm_folders_count(f); i++) {
		const char *name = ksm_folders_name(f, i);
		const char *parent = ksm_folders_parent(f, i);

		if (name && !strcmp(name, "Linux Users") && !parent)
			root = true;
		if (name && !strcmp(name, "Admins") && parent &&
		    !strcmp(parent, "FoLdEr0LinuxUsers00000"))
			sub = true;
	}
	check(root, "shared folder name decrypted (GCM key, CBC name)", NULL);
	check(sub, "subfolder key and name decrypted (CBC under the root)",
	      NULL);
	ksm_folders_free(f);
}

static void test_rotation(ksm_client *c, bool commit)
{
	const char *want = commit ? "Rotated-commit" : "Rotated-rollback";
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	ksm_record *r = fetch(c, ALICE, &s, &err);
	int64_t rev0 = r ? ksm_record_revision(r) : -1, rev1 = -1;
	char *before = r ? ksm_record_first_value(r, "password") : NULL;

	check(r && before, "read alice", &err);
	if (!r)
		return;
	check(ksm_record_set_value(r, KSM_FIELDS, "password", want, &err) ==
		      KSM_OK,
	      "set the password locally", &err);
	check(ksm_update_secret(c, r, KSM_TX_ROTATION, BUDGET, &err) == KSM_OK,
	      "update_secret with a rotation transaction", &err);
	check(password_is(c, ALICE, before, NULL),
	      "the staged change is not visible before it completes", NULL);
	check(ksm_complete_transaction(c, ALICE, commit, BUDGET, &err) ==
		      KSM_OK,
	      commit ? "finalize_secret_update" : "rollback_secret_update",
	      &err);
	if (commit) {
		check(password_is(c, ALICE, want, &rev1) && rev1 > rev0,
		      "committed: new value and a new revision", NULL);
		/* The record we hold is now stale. */
		check(ksm_update_secret(c, r, KSM_TX_NONE, BUDGET, &err) ==
				      KSM_ERR_REVISION &&
			      strstr(err.message, "invalid_revision"),
		      "an update with a stale revision is refused", &err);
	} else {
		check(password_is(c, ALICE, before, &rev1) && rev1 == rev0,
		      "rolled back: old value, same revision", NULL);
	}
	ksm_free_secret(before);
	ksm_secrets_free(s);
}

static void test_read_only(ksm_client *c)
{
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	ksm_record *r = fetch(c, DIRECT, &s, &err);

	check(r && !ksm_record_is_editable(r),
	      "a read-only share reads as such", &err);
	if (r) {
		ksm_record_set_value(r, KSM_FIELDS, "password", "x", NULL);
		check(ksm_update_secret(c, r, KSM_TX_NONE, BUDGET, &err) ==
			      KSM_ERR_ACCESS_DENIED,
		      "updating a read-only record is access denied", &err);
	}
	ksm_secrets_free(s);
}

static void test_file_and_requests(ksm_client *c)
{
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	unsigned long n0 = ksm_client_request_count(c);
	const ksm_record *r = fetch(c, BOB, &s, &err);
	uint8_t *data = NULL;
	size_t len = 0;

	check(ksm_client_request_count(c) == n0 + 1,
	      "one HTTPS request per get_secret", NULL);
	check(r && ksm_record_file_count(r) == 1 &&
		      !strcmp(ksm_file_name(ksm_record_file_at(r, 0)),
			      "id.pub"),
	      "file metadata decrypted", &err);
	if (r && ksm_record_file_count(r) == 1) {
		check(ksm_download_file(c, ksm_record_file_at(r, 0), BUDGET,
					&data, &len, &err) == KSM_OK &&
			      len == 21 &&
			      !memcmp(data, "ssh-ed25519 AAAA bob\n", 21),
		      "file content downloaded and decrypted", &err);
		ksm_free_secret((char *)data);
	}
	ksm_secrets_free(s);
}

/* Links (requestLinks) in Keeper's shape, the application's name. */
static void test_links(ksm_client *c)
{
	const char *uid = ALICE;
	ksm_query q = {
		.record_uids = &uid, .n_record_uids = 1, .request_links = true};
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	const ksm_record *r;
	const ksm_link *l0, *l1;
	char *jit = NULL;

	check(ksm_get_secrets(c, &q, BUDGET, &s, &err) == KSM_OK,
	      "get_secret with requestLinks", &err);
	r = ksm_secrets_find(s, ALICE);
	check(r && ksm_record_link_count(r) == 2, "alice has her two links",
	      NULL);
	l0 = ksm_record_link_at(r, 0);
	l1 = ksm_record_link_at(r, 1);
	check(l0 && !strcmp(ksm_link_record_uid(l0), BOB) &&
		      !ksm_link_path(l0) && ksm_link_bool(l0, "is_admin") &&
		      ksm_link_bool(l0, "rotation_settings.noop") &&
		      !ksm_link_encrypted(l0),
	      "a credential link: plain base64 JSON, is_admin, noop", NULL);
	jit = l1 ? ksm_link_data_json(l1) : NULL;
	check(l1 && ksm_link_path(l1) &&
		      !strcmp(ksm_link_path(l1), "jit_settings") &&
		      ksm_link_encrypted(l1) && jit &&
		      !strcmp(jit, "{\"createEphemeral\":true,"
				   "\"elevationMethod\":\"group\"}"),
	      "jit_settings decrypted with alice's record key", NULL);
	check(!strcmp(ksm_secrets_app_name(s), "app") &&
		      ksm_secrets_warning_count(s) == 0 &&
		      ksm_secrets_expires_on(s) == 0,
	      "appData names the application; no warnings, no expiry", NULL);
	ksm_free_secret(jit);
	ksm_secrets_free(s);
	/* Without requestLinks the server sends none. */
	q.request_links = false;
	check(ksm_get_secrets(c, &q, BUDGET, &s, &err) == KSM_OK &&
		      ksm_record_link_count(ksm_secrets_find(s, ALICE)) == 0,
	      "no links without requestLinks", &err);
	ksm_secrets_free(s);
}

int main(int argc, char **argv)
{
	ksm_settings *conf = NULL;
	ksm_client *c = NULL;
	ksm_error err = {0};

	if (argc != 2) {
		fprintf(stderr, "usage: %s KSM.CONF\n", argv[0]);
		return 2;
	}
	if (ksm_settings_load(argv[1], &conf, &err) != KSM_OK ||
	    ksm_client_from_settings(conf, &c, &err) != KSM_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	test_folders(c);
	test_rotation(c, true);
	test_rotation(c, false);
	test_read_only(c);
	test_file_and_requests(c);
	test_links(c);
	ksm_client_free(c);
	ksm_settings_free(conf);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
