/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vault.c - libFuzzer target: a whole vault's records through what
 * "ksmctl sync" does with them: ksm_accounts_build (per-record rules,
 * collisions refused on both sides, local accounts and groups respected,
 * private and supplementary groups), ksm_snapshot_write, and the reader
 * nss_ksm and the keys helper use (ksm_snap_open, full check) on the file
 * written.
 *
 * Input: byte 0 flags, byte 1 a mask, then up to 12 record plaintexts
 * separated by NUL bytes (each through ksm_record_parse, as after
 * decryption). Record i has UID i, or the UID of record i-1 when bit i of
 * the mask is set (the same record reached twice, e.g. by a shortcut).
 *   flags bit 0  a ksm.conf with narrow uid and gid ranges, derived ones
 *                too (5000-5009, 5005-5020), so that derived ids collide;
 *   flags bit 1  an empty local passwd/group instead of the fixture's;
 *   flags bit 2  a previous sync: the records but the last are built and
 *                written as the snapshot first, and the whole set is built
 *                with that snapshot as ksm_prior.
 *   flags bit 3  host_record = auto, admin_groups = sudo, staff, root
 *                (this host's pamMachine by pamHostname; these records
 *                have no links, so none is an account, and no or several
 *                machines fail the build).
 *
 * Invariants (abort on violation): published names and uids are unique and
 * clash with no local user, uid, group gid or group name; a refused record
 * publishes nothing; with host_record no account (no links); every
 * account's primary gid has a group; groups have
 * unique names and gids and valid member indexes; the snapshot written is
 * accepted by the reader and gives back every account and group as built.
 * With a previous sync, the record added last never costs an account of
 * that sync its uid or gid: each is published again with the same ids,
 * unless the newcomer claims its name (names are refused on both sides).
 */
#include "client.h"
#include "fileio.h"
#include "get_secrets.h"
#include "snapshot_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 12

static ksm_settings *confs[4];
/* flags bit 0: the narrow ranges; bit 3: host_record. */
#define CONF(flags) confs[((flags)&1) | (((flags) >> 2) & 2)]
static ksm_local_db *locals[2];
static char dir[256], snap_path[300], pw_path[300], gr_path[300];
static char empty_path[300];
/* FUZZ_VERBOSE=1: say what each input gave (to check the seeds). */
static bool verbose;

static const char passwd_text[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"alice:x:1000:1000:Local Alice:/home/alice:/bin/bash\n"
	"svc:x:5003:5003::/:/bin/false\n"
	"ops:x:200100:200100::/home/ops:/bin/sh\n";
static const char group_text[] = "root:x:0:\n"
				 "sudo:x:27:alice\n"
				 "users:x:100:\n"
				 "alice:x:1000:\n"
				 "staff:x:5007:\n"
				 "devs:x:5012:\n"
				 "ops:x:200100:\n"
				 "lab:x:200200:ops\n";

static void cleanup(void)
{
	char lock[320];

	snprintf(lock, sizeof(lock), "%s.lock", snap_path);
	unlink(snap_path);
	unlink(lock);
	unlink(pw_path);
	unlink(gr_path);
	unlink(empty_path);
	rmdir(dir);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char alt[] = "uid_range = 5000-5009\n"
				  "gid_range = 5005-5020\n"
				  "derived_uid_range = 5000-5009\n"
				  "derived_gid_range = 5005-5020\n";
	static const char host[] = "host_record = auto\n"
				   "admin_groups = sudo, staff, root\n";
	static const char host_alt[] = "uid_range = 5000-5009\n"
				       "gid_range = 5005-5020\n"
				       "derived_uid_range = 5000-5009\n"
				       "derived_gid_range = 5005-5020\n"
				       "host_record = auto\n"
				       "admin_groups = sudo, staff, root\n";
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, sizeof(dir), "%s/fuzz_vault.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(snap_path, sizeof(snap_path), "%s/snapshot", dir);
	snprintf(pw_path, sizeof(pw_path), "%s/passwd", dir);
	snprintf(gr_path, sizeof(gr_path), "%s/group", dir);
	snprintf(empty_path, sizeof(empty_path), "%s/empty", dir);
	atexit(cleanup);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	put(pw_path, passwd_text);
	put(gr_path, group_text);
	put(empty_path, "");
	if (ksm_settings_parse("", 0, "fuzz", &confs[0], NULL) != KSM_OK ||
	    ksm_settings_parse(alt, sizeof(alt) - 1, "fuzz-alt", &confs[1],
			       NULL) != KSM_OK ||
	    ksm_settings_parse(host, sizeof(host) - 1, "fuzz-host", &confs[2],
			       NULL) != KSM_OK ||
	    ksm_settings_parse(host_alt, sizeof(host_alt) - 1, "fuzz-host-alt",
			       &confs[3], NULL) != KSM_OK ||
	    ksm_local_db_load(pw_path, gr_path, &locals[0], NULL) != KSM_OK ||
	    ksm_local_db_load(empty_path, empty_path, &locals[1], NULL) !=
		    KSM_OK)
		abort();
	return 0;
}

/* ---------------------------------------------------------------- checks */

static bool local_user(bool empty, const char *name, uint32_t uid)
{
	static const struct {
		const char *name;
		uint32_t uid;
	} users[] = {{"root", 0},
		     {"daemon", 1},
		     {"alice", 1000},
		     {"svc", 5003},
		     {"ops", 200100}};

	for (size_t i = 0; !empty && i < sizeof(users) / sizeof(users[0]); i++)
		if ((name && !strcmp(name, users[i].name)) ||
		    (!name && uid == users[i].uid))
			return true;
	return false;
}

static bool local_group(bool empty, const char *name, uint32_t gid)
{
	static const struct {
		const char *name;
		uint32_t gid;
	} groups[] = {{"root", 0},     {"sudo", 27},	{"users", 100},
		      {"alice", 1000}, {"staff", 5007}, {"devs", 5012},
		      {"ops", 200100}, {"lab", 200200}};

	for (size_t i = 0; !empty && i < sizeof(groups) / sizeof(groups[0]);
	     i++)
		if ((name && !strcmp(name, groups[i].name)) ||
		    (!name && gid == groups[i].gid))
			return true;
	return false;
}

static void check_accounts(const ksm_accounts *as, bool empty)
{
	for (size_t i = 0; i < as->n_accounts; i++) {
		const ksm_account *a = &as->accounts[i];
		bool has_group = false;

		if (local_user(empty, a->name, 0) ||
		    local_user(empty, NULL, a->uid) ||
		    local_group(empty, NULL, a->gid) ||
		    local_group(empty, a->name, 0))
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(a->name, as->accounts[j].name) ||
			    a->uid == as->accounts[j].uid)
				abort();
		for (size_t k = 0; k < as->n_refusals; k++)
			if (as->refusals[k].whole_account &&
			    !strcmp(as->refusals[k].record_uid, a->record_uid))
				abort();
		for (size_t g = 0; g < as->n_groups; g++)
			has_group |= as->groups[g].gid == a->gid;
		if (!has_group)
			abort();
	}
	for (size_t g = 0; g < as->n_groups; g++) {
		const ksm_group *gr = &as->groups[g];

		if (!gr->name[0] ||
		    gr->local != local_group(empty, gr->name, 0))
			abort();
		for (size_t m = 0; m < gr->n_members; m++) {
			if (gr->members[m] >= as->n_accounts)
				abort();
			for (size_t k = 0; k < m; k++)
				if (gr->members[k] == gr->members[m])
					abort();
		}
		for (size_t h = 0; h < g; h++)
			if (!strcmp(gr->name, as->groups[h].name) ||
			    gr->gid == as->groups[h].gid)
				abort();
	}
	for (size_t k = 0; k < as->n_refusals; k++)
		if (!as->refusals[k].record_uid || !as->refusals[k].name ||
		    !as->refusals[k].reason || !as->refusals[k].reason[0])
			abort();
}

static void check_snapshot(const ksm_accounts *as)
{
	ksm_snap s;
	ksm_snap_status st = ksm_snap_open(snap_path, &s);

	if (st != KSM_SNAPST_OK) {
		fprintf(stderr, "fuzz_vault: the snapshot written is %s\n",
			ksm_snap_status_str(st));
		abort();
	}
	if (s.h->n_users != as->n_accounts || s.h->n_groups != as->n_groups)
		abort();
	for (size_t i = 0; i < as->n_accounts; i++) {
		const ksm_account *a = &as->accounts[i];
		const struct ksm_snap_user *u =
			ksm_snap_user_by_name(&s, a->name);
		size_t n_sup = 0;

		if (!u || ksm_snap_user_by_uid(&s, a->uid) != u ||
		    u->uid != a->uid || u->gid != a->gid ||
		    u->valid_until != a->valid_until ||
		    strcmp(ksm_snap_str(&s, u->home), a->home) ||
		    strcmp(ksm_snap_str(&s, u->shell), a->shell) ||
		    strcmp(ksm_snap_str(&s, u->gecos), a->gecos) ||
		    strcmp(ksm_snap_str(&s, u->record_uid), a->record_uid) ||
		    u->n_keys != a->n_keys ||
		    !!(u->flags & KSM_SNAP_HAS_PASSWORD) != a->has_password ||
		    !!(u->flags & KSM_SNAP_HAS_TOTP) != a->has_totp)
			abort();
		for (size_t k = 0; k < a->n_keys; k++)
			if (strcmp(ksm_snap_str(&s, s.keys[u->keys + k].line),
				   a->keys[k]) ||
			    strcmp(ksm_snap_str(
					   &s, s.keys[u->keys + k].fingerprint),
				   a->fingerprints[k]))
				abort();
		for (size_t g = 0; g < as->n_groups; g++)
			for (size_t m = 0; m < as->groups[g].n_members; m++)
				n_sup += as->groups[g].members[m] == i;
		if (u->n_groups != n_sup)
			abort();
	}
	for (size_t g = 0; g < as->n_groups; g++) {
		const ksm_group *gr = &as->groups[g];
		const struct ksm_snap_group *sg =
			ksm_snap_group_by_name(&s, gr->name);

		if (!sg || ksm_snap_group_by_gid(&s, gr->gid) != sg ||
		    sg->gid != gr->gid || !!sg->local != gr->local ||
		    sg->n_members != gr->n_members)
			abort();
		for (size_t m = 0; m < gr->n_members; m++)
			if (strcmp(ksm_snap_str(&s,
						s.users[s.ids[sg->members + m]]
							.name),
				   as->accounts[gr->members[m]].name))
				abort();
	}
	ksm_snap_close(&s);
}

/*
 * The accounts of the previous sync (before) against this one (as), in
 * which one record was added: each is there with the same ids, or refused
 * because the newcomer took its name.
 */
static void check_incumbents(const ksm_accounts *before, const ksm_accounts *as)
{
	for (size_t i = 0; i < before->n_accounts; i++) {
		const ksm_account *a = &before->accounts[i];
		bool kept = false, name = false;

		for (size_t j = 0; j < as->n_accounts; j++)
			if (!strcmp(as->accounts[j].record_uid, a->record_uid))
				kept = as->accounts[j].uid == a->uid &&
				       as->accounts[j].gid == a->gid;
		for (size_t k = 0; k < as->n_refusals; k++)
			name |= !strcmp(as->refusals[k].record_uid,
					a->record_uid) &&
				strstr(as->refusals[k].reason,
				       "the name is also claimed");
		if (!kept && !name) {
			fprintf(stderr,
				"fuzz_vault: %s (%s, uid %u) lost to "
				"a newcomer\n",
				a->name, a->record_uid, a->uid);
			abort();
		}
	}
}

/* The previous sync of all records but the last: written as the
 * snapshot and read back. NULL when there is nothing to compare. */
static ksm_prior *previous_sync(ksm_record **recs, size_t n, unsigned flags,
				ksm_accounts **before)
{
	ksm_secrets *sec;
	ksm_prior *prior = NULL;
	ksm_error err;

	*before = NULL;
	if (n > 0)
		ksm_record_free(recs[n - 1]); /* the newcomer */
	if (n < 2)
		return NULL;
	sec = ksm_secrets_wrap(recs, n - 1);
	if (!sec) {
		for (size_t i = 0; i + 1 < n; i++)
			ksm_record_free(recs[i]);
		return NULL;
	}
	if (ksm_accounts_build(sec, CONF(flags), locals[(flags >> 1) & 1],
			       before, &err) == KSM_OK &&
	    (ksm_snapshot_write(*before, snap_path, 1600000000, &err) !=
		     KSM_OK ||
	     ksm_prior_load(snap_path, &prior, &err) != KSM_OK ||
	     ksm_prior_count(prior) != (*before)->n_accounts))
		abort();
	ksm_secrets_free(sec);
	return prior;
}

/* ----------------------------------------------------------------- entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_record *recs[MAX_RECORDS], *again[MAX_RECORDS];
	ksm_secrets *sec;
	ksm_accounts *as = NULL, *before = NULL;
	ksm_prior *prior = NULL;
	ksm_error err;
	const char *p, *end;
	size_t n = 0;
	unsigned flags, mask;
	int uid_no = 0;

	if (size < 2 || size > 65536)
		return 0;
	flags = data[0];
	mask = data[1];
	p = (const char *)data + 2;
	end = (const char *)data + size;
	while (p < end && n < MAX_RECORDS) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);
		char uid[32];

		/* Only the first 8 records can repeat a UID (one mask byte). */
		if (n == 0 || n >= 8 || !(mask >> n & 1))
			uid_no = (int)n;
		snprintf(uid, sizeof(uid), "VaultRecord%02dAbCdEfGhIj", uid_no);
		if (ksm_record_parse(uid, p, len, &recs[n], NULL) == KSM_OK) {
			again[n] = NULL;
			if ((flags & 4) &&
			    ksm_record_parse(uid, p, len, &again[n], NULL) !=
				    KSM_OK)
				abort();
			n++;
		}
		p += len + 1;
	}
	if (flags & 4)
		prior = previous_sync(again, n, flags, &before);
	else
		for (size_t i = 0; i < n; i++)
			ksm_record_free(again[i]);
	sec = ksm_secrets_wrap(recs, n);
	if (!sec) {
		for (size_t i = 0; i < n; i++)
			ksm_record_free(recs[i]);
		ksm_accounts_free(before);
		ksm_prior_free(prior);
		return 0;
	}
	if (ksm_accounts_build_since(sec, CONF(flags), locals[(flags >> 1) & 1],
				     prior, &as, &err) == KSM_OK) {
		/* host_record: accounts come only from links, and records
		 * parsed here have none. */
		if ((flags & 8) && as->n_accounts)
			abort();
		if (verbose) {
			fprintf(stderr,
				"fuzz_vault: %zu records, %zu accounts, "
				"%zu groups, %zu refusals\n",
				n, as->n_accounts, as->n_groups,
				as->n_refusals);
			for (size_t i = 0; i < as->n_refusals; i++)
				fprintf(stderr, "  refused %s: %s\n",
					as->refusals[i].name,
					as->refusals[i].reason);
		}
		check_accounts(as, flags & 2);
		if (before)
			check_incumbents(before, as);
		if (ksm_snapshot_write(as, snap_path, 1700000000, &err) !=
		    KSM_OK) {
			fprintf(stderr, "fuzz_vault: %s\n", err.message);
			abort();
		}
		check_snapshot(as);
		ksm_accounts_free(as);
	}
	ksm_accounts_free(before);
	ksm_prior_free(prior);
	ksm_secrets_free(sec);
	return 0;
}
