/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one client connection: read one request within a bound (a
 * stopped or slow client holds only its own thread, for at most that
 * long), check who asks with SO_PEERCRED, answer, close.
 *
 * Who may ask what (docs/ksmd-protocol.md):
 *   ping                  anyone
 *   auth, session         root (pam_ksm in sshd, su, sudo)
 *   keys                  root and keys_user (sshd's AuthorizedKeysCommandUser)
 *   records, notation,    root (ksmctl)
 *   resolve, folders,
 *   bind, explain
 */
#include "ipc_io.h"
#include "ksmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REQUEST_READ_MS 5000
#define ANSWER_WRITE_MS 10000
/*
 * Connections served at once; more wait in the listen backlog. Other
 * users than root get a share of their own, and each of them a few: a
 * local user holding idle connections can never crowd out the logins
 * (root's pam_ksm), which always find a place.
 */
#define CONN_MAX	 256
#define CONN_MAX_OTHERS	 64
#define CONN_MAX_PER_UID 8
#define UIDS_TRACKED	 CONN_MAX_OTHERS

static unsigned active, active_others;
static struct {
	uid_t uid;
	unsigned n;
} per_uid[UIDS_TRACKED];
static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cv = PTHREAD_COND_INITIALIZER;

struct conn {
	struct ksmd *d;
	int fd;
	uid_t uid;
};

/* Under active_mu: room for one more connection of a user other than
 * root? Counts it if so. */
static bool other_take(uid_t uid)
{
	size_t free_slot = UIDS_TRACKED;

	if (active_others >= CONN_MAX_OTHERS)
		return false;
	for (size_t i = 0; i < UIDS_TRACKED; i++) {
		if (per_uid[i].n && per_uid[i].uid == uid) {
			if (per_uid[i].n >= CONN_MAX_PER_UID)
				return false;
			per_uid[i].n++;
			active_others++;
			return true;
		}
		if (!per_uid[i].n && free_slot == UIDS_TRACKED)
			free_slot = i;
	}
	if (free_slot == UIDS_TRACKED)
		return false;
	per_uid[free_slot].uid = uid;
	per_uid[free_slot].n = 1;
	active_others++;
	return true;
}

static void other_drop(uid_t uid)
{
	for (size_t i = 0; i < UIDS_TRACKED; i++)
		if (per_uid[i].n && per_uid[i].uid == uid) {
			per_uid[i].n--;
			active_others--;
			return;
		}
}

void ksmd_add_clock(ksm_ipc_msg *resp)
{
	long long skew;
	time_t at;
	char text[32];

	if (!ksmd_vault_clock(&skew, &at))
		return;
	snprintf(text, sizeof(text), "%lld", skew);
	ksm_ipc_add_str(resp, "clock_skew", text);
	ksm_ipc_add_u64(resp, "clock_at", (uint64_t)at);
}

/* Anyone may ask whether ksmd runs; what it has seen (logins by verdict,
 * an unreachable vault, the store's queue, ksm.conf) only root. */
static void op_ping(const struct ksmd *d, const struct ksmd_peer *p,
		    ksm_ipc_msg *resp)
{
	unsigned long requests, unsent;
	unsigned in_window;
	bool bound;

	ksmd_vault_stats(&requests, &unsent, &in_window, &bound);
	ksm_ipc_add_str(resp, "result", "ok");
	ksm_ipc_add_str(resp, "version", KSM_VERSION);
	ksm_ipc_add_u64(resp, "bound", bound);
	ksm_ipc_add_u64(resp, "requests", requests);
	ksm_ipc_add_u64(resp, "in_window", in_window);
	ksm_ipc_add_u64(resp, "unsent", unsent);
	if (p->uid != 0)
		return;
	ksm_ipc_add_u64(resp, "store_pending", ksmd_store_pending());
	if (strlen(d->conf_real) < 1024) { /* ping answers stay small */
		ksm_ipc_add_str(resp, "conf", d->conf_real);
		ksm_ipc_add_str(resp, "conf_mtime", d->conf_mtime);
	}
	ksmd_add_clock(resp);
	ksmd_stats_add(resp);
}

static bool allowed(const struct ksmd *d, const char *op,
		    const struct ksmd_peer *p)
{
	if (!strcmp(op, "ping"))
		return true;
	if (!strcmp(op, "keys"))
		return p->uid == 0 || p->uid == d->keys_uid;
	return p->uid == 0;
}

static void serve(struct ksmd *d, int fd)
{
	struct ksmd_peer p = {(uid_t)-1, (gid_t)-1, 0};
	ksm_ipc_msg req = {0}, resp = {0};
	ksm_error err = {0};
	const char *op;

	if (ksm_ipc_peer(fd, &p.uid, &p.gid, &p.pid) != KSM_OK)
		return;
	if (ksm_ipc_recv(fd, KSM_IPC_REQUEST_MAX,
			 ksm_monotonic_ms() + REQUEST_READ_MS, &req,
			 &err) != KSM_OK) {
		ksmd_log(LOG_NOTICE, "uid %ld pid %ld: no request: %s",
			 (long)p.uid, (long)p.pid, err.message);
		goto out;
	}
	op = ksm_ipc_get(&req, "op");
	if (!op) {
		ksm_ipc_add_str(&resp, "result", "error");
		ksm_ipc_add_str(&resp, "message", "no op");
	} else if (!allowed(d, op, &p)) {
		ksmd_log(LOG_WARNING,
			 "uid %ld pid %ld: %s refused: not "
			 "allowed for this user",
			 (long)p.uid, (long)p.pid, op);
		ksmd_stat(KSMD_STAT_REFUSED);
		ksm_ipc_add_str(&resp, "result", "refused");
		ksm_ipc_add_str(&resp, "message", "not allowed for this user");
	} else if (!strcmp(op, "ping")) {
		op_ping(d, &p, &resp);
	} else if (!strcmp(op, "auth")) {
		ksmd_op_auth(d, &req, &resp);
	} else if (!strcmp(op, "session")) {
		ksmd_op_session(d, &req, &resp);
	} else if (!strcmp(op, "keys")) {
		ksmd_op_keys(d, &req, &resp);
	} else if (!strcmp(op, "records")) {
		ksmd_op_records(d, &req, &resp);
	} else if (!strcmp(op, "notation")) {
		ksmd_op_notation(d, &req, &resp);
	} else if (!strcmp(op, "resolve")) {
		ksmd_op_resolve(d, &req, &resp);
	} else if (!strcmp(op, "folders")) {
		ksmd_op_folders(d, &req, &resp);
	} else if (!strcmp(op, "bind")) {
		ksmd_op_bind(d, &req, &resp);
	} else if (!strcmp(op, "explain")) {
		ksmd_op_explain(d, &req, &resp);
	} else {
		ksm_ipc_add_str(&resp, "result", "error");
		ksm_ipc_add_str(&resp, "message", "unknown op");
	}
	if (ksm_ipc_send(fd, &resp, ksm_monotonic_ms() + ANSWER_WRITE_MS,
			 &err) != KSM_OK)
		ksmd_log(LOG_NOTICE,
			 "uid %ld pid %ld: answer not delivered: %s",
			 (long)p.uid, (long)p.pid, err.message);
out:
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;

	serve(c->d, c->fd);
	close(c->fd);
	pthread_mutex_lock(&active_mu);
	if (c->uid != 0)
		other_drop(c->uid);
	active--;
	pthread_cond_signal(&active_cv);
	pthread_mutex_unlock(&active_mu);
	free(c);
	return NULL;
}

bool ksmd_conn_start(struct ksmd *d, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	bool ok;

	if (!c)
		return false;
	c->d = d;
	c->fd = fd;
	if (ksm_ipc_peer(fd, &c->uid, NULL, NULL) != KSM_OK) {
		free(c);
		return false;
	}
	pthread_mutex_lock(&active_mu);
	if (c->uid != 0 && !other_take(c->uid)) {
		pthread_mutex_unlock(&active_mu);
		free(c);
		return false; /* closed at once: that user has enough open */
	}
	while (active >= CONN_MAX)
		pthread_cond_wait(&active_cv, &active_mu);
	active++;
	pthread_mutex_unlock(&active_mu);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1024 * 1024);
	ok = pthread_create(&t, &attr, conn_main, c) == 0;
	pthread_attr_destroy(&attr);
	if (!ok) {
		pthread_mutex_lock(&active_mu);
		if (c->uid != 0)
			other_drop(c->uid);
		active--;
		pthread_mutex_unlock(&active_mu);
		free(c);
	}
	return ok;
}
