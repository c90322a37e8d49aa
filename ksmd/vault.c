/* SPDX-License-Identifier: MIT */
/*
 * vault.c - the one way out of the host to Keeper.
 *
 *  - Two ksm_clients, so two keep-alive HTTPS connections at most, each
 *    used by one request at a time: one for logins, one for admin reads
 *    (sync, ksmctl) that logins may borrow while it is idle. A login never
 *    waits behind a whole-vault read; requests waiting for a connection
 *    get it in the order they came (FIFO), each at most until its
 *    caller's deadline.
 *  - request_budget: at most N requests in any window of S seconds, below
 *    Keeper's per-device limits; logins may use all of it, admin reads
 *    (sync, ksmctl) two thirds, so logins come first. A request takes its
 *    slot when it has a connection and is about to leave, and gives it
 *    back if no byte of it reached the server (connection refused or
 *    timed out, name not resolved): Keeper never counted it, and an
 *    outage must not turn into budget refusals instead of offline checks.
 *  - Reads of one record are shared: a login that finds a read of its
 *    record under way waits for that one instead of asking again; an auth
 *    also takes a successful read sent at most auth_reuse ago (so a
 *    rotation reaches every auth at most that much later; op_auth.c asks
 *    again when such a read refuses the password), and the session of a
 *    login the read its auth made (ok_age_ms).
 *  - A read that failed because the vault could not be reached is kept a
 *    few seconds for the later stages of the same login (session, keys),
 *    which then do not wait again: a black-holed vault costs one
 *    timeout_auth per login, not one per PAM stage. An auth never takes a
 *    failure: it asks again.
 *  - Every read gets a sequence number when it finishes, the order in
 *    which ksmd learnt what the vault said (store.c orders the offline
 *    store's updates by it).
 */
#include "ksmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Reads kept for the stages after auth (and sshd's second process). */
#define CACHE_MAX 1024
/* One record is small; only whole-vault reads need the big cap. */
#define ONE_RECORD_MAX (4u << 20)
/* The connections: LOGIN_CONNS for logins only, then the admin one, for
 * admin reads and, while idle, logins. */
#define LOGIN_CONNS 1
#define N_CONN	    (LOGIN_CONNS + 1)
#define ADMIN_CONN  LOGIN_CONNS

struct ksmd_fetch {
	char uid[64];
	uint64_t sent_at; /* when its request left (0: it never did) */
	uint64_t done_at; /* 0 while under way */
	uint64_t seq;	  /* the order in which reads finished */
	ksm_status st;
	ksm_error err;
	bool budget, in_line;
	ksm_secrets *s;
	unsigned refs; /* the cache's own counts as one while listed */
	bool listed;
	struct ksmd_fetch *next;
};

/* A request waiting for a connection (on its own stack). */
struct waiter {
	pthread_cond_t cv;
	enum ksmd_priority prio;
	int got; /* the connection handed over, -1 until then */
	struct waiter *next;
};

struct vconn {
	ksm_client *client;
	struct timespec cfg_mtime;
	bool busy;
};

/* What one request did besides its answer. */
struct query_meta {
	uint64_t sent_at, seq;
	bool budget;  /* refused by request_budget */
	bool in_line; /* its deadline came while it waited for a connection */
};

static struct {
	pthread_mutex_t mu; /* everything here; the clients by busy */
	pthread_cond_t cv;  /* a fetch finished */
	struct ksmd *d;
	struct vconn conn[N_CONN];
	struct waiter *waiting; /* FIFO */
	struct ksmd_fetch *cache;
	size_t n_cache;
	uint64_t *sent;	    /* per budget slot: when its request left (ms) */
	unsigned *sent_gen; /* per budget slot: taken how many times */
	unsigned long requests, unsent;
	uint64_t seq;
	bool bound; /* as the last request found it */
	/* The Date of the latest answer, our clock minus it, and when. */
	time_t server_date, clock_at;
	long long clock_skew;
	uint64_t warned; /* hash of the warnings last logged (0: none) */
} V = {
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

static void cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

ksm_status ksmd_vault_init(struct ksmd *d, ksm_error *err)
{
	V.d = d;
	V.sent = calloc(d->conf->request_budget, sizeof(*V.sent));
	V.sent_gen = calloc(d->conf->request_budget, sizeof(*V.sent_gen));
	if (!V.sent || !V.sent_gen)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	cond_init_mono(&V.cv);
	return KSM_OK;
}

static struct timespec mono_abs(uint64_t deadline_ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return ts;
}

/*
 * Under mu: may one more request go out now at prio? Takes a free slot of
 * the window (*slot, *gen: to give it back).
 */
static bool budget_take(enum ksmd_priority prio, uint64_t now, unsigned *slot,
			unsigned *gen)
{
	const ksm_settings *c = V.d->conf;
	uint64_t window = (uint64_t)c->request_window * 1000;
	unsigned limit = prio == KSMD_LOGIN ? c->request_budget
					    : (c->request_budget * 2 + 2) / 3;
	unsigned used = 0, free_slot = c->request_budget;

	for (unsigned i = 0; i < c->request_budget; i++) {
		if (V.sent[i] && now - V.sent[i] < window)
			used++;
		else if (free_slot == c->request_budget)
			free_slot = i;
	}
	if (used >= limit || free_slot == c->request_budget)
		return false;
	V.sent[free_slot] = now ? now : 1;
	*slot = free_slot;
	*gen = ++V.sent_gen[free_slot];
	V.requests++;
	return true;
}

/* Under mu: the request of that slot never reached the server. */
static void budget_refund(unsigned slot, unsigned gen)
{
	if (V.sent_gen[slot] == gen)
		V.sent[slot] = 0;
	V.requests--;
	V.unsent++;
}

static bool may_use(enum ksmd_priority prio, int conn)
{
	return conn == ADMIN_CONN || prio == KSMD_LOGIN;
}

/*
 * A connection for prio, waiting in line at most until deadline: its
 * index, or -1. Logins take their own first, then the admin one if idle.
 */
static int conn_take(enum ksmd_priority prio, uint64_t deadline)
{
	struct timespec until = mono_abs(deadline);
	struct waiter w = {.prio = prio, .got = -1}, **p;

	pthread_mutex_lock(&V.mu);
	for (int i = 0; i < N_CONN; i++)
		if (may_use(prio, i) && !V.conn[i].busy) {
			V.conn[i].busy = true;
			pthread_mutex_unlock(&V.mu);
			return i;
		}
	cond_init_mono(&w.cv);
	for (p = &V.waiting; *p; p = &(*p)->next)
		;
	*p = &w;
	while (w.got < 0 &&
	       pthread_cond_timedwait(&w.cv, &V.mu, &until) != ETIMEDOUT)
		;
	if (w.got < 0)
		for (p = &V.waiting; *p; p = &(*p)->next)
			if (*p == &w) {
				*p = w.next;
				break;
			}
	pthread_mutex_unlock(&V.mu);
	pthread_cond_destroy(&w.cv);
	return w.got;
}

/* Hand connection i to the first in line who may use it (an admin read
 * first for the admin connection), or mark it idle. */
static void conn_give(int i)
{
	struct waiter **p, **pick = NULL;

	pthread_mutex_lock(&V.mu);
	for (p = &V.waiting; *p; p = &(*p)->next) {
		if (!may_use((*p)->prio, i))
			continue;
		if (!pick)
			pick = p;
		if (i == ADMIN_CONN && (*p)->prio == KSMD_ADMIN) {
			pick = p;
			break;
		}
	}
	if (pick) {
		struct waiter *w = *pick;

		*pick = w->next;
		w->got = i;
		pthread_cond_signal(&w->cv);
	} else {
		V.conn[i].busy = false;
	}
	pthread_mutex_unlock(&V.mu);
}

/* With connection i held: its client, (re)made when client.json changed. */
static ksm_status client_get(int i, ksm_client **out, ksm_error *err)
{
	const ksm_settings *conf = V.d->conf;
	struct vconn *vc = &V.conn[i];
	struct stat sb;
	ksm_status st;

	if (stat(conf->client_config, &sb) == 0 && vc->client &&
	    (sb.st_mtim.tv_sec != vc->cfg_mtime.tv_sec ||
	     sb.st_mtim.tv_nsec != vc->cfg_mtime.tv_nsec)) {
		ksm_client_free(vc->client); /* ksmctl init --force */
		vc->client = NULL;
	}
	if (!vc->client) {
		st = ksm_client_from_settings(conf, &vc->client, err);
		if (st != KSM_OK)
			return st;
		vc->cfg_mtime = stat(conf->client_config, &sb) == 0
					? sb.st_mtim
					: (struct timespec){0};
	}
	/* Binding is ksmctl init's: a login never spends a token. */
	if (!ksm_client_is_bound(vc->client))
		return ksm_set_error(err, KSM_ERR_NOT_BOUND,
				     "%s is not bound yet: run 'ksmctl init'",
				     conf->client_config);
	*out = vc->client;
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
 * One request: a connection (waiting in line at most until deadline),
 * the budget, then fn with the client; the budget's place is given back
 * when nothing of it reached the server.
 */
static ksm_status with_client(enum ksmd_priority prio, uint64_t deadline,
			      held_fn fn, void *ctx, struct query_meta *m,
			      ksm_error *err)
{
	ksm_client *c = NULL;
	unsigned long req0 = 0, unsent0 = 0;
	unsigned slot, gen;
	uint64_t now;
	bool ok, reached;
	int ci;
	ksm_status st;

	memset(m, 0, sizeof(*m));
	ci = conn_take(prio, deadline);
	now = ksm_monotonic_ms();
	if (ci < 0 || now >= deadline) {
		if (ci >= 0)
			conn_give(ci);
		m->in_line = true;
		st = ksm_set_error(err, KSM_ERR_TIMEOUT,
				   "the vault connection stayed busy for the "
				   "whole budget");
		goto done;
	}
	pthread_mutex_lock(&V.mu);
	ok = budget_take(prio, now, &slot, &gen);
	pthread_mutex_unlock(&V.mu);
	if (!ok) {
		conn_give(ci);
		m->budget = true;
		ksmd_stat(KSMD_STAT_BUDGET_REFUSED);
		st = ksm_set_error(err, KSM_ERR_THROTTLED,
				   "request_budget (%u per %u s) used up: "
				   "not asking the vault now",
				   V.d->conf->request_budget,
				   V.d->conf->request_window);
		goto done;
	}
	st = client_get(ci, &c, err);
	pthread_mutex_lock(&V.mu);
	V.bound = st == KSM_OK;
	pthread_mutex_unlock(&V.mu);
	if (st == KSM_OK) {
		req0 = ksm_client_request_count(c);
		unsent0 = ksm_client_unsent_count(c);
		m->sent_at = ksm_monotonic_ms();
		st = fn(c, deadline, ctx, err);
		note_clock(ksm_client_server_date(c));
	}
	/* Did any of it reach the server? */
	reached = c && ksm_client_request_count(c) - req0 >
			       ksm_client_unsent_count(c) - unsent0;
	conn_give(ci);
	if (!reached) {
		pthread_mutex_lock(&V.mu);
		budget_refund(slot, gen);
		pthread_mutex_unlock(&V.mu);
		m->sent_at = 0;
	}
done:
	pthread_mutex_lock(&V.mu);
	m->seq = ++V.seq;
	pthread_mutex_unlock(&V.mu);
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
			   ksm_secrets **out, struct query_meta *m,
			   ksm_error *err)
{
	struct query x = {q, fn, ctx, NULL};
	ksm_status st;

	if (out)
		*out = NULL;
	st = with_client(prio, deadline, query_held, &x, m, err);
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
	struct query_meta m;
	ksm_status st;

	(void)d;
	*out = NULL;
	st = with_client(KSMD_ADMIN, deadline, folders_held, out, &m, err);
	*budget_refusal = m.budget;
	return st;
}

ksm_status ksmd_vault_query(struct ksmd *d, const ksm_query *q,
			    enum ksmd_priority prio, uint64_t deadline,
			    ksmd_with_client_fn fn, void *ctx,
			    ksm_secrets **out, bool *budget_refusal,
			    uint64_t *seq, ksm_error *err)
{
	struct query_meta m;
	ksm_status st;

	(void)d;
	st = do_query(q, prio, deadline, fn, ctx, out, &m, err);
	*budget_refusal = m.budget;
	if (seq)
		*seq = m.seq;
	return st;
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

/* Under mu: may a request now take the finished read f? */
static bool reusable(const struct ksmd_fetch *f, uint64_t now,
		     unsigned ok_age_ms, unsigned fail_age_ms)
{
	if (f->st == KSM_OK)
		return ok_age_ms && f->sent_at && now - f->sent_at <= ok_age_ms;
	return fail_age_ms && now - f->done_at <= fail_age_ms;
}

ksm_status ksmd_vault_record(struct ksmd *d, const char *uid, uint64_t deadline,
			     unsigned ok_age_ms, unsigned fail_age_ms,
			     struct ksmd_fetch **out, bool *budget_refusal,
			     ksm_error *err)
{
	struct timespec until = mono_abs(deadline);
	struct ksmd_fetch *f, *mine;
	const char *uids[1] = {uid};
	ksm_query q = {.record_uids = uids,
		       .n_record_uids = 1,
		       .max_response = ONE_RECORD_MAX};
	struct query_meta m;
	uint64_t now;
	ksm_status st;

	(void)d;
	*out = NULL;
	*budget_refusal = false;
	if (strlen(uid) >= sizeof(f->uid))
		return ksm_set_error(err, KSM_ERR_INVALID, "bad record uid");
again:
	pthread_mutex_lock(&V.mu);
	now = ksm_monotonic_ms();
	for (f = V.cache; f; f = f->next)
		if (!strcmp(f->uid, uid) &&
		    (!f->done_at || reusable(f, now, ok_age_ms, fail_age_ms)))
			break;
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
		/* Its request ran out of time in line for a connection, by
		 * the deadline of the login that started it: with time left,
		 * this one asks (or joins the next read) itself. */
		if (f->in_line && ksm_monotonic_ms() < deadline) {
			unref(f);
			pthread_mutex_unlock(&V.mu);
			goto again;
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

	st = do_query(&q, KSMD_LOGIN, deadline, NULL, NULL, &mine->s, &m,
		      &mine->err);
	pthread_mutex_lock(&V.mu);
	mine->st = st;
	mine->budget = m.budget;
	mine->in_line = m.in_line;
	mine->sent_at = m.sent_at;
	mine->seq = m.seq;
	mine->done_at = ksm_monotonic_ms();
	/* Only failures to reach the vault are kept (for the later stages);
	 * not one that never got a connection before its deadline, which
	 * says nothing about the vault. */
	if (st != KSM_OK && mine->listed &&
	    (mine->budget || mine->in_line || !ksmd_unreachable(st)))
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

uint64_t ksmd_fetch_seq(const struct ksmd_fetch *f)
{
	return f ? f->seq : 0;
}

uint64_t ksmd_fetch_done_at(const struct ksmd_fetch *f)
{
	return f ? f->done_at : 0;
}

uint64_t ksmd_fetch_sent_at(const struct ksmd_fetch *f)
{
	return f ? f->sent_at : 0;
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

void ksmd_vault_stats(unsigned long *requests, unsigned long *unsent,
		      unsigned *in_window, bool *bound)
{
	uint64_t now = ksm_monotonic_ms();
	uint64_t window;

	pthread_mutex_lock(&V.mu);
	window = (uint64_t)V.d->conf->request_window * 1000;
	*requests = V.requests;
	*unsent = V.unsent;
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
	unsigned slot, gen;
	bool ok;

	*config_json = NULL;
	*records = 0;
	pthread_mutex_lock(&V.mu);
	ok = budget_take(KSMD_ADMIN, ksm_monotonic_ms(), &slot, &gen);
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
