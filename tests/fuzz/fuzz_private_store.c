/* SPDX-License-Identifier: MIT */
/*
 * fuzz_private_store.c - libFuzzer target: the offline verifier store
 * (/var/lib/ksm/private) as found on disk, through the calls that read
 * and rewrite it: ksm_offline_lookup (ksmd's answer to ksmctl explain),
 * ksm_offline_verify (an offline login), then ksm_offline_confirm (after
 * a live check), ksm_offline_apply (ksmd's store writer: a batch) and
 * ksm_offline_sync (ksmctl sync). crypt_r is the stand-in of fakecrypt.c
 * (see build.sh).
 *
 * Input: byte 0 flags, the rest the store file.
 *   bit 0  ksm.conf with offline_max_failures = 1 (else the default);
 *   bit 1  "now" far in the future (past offline_max_age);
 *   bit 2  skip the sync step.
 *
 * Invariants (abort on violation): a store every call refuses is left as
 * it was; whatever a call accepts and rewrites loads again; after a
 * confirm that had to make a new verifier, the password verifies (and a
 * wrong one does not, and counts); after a batch, the dropped and gone
 * users have no verifier and an accepted password verifies unless a
 * newer entry was kept; after a sync, exactly the synced users
 * are in the store and their passwords verify; no call crashes, leaks or
 * reads out of bounds on any store.
 */
#include "fileio.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	 1700000000
#define REVISION 4242

static ksm_settings *confs[2];
static char dir[256], path[300], lock_path[310];
/* FUZZ_VERBOSE=1: say what each input gave (to check the seeds). */
static bool verbose;

static void cleanup(void)
{
	unlink(path);
	unlink(lock_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char one[] = "offline_max_failures = 1\n";
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	snprintf(dir, sizeof(dir), "%s/fuzz_store.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/private", dir);
	snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
	atexit(cleanup);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (ksm_settings_parse("", 0, "fuzz", &confs[0], NULL) != KSM_OK ||
	    ksm_settings_parse(one, sizeof(one) - 1, "fuzz-one", &confs[1],
			       NULL) != KSM_OK)
		abort();
	return 0;
}

static void put(const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

/* Is the file still exactly d? */
static bool same(const uint8_t *d, size_t n)
{
	FILE *f = fopen(path, "r");
	uint8_t *buf = malloc(n + 1);
	bool ok = f && buf && fread(buf, 1, n + 1, f) == n &&
		  (!n || memcmp(buf, d, n) == 0);

	if (f)
		fclose(f);
	free(buf);
	return ok;
}

/*
 * The file's entry of user, if it is of record: its revision, and whether
 * it has a verifier. False if there is none (or the file does not parse).
 */
static bool entry_of(const uint8_t *d, size_t n, const char *user,
		     const char *record, int64_t *revision, bool *verifier)
{
	json_object *o = NULL, *users, *e, *v;
	bool found = false;

	if (ksm_json_parse((const char *)d, n, &o, NULL) == KSM_OK &&
	    json_object_object_get_ex(o, "users", &users) &&
	    json_object_is_type(users, json_type_object) &&
	    json_object_object_get_ex(users, user, &e) &&
	    ksm_json_str(e, "record") &&
	    !strcmp(ksm_json_str(e, "record"), record) &&
	    json_object_object_get_ex(e, "revision", &v)) {
		found = true;
		*revision = json_object_get_int64(v);
		*verifier = ksm_json_str(e, "verifier") != NULL;
	}
	json_object_put(o);
	return found;
}

/* Would confirm or sync keep user's entry (same record and revision)? */
static bool keeps(const uint8_t *d, size_t n, const char *user,
		  const char *record, int64_t revision)
{
	int64_t rev;
	bool verifier;

	return entry_of(d, n, user, record, &rev, &verifier) && verifier &&
	       rev == revision;
}

/* Has the file an entry of user for record at revision or later? */
static bool at_least(const uint8_t *d, size_t n, const char *user,
		     const char *record, int64_t revision)
{
	int64_t rev;
	bool verifier;

	return entry_of(d, n, user, record, &rev, &verifier) && rev >= revision;
}

static ksm_offline_result verify(const char *user, const char *pw,
				 const ksm_settings *conf, int64_t now)
{
	ksm_offline_result res;
	ksm_error err;

	if (ksm_offline_verify(path, user, pw, conf, now, &res, &err) !=
	    KSM_OK) {
		fprintf(stderr,
			"fuzz_private_store: verify after a write: %s\n",
			err.message);
		abort();
	}
	return res;
}

static void sync_step(const ksm_settings *conf, const uint8_t *file, size_t n)
{
	ksm_account acc[3] = {{0}};
	ksm_accounts as = {.accounts = acc, .n_accounts = 3};
	const char *pws[3] = {"alice-pw", "bob-pw", NULL};
	const int64_t revs[3] = {REVISION, 7, 1};
	size_t hashed = 0;
	ksm_error err;
	json_object *o = NULL, *users;
	char *text = NULL;
	size_t len;

	acc[0].name = "alice";
	acc[0].record_uid = "RecAlice";
	acc[1].name = "bob";
	acc[1].record_uid = "RecBob";
	acc[2].name = "carol";
	acc[2].record_uid = "RecCarol";
	if (ksm_offline_sync(path, &as, pws, revs, true, NOW, &hashed, &err) !=
	    KSM_OK)
		return;
	if (verbose)
		fprintf(stderr, "fuzz_private_store: sync: %zu hashed\n",
			hashed);
	if (hashed > 2)
		abort();
	/* Exactly alice and bob (carol has no password). */
	if (ksm_read_file(path, 1 << 26, &text, &len, NULL, &err) != KSM_OK ||
	    ksm_json_parse(text, len, &o, NULL) != KSM_OK ||
	    !json_object_object_get_ex(o, "users", &users) ||
	    !json_object_is_type(users, json_type_object) ||
	    json_object_object_length(users) != 2 ||
	    !json_object_object_get_ex(users, "alice", NULL) ||
	    !json_object_object_get_ex(users, "bob", NULL))
		abort();
	json_object_put(o);
	free(text);
	/* Unless the file had bob at revision 7 already: a fresh verifier of
	 * bob-pw, no failures. */
	if (!keeps(file, n, "bob", "RecBob", 7) &&
	    verify("bob", "bob-pw", conf, NOW) != KSM_OFFLINE_OK)
		abort();
	if (verify("carol", "x", conf, NOW) != KSM_OFFLINE_NONE)
		abort();
}

/*
 * ksmd's store writer: one batch of what three live reads said. alice's
 * record moved on and nothing was accepted (her older verifier goes), bob
 * is gone, carol's password was accepted (made, or kept when the file has
 * her at that revision or a later one).
 */
static void apply_step(const ksm_settings *conf, const uint8_t *file, size_t n)
{
	const ksm_offline_update u[3] = {
		{"alice", "RecAlice", REVISION + 1, NULL},
		{"bob", NULL, 0, NULL},
		{"carol", "RecCarol", 3, "carol-pw"},
	};
	bool alice_stays = at_least(file, n, "alice", "RecAlice", REVISION + 1);
	bool carol_stays = at_least(file, n, "carol", "RecCarol", 4) ||
			   keeps(file, n, "carol", "RecCarol", 3);
	size_t hashed = 0;
	ksm_error err;

	if (ksm_offline_apply(path, u, 3, NOW, &hashed, &err) != KSM_OK) {
		if (!err.message[0] || !same(file, n))
			abort(); /* a failed batch writes nothing */
		return;
	}
	if (verbose)
		fprintf(stderr, "fuzz_private_store: apply: %zu hashed\n",
			hashed);
	if (hashed > 1 || (hashed == 1) == carol_stays)
		abort();
	if (!alice_stays &&
	    verify("alice", "alice-pw", conf, NOW) != KSM_OFFLINE_NONE)
		abort();
	if (verify("bob", "bob-pw", conf, NOW) != KSM_OFFLINE_NONE)
		abort();
	if (!carol_stays &&
	    verify("carol", "carol-pw", conf, NOW) != KSM_OFFLINE_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const ksm_settings *conf;
	const uint8_t *file;
	size_t n;
	int64_t now;
	ksm_offline_result res;
	ksm_offline_entry ent;
	ksm_error err;
	ksm_status st, lst;
	bool kept;

	if (size < 1 || size > 65536)
		return 0;
	conf = confs[data[0] & 1];
	now = data[0] & 2 ? NOW + 400LL * 86400 * 365 : NOW;
	file = data + 1;
	n = size - 1;
	put(file, n);

	/* 0. What ksmd tells ksmctl explain: read only, no verifier. */
	memset(&err, 0, sizeof(err));
	lst = ksm_offline_lookup(path, "alice", &ent, &err);
	if ((lst != KSM_OK && !err.message[0]) || !same(file, n))
		abort();

	/* 1. An offline login against whatever is there. */
	st = ksm_offline_verify(path, "alice", "alice-pw", conf, now, &res,
				&err);
	if (verbose)
		fprintf(stderr, "fuzz_private_store: verify: %s, result %d\n",
			st == KSM_OK ? "read" : err.message, (int)res);
	if (st != KSM_OK) {
		if (!err.message[0] || !same(file, n))
			abort(); /* a damaged store is never rewritten */
		/* The same file: the lookup refused it too. */
		if (lst == KSM_OK || lst == KSM_ERR_NOT_FOUND)
			abort();
		return 0;
	}
	/* The lookup saw the entry verify checked, and its count. */
	if ((lst == KSM_ERR_NOT_FOUND) != (res == KSM_OFFLINE_NONE) ||
	    (res == KSM_OFFLINE_LOCKED &&
	     ent.failures < conf->offline_max_failures))
		abort();
	if (res == KSM_OFFLINE_OK || res == KSM_OFFLINE_WRONG)
		(void)verify("alice", "other", conf, now); /* loads again */

	/* 2. A live check passed for alice: confirm (which keeps an entry
	 * of this revision, or of a later one: the confirm came late). */
	put(file, n);
	kept = keeps(file, n, "alice", "RecAlice", REVISION) ||
	       at_least(file, n, "alice", "RecAlice", REVISION + 1);
	st = ksm_offline_confirm(path, "alice", "RecAlice", REVISION,
				 "alice-pw", NOW, &err);
	if (verbose)
		fprintf(stderr, "fuzz_private_store: confirm: %s%s\n",
			st == KSM_OK ? "ok" : err.message,
			kept ? ", entry kept" : "");
	if (st == KSM_OK && !kept) {
		if (verify("alice", "alice-pw", conf, NOW) != KSM_OFFLINE_OK ||
		    verify("alice", "wrong", conf, NOW) != KSM_OFFLINE_WRONG)
			abort();
		/* With offline_max_failures 1 the wrong one locked it. */
		if (verify("alice", "alice-pw", conf, NOW) !=
		    (conf->offline_max_failures <= 1 ? KSM_OFFLINE_LOCKED
						     : KSM_OFFLINE_OK))
			abort();
	} else if (st != KSM_OK && !same(file, n)) {
		abort();
	}

	/* 3. ksmd's writer: a batch (drop, gone, accept). */
	put(file, n);
	apply_step(conf, file, n);

	/* 4. ksmctl sync with alice (same revision), bob (new) and carol. */
	if (!(data[0] & 4)) {
		put(file, n);
		sync_step(conf, file, n);
	}
	return 0;
}
