/* SPDX-License-Identifier: MIT */
/*
 * test_sync_rules.c - the account rules that span syncs: derived uids
 * (their range, stability, 10,000 records without a collision refusal),
 * a contested id kept by the record that held it at the last sync, derived
 * gids claimed twice, the drop guard (max_account_drop) and account_folders
 * entries that name no folder (docs/decisions.md, "Derived uids").
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "crypto.h"
#include "get_secrets.h"
#include "local_db_fixture.h"
#include "record.h"

static char dir[] = "/tmp/ksm-test-sync-rules.XXXXXX";
static char snap[300];
static ksm_local_db *local;

static int setup(void **state)
{
	if (fixture_local_db(dir, "root:x:0:0:root:/root:/bin/bash\n",
			     "root:x:0:\n", &local) != 0)
		return -1;
	snprintf(snap, sizeof(snap), "%s/snapshot", dir);
	return 0;
}

static int teardown(void **state)
{
	return fixture_local_db_end(dir, local);
}

static ksm_settings *conf_of(const char *text)
{
	ksm_settings *c = NULL;
	ksm_error err = {0};

	if (ksm_settings_parse(text, strlen(text), "t", &c, &err) != KSM_OK)
		fail_msg("%s", err.message);
	return c;
}

/* A pamUser record "u<i>" with UID "Rec<i>..." (22 characters), custom
 * fields as JSON. */
static ksm_record *rec(size_t i, const char *custom)
{
	char json[1024], uid[32];
	ksm_record *r = NULL;

	snprintf(uid, sizeof(uid), "Rec%019zu", i);
	snprintf(json, sizeof(json),
		 "{\"type\":\"pamUser\",\"title\":\"u%zu\",\"fields\":"
		 "[{\"type\":\"login\",\"value\":[\"u%zu\"]}],\"custom\":[%s]}",
		 i, i, custom ? custom : "");
	assert_int_equal(ksm_record_parse(uid, json, strlen(json), &r, NULL),
			 KSM_OK);
	return r;
}

/* Records lo..hi-1 (without custom fields), minus those skip() says. */
static ksm_secrets *vault(size_t lo, size_t hi, bool (*left_out)(size_t))
{
	ksm_record **rs = calloc(hi - lo + 1, sizeof(*rs));
	size_t n = 0;
	ksm_secrets *s;

	for (size_t i = lo; i < hi; i++)
		if (!left_out || !left_out(i))
			rs[n++] = rec(i, NULL);
	s = ksm_secrets_wrap(rs, n);
	assert_non_null(s);
	free(rs);
	return s;
}

static ksm_accounts *build(ksm_secrets *s, const ksm_settings *c,
			   const ksm_prior *prior)
{
	ksm_accounts *as = NULL;
	ksm_error err = {0};

	if (ksm_accounts_build_since(s, c, local, prior, &as, &err) != KSM_OK)
		fail_msg("build: %s", err.message);
	return as;
}

/* Write as the snapshot and read it back as the previous sync. */
static ksm_prior *sync_to_prior(const ksm_accounts *as)
{
	ksm_prior *p = NULL;

	assert_int_equal(ksm_snapshot_write(as, snap, 1700000000, NULL),
			 KSM_OK);
	assert_int_equal(ksm_prior_load(snap, &p, NULL), KSM_OK);
	return p;
}

static const ksm_account *by_record(const ksm_accounts *as, const char *ruid)
{
	for (size_t i = 0; i < as->n_accounts; i++)
		if (!strcmp(as->accounts[i].record_uid, ruid))
			return &as->accounts[i];
	return NULL;
}

static const ksm_refusal *refusal_for(const ksm_accounts *as, const char *ruid)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (!strcmp(as->refusals[i].record_uid, ruid))
			return &as->refusals[i];
	return NULL;
}

static size_t id_refusals(const ksm_accounts *as)
{
	size_t n = 0;

	for (size_t i = 0; i < as->n_refusals; i++)
		n += strstr(as->refusals[i].reason, "uid is also") ||
		     strstr(as->refusals[i].reason, "gid is also");
	return n;
}

/*
 * Record 0 (custom fields custom0) and the first record i >= 1 whose
 * derived uid is uid (its UID in name): a newcomer that collides.
 */
static ksm_secrets *with_colliding(const ksm_settings *c, uint32_t uid,
				   const char *custom0, char name[32])
{
	ksm_record *rs[2];

	for (size_t i = 1;; i++) {
		ksm_record *x = rec(i, NULL);
		uint32_t u, g;

		assert_int_equal(ksm_account_ids(x, c, &u, &g), KSM_OK);
		if (u == uid) {
			snprintf(name, 32, "Rec%019zu", i);
			rs[0] = rec(0, custom0);
			rs[1] = x;
			return ksm_secrets_wrap(rs, 2);
		}
		ksm_record_free(x);
	}
}

/* The defaults put derived ids in systemd's unused 0x70000000-0x7FFDFFFF,
 * and derive them as documented: lo + SHA-256(record UID)[0..8] mod size. */
static void test_derived_range(void **state)
{
	ksm_settings *c = conf_of("");
	ksm_record *rs[1] = {rec(7, NULL)};
	ksm_secrets *s = ksm_secrets_wrap(rs, 1);
	ksm_accounts *as = build(s, c, NULL);
	uint8_t d[32];
	uint64_t v = 0;

	assert_int_equal(c->derived_uid_min, 0x70000000u);
	assert_int_equal(c->derived_uid_max, 0x7FFDFFFFu);
	assert_int_equal(c->derived_gid_min, 0x70000000u);
	assert_int_equal(c->derived_gid_max, 0x7FFDFFFFu);
	ksm_sha256((const uint8_t *)"Rec0000000000000000007", 22, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	assert_int_equal(as->n_accounts, 1);
	assert_int_equal(
		as->accounts[0].uid,
		0x70000000u + (uint32_t)(v % (0x7FFDFFFFu - 0x70000000u + 1)));
	assert_int_equal(as->accounts[0].gid, as->accounts[0].uid);
	ksm_accounts_free(as);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

/* Custom fields may use uid_range or derived_uid_range, nothing else. */
static void test_custom_ranges(void **state)
{
	ksm_settings *c = conf_of("");
	ksm_record *rs[4] = {
		rec(1, "{\"type\":\"text\",\"label\":\"uid\",\"value\":["
		       "\"250001\"]}"),
		rec(2, "{\"type\":\"text\",\"label\":\"uid\",\"value\":["
		       "\"1879048200\"]}"),
		rec(3, "{\"type\":\"text\",\"label\":\"uid\",\"value\":["
		       "\"600000\"]}"),
		rec(4, "{\"type\":\"text\",\"label\":\"gid\",\"value\":["
		       "\"2147352576\"]}"),
	};
	ksm_secrets *s = ksm_secrets_wrap(rs, 4);
	ksm_accounts *as = build(s, c, NULL);

	assert_int_equal(by_record(as, "Rec0000000000000000001")->gid, 250001);
	assert_int_equal(by_record(as, "Rec0000000000000000002")->gid,
			 1879048200u);
	assert_null(by_record(as, "Rec0000000000000000003"));
	assert_non_null(
		strstr(refusal_for(as, "Rec0000000000000000003")->reason,
		       "uid 600000 is outside uid_range 200000-299999 "
		       "and derived_uid_range 1879048192-2147352575"));
	/* The foreign range (0x7FFE0000) is systemd's. */
	assert_non_null(
		strstr(refusal_for(as, "Rec0000000000000000004")->reason,
		       "gid 2147352576 is outside gid_range"));
	ksm_accounts_free(as);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

/*
 * A derived uid claimed by a new record: the account that had it at the
 * last sync keeps it and only the newcomer is refused; without a previous
 * sync both are (nobody can tell who came first).
 */
static void test_incumbent_keeps_uid(void **state)
{
	ksm_settings *c =
		conf_of("derived_uid_range = 1879048192-1879048195\n"
			"derived_gid_range = 1879048192-1879048195\n");
	ksm_secrets *s = vault(0, 1, NULL);
	ksm_accounts *first = build(s, c, NULL), *as;
	uint32_t held = first->accounts[0].uid;
	ksm_prior *prior = sync_to_prior(first);
	char newcomer[32];
	const ksm_refusal *r;

	/* A record whose derived uid is the same (1 in 4). */
	ksm_secrets_free(s);
	s = with_colliding(c, held, NULL, newcomer);

	as = build(s, c, prior);
	assert_int_equal(as->n_accounts, 1);
	assert_int_equal(by_record(as, "Rec0000000000000000000")->uid, held);
	r = refusal_for(as, newcomer);
	assert_non_null(r);
	assert_true(r->whole_account);
	assert_non_null(strstr(r->reason, "the uid is also claimed by record "
					  "Rec0000000000000000000, which held "
					  "it at the last sync (set the uid "
					  "custom field of this record to a "
					  "free uid, e.g. "));
	ksm_accounts_free(as);

	/* No previous sync: both refused, each told how to fix it. */
	as = build(s, c, NULL);
	assert_int_equal(as->n_accounts, 0);
	assert_non_null(strstr(refusal_for(as, newcomer)->reason,
			       "neither is published (set the uid custom "
			       "field of one of them to a free uid, e.g. "));
	assert_non_null(
		strstr(refusal_for(as, "Rec0000000000000000000")->reason,
		       "neither is published"));
	ksm_accounts_free(as);
	ksm_accounts_free(first);
	ksm_prior_free(prior);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

/*
 * A record refused for a value (here its shell) still claims its uid: a new
 * record deriving the same one is refused, at this sync (the refused one
 * had it) and at the next ones (neither can be told first), never given
 * the refused user's uid and files.
 */
static void test_refused_record_keeps_claim(void **state)
{
	static const char bad_shell[] =
		"{\"type\":\"text\",\"label\":\"shell\",\"value\":[\"bash\"]}";
	ksm_settings *c =
		conf_of("derived_uid_range = 1879048192-1879048195\n"
			"derived_gid_range = 1879048192-1879048195\n");
	ksm_secrets *s = vault(0, 1, NULL);
	ksm_accounts *first = build(s, c, NULL), *as;
	uint32_t held = first->accounts[0].uid;
	ksm_prior *prior = sync_to_prior(first), *later;
	char newcomer[32];

	ksm_secrets_free(s);
	s = with_colliding(c, held, bad_shell, newcomer);

	as = build(s, c, prior);
	assert_int_equal(as->n_accounts, 0);
	assert_non_null(strstr(
		refusal_for(as, "Rec0000000000000000000")->reason, "shell"));
	assert_non_null(strstr(refusal_for(as, newcomer)->reason,
			       "the uid is also claimed by record "
			       "Rec0000000000000000000, which held it at the "
			       "last sync"));
	/* The next sync's snapshot has neither: still not the newcomer's. */
	later = sync_to_prior(as);
	ksm_accounts_free(as);
	as = build(s, c, later);
	assert_int_equal(as->n_accounts, 0);
	assert_non_null(strstr(refusal_for(as, newcomer)->reason,
			       "neither is published"));
	ksm_accounts_free(as);
	ksm_accounts_free(first);
	ksm_prior_free(prior);
	ksm_prior_free(later);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

/*
 * gids derived apart from the uid (uids outside the gid ranges): two
 * accounts that would share a private group by accident are refused like
 * a uid; a shared custom gid is a shared group, on purpose.
 */
static void test_derived_gid_collision(void **state)
{
	ksm_settings *c = conf_of("gid_range = 300000-300010\n"
				  "derived_gid_range = 300000-300000\n");
	static const char same_gid[] =
		"{\"type\":\"text\",\"label\":\"gid\",\"value\":[\"300005\"]}";
	ksm_record *rs[4] = {rec(0, NULL), rec(1, NULL), rec(2, same_gid),
			     rec(3, same_gid)};
	ksm_secrets *s = ksm_secrets_wrap(rs, 4);
	ksm_accounts *as = build(s, c, NULL);

	assert_null(by_record(as, "Rec0000000000000000000"));
	assert_null(by_record(as, "Rec0000000000000000001"));
	assert_non_null(
		strstr(refusal_for(as, "Rec0000000000000000001")->reason,
		       "the gid is also claimed by record "
		       "Rec0000000000000000000; neither is published"));
	assert_int_equal(by_record(as, "Rec0000000000000000002")->gid, 300005);
	assert_int_equal(by_record(as, "Rec0000000000000000003")->gid, 300005);
	ksm_accounts_free(as);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

static bool every_7th(size_t i)
{
	return i % 7 == 3;
}

/*
 * 10,000 records without uid fields: no account refused for an id, and
 * removing 1,428 of them and adding 1,500 others changes no remaining
 * account's uid or gid; a second host with no history of its own (no
 * previous snapshot) computes the very same ids.
 */
static void test_ten_thousand_stable(void **state)
{
	enum { N = 10000, MORE = 1500 };
	ksm_settings *c = conf_of("");
	ksm_secrets *s = vault(0, N, NULL);
	ksm_accounts *first = build(s, c, NULL), *next, *fresh;
	ksm_prior *prior = sync_to_prior(first);

	assert_int_equal(first->n_accounts, N);
	assert_int_equal(id_refusals(first), 0);
	ksm_secrets_free(s);
	s = vault(0, N + MORE, every_7th);
	next = build(s, c, prior);
	fresh = build(s, c, NULL);
	assert_int_equal(id_refusals(next), 0);
	assert_int_equal(next->n_accounts, ksm_secrets_count(s));
	assert_int_equal(fresh->n_accounts, next->n_accounts);
	for (size_t i = 0; i < first->n_accounts; i++) {
		const ksm_account *a = &first->accounts[i], *b;

		b = by_record(next, a->record_uid);
		if (!b)
			continue; /* removed */
		assert_int_equal(b->uid, a->uid);
		assert_int_equal(b->gid, a->gid);
	}
	for (size_t i = 0; i < next->n_accounts; i++) {
		const ksm_account *b = &next->accounts[i];

		assert_int_equal(by_record(fresh, b->record_uid)->uid, b->uid);
		assert_int_equal(by_record(fresh, b->record_uid)->gid, b->gid);
	}
	ksm_accounts_free(first);
	ksm_accounts_free(next);
	ksm_accounts_free(fresh);
	ksm_prior_free(prior);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

static size_t drop_lo;

static bool below_drop(size_t i)
{
	return i < drop_lo;
}

/* removed > max(N, P % of before) refuses; exactly the limit passes. */
static void drop_case(const char *text, size_t before, size_t removed,
		      size_t allowed, bool refused)
{
	ksm_settings *c = conf_of(text);
	ksm_secrets *s = vault(0, before, NULL);
	ksm_accounts *as = build(s, c, NULL);
	ksm_prior *prior = sync_to_prior(as);
	ksm_drop_check d;

	ksm_accounts_free(as);
	ksm_secrets_free(s);
	drop_lo = removed;
	s = vault(0, before + 3, below_drop); /* 3 added */
	as = build(s, c, prior);
	ksm_accounts_drop_check(as, prior, c, &d);
	if (d.before != before || d.removed != removed ||
	    d.allowed != allowed || d.refused != refused)
		fail_msg("'%s' %zu-%zu: before %zu removed %zu allowed %zu "
			 "refused %d",
			 text, before, removed, d.before, d.removed, d.allowed,
			 d.refused);
	ksm_accounts_free(as);
	ksm_prior_free(prior);
	ksm_secrets_free(s);
	ksm_settings_free(c);
}

static void test_drop_guard(void **state)
{
	ksm_drop_check d;
	ksm_settings *c = conf_of("");

	/* Defaults: 10 %, at least 5 accounts. */
	drop_case("", 20, 5, 5, false);
	drop_case("", 20, 6, 5, true);
	drop_case("", 100, 10, 10, false);
	drop_case("", 100, 11, 10, true);
	drop_case("max_account_drop = 50%\n", 9, 4, 4, false);
	drop_case("max_account_drop = 50%\n", 9, 5, 4, true);
	drop_case("max_account_drop = 0\n", 10, 1, 0, true);
	drop_case("max_account_drop = 100%\n", 10, 10, 10, false);
	drop_case("max_account_drop = 3, 20%\n", 30, 6, 6, false);
	/* No previous snapshot: nothing to remove. */
	ksm_accounts_drop_check(NULL, NULL, c, &d);
	assert_int_equal(d.before, 0);
	assert_false(d.refused);
	ksm_settings_free(c);
}

/* A missing or unusable snapshot is a first sync, not an error. */
static void test_prior_missing(void **state)
{
	ksm_prior *p = NULL;
	char path[320];
	FILE *f;

	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(ksm_prior_load(path, &p, NULL), KSM_OK);
	assert_int_equal(ksm_prior_count(p), 0);
	ksm_prior_free(p);
	snprintf(path, sizeof(path), "%s/junk", dir);
	f = fopen(path, "w");
	fputs("not a snapshot", f);
	fclose(f);
	assert_int_equal(ksm_prior_load(path, &p, NULL), KSM_OK);
	assert_int_equal(ksm_prior_count(p), 0);
	ksm_prior_free(p);
}

/* account_folders entries must name a folder the answer shows: a shared
 * folder (even an empty one) or a record's folder or subfolder. */
static void test_account_folders_seen(void **state)
{
	ksm_settings *c;
	ksm_record *rs[1] = {rec(1, NULL)};
	ksm_secrets *s;
	ksm_accounts *as = NULL;
	ksm_error err = {0};

	rs[0]->folder_uid = ksm_strdup("SharedFolder0000000000");
	rs[0]->inner_folder_uid = ksm_strdup("InnerFolder00000000000");
	s = ksm_secrets_wrap(rs, 1);
	assert_true(ksm_secrets_add_folder(s, "EmptyShared00000000000"));

	c = conf_of("account_folders = InnerFolder00000000000, "
		    "EmptyShared00000000000\n");
	as = build(s, c, NULL);
	assert_int_equal(as->n_accounts, 1);
	ksm_accounts_free(as);
	ksm_settings_free(c);

	c = conf_of("account_folders = SharedFolder0000000000, "
		    "SharedFolder000000000O\n");
	assert_int_equal(ksm_accounts_build(s, c, local, &as, &err),
			 KSM_ERR_CONFIG);
	assert_null(as);
	assert_string_equal(err.message,
			    "account_folders names SharedFolder000000000O, but "
			    "no folder the application sees has that UID (a "
			    "typo, a folder not shared with the application, "
			    "or a subfolder without records)");
	ksm_settings_free(c);
	ksm_secrets_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derived_range),
		cmocka_unit_test(test_custom_ranges),
		cmocka_unit_test(test_incumbent_keeps_uid),
		cmocka_unit_test(test_refused_record_keeps_claim),
		cmocka_unit_test(test_derived_gid_collision),
		cmocka_unit_test(test_ten_thousand_stable),
		cmocka_unit_test(test_drop_guard),
		cmocka_unit_test(test_prior_missing),
		cmocka_unit_test(test_account_folders_seen),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
