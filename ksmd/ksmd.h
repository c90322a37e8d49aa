/* SPDX-License-Identifier: MIT */
/*
 * ksmd.h - the broker's shared state (docs/ksmd-protocol.md,
 * docs/design.md "The process boundary").
 *
 * ksmd is the only process of the host that reads the device credential,
 * talks to Keeper and writes the offline verifier store. Each connection
 * is served by a thread of its own; the vault is reached through two
 * clients (two keep-alive HTTPS connections), one request at a time on
 * each, under a per-device request budget; the offline store is written
 * by one thread of its own (store.c), after the answers.
 */
#ifndef KSMD_H
#define KSMD_H

#include "base.h"
#include "ipc_msg.h"

#include <pthread.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>

/* Who is asking, from SO_PEERCRED (never from the message). */
struct ksmd_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* What a vault read came back with. */
struct ksmd_fetch;

struct ksmd;
/* ksm.conf changed since ksmd read it (at start). */
KSM_HIDDEN bool ksmd_conf_changed(const struct ksmd *d);

struct ksmd {
	const char *conf_path;
	ksm_settings *conf;
	/* ksm.conf as read at start (ping: ksmctl says when it changed). */
	char conf_real[4096];
	char conf_mtime[48]; /* "SECONDS.NANOSECONDS", "0.0" if missing */
	uid_t keys_uid;	     /* keys_user's uid, (uid_t)-1 if there is none */
	bool foreground;
};

/* ----------------------------------------------------------------- vault */

enum ksmd_priority { KSMD_LOGIN, KSMD_ADMIN };

KSM_HIDDEN ksm_status ksmd_vault_init(struct ksmd *d, ksm_error *err);
/*
 * The record uid as of now: shares a read of the same record already
 * under way; also takes a successful read whose request left at most
 * ok_age_ms ago (an auth: auth_reuse; the session after an auth), and
 * with fail_age_ms a read that could not reach the vault and finished at
 * most that long ago (the later stages of a login). Release with
 * ksmd_fetch_release. *budget_refusal tells a refusal of ksmd's own
 * request_budget from a vault that cannot be reached.
 */
KSM_HIDDEN ksm_status ksmd_vault_record(struct ksmd *d, const char *uid,
					uint64_t deadline, unsigned ok_age_ms,
					unsigned fail_age_ms,
					struct ksmd_fetch **out,
					bool *budget_refusal, ksm_error *err);
/* The later stages of a login (session) take its auth's read, or its
 * failure to reach the vault, for this long. */
#define STAGE_REUSE_MS 10000
/* The read's place in the order in which reads finished, and when. */
KSM_HIDDEN uint64_t ksmd_fetch_seq(const struct ksmd_fetch *f);
KSM_HIDDEN uint64_t ksmd_fetch_done_at(const struct ksmd_fetch *f);
/* When the read's request left (monotonic ms). */
KSM_HIDDEN uint64_t ksmd_fetch_sent_at(const struct ksmd_fetch *f);
KSM_HIDDEN const ksm_record *ksmd_fetch_record(const struct ksmd_fetch *f);
KSM_HIDDEN const ksm_secrets *ksmd_fetch_secrets(const struct ksmd_fetch *f);
KSM_HIDDEN void ksmd_fetch_release(struct ksmd_fetch *f);
/*
 * Any other read (q NULL: everything), not shared, at prio. fn runs with
 * the vault's client held (to resolve notations, download files); it may
 * be NULL. *out may be NULL when only fn needs the records. *seq (if not
 * NULL): the read's place in the order of reads, as ksmd_fetch_seq.
 */
typedef ksm_status (*ksmd_with_client_fn)(ksm_client *c, ksm_secrets *s,
					  uint64_t deadline, void *ctx);
KSM_HIDDEN ksm_status ksmd_vault_query(struct ksmd *d, const ksm_query *q,
				       enum ksmd_priority prio,
				       uint64_t deadline,
				       ksmd_with_client_fn fn, void *ctx,
				       ksm_secrets **out, bool *budget_refusal,
				       uint64_t *seq, ksm_error *err);
/* get_folders at the admin priority (ksmctl folder list). */
KSM_HIDDEN ksm_status ksmd_vault_folders(struct ksmd *d, uint64_t deadline,
					 ksm_folders **out,
					 bool *budget_refusal, ksm_error *err);
/*
 * Bind a new device with a one-time token (ksmctl init through ksmd): the
 * binding request, then the bound config as JSON (secret) for ksmctl to
 * write; ksmd takes it up at its next request (client.json changed).
 */
KSM_HIDDEN ksm_status ksmd_vault_bind(struct ksmd *d, const char *token,
				      const char *host, const char *server_key,
				      char **config_json, size_t *records,
				      ksm_error *err);
/* Figures for ping/status: requests sent, attempts that never reached
 * the server (not counted in requests or the budget), the budget's use. */
KSM_HIDDEN void ksmd_vault_stats(unsigned long *requests, unsigned long *unsent,
				 unsigned *in_window, bool *bound);
/* The clock against Keeper's: our time minus the Date of the latest
 * answer, and when it came (false before any answer). */
KSM_HIDDEN bool ksmd_vault_clock(long long *skew_s, time_t *at);
/* Add clock_skew (signed seconds, as text) and clock_at (epoch s) to an
 * answer, when an answer has been seen (ping, records). */
KSM_HIDDEN void ksmd_add_clock(ksm_ipc_msg *resp);

/* Errors that mean "the vault could not answer", not "the vault said no". */
KSM_HIDDEN bool ksmd_unreachable(ksm_status st);

/* ----------------------------------------------------------------- store */

/* The offline store's one writer (store.c): a thread of its own. */
KSM_HIDDEN ksm_status ksmd_store_init(struct ksmd *d, ksm_error *err);
/*
 * What the live read f of user's record said, as a ksm_offline_update:
 * the password the vault accepted (make or keep the verifier), or NULL
 * (none accepted: a verifier of an older revision goes); record_uid NULL:
 * the vault no longer gives this account (its verifier goes). Queued;
 * written after the answer.
 */
KSM_HIDDEN void ksmd_store_update(const char *user, const struct ksmd_fetch *f,
				  const char *record_uid, int64_t revision,
				  const char *password);
/* Before an offline check: wait until user's queued updates are written
 * (false: not by deadline). */
KSM_HIDDEN bool ksmd_store_settle(const char *user, uint64_t deadline);
/* A sync's read (seq) is about to bring the store in step: accepts of
 * older reads may no longer make verifiers. */
KSM_HIDDEN void ksmd_store_sync_begin(uint64_t seq, uint64_t deadline);
/* Updates queued or being written (ping). */
KSM_HIDDEN unsigned ksmd_store_pending(void);

/* ---------------------------------------------------------------- limits */

/* Is user over max_auth_failures within auth_failure_window? */
KSM_HIDDEN bool ksmd_failures_exceeded(struct ksmd *d, const char *user);
/* How many wrong live answers user had within auth_failure_window. */
KSM_HIDDEN unsigned ksmd_failures_recent(struct ksmd *d, const char *user);
KSM_HIDDEN void ksmd_failure_add(struct ksmd *d, const char *user);
KSM_HIDDEN void ksmd_failures_reset(const char *user);

/* Serve the accepted connection fd on a thread of its own (fd taken). */
KSM_HIDDEN bool ksmd_conn_start(struct ksmd *d, int fd);

/* ------------------------------------------------------------------- ops */

/* Each fills resp with "result" first; see docs/ksmd-protocol.md. */
KSM_HIDDEN void ksmd_op_auth(struct ksmd *d, const ksm_ipc_msg *req,
			     ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_session(struct ksmd *d, const ksm_ipc_msg *req,
				ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_keys(struct ksmd *d, const ksm_ipc_msg *req,
			     ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_records(struct ksmd *d, const ksm_ipc_msg *req,
				ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_notation(struct ksmd *d, const ksm_ipc_msg *req,
				 ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_bind(struct ksmd *d, const ksm_ipc_msg *req,
			     ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_resolve(struct ksmd *d, const ksm_ipc_msg *req,
				ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_folders(struct ksmd *d, const ksm_ipc_msg *req,
				ksm_ipc_msg *resp);
KSM_HIDDEN void ksmd_op_explain(struct ksmd *d, const ksm_ipc_msg *req,
				ksm_ipc_msg *resp);

/* The vault user behind a login name: in the snapshot and not shadowed by
 * a local account. Fills record_uid; false (with why) otherwise. */
KSM_HIDDEN bool ksmd_vault_user(struct ksmd *d, const char *user,
				char record_uid[64], const char **why);

/* ----------------------------------------------------------------- stats */

/* Counted since ksmd started (stats.c); the ping answer carries them. */
enum ksmd_stat {
	KSMD_STAT_BUDGET_REFUSED, /* request_budget said no */
	KSMD_STAT_THROTTLED,	  /* Keeper throttled a read to its end */
	KSMD_STAT_UNREACHABLE,	  /* a read could not reach the vault */
	KSMD_STAT_AUTH_LIVE_OK,
	KSMD_STAT_AUTH_OFFLINE_OK, /* accepted by the offline verifier */
	KSMD_STAT_AUTH_WRONG,
	KSMD_STAT_AUTH_LOCKED,
	KSMD_STAT_AUTH_UNAVAIL,
	KSMD_STAT_REFUSED, /* not allowed for the asker's uid */
	KSMD_STAT_N
};
KSM_HIDDEN void ksmd_stats_start(void);
KSM_HIDDEN void ksmd_stat(enum ksmd_stat s);
/* An auth answer's result and how (may be NULL). */
KSM_HIDDEN void ksmd_stat_auth(const char *result, const char *how);
/* "started" and every counter, into a ping answer. */
KSM_HIDDEN void ksmd_stats_add(ksm_ipc_msg *resp);

/* ------------------------------------------------------------------- log */

KSM_HIDDEN void ksmd_log(int prio, const char *fmt, ...) KSM_PRINTF(2, 3);
KSM_HIDDEN void ksmd_log_open(bool foreground);

#endif
