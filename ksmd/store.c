/* SPDX-License-Identifier: MIT */
/*
 * store.c - the offline verifier store's one writer. A live auth answers
 * pam_ksm at once and leaves what its read of the vault said here; a
 * thread of its own brings the store in step (ksm_offline_apply: hashes
 * before the lock, one rewrite for a whole batch).
 *
 * Updates are kept per user, one pending at a time, ordered by the
 * sequence number of the vault read they come from (ksmd_fetch_seq): a
 * newer read replaces an older pending update, and an update of an older
 * read than one already taken for that user is dropped. So ten first
 * logins of one user make one hash, and a later live reject (a read that
 * found a rotated revision: the old verifier goes) is never undone by an
 * earlier accept that was slow to arrive. What keeps that order:
 *  - per user, the newest read taken (seq) is remembered FLOOR_KEEP_MS
 *    after it finished, and an accept whose read finished longer than
 *    ACCEPT_MAX_AGE_MS ago is not trusted to make a verifier;
 *  - a sync's read (ksmd_store_sync_begin) ends every accept of an older
 *    read, which the sync may have found rotated;
 *  - an accept that is not trusted, or came too late, still counts as a
 *    read that saw its revision: it can drop an older verifier, never make
 *    one. Dropping is always safe; only making one needs the order.
 * Memory is bounded (USERS_MAX users, passwords of at most PASSWORD_MAX
 * bytes, wiped when written); past that, accepts are dropped first (a
 * verifier is made at a later login), never the drops. A batch that
 * cannot be written (the lock held past its bound, a damaged store) is
 * tried again RETRY_MS later for its drops; an offline check of a user
 * whose drop is not written yet refuses.
 */
#include "ksmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define USERS_MAX	  4096
#define NAME_MAX_LEN	  64
#define FLOOR_KEEP_MS	  60000
#define ACCEPT_MAX_AGE_MS 30000
#define PASSWORD_MAX	  1024
#define BATCH_MAX	  64
/* After a batch that could not be written, the writer waits this long. */
#define RETRY_MS 2000
/* The writer yields to the threads that answer logins. */
#define WRITER_NICE 10

enum kind { NONE, SEEN, ACCEPTED, GONE };

struct slot {
	char user[NAME_MAX_LEN];
	char record[64];
	int64_t revision;
	char *password; /* ACCEPTED */
	enum kind pending;
	bool in_batch;
	uint64_t seq, read_at; /* the newest read taken for this user */
};

struct item {
	size_t slot;
	char user[NAME_MAX_LEN];
	char record[64];
	int64_t revision;
	char *password;
	enum kind kind;
};

static struct slot slots[USERS_MAX];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv; /* CLOCK_MONOTONIC */
static unsigned n_pending, n_in_batch;
static uint64_t sync_floor, lost_floor;
static struct ksmd *D;

static void forget_password(struct slot *s)
{
	ksm_free_secret(s->password);
	s->password = NULL;
}

/* Under mu: s is only a memory of an old read, free to take. */
static bool expired(const struct slot *s, uint64_t now)
{
	return s->pending == NONE && !s->in_batch &&
	       now - s->read_at > FLOOR_KEEP_MS;
}

/* Under mu: the older of two candidates to make room (NULL: none). */
static struct slot *older(struct slot *a, struct slot *b)
{
	return !a || (b && b->seq < a->seq) ? b : a;
}

/* Under mu: the user's slot; with create, a free one, else room made. */
static struct slot *find(const char *user, uint64_t now, bool create)
{
	struct slot *spare = NULL, *memory = NULL, *accept = NULL;

	for (size_t i = 0; i < USERS_MAX; i++) {
		struct slot *s = &slots[i];

		if (s->user[0] && !strcmp(s->user, user))
			return s;
		if (!spare && (!s->user[0] || expired(s, now)))
			spare = s;
		if (!s->in_batch && s->pending == NONE)
			memory = older(memory, s);
		if (!s->in_batch && s->pending == ACCEPTED)
			accept = older(accept, s);
	}
	if (!create)
		return NULL;
	if (!spare && (memory || accept)) {
		/* Room of last resort: the oldest memory of a read, else the
		 * oldest pending accept. Accepts of reads older than what is
		 * forgotten here can no longer make a verifier. */
		spare = memory ? memory : accept;
		if (spare->seq > lost_floor)
			lost_floor = spare->seq;
		if (spare->pending == ACCEPTED)
			n_pending--;
		forget_password(spare);
	}
	if (spare) {
		memset(spare, 0, sizeof(*spare));
		strcpy(spare->user, user);
	}
	return spare;
}

/* Under mu: fold the update into the slot's pending one. */
static void merge(struct slot *s, enum kind kind, const char *record,
		  int64_t revision, const char *password)
{
	bool same = s->pending != NONE && !strcmp(s->record, record) &&
		    s->revision == revision;

	/* An accept of this revision covers a read that saw it. */
	if (same && s->pending == ACCEPTED && kind != GONE)
		return;
	if (s->pending == NONE)
		n_pending++;
	forget_password(s);
	s->pending = kind;
	snprintf(s->record, sizeof(s->record), "%s", record);
	s->revision = revision;
	if (kind == ACCEPTED && !(s->password = ksm_strdup(password)))
		s->pending = SEEN; /* out of memory: no verifier, still safe */
}

void ksmd_store_update(const char *user, const struct ksmd_fetch *f,
		       const char *record_uid, int64_t revision,
		       const char *password)
{
	uint64_t seq = ksmd_fetch_seq(f), read_at = ksmd_fetch_done_at(f);
	enum kind kind = !record_uid ? GONE : password ? ACCEPTED : SEEN;
	struct slot *s;
	uint64_t now;

	if (strlen(user) >= NAME_MAX_LEN ||
	    (record_uid && strlen(record_uid) >= sizeof(s->record)))
		return;
	pthread_mutex_lock(&mu);
	now = ksm_monotonic_ms();
	if (kind == ACCEPTED &&
	    (strlen(password) > PASSWORD_MAX || seq <= sync_floor ||
	     seq <= lost_floor || now - read_at > ACCEPT_MAX_AGE_MS))
		kind = SEEN;
	s = find(user, now, true);
	if (!s) {
		/* Every slot holds a pending drop: the store is far behind.
		 * An accept waits for a later login. */
		pthread_mutex_unlock(&mu);
		ksmd_log(LOG_WARNING,
			 "%s: offline verifier not refreshed: %u updates "
			 "waiting for the store",
			 user, USERS_MAX);
		return;
	}
	/* A read already taken says nothing new, except to accept (other
	 * logins share one read: one may be wrong, the next right). */
	if (seq > s->seq || (seq == s->seq && kind != SEEN)) {
		merge(s, kind, record_uid ? record_uid : "", revision,
		      password);
		s->seq = seq;
		s->read_at = read_at;
		pthread_cond_signal(&work_cv);
	}
	pthread_mutex_unlock(&mu);
}

bool ksmd_store_settle(const char *user, uint64_t deadline)
{
	struct timespec until = {.tv_sec = (time_t)(deadline / 1000),
				 .tv_nsec = (long)(deadline % 1000) * 1000000L};
	struct slot *s;
	bool settled;

	pthread_mutex_lock(&mu);
	while (!(settled = !(s = find(user, 0, false)) ||
			   (s->pending == NONE && !s->in_batch)) &&
	       pthread_cond_timedwait(&done_cv, &mu, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&mu);
	return settled;
}

void ksmd_store_sync_begin(uint64_t seq, uint64_t deadline)
{
	struct timespec until = {.tv_sec = (time_t)(deadline / 1000),
				 .tv_nsec = (long)(deadline % 1000) * 1000000L};

	pthread_mutex_lock(&mu);
	/* A batch being written may hold accepts older than this read. */
	while (n_in_batch &&
	       pthread_cond_timedwait(&done_cv, &mu, &until) != ETIMEDOUT)
		;
	if (seq > sync_floor)
		sync_floor = seq;
	for (size_t i = 0; i < USERS_MAX; i++)
		if (slots[i].pending == ACCEPTED && slots[i].seq <= seq) {
			slots[i].pending = SEEN;
			forget_password(&slots[i]);
		}
	pthread_mutex_unlock(&mu);
}

unsigned ksmd_store_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&mu);
	n = n_pending + n_in_batch;
	pthread_mutex_unlock(&mu);
	return n;
}

/* Under mu: move up to BATCH_MAX pending updates into items. */
static size_t take_batch(struct item *items)
{
	size_t n = 0;

	for (size_t i = 0; i < USERS_MAX && n < BATCH_MAX; i++) {
		struct slot *s = &slots[i];
		struct item *it = &items[n];

		if (s->pending == NONE || s->in_batch)
			continue;
		it->slot = i;
		strcpy(it->user, s->user);
		strcpy(it->record, s->record);
		it->revision = s->revision;
		it->kind = s->pending;
		it->password = s->password;
		s->password = NULL;
		s->pending = NONE;
		s->in_batch = true;
		n_pending--;
		n_in_batch++;
		n++;
	}
	return n;
}

static bool write_batch(struct item *items, size_t n)
{
	ksm_offline_update u[BATCH_MAX];
	ksm_error err = {0};
	size_t hashed = 0;
	bool ok;

	for (size_t i = 0; i < n; i++)
		u[i] = (ksm_offline_update){
			.user = items[i].user,
			.record_uid =
				items[i].kind == GONE ? NULL : items[i].record,
			.revision = items[i].revision,
			.password = items[i].password,
		};
	ok = ksm_offline_apply(D->conf->private_store, u, n, time(NULL),
			       &hashed, &err) == KSM_OK;
	if (!ok) {
		if (n == 1)
			ksmd_log(LOG_WARNING,
				 "%s: offline verifier not refreshed: %s",
				 items[0].user, err.message);
		else
			ksmd_log(LOG_WARNING,
				 "%s and %zu other user(s): offline verifiers "
				 "not refreshed: %s",
				 items[0].user, n - 1, err.message);
	}
	for (size_t i = 0; i < n; i++) {
		ksm_free_secret(items[i].password);
		items[i].password = NULL;
	}
	return ok;
}

/*
 * Under mu, after a batch that could not be written: its drops go back in
 * line (unless a newer update came meanwhile), its accepts are given up
 * (a later login makes the verifier). Until a drop is written, an offline
 * check of that user waits for it and then refuses (ksmd_store_settle).
 */
static void requeue_drops(const struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct slot *s = &slots[items[i].slot];

		if (items[i].kind == ACCEPTED || s->pending != NONE)
			continue;
		s->pending = items[i].kind == GONE ? GONE : SEEN;
		strcpy(s->record, items[i].record);
		s->revision = items[i].revision;
		n_pending++;
	}
}

static void *writer(void *arg)
{
	static struct item items[BATCH_MAX];
	struct timespec pause = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000000L};
	size_t n;
	bool ok;

	(void)arg;
	/* Linux: a thread's own nice value (best effort). */
	setpriority(PRIO_PROCESS, (id_t)gettid(), WRITER_NICE);
	for (;;) {
		pthread_mutex_lock(&mu);
		while (!n_pending)
			pthread_cond_wait(&work_cv, &mu);
		n = take_batch(items);
		pthread_mutex_unlock(&mu);
		ok = !n || write_batch(items, n);
		pthread_mutex_lock(&mu);
		for (size_t i = 0; i < n; i++) {
			slots[items[i].slot].in_batch = false;
			n_in_batch--;
		}
		if (!ok)
			requeue_drops(items, n);
		pthread_cond_broadcast(&done_cv);
		pthread_mutex_unlock(&mu);
		if (!ok) /* the store is locked or broken: not in a loop */
			nanosleep(&pause, NULL);
	}
	return NULL;
}

ksm_status ksmd_store_init(struct ksmd *d, ksm_error *err)
{
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	D = d;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, writer, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return ksm_set_error(err, KSM_ERR_NOMEM,
				     "cannot start the store writer: %s",
				     strerror(rc));
	return KSM_OK;
}
