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
#include <pthread.h>
#include <signal.h>
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
 * The updates of live logins (ksmd's store writer) and the failure counts
 * of offline checks wait at most this long for the lock, then give up
 * (live: the update is logged as not made; offline: refused). Nobody holds
 * it for long, but with hundreds of logins at once on a few CPUs a holder
 * may wait that long to be run.
 */
#define LOGIN_LOCK_WAIT_MS 5000
/*
 * And at most this long for the other offline checks of the same user
 * (one yescrypt each, 25 ms to a few hundred under load).
 */
#define USER_LOCK_WAIT_MS 10000

/*
 * Waiting for a lock: blocked in the kernel (flock LOCK_EX, F_OFD_SETLKW),
 * never polling, and never past a deadline. A timer of the waiting thread
 * (timer_create, SIGEV_THREAD_ID) sends LOCK_SIGNAL at the deadline, and
 * every LOCK_REFIRE_MS after it in case the first came just before the
 * call blocked; the call ends with EINTR. The signal's handler does
 * nothing; it is installed once, without SA_RESTART, and only if nobody
 * handles that signal yet. Where that cannot be (the program handles the
 * signal itself, no timer), the wait falls back to retrying every 10 ms.
 * A holder that is stopped (SIGSTOP) or stuck therefore costs a waiter
 * its bound and no more.
 */
#define LOCK_SIGNAL    (SIGRTMIN + 3)
#define LOCK_REFIRE_MS 20
#define LOCK_POLL_MS   10

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

typedef int (*lock_fn)(int fd, bool wait, const void *arg);

static pthread_once_t lock_signal_once = PTHREAD_ONCE_INIT;
static bool lock_signal_ok;

static void on_lock_signal(int sig)
{
	(void)sig;
}

static void lock_signal_init(void)
{
	struct sigaction sa, old;

	if (sigaction(LOCK_SIGNAL, NULL, &old) != 0 ||
	    (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return; /* somebody else's signal: poll instead */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_lock_signal;
	sigemptyset(&sa.sa_mask);
	lock_signal_ok = sigaction(LOCK_SIGNAL, &sa, NULL) == 0;
}

static struct timespec ms_ts(unsigned ms)
{
	return (struct timespec){.tv_sec = ms / 1000,
				 .tv_nsec = (long)(ms % 1000) * 1000000L};
}

static bool lock_busy(int e)
{
	return e == EWOULDBLOCK || e == EAGAIN || e == EACCES || e == EINTR;
}

/* 0 with the lock, or -1 with errno (EWOULDBLOCK: busy until the end). */
static int lock_within(int fd, lock_fn lock, const void *arg, unsigned wait_ms)
{
	uint64_t deadline = ksm_monotonic_ms() + wait_ms;
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID};
	struct itimerspec its = {.it_value = ms_ts(wait_ms ? wait_ms : 1),
				 .it_interval = ms_ts(LOCK_REFIRE_MS)};
	sigset_t sig, old_mask;
	timer_t timer;
	bool armed = false;
	int rc, e;

	if (lock(fd, false, arg) == 0)
		return 0;
	if (!lock_busy(errno))
		return -1;
	pthread_once(&lock_signal_once, lock_signal_init);
	if (lock_signal_ok) {
		sev.sigev_signo = LOCK_SIGNAL;
		sev.sigev_notify_thread_id = gettid();
		armed = timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0;
	}
	if (armed) {
		sigemptyset(&sig);
		sigaddset(&sig, LOCK_SIGNAL);
		pthread_sigmask(SIG_UNBLOCK, &sig, &old_mask);
		if (timer_settime(timer, 0, &its, NULL) != 0) {
			timer_delete(timer);
			pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
			armed = false;
		}
	}
	for (;;) {
		rc = lock(fd, armed, arg);
		e = errno;
		if (rc == 0 || !lock_busy(e))
			break;
		if (ksm_monotonic_ms() >= deadline) {
			e = EWOULDBLOCK;
			break;
		}
		if (!armed) {
			struct timespec ts = ms_ts(LOCK_POLL_MS);

			nanosleep(&ts, NULL);
		}
	}
	if (armed) {
		timer_delete(timer);
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	}
	errno = e;
	return rc;
}

static int whole_lock(int fd, bool wait, const void *arg)
{
	(void)arg;
	return flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
}

static int byte_lock(int fd, bool wait, const void *arg)
{
	struct flock fl = *(const struct flock *)arg;

	return fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
}

static int open_lock_file(const char *path, char *lock, size_t cap,
			  ksm_error *err)
{
	int fd;

	snprintf(lock, cap, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		ksm_set_error(err, KSM_ERR_IO, "cannot open %s: %s", lock,
			      ksm_write_error(errno));
	return fd;
}

/* The store's lock (flock on PATH.lock), within wait_ms (KSM_ERR_TIMEOUT). */
static int lock_store(const char *path, unsigned wait_ms, ksm_error *err)
{
	char lock[4096];
	int fd = open_lock_file(path, lock, sizeof(lock), err);

	if (fd < 0)
		return -1;
	if (lock_within(fd, whole_lock, NULL, wait_ms) != 0) {
		bool busy = errno == EWOULDBLOCK;

		ksm_set_error(err, busy ? KSM_ERR_TIMEOUT : KSM_ERR_IO,
			      "cannot lock %s: %s", lock,
			      busy ? "busy" : strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The offline checks of one user, one at a time; other users' go on in
 * parallel. An open file description lock (F_OFD_SETLKW) on one byte of
 * PATH.lock, at an offset from a hash of the name (two names on the same
 * byte only wait for each other). fcntl locks and the store's flock do not
 * interact. Released by closing the descriptor.
 */
static int lock_user(const char *path, const char *user, unsigned wait_ms,
		     ksm_error *err)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1};
	uint32_t h = 2166136261u; /* FNV-1a */
	char lock[4096];
	int fd;

	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 16777619u;
	fl.l_start = (off_t)1 + (off_t)h;
	fd = open_lock_file(path, lock, sizeof(lock), err);
	if (fd < 0)
		return -1;
	if (lock_within(fd, byte_lock, &fl, wait_ms) != 0) {
		bool busy = errno == EWOULDBLOCK;

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

/* The entry is of a later revision of the same record than revision. */
static bool entry_newer(json_object *e, const char *record_uid,
			int64_t revision)
{
	const char *rec = e ? ksm_json_str(e, "record") : NULL;

	return rec && !strcmp(rec, record_uid) &&
	       get_i64(e, "revision") > revision;
}

enum change { KEEP, CONFIRM, MAKE, DROP };

/* What update u does to the user's entry e (NULL: none). */
static enum change change_of(json_object *e, const ksm_offline_update *u)
{
	if (!u->record_uid)
		return e ? DROP : KEEP;
	if (u->password)
		return entry_is(e, u->record_uid, u->revision) ? CONFIRM
		       : entry_newer(e, u->record_uid, u->revision)
			       ? KEEP /* a late update: a newer one won */
			       : MAKE;
	/* Nothing accepted: only an entry older than this read goes. */
	if (!e || entry_is(e, u->record_uid, u->revision) ||
	    entry_newer(e, u->record_uid, u->revision))
		return KEEP;
	return DROP;
}

static json_object *entry_of(json_object *store, const char *user)
{
	json_object *e = NULL;

	json_object_object_get_ex(users_of(store), user, &e);
	return e;
}

ksm_status ksm_offline_apply(const char *path, const ksm_offline_update *u,
			     size_t n, int64_t now, size_t *hashed,
			     ksm_error *err)
{
	json_object *store = NULL, *e;
	char **made = calloc(n + 1, sizeof(*made));
	char verifier[256];
	bool changed = false;
	int fd = -1;
	ksm_status st;

	*hashed = 0;
	if (!made)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	/*
	 * Keep the hash when the revision is unchanged: verifiers are only
	 * made from a password the vault gave (sync) or confirmed (a live
	 * check) for that revision, so it is this password's. Hashing again
	 * would cost a pam_unix check on every login. New hashes are made
	 * before the lock is taken.
	 */
	st = load(path, &store, err);
	for (size_t i = 0; st == KSM_OK && i < n; i++) {
		enum change c = change_of(entry_of(store, u[i].user), &u[i]);

		changed |= c != KEEP;
		if (c != MAKE)
			continue;
		st = make_verifier(u[i].password, verifier, sizeof(verifier),
				   err);
		if (st == KSM_OK && !(made[i] = ksm_strdup(verifier)))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	json_object_put(store);
	store = NULL;
	/* Nothing to do (reads that found what the store has): no lock. */
	if (st == KSM_OK && changed)
		st = lock_and_load(path, &fd, &store, err);
	changed = false;
	for (size_t i = 0; st == KSM_OK && store && i < n; i++) {
		e = entry_of(store, u[i].user);
		switch (change_of(e, &u[i])) {
		case KEEP:
			continue;
		case CONFIRM:
			json_object_object_add(e, "confirmed",
					       json_object_new_int64(now));
			json_object_object_add(e, "failures",
					       json_object_new_int(0));
			break;
		case DROP:
			json_object_object_del(users_of(store), u[i].user);
			break;
		case MAKE:
			/* Changed between the two reads (rare): hash now. */
			if (!made[i]) {
				st = make_verifier(u[i].password, verifier,
						   sizeof(verifier), err);
				if (st == KSM_OK &&
				    !(made[i] = ksm_strdup(verifier)))
					st = ksm_set_error(err, KSM_ERR_NOMEM,
							   "out of memory");
				if (st != KSM_OK)
					break;
			}
			e = entry_new(u[i].record_uid, u[i].revision, made[i],
				      now);
			if (!e) {
				st = ksm_set_error(err, KSM_ERR_NOMEM,
						   "out of memory");
				break;
			}
			json_object_object_add(users_of(store), u[i].user, e);
			(*hashed)++;
			break;
		}
		changed = true;
	}
	if (st == KSM_OK && changed)
		st = save(path, store, err);
	ksm_wipe(verifier, sizeof(verifier));
	for (size_t i = 0; i < n; i++)
		ksm_free_secret(made[i]);
	free(made);
	json_object_put(store);
	if (fd >= 0)
		close(fd);
	return st;
}

ksm_status ksm_offline_confirm(const char *path, const char *user,
			       const char *record_uid, int64_t revision,
			       const char *password, int64_t now,
			       ksm_error *err)
{
	ksm_offline_update u = {user, record_uid, revision, password};
	size_t hashed;

	return ksm_offline_apply(path, &u, 1, now, &hashed, err);
}

ksm_status ksm_offline_verify(const char *path, const char *user,
			      const char *password, const ksm_settings *conf,
			      int64_t now, ksm_offline_result *result,
			      ksm_error *err)
{
	return ksm_offline_verify_by(path, user, password, conf, now,
				     ksm_monotonic_ms() + USER_LOCK_WAIT_MS,
				     result, err);
}

ksm_status ksm_offline_verify_by(const char *path, const char *user,
				 const char *password, const ksm_settings *conf,
				 int64_t now, uint64_t deadline,
				 ksm_offline_result *result, ksm_error *err)
{
	uint64_t t = ksm_monotonic_ms();
	json_object *store = NULL, *e = NULL;
	ksm_offline_result res = KSM_OFFLINE_NONE;
	char *verifier = NULL;
	const char *v;
	int64_t failures;
	int ufd, fd = -1;
	ksm_status st;

	*result = KSM_OFFLINE_NONE;
	ufd = lock_user(path, user, deadline > t ? (unsigned)(deadline - t) : 0,
			err);
	if (ufd < 0)
		return err ? err->code : KSM_ERR_IO;
	/* Its turn came too late: the caller has given up waiting. */
	if (ksm_monotonic_ms() > deadline) {
		close(ufd);
		return ksm_set_error(
			err, KSM_ERR_TIMEOUT,
			"no time left for the offline check (other "
			"offline checks of %s before it)",
			user);
	}
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
