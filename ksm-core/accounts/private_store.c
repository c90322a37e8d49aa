/* SPDX-License-Identifier: MIT */
/*
 * private_store.c - offline verifiers (see ksm.h, "private store").
 *
 * File: JSON {"version": 1, "users": {"NAME": {"record", "revision",
 * "verifier", "confirmed", "failures"}}}, 0600, replaced atomically while
 * PATH.lock is held with flock(LOCK_EX), so concurrent logins never lose
 * each other's updates. Only crypt(3) strings are stored, never passwords.
 *
 * Nobody hashes while holding that lock (one yescrypt is about 25 ms of
 * CPU: 200 logins at once would queue for seconds behind it): hashes are
 * made or checked between a read and a locked re-read. A read needs no
 * lock, since every writer replaces the file by rename. The offline checks
 * of one user run one at a time under a lock of their own (lock_user), so
 * that concurrent wrong passwords are all counted and at most
 * offline_max_failures of them are ever checked.
 */
#include "fileio.h"
#include "record.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STORE_MAX_BYTES (64u * 1024 * 1024)

/* Verifiers are yescrypt and nothing else: a store whose entry names
 * another method (DES, MD5, or a cost that takes hours) is not trusted.
 * The fuzz build sets its own stand-in method. */
#ifndef KSM_VERIFIER_PREFIX
#define KSM_VERIFIER_PREFIX "$y$"
#endif

/* A sync waits at most this long for the store lock, then fails loudly. */
#define SYNC_LOCK_WAIT_MS 10000

/*
 * Logins wait at most this long for the lock, then carry on without (live)
 * or refuse (offline). Nobody holds it for long, but with hundreds of
 * logins at once on a few CPUs a holder may wait that long to be run.
 */
#define LOGIN_LOCK_WAIT_MS 5000
/*
 * And at most this long for the other offline checks of the same user
 * (one yescrypt each, 25 ms to a few hundred under load).
 */
#define USER_LOCK_WAIT_MS 10000

/* Give up after wait_ms (KSM_ERR_TIMEOUT): nobody waits unbounded. */
static int lock_store(const char *path, unsigned wait_ms, ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + wait_ms;
	char lock[4096];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ksm_set_error(err, KSM_ERR_IO, "cannot open %s: %s", lock,
			      ksm_write_error(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK && ksm_monotonic_ms() < deadline) {
			struct timespec ts = {0, 10 * 1000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		if (errno == EINTR)
			continue;
		ksm_set_error(err,
			      errno == EWOULDBLOCK ? KSM_ERR_TIMEOUT
						   : KSM_ERR_IO,
			      "cannot lock %s: %s", lock,
			      errno == EWOULDBLOCK ? "busy" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The offline checks of one user, one at a time; other users' go on in
 * parallel. An open file description lock (F_OFD_SETLK) on one byte of
 * PATH.lock, at an offset from a hash of the name (two names on the same
 * byte only wait for each other). fcntl locks and the store's flock do not
 * interact. Released by closing the descriptor.
 */
static int lock_user(const char *path, const char *user, ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + USER_LOCK_WAIT_MS;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1};
	uint32_t h = 2166136261u; /* FNV-1a */
	char lock[4096];
	int fd;

	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 16777619u;
	fl.l_start = (off_t)1 + (off_t)h;
	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ksm_set_error(err, KSM_ERR_IO, "cannot open %s: %s", lock,
			      ksm_write_error(errno));
		return -1;
	}
	while (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		bool busy = errno == EAGAIN || errno == EACCES;

		if (busy && ksm_monotonic_ms() < deadline) {
			struct timespec ts = {0, 5 * 1000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		if (errno == EINTR)
			continue;
		ksm_set_error(err, busy ? KSM_ERR_TIMEOUT : KSM_ERR_IO,
			      "cannot lock %s for %s: %s", lock, user,
			      busy ? "busy (other offline logins of this user)"
				   : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole store, or an empty one if the file does not exist. */
/* Trusted only when ours (ksmd's user) or root's, and nobody else's to
 * write: the file and the directory it is replaced in. */
static bool safe_owner(const struct stat *sb)
{
	return (sb->st_uid == 0 || sb->st_uid == geteuid()) &&
	       !(sb->st_mode & (S_IWGRP | S_IWOTH));
}

static ksm_status check_owner(const char *path, const struct stat *sb,
			      ksm_error *err)
{
	char *dir = ksm_strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
	struct stat db;
	bool ok;

	if (!dir)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	ok = safe_owner(sb) && stat(slash ? dir : ".", &db) == 0 &&
	     safe_owner(&db);
	free(dir);
	if (!ok)
		return ksm_set_error(err, KSM_ERR_CONFIG_PERM,
				     "%s or its directory is not owned by "
				     "ksmd's user or root, or others can "
				     "write to it: not trusted",
				     path);
	return KSM_OK;
}

static ksm_status load(const char *path, json_object **out, ksm_error *err)
{
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	json_object *users;
	ksm_status st;

	*out = NULL;
	st = ksm_read_file(path, STORE_MAX_BYTES, &text, &len, &sb, err);
	if (st == KSM_OK)
		st = check_owner(path, &sb, err);
	if (st == KSM_ERR_NOT_FOUND) {
		*out = json_object_new_object();
		users = json_object_new_object();
		json_object_object_add(*out, "version", json_object_new_int(1));
		json_object_object_add(*out, "users", users);
		return *out && users ? KSM_OK : KSM_ERR_NOMEM;
	}
	if (st != KSM_OK)
		return st;
	st = ksm_json_parse(text, len, out, err);
	free(text);
	if (st != KSM_OK || !json_object_object_get_ex(*out, "users", &users) ||
	    !json_object_is_type(users, json_type_object)) {
		json_object_put(*out);
		*out = NULL;
		return ksm_set_error(err, KSM_ERR_IO,
				     "%s is damaged: remove it and run 'ksmctl "
				     "sync'",
				     path);
	}
	return KSM_OK;
}

/* A login's write: take the store lock (waiting a bounded time), re-read. */
static ksm_status lock_and_load(const char *path, int *fd, json_object **store,
				ksm_error *err)
{
	*fd = lock_store(path, LOGIN_LOCK_WAIT_MS, err);
	if (*fd < 0)
		return err ? err->code : KSM_ERR_IO;
	return load(path, store, err);
}

static ksm_status save(const char *path, json_object *store, ksm_error *err)
{
	const char *text =
		json_object_to_json_string_ext(store, JSON_C_TO_STRING_PLAIN);

	return text ? ksm_atomic_write(path, text, strlen(text), 0600, err)
		    : ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

static json_object *users_of(json_object *store)
{
	json_object *u = NULL;

	json_object_object_get_ex(store, "users", &u);
	return u;
}

static int64_t get_i64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
						     : 0;
}

/* A yescrypt hash (libxcrypt's strongest default) of password. */
static ksm_status make_verifier(const char *password, char *out, size_t cap,
				ksm_error *err)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	ksm_status st = KSM_OK;

	if (!cd)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) ||
	    !crypt_r(password, salt, cd) || cd->output[0] == '*' ||
	    strlen(cd->output) >= cap)
		st = ksm_set_error(err, KSM_ERR_CRYPTO,
				   "cannot hash the offline verifier");
	else
		strcpy(out, cd->output);
	ksm_wipe(cd, sizeof(*cd));
	free(cd);
	return st;
}

static bool verifier_matches(const char *password, const char *verifier)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	bool ok = false;
	size_t n = strlen(verifier);

	if (!cd)
		return false;
	if (strncmp(verifier, KSM_VERIFIER_PREFIX,
		    strlen(KSM_VERIFIER_PREFIX)) == 0 &&
	    crypt_r(password, verifier, cd) && cd->output[0] != '*' &&
	    strlen(cd->output) == n)
		ok = ksm_ct_equal(cd->output, verifier, n);
	ksm_wipe(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static json_object *entry_new(const char *record_uid, int64_t revision,
			      const char *verifier, int64_t confirmed)
{
	json_object *e = json_object_new_object();

	if (!e)
		return NULL;
	json_object_object_add(e, "record", json_object_new_string(record_uid));
	json_object_object_add(e, "revision", json_object_new_int64(revision));
	json_object_object_add(e, "verifier", json_object_new_string(verifier));
	json_object_object_add(e, "confirmed",
			       json_object_new_int64(confirmed));
	json_object_object_add(e, "failures", json_object_new_int(0));
	return e;
}

/* The entry was made from this record at this revision. */
static bool entry_is(json_object *e, const char *record_uid, int64_t revision)
{
	const char *rec = e ? ksm_json_str(e, "record") : NULL;

	return rec && ksm_json_str(e, "verifier") && !strcmp(rec, record_uid) &&
	       get_i64(e, "revision") == revision;
}

ksm_status ksm_offline_confirm(const char *path, const char *user,
			       const char *record_uid, int64_t revision,
			       const char *password, int64_t now,
			       ksm_error *err)
{
	json_object *store = NULL, *e = NULL;
	char verifier[256] = "";
	int fd = -1;
	ksm_status st;

	/*
	 * Keep the hash when the revision is unchanged: verifiers are only
	 * made from a password the vault gave (sync) or confirmed (a live
	 * check) for that revision, so it is this password's. Hashing again
	 * would cost a pam_unix check on every login. A new hash is made
	 * before the lock is taken.
	 */
	st = load(path, &store, err);
	if (st != KSM_OK)
		return st;
	json_object_object_get_ex(users_of(store), user, &e);
	if (!entry_is(e, record_uid, revision))
		st = make_verifier(password, verifier, sizeof(verifier), err);
	json_object_put(store);
	store = NULL;
	if (st != KSM_OK)
		goto out;
	st = lock_and_load(path, &fd, &store, err);
	if (st != KSM_OK)
		goto out;
	e = NULL;
	json_object_object_get_ex(users_of(store), user, &e);
	if (entry_is(e, record_uid, revision)) {
		json_object_object_add(e, "confirmed",
				       json_object_new_int64(now));
		json_object_object_add(e, "failures", json_object_new_int(0));
	} else {
		/* Changed between the two reads (rare): hash under the lock. */
		if (!*verifier) {
			st = make_verifier(password, verifier, sizeof(verifier),
					   err);
			if (st != KSM_OK)
				goto out;
		}
		e = entry_new(record_uid, revision, verifier, now);
		if (!e) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_object_add(users_of(store), user, e);
	}
	st = save(path, store, err);
out:
	ksm_wipe(verifier, sizeof(verifier));
	json_object_put(store);
	if (fd >= 0)
		close(fd);
	return st;
}

ksm_status ksm_offline_verify(const char *path, const char *user,
			      const char *password, const ksm_settings *conf,
			      int64_t now, ksm_offline_result *result,
			      ksm_error *err)
{
	json_object *store = NULL, *e = NULL;
	ksm_offline_result res = KSM_OFFLINE_NONE;
	char *verifier = NULL;
	const char *v;
	int64_t failures;
	int ufd, fd = -1;
	ksm_status st;

	*result = KSM_OFFLINE_NONE;
	ufd = lock_user(path, user, err);
	if (ufd < 0)
		return err ? err->code : KSM_ERR_IO;
	/* After the user's previous check wrote its count. */
	st = load(path, &store, err);
	if (st != KSM_OK)
		goto out;
	if (!json_object_object_get_ex(users_of(store), user, &e) ||
	    !(v = ksm_json_str(e, "verifier")))
		goto out;
	failures = get_i64(e, "failures");
	if (failures >= (int64_t)conf->offline_max_failures) {
		res = KSM_OFFLINE_LOCKED;
		goto out;
	}
	if (now - get_i64(e, "confirmed") > (int64_t)conf->offline_max_age) {
		res = KSM_OFFLINE_TOO_OLD;
		goto out;
	}
	verifier = ksm_strdup(v);
	json_object_put(store);
	store = NULL;
	if (!verifier) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	res = verifier_matches(password, verifier) ? KSM_OFFLINE_OK
						   : KSM_OFFLINE_WRONG;
	if (res == KSM_OFFLINE_OK && failures == 0)
		goto out;
	/* Count the failure, or reset the count (consecutive failures only). */
	st = lock_and_load(path, &fd, &store, err);
	if (st != KSM_OK)
		goto out;
	/* Replaced meanwhile (a sync, a live login): its own count stands. */
	if (!json_object_object_get_ex(users_of(store), user, &e) ||
	    !(v = ksm_json_str(e, "verifier")) || strcmp(v, verifier) != 0)
		goto out;
	failures = res == KSM_OFFLINE_OK ? 0 : get_i64(e, "failures") + 1;
	json_object_object_add(e, "failures", json_object_new_int64(failures));
	st = save(path, store, err);
out:
	if (st == KSM_OK)
		*result = res;
	ksm_free_secret(verifier);
	json_object_put(store);
	if (fd >= 0)
		close(fd);
	close(ufd);
	return st;
}

ksm_status ksm_offline_lookup(const char *path, const char *user,
			      ksm_offline_entry *out, ksm_error *err)
{
	json_object *store = NULL, *e = NULL;
	const char *v, *rec;
	int64_t failures;
	ksm_status st;

	memset(out, 0, sizeof(*out));
	st = load(path, &store, err);
	if (st != KSM_OK)
		return st;
	if (!json_object_object_get_ex(users_of(store), user, &e) ||
	    !(v = ksm_json_str(e, "verifier"))) {
		st = ksm_set_error(err, KSM_ERR_NOT_FOUND,
				   "no offline verifier for %s", user);
		goto out;
	}
	rec = ksm_json_str(e, "record");
	snprintf(out->record_uid, sizeof(out->record_uid), "%s",
		 rec ? rec : "");
	out->revision = get_i64(e, "revision");
	out->confirmed = get_i64(e, "confirmed");
	failures = get_i64(e, "failures");
	out->failures = failures < 0		? 0
			: failures > UINT32_MAX ? UINT32_MAX
						: (unsigned)failures;
	out->usable = strncmp(v, KSM_VERIFIER_PREFIX,
			      strlen(KSM_VERIFIER_PREFIX)) == 0;
out:
	json_object_put(store);
	return st;
}

/*
 * Does the store's entry for a still match (same record and revision, and
 * a verifier: an entry without one is made again)?
 */
static json_object *current_entry(json_object *store, const ksm_account *a,
				  int64_t revision)
{
	json_object *e = NULL;

	if (!json_object_object_get_ex(users_of(store), a->name, &e))
		return NULL;
	return entry_is(e, a->record_uid, revision) ? e : NULL;
}

/*
 * Hashing thousands of new passwords takes minutes, so it happens without
 * the lock: read the store, hash what changed, then lock again, re-read
 * (logins may have confirmed entries meanwhile) and write the merge.
 */
ksm_status ksm_offline_sync(const char *path, const ksm_accounts *as,
			    const char *const *passwords,
			    const int64_t *revisions, bool hash_new,
			    int64_t now, size_t *hashed, ksm_error *err)
{
	json_object *store = NULL, *fresh = NULL;
	char **made = calloc(as->n_accounts + 1, sizeof(*made));
	int fd;
	ksm_status st;

	*hashed = 0;
	if (!made)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	fd = lock_store(path, SYNC_LOCK_WAIT_MS, err);
	if (fd < 0) {
		free(made);
		return err ? err->code : KSM_ERR_IO;
	}
	st = load(path, &store, err);
	close(fd);
	for (size_t i = 0; st == KSM_OK && i < as->n_accounts; i++) {
		char verifier[256];

		if (!hash_new || !passwords[i] || !*passwords[i] ||
		    current_entry(store, &as->accounts[i], revisions[i]))
			continue;
		st = make_verifier(passwords[i], verifier, sizeof(verifier),
				   err);
		if (st == KSM_OK && !(made[i] = ksm_strdup(verifier)))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		ksm_wipe(verifier, sizeof(verifier));
	}
	json_object_put(store);
	store = NULL;
	if (st != KSM_OK)
		goto out;
	fd = lock_store(path, SYNC_LOCK_WAIT_MS, err);
	if (fd < 0) {
		st = err ? err->code : KSM_ERR_IO;
		goto out;
	}
	st = load(path, &store, err);
	fresh = json_object_new_object();
	if (st == KSM_OK && !fresh)
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	for (size_t i = 0; st == KSM_OK && i < as->n_accounts; i++) {
		const ksm_account *a = &as->accounts[i];
		json_object *e;

		if (!passwords[i] || !*passwords[i])
			continue;
		e = current_entry(store, a, revisions[i]);
		if (e) {
			/* Unchanged: the vault confirms it; keep failures. */
			json_object_get(e);
			json_object_object_add(e, "confirmed",
					       json_object_new_int64(now));
		} else if (made[i]) {
			e = entry_new(a->record_uid, revisions[i], made[i],
				      now);
			(*hashed)++;
		} else {
			continue; /* changed during the sync: the next one */
		}
		if (!e) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			break;
		}
		json_object_object_add(fresh, a->name, e);
	}
	if (st == KSM_OK) {
		json_object_object_add(store, "users", fresh);
		fresh = NULL;
		st = save(path, store, err);
	}
	close(fd);
out:
	for (size_t i = 0; i < as->n_accounts; i++)
		ksm_free_secret(made[i]);
	free(made);
	json_object_put(fresh);
	json_object_put(store);
	return st;
}
