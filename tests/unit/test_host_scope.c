/* SPDX-License-Identifier: MIT */
/*
 * test_host_scope.c - host_record: the accounts are the records linked to
 * this host's pamMachine (by UID, or "auto" by pamHostname; links in either
 * direction), is_admin links get admin_groups (local ones without a
 * local_groups entry, never gid 0), the others are off_host; no, several
 * or a wrong machine is an error naming the candidates.
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
#include <unistd.h>

#include "get_secrets.h"
#include "links.h"
#include "local_db_fixture.h"
#include "record.h"

#define M  "MachineHere00000000000"
#define M2 "MachineOther0000000000"

static char dir[] = "/tmp/ksm-test-host-scope.XXXXXX";
static ksm_local_db *local;
static char host[256];

static int setup(void **state)
{
	if (gethostname(host, sizeof(host) - 1) != 0)
		return -1;
	/* The short name: what "auto" compares besides the FQDN. */
	host[strcspn(host, ".")] = '\0';
	return fixture_local_db(dir, "root:x:0:0:root:/root:/bin/bash\n",
				"root:x:0:\nsudo:x:27:\nadm:x:4:\n", &local);
}

static int teardown(void **state)
{
	return fixture_local_db_end(dir, local);
}

/* A record from its JSON and its links in the decoded form. */
static ksm_record *rec(const char *uid, const char *json, const char *links)
{
	ksm_record *r = NULL;
	json_object *l;

	assert_int_equal(ksm_record_parse(uid, json, strlen(json), &r, NULL),
			 KSM_OK);
	if (links) {
		l = json_tokener_parse(links);
		assert_non_null(l);
		assert_true(ksm_links_from_json(l, &r->links, &r->n_links));
		json_object_put(l);
	}
	return r;
}

static ksm_record *user(const char *uid, const char *login, const char *links)
{
	char json[512];

	snprintf(json, sizeof(json),
		 "{\"type\":\"pamUser\",\"title\":\"%s\",\"fields\":"
		 "[{\"type\":\"login\",\"value\":[\"%s\"]}],\"custom\":[]}",
		 login, login);
	return rec(uid, json, links);
}

static ksm_record *machine(const char *uid, const char *hostname,
			   const char *links)
{
	char json[700];

	snprintf(json, sizeof(json),
		 "{\"type\":\"pamMachine\",\"title\":\"m %s\",\"fields\":"
		 "[{\"type\":\"pamHostname\",\"label\":\"pamHostname\","
		 "\"value\":[{\"hostName\":\"%s\",\"port\":\"22\"}]}]}",
		 uid, hostname);
	return rec(uid, json, links);
}

/* The vault: M (this host, by hostname) links ada (is_admin), bob and a
 * record the application does not see; fay links M herself; carl is M2's. */
static ksm_secrets *vault(const char *m_host, const char *m2_host)
{
	static const char m_links[] =
		"[{\"recordUid\":\"UserAda000000000000000\","
		"\"data\":{\"is_admin\":true}},"
		"{\"recordUid\":\"UserBob000000000000000\","
		"\"data\":{\"belongs_to\":true}},"
		"{\"recordUid\":\"UserNotShared000000000\",\"data\":null},"
		"{\"recordUid\":\"" M "\",\"path\":\"meta\","
		"\"data\":{\"version\":1}}]";
	ksm_record *rs[6];

	rs[0] = machine(M, m_host, m_links);
	rs[1] = machine(M2, m2_host,
			"[{\"recordUid\":\"UserCarl00000000000000\","
			"\"data\":{\"is_admin\":true}}]");
	rs[2] = user("UserAda000000000000000", "ada", NULL);
	rs[3] = user("UserBob000000000000000", "bob", NULL);
	rs[4] = user("UserCarl00000000000000", "carl", NULL);
	rs[5] = user("UserFay000000000000000", "fay",
		     "[{\"recordUid\":\"" M "\","
		     "\"data\":{\"is_admin\":true}}]");
	return ksm_secrets_wrap(rs, 6);
}

static ksm_status build_on(const char *conf_text, const char *m_host,
			   const char *m2_host, ksm_accounts **as,
			   ksm_error *err)
{
	ksm_settings *conf = NULL;
	ksm_secrets *s = vault(m_host, m2_host);
	ksm_status st;

	assert_non_null(s);
	assert_int_equal(ksm_settings_parse(conf_text, strlen(conf_text), "t",
					    &conf, NULL),
			 KSM_OK);
	st = ksm_accounts_build(s, conf, local, as, err);
	ksm_settings_free(conf);
	ksm_secrets_free(s);
	return st;
}

static ksm_status build(const char *conf_text, const char *m2_host,
			ksm_accounts **as, ksm_error *err)
{
	return build_on(conf_text, host, m2_host, as, err);
}

static const ksm_account *account(const ksm_accounts *as, const char *name)
{
	for (size_t i = 0; i < as->n_accounts; i++)
		if (!strcmp(as->accounts[i].name, name))
			return &as->accounts[i];
	return NULL;
}

static bool has_group(const ksm_account *a, const char *g)
{
	for (size_t i = 0; i < a->n_groups; i++)
		if (!strcmp(a->groups[i], g))
			return true;
	return false;
}

/* Is the account name a member of the group g (of the build)? */
static bool in_group(const ksm_accounts *as, const char *g, const char *name)
{
	for (size_t i = 0; i < as->n_groups; i++)
		for (size_t j = 0; !strcmp(as->groups[i].name, g) &&
				   j < as->groups[i].n_members;
		     j++)
			if (!strcmp(as->accounts[as->groups[i].members[j]].name,
				    name))
				return true;
	return false;
}

static bool refused(const ksm_accounts *as, const char *reason)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (strstr(as->refusals[i].reason, reason))
			return true;
	return false;
}

static const ksm_refusal *off_host(const ksm_accounts *as, const char *uid)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (as->refusals[i].off_host &&
		    !strcmp(as->refusals[i].record_uid, uid))
			return &as->refusals[i];
	return NULL;
}

static void test_none_is_every_record(void **state)
{
	ksm_accounts *as = NULL;

	assert_int_equal(build("", "elsewhere", &as, NULL), KSM_OK);
	assert_int_equal(as->n_accounts, 4);
	assert_null(as->host_record_uid);
	for (size_t i = 0; i < as->n_refusals; i++)
		assert_false(as->refusals[i].off_host);
	ksm_accounts_free(as);
}

static void test_auto_by_hostname(void **state)
{
	ksm_accounts *as = NULL;
	const ksm_account *ada, *bob, *fay;
	const ksm_refusal *r;

	assert_int_equal(build("host_record = auto\n"
			       "admin_groups = sudo, admins\n",
			       "elsewhere", &as, NULL),
			 KSM_OK);
	assert_string_equal(as->host_record_uid, M);
	assert_int_equal(as->host_linked, 4); /* ada, bob, unshared, fay */
	assert_int_equal(as->n_accounts, 3);
	ada = account(as, "ada");
	bob = account(as, "bob");
	fay = account(as, "fay");
	assert_non_null(ada);
	assert_non_null(bob);
	assert_non_null(fay); /* her own link names the machine */
	assert_null(account(as, "carl"));
	/* is_admin: admin_groups, sudo although local_groups is empty. */
	assert_true(ada->host_admin && has_group(ada, "sudo") &&
		    has_group(ada, "admins"));
	assert_true(in_group(as, "sudo", "ada"));
	assert_true(in_group(as, "admins", "ada"));
	assert_false(in_group(as, "sudo", "bob"));
	/* Her own link's is_admin does not count: only the machine's. */
	assert_false(fay->host_admin || has_group(fay, "sudo"));
	assert_false(in_group(as, "sudo", "fay"));
	assert_false(bob->host_admin || has_group(bob, "sudo"));
	r = off_host(as, "UserCarl00000000000000");
	assert_non_null(r);
	assert_string_equal(r->name, "carl");
	assert_non_null(strstr(r->reason, "not linked to this host's "
					  "pamMachine " M));
	r = off_host(as, "UserNotShared000000000");
	assert_non_null(r);
	assert_non_null(strstr(r->reason, "not in the vault's answer"));
	/* The self-link (meta) is no member. */
	assert_null(off_host(as, M));
	ksm_accounts_free(as);
}

static void test_uid_and_gid0(void **state)
{
	ksm_accounts *as = NULL;
	const ksm_account *carl;

	/* By UID; gid 0 is never joined, not even through admin_groups. */
	assert_int_equal(build("host_record = " M2 "\n"
			       "admin_groups = root, adm\n",
			       "elsewhere", &as, NULL),
			 KSM_OK);
	assert_int_equal(as->n_accounts, 1);
	carl = account(as, "carl");
	assert_non_null(carl);
	assert_true(carl->host_admin);
	assert_true(in_group(as, "adm", "carl"));
	assert_false(in_group(as, "root", "carl"));
	assert_true(refused(as, "group root dropped: gid 0 is never joined"));
	assert_non_null(off_host(as, "UserAda000000000000000"));
	ksm_accounts_free(as);
}

static void test_errors(void **state)
{
	ksm_accounts *as = NULL;
	ksm_error err = {0};

	/* Two pamMachines of this host's name: both named. */
	assert_int_equal(build("host_record = auto\n", host, &as, &err),
			 KSM_ERR_AMBIGUOUS);
	assert_null(as);
	assert_non_null(strstr(err.message, "2 pamMachine records"));
	assert_non_null(strstr(err.message, M));
	assert_non_null(strstr(err.message, M2));
	/* No pamMachine of this host's name: the machines are listed. */
	assert_int_equal(build_on("host_record = auto\n", "elsewhere.example",
				  "other.example", &as, &err),
			 KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "no pamMachine record has"));
	assert_non_null(strstr(err.message, M " (elsewhere.example)"));
	assert_non_null(strstr(err.message, M2 " (other.example)"));
	/* Unknown UID; a record that is not a pamMachine. */
	assert_int_equal(build("host_record = NoSuchRecord\n", "x", &as, &err),
			 KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "NoSuchRecord is not in the"));
	assert_int_equal(
		build("host_record = UserAda000000000000000\n", "x", &as, &err),
		KSM_ERR_INVALID);
	assert_non_null(strstr(err.message, "not a pamMachine"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_is_every_record),
		cmocka_unit_test(test_auto_by_hostname),
		cmocka_unit_test(test_uid_and_gid0),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
