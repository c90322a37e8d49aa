/*
 * private_store.c - offline verifiers (see ksm.h, "private store").
 *
 * File: JSON {"version": 1, "users": {"NAME": {"record", "revision",
 * "verifier", "confirmed", "failures"}}}, 0600, replaced atomically while
 * PATH.lock is held with flock(LOCK_EX), so concurrent logins never lose
 * each other's updates. Only crypt(3) strings are stored, never passwords.
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
#include <time.h>
#include <unistd.h>

#define STORE_MAX_BYTES (64u * 1024 * 1024)

/* Logins wait at most this long for the lock, then carry on without. */
#define LOGIN_LOCK_WAIT_MS 1000

/* wait_ms 0: block (sync); else give up after wait_ms. */
static int lock_store(const char *path, unsigned wait_ms, ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + wait_ms;
	char lock[4096];
	int fd;

	snprintf(lock, sizeof(lock), "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		ksm_set_error(err, KSM_ERR_IO, "cannot open %s: %s", lock,
			      strerror(errno));
		return -1;
	}
	while (flock(fd, wait_ms ? LOCK_EX | LOCK_NB : LOCK_EX) != 0) {
		if (errno == EWOULDBLOCK && ksm_monotonic_ms() < deadline) {
			struct timespec ts = {0, 10 * 1000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		if (errno == EINTR)
			continue;
		ksm_set_error(err, errno == EWOULDBLOCK ? KSM_ERR_TIMEOUT : KSM_ERR_IO,
			      "cannot lock %s: %s", lock,
			      errno == EWOULDBLOCK ? "busy (a sync is writing it)"
						   : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole store, or an empty one if the file does not exist. */
static ksm_status load(const char *path, json_object **out, ksm_error *err)
{
	char *text = NULL;
	size_t len = 0;
	json_object *users;
	ksm_status st;

	*out = NULL;
	st = ksm_read_file(path, STORE_MAX_BYTES, &text, &len, NULL, err);
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

static ksm_status save(const char *path, json_object *store, ksm_error *err)
{
	const char *text = json_object_to_json_string_ext(store,
							  JSON_C_TO_STRING_PLAIN);

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
	if (crypt_r(password, verifier, cd) && cd->output[0] != '*' &&
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
	json_object_object_add(e, "confirmed", json_object_new_int64(confirmed));
	json_object_object_add(e, "failures", json_object_new_int(0));
	return e;
}

ksm_status ksm_offline_confirm(const char *path, const char *user,
			       const char *record_uid, int64_t revision,
			       const char *password, int64_t now,
			       ksm_error *err)
{
	json_object *store = NULL, *e = NULL;
	const char *old;
	char verifier[256];
	int fd = lock_store(path, LOGIN_LOCK_WAIT_MS, err);
	ksm_status st;

	if (fd < 0)
		return err ? err->code : KSM_ERR_IO;
	st = load(path, &store, err);
	if (st != KSM_OK)
		goto out;
	json_object_object_get_ex(users_of(store), user, &e);
	old = e ? ksm_json_str(e, "verifier") : NULL;
	/*
	 * Keep the hash when the revision is unchanged: verifiers are only
	 * made from a password the vault gave (sync) or confirmed (a live
	 * check) for that revision, so it is this password's. Hashing again
	 * would cost a pam_unix check on every login.
	 */
	if (old && get_i64(e, "revision") == revision &&
	    ksm_json_str(e, "record") &&
	    !strcmp(ksm_json_str(e, "record"), record_uid)) {
		json_object_object_add(e, "confirmed", json_object_new_int64(now));
		json_object_object_add(e, "failures", json_object_new_int(0));
	} else {
		st = make_verifier(password, verifier, sizeof(verifier), err);
		if (st != KSM_OK)
			goto out;
		e = entry_new(record_uid, revision, verifier, now);
		ksm_wipe(verifier, sizeof(verifier));
		if (!e) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_object_add(users_of(store), user, e);
	}
	st = save(path, store, err);
out:
	json_object_put(store);
	close(fd);
	return st;
}

ksm_status ksm_offline_verify(const char *path, const char *user,
			      const char *password, const ksm_conf *conf,
			      int64_t now, ksm_offline_result *result,
			      ksm_error *err)
{
	json_object *store = NULL, *e = NULL;
	const char *verifier;
	int64_t failures;
	int fd = lock_store(path, LOGIN_LOCK_WAIT_MS, err);
	ksm_status st;

	*result = KSM_OFFLINE_NONE;
	if (fd < 0)
		return err ? err->code : KSM_ERR_IO;
	st = load(path, &store, err);
	if (st != KSM_OK)
		goto out;
	if (!json_object_object_get_ex(users_of(store), user, &e) ||
	    !(verifier = ksm_json_str(e, "verifier")))
		goto out;
	failures = get_i64(e, "failures");
	if (failures >= (int64_t)conf->offline_max_failures) {
		*result = KSM_OFFLINE_LOCKED;
		goto out;
	}
	if (now - get_i64(e, "confirmed") > (int64_t)conf->offline_max_age) {
		*result = KSM_OFFLINE_TOO_OLD;
		goto out;
	}
	if (verifier_matches(password, verifier)) {
		*result = KSM_OFFLINE_OK;
		if (failures == 0)
			goto out;
		failures = 0; /* consecutive failures only */
	} else {
		*result = KSM_OFFLINE_WRONG;
		failures++;
	}
	json_object_object_add(e, "failures", json_object_new_int64(failures));
	st = save(path, store, err);
out:
	json_object_put(store);
	close(fd);
	return st;
}

/* Does the store's entry for a still match (same record and revision)? */
static json_object *current_entry(json_object *store, const ksm_account *a,
				  int64_t revision)
{
	json_object *e = NULL;
	const char *rec;

	if (!json_object_object_get_ex(users_of(store), a->name, &e))
		return NULL;
	rec = ksm_json_str(e, "record");
	return rec && !strcmp(rec, a->record_uid) &&
			       get_i64(e, "revision") == revision
		       ? e
		       : NULL;
}

/*
 * Hashing thousands of new passwords takes minutes, so it happens without
 * the lock: read the store, hash what changed, then lock again, re-read
 * (logins may have confirmed entries meanwhile) and write the merge.
 */
ksm_status ksm_offline_sync(const char *path, const ksm_accounts *as,
			    const char *const *passwords,
			    const int64_t *revisions, int64_t now,
			    size_t *hashed, ksm_error *err)
{
	json_object *store = NULL, *fresh = NULL;
	char **made = calloc(as->n_accounts + 1, sizeof(*made));
	int fd;
	ksm_status st;

	*hashed = 0;
	if (!made)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	fd = lock_store(path, 0, err);
	if (fd < 0) {
		free(made);
		return KSM_ERR_IO;
	}
	st = load(path, &store, err);
	close(fd);
	for (size_t i = 0; st == KSM_OK && i < as->n_accounts; i++) {
		char verifier[256];

		if (!passwords[i] || !*passwords[i] ||
		    current_entry(store, &as->accounts[i], revisions[i]))
			continue;
		st = make_verifier(passwords[i], verifier, sizeof(verifier), err);
		if (st == KSM_OK && !(made[i] = ksm_strdup(verifier)))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		ksm_wipe(verifier, sizeof(verifier));
	}
	json_object_put(store);
	store = NULL;
	if (st != KSM_OK)
		goto out;
	fd = lock_store(path, 0, err);
	if (fd < 0) {
		st = KSM_ERR_IO;
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
			e = entry_new(a->record_uid, revisions[i], made[i], now);
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
