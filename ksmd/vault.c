/* SPDX-License-Identifier: MIT */
/*
 * vault.c - the one way out of the host to Keeper.
 *
 *  - One ksm_client for logins and one for admin reads (sync, ksmctl), so
 *    two keep-alive HTTPS connections at most, each used by one request
 *    at a time (net_mu, taken with the caller's deadline): a login never
 *    waits behind a whole-vault read.
 *  - request_budget: at most N requests in any window of S seconds, below
 *    Keeper's per-device limits; logins may use all of it, admin reads
 *    (sync, ksmctl) two thirds, so logins come first.
 *  - Reads of one record are shared: a login that finds a read of its
 *    record under way waits for that one instead of asking again, and the
 *    session of a login takes the read its auth made (max_age_ms).
 *  - A read that failed because the vault could not be reached is kept a
 *    few seconds for the later stages of the same login (session, keys),
 *    which then do not wait again: a black-holed vault costs one
 *    timeout_auth per login, not one per PAM stage. An auth always asks.
 */
#include "ksmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Reads kept for the stages after auth (and sshd's second process). */
#define CACHE_MAX 1024
/* How long a failed read answers the later stages of a login. */
#define FAIL_HOLD_MS 10000
/* One record is small; only whole-vault reads need the big cap. */
#define ONE_RECORD_MAX (4u << 20)

struct ksmd_fetch {
	char uid[64];
	uint64_t done_at; /* 0 while under way */
	ksm_status st;
	ksm_error err;
	bool budget;
	ksm_secrets *s;
	unsigned refs; /* the cache's own counts as one while listed */
	bool listed;
	struct ksmd_fetch *next;
};

static struct {
	pthread_mutex_t net_mu[2]; /* per client: one request at a time */
	pthread_mutex_t mu;	   /* everything below */
	pthread_cond_t cv;	   /* a fetch finished */
	struct ksmd *d;
	ksm_client *client[2]; /* by enum ksmd_priority */
	struct timespec cfg_mtime[2];
	struct ksmd_fetch *cache;
	size_t n_cache;
	uint64_t *sent; /* ring of request times (ms), request_budget long */
	size_t sent_at;
	unsigned long requests;
	bool bound; /* as the last request found it */
	/* The Date of the latest answer, our clock minus it, and when. */
	time_t server_date, clock_at;
	long long clock_skew;
	uint64_t warned; /* hash of the warnings last logged (0: none) */
} V = {
	.net_mu = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER},
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

bool ksmd_unreachable(ksm_status st)
{
	switch (st) {
	case KSM_ERR_NETWORK:
	case KSM_ERR_TIMEOUT:
	case KSM_ERR_TLS:
	case KSM_ERR_HTTP:
	case KSM_ERR_THROTTLED:
	case KSM_ERR_PROTOCOL:
		return true;
	default:
		return false;
	}
}

ksm_status ksmd_vault_init(struct ksmd *d, ksm_error *err)
{
	pthread_condattr_t ca;

	V.d = d;
	V.sent = calloc(d->conf->request_budget, sizeof(*V.sent));
	if (!V.sent)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&V.cv, &ca);
	pthread_condattr_destroy(&ca);
	return KSM_OK;
}

static struct timespec mono_abs(uint64_t deadline_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return ts;
}

static struct timespec real_abs(uint64_t deadline_ms)
{
	uint64_t now = ksm_monotonic_ms(),
		 left = deadline_ms > now ? deadline_ms - now : 0;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(left / 1000);
	ts.tv_nsec += (long)(left % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Under mu: may one more request go out now at prio? */
static bool budget_take(enum ksmd_priority prio, uint64_t now)
{
	const ksm_settings *c = V.d->conf;
	uint64_t window = (uint64_t)c->request_window * 1000;
	unsigned limit = prio == KSMD_LOGIN ? c->request_budget
					    : (c->request_budget * 2 + 2) / 3;
	unsigned used = 0;

	for (unsigned i = 0; i < c->request_budget; i++)
		if (V.sent[i] && now - V.sent[i] < window)
			used++;
	if (used >= limit)
		return false;
	V.sent[V.sent_at] = now ? now : 1;
	V.sent_at = (V.sent_at + 1) % c->request_budget;
	V.requests++;
	return true;
}

/* Under net_mu[p]: client p, (re)made when client.json changed. */
static ksm_status client_get(enum ksmd_priority p, ksm_client **out,
			     ksm_error *err)
{
	const ksm_settings *conf = V.d->conf;
	struct stat sb;
	ksm_status st;

	if (stat(conf->client_config, &sb) == 0 && V.client[p] &&
	    (sb.st_mtim.tv_sec != V.cfg_mtime[p].tv_sec ||
	     sb.st_mtim.tv_nsec != V.cfg_mtime[p].tv_nsec)) {
		ksm_client_free(V.client[p]); /* ksmctl init --force */
		V.client[p] = NULL;
	}
	if (!V.client[p]) {
		st = ksm_client_from_settings(conf, &V.client[p], err);
		if (st != KSM_OK)
			return st;
		V.cfg_mtime[p] = stat(conf->client_config, &sb) == 0
					 ? sb.st_mtim
					 : (struct timespec){0};
	}
	/* Binding is ksmctl init's: a login never spends a token. */
	if (!ksm_client_is_bound(V.client[p]))
		return ksm_set_error(err, KSM_ERR_NOT_BOUND,
				     "%s is not bound yet: run 'ksmctl init'",
				     conf->client_config);
	*out = V.client[p];
	return KSM_OK;
}

/* A Date the client has not shown before is a new answer's: measure. */
static void note_clock(time_t date)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&V.mu);
	if (date && date != V.server_date) {
		V.server_date = date;
		V.clock_skew = (long long)now - (long long)date;
		V.clock_at = now;
	}
	pthread_mutex_unlock(&V.mu);
}

bool ksmd_vault_clock(long long *skew_s, time_t *at)
{
	bool known;

	pthread_mutex_lock(&V.mu);
	known = V.clock_at != 0;
	*skew_s = V.clock_skew;
	*at = V.clock_at;
	pthread_mutex_unlock(&V.mu);
	return known;
}

/* What runs with a client held: one vault request (and its downloads). */
typedef ksm_status (*held_fn)(ksm_client *c, uint64_t deadline, void *ctx,
			      ksm_error *err);

/*
 * The server's warnings (get_secret's "warnings", printable ASCII), logged
 * when they change rather than at every login that reads a record.
 */
static void log_warnings(const ksm_secrets *s)
{
	size_t n = ksm_secrets_warning_count(s);
	uint64_t h = n ? 14695981039346656037ull : 0; /* FNV-1a */
	bool changed;

	for (size_t i = 0; i < n; i++)
		for (const char *w = ksm_secrets_warning(s, i);; w++) {
			h = (h ^ (unsigned char)*w) * 1099511628211ull;
			if (!*w)
				break;
		}
	pthread_mutex_lock(&V.mu);
	changed = V.warned != h;
	V.warned = h;
	pthread_mutex_unlock(&V.mu);
	for (size_t i = 0; changed && i < n; i++)
		ksmd_log(LOG_WARNING, "the vault warns: %s",
			 ksm_secrets_warning(s, i));
}

/*
 * One request: budget, then the client (waiting at most until deadline
 * for another request to finish), then fn with it.
 */
static ksm_status with_client(enum ksmd_priority prio, uint64_t deadline,
			      held_fn fn, void *ctx, bool *budget,
			      ksm_error *err)
{
	struct timespec until = real_abs(deadline);
	ksm_client *c = NULL;
	bool ok;
	ksm_status st;

	*budget = false;
	pthread_mutex_lock(&V.mu);
	ok = budget_take(prio, ksm_monotonic_ms());
	pthread_mutex_unlock(&V.mu);
	if (!ok) {
		*budget = true;
		ksmd_stat(KSMD_STAT_BUDGET_REFUSED);
		return ksm_set_error(err, KSM_ERR_THROTTLED,
				     "request_budget (%u per %u s) used up: "
				     "not asking the vault now",
				     V.d->conf->request_budget,
				     V.d->conf->request_window);
	}
	if (pthread_mutex_timedlock(&V.net_mu[prio], &until) != 0)
		return ksm_set_error(err, KSM_ERR_TIMEOUT,
				     "the vault connection stayed busy for the "
				     "whole budget");
	st = client_get(prio, &c, err);
	pthread_mutex_lock(&V.mu);
	V.bound = st == KSM_OK;
	pthread_mutex_unlock(&V.mu);
	if (st == KSM_OK)
		st = fn(c, deadline, ctx, err);
	if (c)
		note_clock(ksm_client_server_date(c));
	pthread_mutex_unlock(&V.net_mu[prio]);
	return st;
}

static unsigned left_ms(uint64_t deadline)
{
	uint64_t now = ksm_monotonic_ms();

	return now < deadline ? (unsigned)(deadline - now) : 0;
}

/* The vault's answer to one request, counted for ping's figures. */
static ksm_status counted(ksm_status st)
{
	if (st == KSM_ERR_THROTTLED)
		ksmd_stat(KSMD_STAT_THROTTLED);
	else if (ksmd_unreachable(st))
		ksmd_stat(KSMD_STAT_UNREACHABLE);
	return st;
}

struct query {
	const ksm_query *q;
	ksmd_with_client_fn fn;
	void *ctx;
	ksm_secrets *s;
};

static ksm_status query_held(ksm_client *c, uint64_t deadline, void *ctx,
			     ksm_error *err)
{
	struct query *x = ctx;
	ksm_status st = counted(
		ksm_get_secrets(c, x->q, left_ms(deadline), &x->s, err));

	if (st == KSM_OK)
		log_warnings(x->s);
	if (st == KSM_OK && x->fn)
		st = x->fn(c, x->s, deadline, x->ctx);
	return st;
}

/* get_secret with q, then fn with the client still held. */
static ksm_status do_query(const ksm_query *q, enum ksmd_priority prio,
			   uint64_t deadline, ksmd_with_client_fn fn, void *ctx,
			   ksm_secrets **out, bool *budget, ksm_error *err)
{
	struct query x = {q, fn, ctx, NULL};
	ksm_status st;

	if (out)
		*out = NULL;
	st = with_client(prio, deadline, query_held, &x, budget, err);
	if (st == KSM_OK && out)
		*out = x.s;
	else
		ksm_secrets_free(x.s);
	return st;
}

static ksm_status folders_held(ksm_client *c, uint64_t deadline, void *ctx,
			       ksm_error *err)
{
	return counted(ksm_get_folders(c, left_ms(deadline), ctx, err));
}

ksm_status ksmd_vault_folders(struct ksmd *d, uint64_t deadline,
			      ksm_folders **out, bool *budget_refusal,
			      ksm_error *err)
{
	(void)d;
	*out = NULL;
	return with_client(KSMD_ADMIN, deadline, folders_held, out,
			   budget_refusal, err);
}

ksm_status ksmd_vault_query(struct ksmd *d, const ksm_query *q,
			    enum ksmd_priority prio, uint64_t deadline,
			    ksmd_with_client_fn fn, void *ctx,
			    ksm_secrets **out, bool *budget_refusal,
			    ksm_error *err)
{
	(void)d;
	return do_query(q, prio, deadline, fn, ctx, out, budget_refusal, err);
}

static void fetch_free(struct ksmd_fetch *f)
{
	ksm_secrets_free(f->s);
	free(f);
}

/* Under mu: drop one reference. */
static void unref(struct ksmd_fetch *f)
{
	if (--f->refs == 0)
		fetch_free(f);
}

/* Under mu: take f off the list. */
static void unlist(struct ksmd_fetch *f)
{
	for (struct ksmd_fetch **p = &V.cache; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			f->listed = false;
			V.n_cache--;
			unref(f);
			return;
		}
}

/* Under mu: the oldest finished read, to make room. */
static void evict_one(void)
{
	struct ksmd_fetch *old = NULL;

	for (struct ksmd_fetch *f = V.cache; f; f = f->next)
		if (f->done_at && (!old || f->done_at < old->done_at))
			old = f;
	if (old)
		unlist(old);
}

ksm_status ksmd_vault_record(struct ksmd *d, const char *uid, uint64_t deadline,
			     unsigned max_age_ms, struct ksmd_fetch **out,
			     bool *budget_refusal, ksm_error *err)
{
	struct timespec until = mono_abs(deadline);
	struct ksmd_fetch *f, *mine;
	const char *uids[1] = {uid};
	ksm_query q = {.record_uids = uids,
		       .n_record_uids = 1,
		       .max_response = ONE_RECORD_MAX};
	uint64_t now;
	ksm_status st;

	*out = NULL;
	*budget_refusal = false;
	if (strlen(uid) >= sizeof(f->uid))
		return ksm_set_error(err, KSM_ERR_INVALID, "bad record uid");
	pthread_mutex_lock(&V.mu);
	now = ksm_monotonic_ms();
	for (f = V.cache; f; f = f->next) {
		if (strcmp(f->uid, uid) != 0)
			continue;
		if (!f->done_at)
			break;
		/* A later stage: the auth's read, or its failure to reach
		 * the vault a moment ago. */
		if (max_age_ms && f->st == KSM_OK &&
		    now - f->done_at <= max_age_ms)
			break;
		if (max_age_ms && f->st != KSM_OK &&
		    now - f->done_at <= FAIL_HOLD_MS)
			break;
	}
	if (f) {
		/* Under way (share it) or recent enough (take it). */
		f->refs++;
		while (!f->done_at &&
		       pthread_cond_timedwait(&V.cv, &V.mu, &until) !=
			       ETIMEDOUT)
			;
		if (!f->done_at) {
			unref(f);
			pthread_mutex_unlock(&V.mu);
			return ksm_set_error(err, KSM_ERR_TIMEOUT,
					     "record %s: the read under way "
					     "did not finish within the budget",
					     uid);
		}
		pthread_mutex_unlock(&V.mu);
		goto answer;
	}
	mine = calloc(1, sizeof(*mine));
	if (!mine) {
		pthread_mutex_unlock(&V.mu);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	strcpy(mine->uid, uid);
	mine->refs = 2; /* the list's and ours */
	mine->listed = true;
	if (V.n_cache >= CACHE_MAX)
		evict_one();
	/* A newer read replaces older finished ones of the same record. */
	for (struct ksmd_fetch *g = V.cache, *next; g; g = next) {
		next = g->next;
		if (!strcmp(g->uid, uid) && g->done_at)
			unlist(g);
	}
	mine->next = V.cache;
	V.cache = mine;
	V.n_cache++;
	pthread_mutex_unlock(&V.mu);

	st = do_query(&q, KSMD_LOGIN, deadline, NULL, NULL, &mine->s,
		      &mine->budget, &mine->err);
	pthread_mutex_lock(&V.mu);
	mine->st = st;
	mine->done_at = ksm_monotonic_ms();
	/* Only failures to reach the vault are kept (FAIL_HOLD_MS). */
	if (st != KSM_OK && mine->listed &&
	    (mine->budget || !ksmd_unreachable(st)))
		unlist(mine);
	pthread_cond_broadcast(&V.cv);
	pthread_mutex_unlock(&V.mu);
	f = mine;
answer:
	*budget_refusal = f->budget;
	if (f->st != KSM_OK) {
		if (err)
			*err = f->err;
		st = f->st;
		pthread_mutex_lock(&V.mu);
		unref(f);
		pthread_mutex_unlock(&V.mu);
		return st;
	}
	*out = f;
	return KSM_OK;
}

const ksm_record *ksmd_fetch_record(const struct ksmd_fetch *f)
{
	return f ? ksm_secrets_find(f->s, f->uid) : NULL;
}

const ksm_secrets *ksmd_fetch_secrets(const struct ksmd_fetch *f)
{
	return f ? f->s : NULL;
}

void ksmd_fetch_release(struct ksmd_fetch *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&V.mu);
	unref(f);
	pthread_mutex_unlock(&V.mu);
}

void ksmd_vault_stats(unsigned long *requests, unsigned *in_window, bool *bound)
{
	uint64_t now = ksm_monotonic_ms();
	uint64_t window;

	pthread_mutex_lock(&V.mu);
	window = (uint64_t)V.d->conf->request_window * 1000;
	*requests = V.requests;
	*in_window = 0;
	for (unsigned i = 0; i < V.d->conf->request_budget; i++)
		if (V.sent[i] && now - V.sent[i] < window)
			(*in_window)++;
	*bound = V.bound;
	pthread_mutex_unlock(&V.mu);
}

ksm_status ksmd_vault_bind(struct ksmd *d, const char *token, const char *host,
			   const char *server_key, char **config_json,
			   size_t *records, ksm_error *err)
{
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_status st;
	bool ok;

	*config_json = NULL;
	*records = 0;
	pthread_mutex_lock(&V.mu);
	ok = budget_take(KSMD_ADMIN, ksm_monotonic_ms());
	pthread_mutex_unlock(&V.mu);
	if (!ok)
		return ksm_set_error(err, KSM_ERR_THROTTLED,
				     "request_budget used up: try again in "
				     "%u s",
				     d->conf->request_window);
	st = ksm_client_config_from_token(token, host, server_key, &cfg, err);
	if (st == KSM_OK)
		st = ksm_client_from_config(d->conf, cfg, &c,
					    err); /* takes cfg */
	if (st == KSM_OK)
		st = ksm_get_secrets(c, NULL, d->conf->timeout_sync_ms, &s,
				     err);
	if (st == KSM_OK) {
		*config_json =
			ksm_client_config_to_json(ksm_client_get_config(c));
		*records = ksm_secrets_count(s);
		if (!*config_json)
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	ksm_secrets_free(s);
	ksm_client_free(c);
	return st;
}
