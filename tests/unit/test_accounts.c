/* SPDX-License-Identifier: MIT */
/*
 * test_accounts.c - records to accounts (every rule of docs/design.md,
 * SSH keys included), the snapshot writer/reader round trip (full and lazy
 * opens), and damaged snapshots: every byte flipped in turn.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "crypto.h"
#include "get_secrets.h"
#include "local_db_fixture.h"
#include "snapshot_reader.h"

#define KEY_A                                                                  \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAIGdh2F1N0aQ4l9pkw+"                           \
	"H3mY0Q0c1SVvAqk2mOuqXzVNrS a@test"
#define KEY_B                                                                  \
	"ssh-ed25519 "                                                         \
	"AAAAC3NzaC1lZDI1NTE5AAAAIK7dMN1pXUo3QSkmXAVNRmbGdGZkG7ac4SmIcoG2iZh0" \
	" b@test"

static char dir[] = "/tmp/ksm-test-accounts.XXXXXX";
static ksm_local_db *local;
static ksm_settings *conf;

static int setup(void **state)
{
	if (fixture_local_db(
		    dir,
		    "root:x:0:0:root:/root:/bin/bash\n"
		    "localuser:x:250500:250500::/home/localuser:/bin/sh\n",
		    "root:x:0:\nsudo:x:27:\nlocalgrp:x:250600:\nclash:x:250700:"
		    "\n",
		    &local) != 0)
		return -1;
	/* local_groups is empty by default; these tests opt into sudo. */
	static const char text[] = "uid_range = 250000-259999\n"
				   "gid_range = 250000-259999\n"
				   "local_groups = sudo\n";

	return ksm_settings_parse(text, strlen(text), "t", &conf, NULL) ==
			       KSM_OK
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	ksm_settings_free(conf);
	return fixture_local_db_end(dir, local);
}

/* A pamUser record: login plus custom "label=value" pairs. */
static ksm_record *rec(const char *uid, const char *login, const char *custom)
{
	char json[8192];
	ksm_record *r = NULL;

	snprintf(json, sizeof(json),
		 "{\"type\":\"pamUser\",\"title\":\"T %s\",\"fields\":"
		 "[{\"type\":\"login\",\"value\":[\"%s\"]},"
		 "{\"type\":\"password\",\"value\":[\"pw\"]}],\"custom\":[%s]}",
		 login, login, custom ? custom : "");
	assert_int_equal(ksm_record_parse(uid, json, strlen(json), &r, NULL),
			 KSM_OK);
	return r;
}

/* Build accounts from n records; returns the reason text of refusals. */
static ksm_accounts *build(ksm_record **rs, size_t n)
{
	ksm_secrets *s = ksm_secrets_wrap(rs, n);
	ksm_accounts *as = NULL;

	assert_non_null(s);
	assert_int_equal(ksm_accounts_build(s, conf, local, &as, NULL), KSM_OK);
	ksm_secrets_free(s);
	return as;
}

static const ksm_refusal *refusal_for(const ksm_accounts *as, const char *uid)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (!strcmp(as->refusals[i].record_uid, uid))
			return &as->refusals[i];
	return NULL;
}

static const ksm_account *account(const ksm_accounts *as, const char *name)
{
	for (size_t i = 0; i < as->n_accounts; i++)
		if (!strcmp(as->accounts[i].name, name))
			return &as->accounts[i];
	return NULL;
}

/* A custom text field as JSON. */
/* clang-format off */
#define C(label, value) \
	"{\"type\":\"text\",\"label\":\"" label "\",\"value\":[\"" value "\"]}"
/* clang-format on */

static void test_refusal_rules(void **state)
{
	static const struct {
		const char *login, *custom, *reason;
	} cases[] = {
		{"Upper", NULL, "valid user name"},
		{"-dash", NULL, "valid user name"},
		{"0digit", NULL, "valid user name"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, "valid user name"},
		{"sl/ash", NULL, "valid user name"},
		{"co:lon", NULL, "valid user name"},
		{"new\\nline", NULL, "valid user name"},
		{"root", C("uid", "250001"), "local account"},
		{"localuser", NULL, "local account"},
		{"u0", C("uid", "0"), "uid 0 is outside"},
		{"ulow", C("uid", "1000"), "outside uid_range"},
		{"unum", C("uid", "12x"), "not a number"},
		{"g0", C("gid", "0"), "gid 0 is outside"},
		{"uloc", C("uid", "250500"), "local account localuser"},
		{"gloc", C("gid", "250600"), "local group localgrp"},
		{"clash", C("uid", "250800"), "local group has the same name"},
		{"gecos", C("gecos", "a:b"), "gecos"},
		{"gecos2", C("gecos", "a\\u0007b"), "gecos"},
		{"home", C("home", "relative/x"), "home"},
		{"home2", C("home", "/home/x\\n/root"), "home"},
		{"shell", C("shell", "/bin/sh:x"), "shell"},
		{"until", C("valid_until", "soon"), "valid_until"},
		{"grp", C("groups", "ok, Bad Name"), "group name"},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	ksm_record **rs = calloc(n, sizeof(*rs));
	ksm_accounts *as;

	for (size_t i = 0; i < n; i++) {
		char uid[32];

		snprintf(uid, sizeof(uid), "Case%02zuRec000000000000", i);
		rs[i] = rec(uid, cases[i].login, cases[i].custom);
	}
	as = build(rs, n);
	free(rs);
	assert_int_equal(as->n_accounts, 0);
	for (size_t i = 0; i < n; i++) {
		char uid[32];
		const ksm_refusal *r;

		snprintf(uid, sizeof(uid), "Case%02zuRec000000000000", i);
		r = refusal_for(as, uid);
		if (!r || !strstr(r->reason, cases[i].reason) ||
		    !r->whole_account)
			fail_msg("case %zu (%s): got '%s', wanted '%s'", i,
				 cases[i].login, r ? r->reason : "(none)",
				 cases[i].reason);
	}
	ksm_accounts_free(as);
}

static void test_collisions_refuse_both(void **state)
{
	ksm_record *rs[4] = {
		rec("Dup1Rec000000000000000", "twin", C("uid", "251000")),
		rec("Dup2Rec000000000000000", "twin", C("uid", "251001")),
		rec("Uid1Rec000000000000000", "one", C("uid", "251002")),
		rec("Uid2Rec000000000000000", "two", C("uid", "251002")),
	};
	ksm_accounts *as = build(rs, 4);

	assert_int_equal(as->n_accounts, 0);
	for (int i = 0; i < 4; i++)
		assert_non_null(strstr(
			refusal_for(as, i == 0	 ? "Dup1Rec000000000000000"
					: i == 1 ? "Dup2Rec000000000000000"
					: i == 2 ? "Uid1Rec000000000000000"
						 : "Uid2Rec000000000000000")
				->reason,
			"also claimed"));
	ksm_accounts_free(as);
}

static void test_defaults_keys_groups(void **state)
{
	ksm_record *rs[2] = {
		rec("AliceRec00000000000000", "alice",
		    C("groups", "sudo, devs,devs") "," C(
			    "ssh_public_key", KEY_A
			    "\\n" KEY_B) "," C("ssh_public_key",
					       "command=\\\"x\\\" " KEY_A)),
		rec("BobRec0000000000000000", "bob",
		    C("uid", "252000") "," C("gid", "252500") "," C("groups", "devs") "," C(
			    "home",
			    "/srv/bob") "," C("shell",
					      "/bin/zsh") "," C("gecos",
								"Bob,B") "," C("valid_until",
									       "2030-01-02T03:04:05+01:00")),
	};
	ksm_accounts *as = build(rs, 2);
	const ksm_account *a = account(as, "alice"), *b = account(as, "bob");
	bool sudo = false, devs = false;

	assert_non_null(a);
	assert_non_null(b);
	/* Defaults: derived uid in derived_uid_range, private group gid =
	 * uid. */
	assert_true(a->uid >= 1879048192u && a->uid <= 2147352575u);
	assert_int_equal(a->gid, a->uid);
	assert_string_equal(a->home, "/home/alice");
	assert_string_equal(a->shell, "/bin/bash");
	assert_string_equal(a->gecos, "T alice");
	assert_int_equal(a->n_keys, 2);
	assert_true(a->has_password);
	/* The key with options was dropped, the account kept. */
	assert_non_null(refusal_for(as, "AliceRec00000000000000"));
	assert_false(refusal_for(as, "AliceRec00000000000000")->whole_account);
	assert_int_equal(b->uid, 252000);
	assert_int_equal(b->gid, 252500);
	assert_string_equal(b->home, "/srv/bob");
	assert_int_equal(b->valid_until, 1893549845);
	for (size_t i = 0; i < as->n_groups; i++) {
		if (!strcmp(as->groups[i].name, "sudo")) {
			sudo = as->groups[i].local && as->groups[i].gid == 27;
		} else if (!strcmp(as->groups[i].name, "devs")) {
			devs = !as->groups[i].local &&
			       as->groups[i].n_members == 2;
		}
	}
	assert_true(sudo);
	assert_true(devs);
	ksm_accounts_free(as);
}

static bool in_group(const ksm_accounts *as, const char *group)
{
	for (size_t i = 0; i < as->n_groups; i++)
		if (!strcmp(as->groups[i].name, group))
			return as->groups[i].n_members > 0;
	return false;
}

/* A single-valued custom field given twice with different values refuses
 * the account (tests/unit/test_privkey.c has the label spellings). */
static void test_duplicate_custom_field(void **state)
{
	ksm_record *rs[1] = {
		rec("TwiceRec00000000000000", "twice",
		    C("uid", "251500") "," C("uid", "251501")),
	};
	ksm_accounts *as = build(rs, 1);
	const ksm_refusal *r = refusal_for(as, "TwiceRec00000000000000");

	assert_null(account(as, "twice"));
	assert_non_null(r);
	assert_true(r->whole_account);
	assert_string_equal(r->reason,
			    "custom field 'uid' appears more than once, with "
			    "different values");
	ksm_accounts_free(as);
}

/* The account "greedy" with the custom fields given, under ksm.conf text
 * (conf is replaced; the caller frees it). */
static ksm_accounts *greedy_under(const char *text, const char *custom)
{
	ksm_record *rs[1];

	assert_int_equal(
		ksm_settings_parse(text, strlen(text), "t", &conf, NULL),
		KSM_OK);
	rs[0] = rec("GrpRec0000000000000000", "greedy", custom);
	return build(rs, 1);
}

/* Only local groups in local_groups (default: none); never the root group. */
static void test_local_groups_allowlist(void **state)
{
	static const char wide[] = "uid_range = 250000-259999\n"
				   "gid_range = 250000-259999\n"
				   "local_groups = *\n";
	static const char defaults[] = "uid_range = 250000-259999\n"
				       "gid_range = 250000-259999\n";
	ksm_settings *saved = conf;
	ksm_record *rs[1] = {
		rec("GrpRec0000000000000000", "greedy",
		    C("groups", "sudo,localgrp,root,vaultgrp")),
	};
	ksm_accounts *as = build(rs, 1);
	const ksm_account *a = account(as, "greedy");
	size_t dropped = 0;

	assert_non_null(a);
	assert_true(in_group(as, "sudo"));
	assert_true(in_group(as, "vaultgrp"));
	assert_false(in_group(as, "localgrp"));
	assert_false(in_group(as, "root"));
	for (size_t i = 0; i < as->n_refusals; i++)
		if (strstr(as->refusals[i].reason,
			   "not listed in local_groups") ||
		    strstr(as->refusals[i].reason, "gid 0 is never joined")) {
			assert_false(as->refusals[i].whole_account);
			dropped++;
		}
	assert_int_equal(dropped, 2);
	ksm_accounts_free(as);

	/* "*" allows every local group but the root group. */
	as = greedy_under(wide, C("groups", "sudo,localgrp,root"));
	assert_true(in_group(as, "localgrp"));
	assert_true(in_group(as, "sudo"));
	assert_false(in_group(as, "root"));
	ksm_accounts_free(as);
	ksm_settings_free(conf);

	/* The default (no local_groups line): no local group, not sudo. */
	as = greedy_under(defaults, C("groups", "sudo,vaultgrp"));
	assert_int_equal(conf->n_local_groups, 0);
	assert_non_null(account(as, "greedy"));
	assert_false(in_group(as, "sudo"));
	assert_true(in_group(as, "vaultgrp"));
	assert_non_null(refusal_for(as, "GrpRec0000000000000000"));
	assert_non_null(
		strstr(refusal_for(as, "GrpRec0000000000000000")->reason,
		       "not listed in local_groups"));
	ksm_accounts_free(as);
	ksm_settings_free(conf);
	conf = saved;
}

/* Hostile values: what C strings, logs or terminals would misread. */
static void test_hostile_values(void **state)
{
	ksm_record *rs[4] = {
		rec("NulRec0000000000000000", "evnul\\u0000root", NULL),
		rec("UidNlRec00000000000000", "unl",
		    C("uid", "12\\nksmctl: forged")),
		rec("GidNlRec00000000000000", "gnl", C("gid", "1\\r2")),
		rec("EscRec0000000000000000", "ev\\u001b[2Jil", NULL),
	};
	ksm_accounts *as = build(rs, 4);
	const ksm_refusal *r;

	assert_int_equal(as->n_accounts, 0);
	/* "evnul\u0000root" is not taken as the valid name "evnul". */
	r = refusal_for(as, "NulRec0000000000000000");
	assert_non_null(r);
	assert_non_null(strstr(r->reason, "NUL character"));
	/* The bad value is not quoted into the log line. */
	r = refusal_for(as, "UidNlRec00000000000000");
	assert_non_null(r);
	assert_string_equal(r->reason, "uid is not a number");
	r = refusal_for(as, "GidNlRec00000000000000");
	assert_non_null(r);
	assert_string_equal(r->reason, "gid is not a number");
	/* An invalid login with control characters is not logged as the name.
	 */
	r = refusal_for(as, "EscRec0000000000000000");
	assert_non_null(r);
	assert_string_equal(r->name, "");
	ksm_accounts_free(as);
}

/* A get_secret answer: records under app_key, plaintexts as given. */
static json_object *answer(const uint8_t app_key[32], const char *const *uids,
			   char *const *texts, size_t n)
{
	json_object *resp = json_object_new_object(),
		    *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_new_object();
		uint8_t rkey[32], *ct = NULL;
		size_t ctlen = 0;
		char *b;

		assert_int_equal(ksm_random(rkey, sizeof(rkey)), KSM_OK);
		assert_int_equal(ksm_gcm_encrypt(app_key, NULL, rkey,
						 sizeof(rkey), &ct, &ctlen),
				 KSM_OK);
		b = ksm_b64_encode(ct, ctlen, false);
		json_object_object_add(r, "recordKey",
				       json_object_new_string(b));
		free(b);
		free(ct);
		assert_int_equal(ksm_gcm_encrypt(rkey, NULL,
						 (const uint8_t *)texts[i],
						 strlen(texts[i]), &ct, &ctlen),
				 KSM_OK);
		b = ksm_b64_encode(ct, ctlen, false);
		json_object_object_add(r, "data", json_object_new_string(b));
		free(b);
		free(ct);
		json_object_object_add(r, "recordUid",
				       json_object_new_string(uids[i]));
		json_object_array_add(arr, r);
	}
	json_object_object_add(resp, "records", arr);
	return resp;
}

/* Records that cannot be read are refused by name, not dropped silently. */
static void test_unreadable_records(void **state)
{
	static const char *const uids[] = {
		"FineRec000000000000000", "BigRec0000000000000000",
		"DeepRec000000000000000", "Bad\nUid:x",
		"JunkRec000000000000000",
	};
	static const char folders[] = "account_folders = SomeFolder\n";
	enum { N = sizeof(uids) / sizeof(uids[0]), DEPTH = 100000 };
	static const char *const reasons[] = {
		NULL,
		"data too large",
		"nesting too deep",
		"record UID is not 1-64 characters",
		"malformed JSON",
	};
	static const char head[] =
		"{\"type\":\"pamUser\",\"title\":\"t\",\"fields\":"
		"[{\"type\":\"login\",\"value\":[\"x\"]}],\"notes\":\"";
	char *texts[N];
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_accounts *as = NULL;
	ksm_settings *cf = NULL;
	ksm_error err = {0};
	json_object *resp;
	size_t big = (1u << 20) + 10, n;

	texts[0] = strdup("{\"type\":\"pamUser\",\"title\":\"t\",\"fields\":"
			  "[{\"type\":\"login\",\"value\":[\"fine\"]}]}");
	texts[1] = malloc(big + 3);
	memcpy(texts[1], head, strlen(head));
	memset(texts[1] + strlen(head), 'A', big - strlen(head));
	strcpy(texts[1] + big, "\"}");
	texts[2] = malloc(2 * DEPTH + 128);
	n = (size_t)sprintf(texts[2],
			    "{\"type\":\"pamUser\",\"custom\":[{\"type\":"
			    "\"text\",\"value\":");
	memset(texts[2] + n, '[', DEPTH);
	memset(texts[2] + n + DEPTH, ']', DEPTH);
	strcpy(texts[2] + n + 2 * DEPTH, "}]}");
	texts[3] = strdup(texts[0]);
	texts[4] = strdup("{\"type\":\"pamUser\",");

	assert_int_equal(ksm_client_config_from_token(
				 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				 "fake.example", NULL, &cfg, NULL),
			 KSM_OK);
	assert_int_equal(ksm_client_new(cfg, NULL, &c, NULL), KSM_OK);
	c->bound = true;
	assert_int_equal(ksm_random(c->app_key, sizeof(c->app_key)), KSM_OK);
	resp = answer(c->app_key, uids, texts, N);
	assert_int_equal(ksm_secrets_from_response(c, resp, &s, NULL), KSM_OK);
	json_object_put(resp);
	assert_int_equal(ksm_secrets_count(s), 1);
	assert_int_equal(ksm_secrets_bad_count(s), N - 1);

	assert_int_equal(ksm_accounts_build(s, conf, local, &as, NULL), KSM_OK);
	assert_int_equal(as->n_accounts, 1);
	assert_string_equal(as->accounts[0].name, "fine");
	for (size_t i = 1; i < N; i++) {
		const ksm_refusal *r =
			refusal_for(as, i == 3 ? "Bad?Uid?x" : uids[i]);

		if (!r || !strstr(r->reason, reasons[i]) || !r->whole_account ||
		    !strstr(r->reason, "cannot be read"))
			fail_msg("record %zu: got '%s', wanted '%s'", i,
				 r ? r->reason : "(none)", reasons[i]);
	}
	ksm_accounts_free(as);

	/* A folder the answer does not show is an error, not 0 accounts. */
	assert_int_equal(
		ksm_settings_parse(folders, strlen(folders), "t", &cf, NULL),
		KSM_OK);
	assert_int_equal(ksm_accounts_build(s, cf, local, &as, &err),
			 KSM_ERR_CONFIG);
	assert_null(as);
	assert_non_null(strstr(err.message, "account_folders names "
					    "SomeFolder, but no folder"));
	/* Outside account_folders they are not accounts: no refusals. */
	assert_true(ksm_secrets_add_folder(s, "SomeFolder"));
	assert_int_equal(ksm_accounts_build(s, cf, local, &as, NULL), KSM_OK);
	assert_int_equal(as->n_refusals, 0);
	ksm_accounts_free(as);
	ksm_settings_free(cf);
	ksm_secrets_free(s);
	ksm_client_free(c);
	for (size_t i = 0; i < N; i++)
		free(texts[i]);
}

static bool same_str(const ksm_snap *a, uint32_t x, const ksm_snap *b,
		     uint32_t y)
{
	return strcmp(ksm_snap_str(a, x), ksm_snap_str(b, y)) == 0;
}

/* The same entry (by index) with the same content in two snapshots. */
static bool same_user(const ksm_snap *a, const struct ksm_snap_user *u,
		      const ksm_snap *b, const struct ksm_snap_user *v)
{
	if (u - a->users != v - b->users || u->uid != v->uid ||
	    u->gid != v->gid || u->flags != v->flags ||
	    u->valid_until != v->valid_until || u->n_groups != v->n_groups ||
	    u->n_keys != v->n_keys || !same_str(a, u->name, b, v->name) ||
	    !same_str(a, u->gecos, b, v->gecos) ||
	    !same_str(a, u->home, b, v->home) ||
	    !same_str(a, u->shell, b, v->shell) ||
	    !same_str(a, u->record_uid, b, v->record_uid))
		return false;
	for (uint32_t k = 0; k < u->n_groups; k++)
		if (a->ids[u->groups + k] != b->ids[v->groups + k])
			return false;
	for (uint32_t k = 0; k < u->n_keys; k++)
		if (!same_str(a, a->keys[u->keys + k].line, b,
			      b->keys[v->keys + k].line) ||
		    !same_str(a, a->keys[u->keys + k].fingerprint, b,
			      b->keys[v->keys + k].fingerprint))
			return false;
	return true;
}

static bool same_group(const ksm_snap *a, const struct ksm_snap_group *g,
		       const ksm_snap *b, const struct ksm_snap_group *h)
{
	if (g - a->groups != h - b->groups || g->gid != h->gid ||
	    g->local != h->local || g->n_members != h->n_members ||
	    !same_str(a, g->name, b, h->name))
		return false;
	for (uint32_t m = 0; m < g->n_members; m++)
		if (!same_str(a, a->users[a->ids[g->members + m]].name, b,
			      b->users[b->ids[h->members + m]].name))
			return false;
	return true;
}

/* A lookup in d (possibly damaged) of what good found (NULL: nothing):
 * the same entry, or DAMAGED; never another entry, never a miss. */
static bool user_answer_ok(const ksm_snap *good,
			   const struct ksm_snap_user *want, const ksm_snap *d,
			   ksm_snap_found f, const struct ksm_snap_user *got)
{
	if (f == KSM_SNAP_DAMAGED)
		return true;
	if (!want)
		return f == KSM_SNAP_NOTFOUND;
	return f == KSM_SNAP_FOUND && same_user(good, want, d, got);
}

static bool group_answer_ok(const ksm_snap *good,
			    const struct ksm_snap_group *want,
			    const ksm_snap *d, ksm_snap_found f,
			    const struct ksm_snap_group *got)
{
	if (f == KSM_SNAP_DAMAGED)
		return true;
	if (!want)
		return f == KSM_SNAP_NOTFOUND;
	return f == KSM_SNAP_FOUND && same_group(good, want, d, got);
}

/* Every lookup and walk of d against good; counts the DAMAGED answers. */
static bool lazy_answers_ok(const ksm_snap *good, ksm_snap *d, int *damaged)
{
	static const char *const names[] = {"alice", "bob",  "carol",
					    "devs",  "sudo", "nobody"};
	static const uint32_t ids[] = {250001, 250002, 250003, 27, 1, 0};
	const struct ksm_snap_user *u;
	const struct ksm_snap_group *g;
	ksm_snap_found f;
	bool ok = true;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		f = ksm_snap_find_user_by_name(d, names[i], &u);
		*damaged += f == KSM_SNAP_DAMAGED;
		ok &= user_answer_ok(
			good, ksm_snap_user_by_name(good, names[i]), d, f, u);
		f = ksm_snap_find_user_by_uid(d, ids[i], &u);
		*damaged += f == KSM_SNAP_DAMAGED;
		ok &= user_answer_ok(good, ksm_snap_user_by_uid(good, ids[i]),
				     d, f, u);
		f = ksm_snap_find_group_by_name(d, names[i], &g);
		*damaged += f == KSM_SNAP_DAMAGED;
		ok &= group_answer_ok(
			good, ksm_snap_group_by_name(good, names[i]), d, f, g);
		f = ksm_snap_find_group_by_gid(d, ids[i], &g);
		*damaged += f == KSM_SNAP_DAMAGED;
		ok &= group_answer_ok(good, ksm_snap_group_by_gid(good, ids[i]),
				      d, f, g);
	}
	if (!ksm_snap_check_enum(d, KSM_SNAP_WALK_USERS))
		(*damaged)++;
	else
		for (uint32_t p = 0; p <= good->n_users; p++) {
			const struct ksm_snap_user *w;

			ksm_snap_user_at(good, p, &w);
			f = ksm_snap_user_at(d, p, &u);
			*damaged += f == KSM_SNAP_DAMAGED;
			ok &= user_answer_ok(good, w, d, f, u);
		}
	if (!ksm_snap_check_enum(d, KSM_SNAP_WALK_GROUPS))
		(*damaged)++;
	else
		for (uint32_t p = 0; p <= good->n_groups; p++) {
			const struct ksm_snap_group *w;

			ksm_snap_group_at(good, p, &w);
			f = ksm_snap_group_at(d, p, &g);
			*damaged += f == KSM_SNAP_DAMAGED;
			ok &= group_answer_ok(good, w, d, f, g);
		}
	return ok;
}

/*
 * Each byte of the file flipped in turn: the full check refuses every one;
 * a lazy open either refuses the header, or answers every lookup and walk
 * as the undamaged file does or with DAMAGED, and notices the flip unless
 * it lies where no lookup reads (the name indexes, the padding, a bucket no
 * lookup here hashes to).
 */
static void flip_every_byte(const char *path)
{
	struct stat st;
	uint64_t *good_buf, *bad_buf;
	ksm_snap good, d;
	int fd = open(path, O_RDONLY), unnoticed = 0;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	good_buf = malloc((size_t)st.st_size);
	bad_buf = malloc((size_t)st.st_size);
	assert_non_null(good_buf);
	assert_non_null(bad_buf);
	assert_int_equal(read(fd, good_buf, (size_t)st.st_size), st.st_size);
	close(fd);
	assert_int_equal(
		ksm_snap_from_memory(good_buf, (size_t)st.st_size, &good),
		KSM_SNAPST_OK);
	for (off_t off = 0; off < st.st_size; off++) {
		int damaged = 0;

		memcpy(bad_buf, good_buf, (size_t)st.st_size);
		((uint8_t *)bad_buf)[off] ^= 0x5a;
		if (ksm_snap_from_memory(bad_buf, (size_t)st.st_size, &d) ==
		    KSM_SNAPST_OK)
			fail_msg("byte %lld flipped: the full check passes",
				 (long long)off);
		if (ksm_snap_from_memory_flags(bad_buf, (size_t)st.st_size,
					       KSM_SNAP_LAZY,
					       &d) != KSM_SNAPST_OK) {
			if (off >= (off_t)KSM_SNAP_HEADER_LEN &&
			    off != (off_t)(good.sec[KSM_SNAP_STRINGS].off +
					   good.strings_len - 1))
				fail_msg("byte %lld flipped: lazy open refused",
					 (long long)off);
			continue;
		}
		if (off < (off_t)KSM_SNAP_HEADER_LEN)
			fail_msg("header byte %lld flipped: lazy open passes",
				 (long long)off);
		if (!lazy_answers_ok(&good, &d, &damaged))
			fail_msg("byte %lld flipped: a wrong answer",
				 (long long)off);
		unnoticed += damaged == 0;
	}
	/* The name indexes and padding are a few hundred bytes at most. */
	if (unnoticed > st.st_size / 4)
		fail_msg("%d of %lld flips unnoticed", unnoticed,
			 (long long)st.st_size);
	free(good_buf);
	free(bad_buf);
}

static void test_snapshot_round_trip(void **state)
{
	ksm_record *rs[3] = {
		rec("AliceRec00000000000000", "alice",
		    C("uid", "250001") "," C("groups", "sudo,devs") "," C(
			    "ssh_public_key", KEY_A)),
		rec("BobRec0000000000000000", "bob",
		    C("uid", "250002") "," C("groups", "devs")),
		rec("CarolRec00000000000000", "carol", C("uid", "250003")),
	};
	ksm_accounts *as = build(rs, 3);
	const struct ksm_snap_user *u;
	const struct ksm_snap_group *g;
	char path[256];
	ksm_snap s;
	uint8_t byte;
	int fd;

	snprintf(path, sizeof(path), "%s/snapshot", dir);
	assert_int_equal(ksm_snapshot_write(as, path, 1700000000, NULL),
			 KSM_OK);
	assert_int_equal(ksm_snap_open(path, &s), KSM_SNAPST_OK);
	assert_int_equal(s.h->n_users, 3);
	assert_int_equal(s.h->generated_at, 1700000000);
	u = ksm_snap_user_by_name(&s, "alice");
	assert_non_null(u);
	assert_int_equal(u->uid, 250001);
	assert_string_equal(ksm_snap_str(&s, u->home), "/home/alice");
	assert_string_equal(ksm_snap_str(&s, u->record_uid),
			    "AliceRec00000000000000");
	assert_int_equal(u->n_keys, 1);
	assert_string_equal(ksm_snap_str(&s, s.keys[u->keys].line), KEY_A);
	assert_memory_equal(ksm_snap_str(&s, s.keys[u->keys].fingerprint),
			    "SHA256:", 7);
	assert_int_equal(u->n_groups, 2);
	assert_ptr_equal(ksm_snap_user_by_uid(&s, 250002),
			 ksm_snap_user_by_name(&s, "bob"));
	assert_null(ksm_snap_user_by_name(&s, "nobody"));
	assert_null(ksm_snap_user_by_uid(&s, 1));
	g = ksm_snap_group_by_name(&s, "devs");
	assert_non_null(g);
	assert_int_equal(g->n_members, 2);
	assert_ptr_equal(ksm_snap_group_by_gid(&s, g->gid), g);
	assert_ptr_equal(ksm_snap_group_by_gid(&s, 250003),
			 ksm_snap_group_by_name(&s, "carol"));
	assert_false(ksm_snap_stale(&s, path));
	ksm_snap_close(&s);

	/* Lazily: the same answers (the writer's entry and bucket CRCs). */
	{
		ksm_snap full, lazy;
		int damaged = 0;

		assert_int_equal(ksm_snap_open(path, &full), KSM_SNAPST_OK);
		assert_int_equal(
			ksm_snap_open_flags(path, KSM_SNAP_LAZY, &lazy),
			KSM_SNAPST_OK);
		assert_true(lazy_answers_ok(&full, &lazy, &damaged));
		assert_int_equal(damaged, 0);
		assert_non_null(ksm_snap_user_by_name(&lazy, "carol"));
		ksm_snap_close(&lazy);
		ksm_snap_close(&full);
	}
	flip_every_byte(path);

	/* One flipped byte anywhere after the header: corrupt. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, 300), 1);
	byte ^= 0x20;
	assert_int_equal(pwrite(fd, &byte, 1, 300), 1);
	assert_int_equal(ksm_snap_open(path, &s), KSM_SNAPST_CORRUPT);
	/* Truncated: corrupt. Missing: missing. */
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	assert_int_equal(ksm_snap_open(path, &s), KSM_SNAPST_CORRUPT);
	unlink(path);
	assert_int_equal(ksm_snap_open(path, &s), KSM_SNAPST_MISSING);
	ksm_accounts_free(as);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal_rules),
		cmocka_unit_test(test_collisions_refuse_both),
		cmocka_unit_test(test_defaults_keys_groups),
		cmocka_unit_test(test_local_groups_allowlist),
		cmocka_unit_test(test_duplicate_custom_field),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_unreadable_records),
		cmocka_unit_test(test_snapshot_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
