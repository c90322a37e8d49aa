/* SPDX-License-Identifier: MIT */
/*
 * op_auth.c - "auth": is this the vault user's current password (and
 * one-time code)? Live against the vault within the caller's budget; the
 * offline verifier only when the vault could not be reached. Never offline
 * because ksmd's own request budget or a user's failure limit refused: a
 * flood of wrong guesses must not turn into offline acceptance.
 *
 * Results (docs/ksmd-protocol.md): ok, wrong, unknown, expired, locked,
 * need_code, unavail, error; "how" says live or offline; "message" is for
 * the caller's log and never holds a secret.
 */
#include "ksmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How long past its budget an offline check may go on: pam_ksm waits
 * its timeout_auth and gives ksmd 500 ms less. Later, its answer would be
 * read by nobody: the check is not made (no hash spent for nothing). */
#define OFFLINE_SLACK_MS 400

struct auth_req {
	const char *user, *password, *code, *totp;
	bool no_offline;
	unsigned budget_ms;
	uint64_t t0;
};

static void answer(ksm_ipc_msg *resp, const char *result, const char *how,
		   const char *fmt, ...) KSM_PRINTF(4, 5);

static void answer(ksm_ipc_msg *resp, const char *result, const char *how,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ksmd_stat_auth(result, how);
	ksm_ipc_add_str(resp, "result", result);
	if (how)
		ksm_ipc_add_str(resp, "how", how);
	ksm_ipc_add_str(resp, "message", msg);
}

/* The one-time code against the record's oneTimeCode, if it must be. */
static const char *check_code(const struct auth_req *a, const ksm_record *r)
{
	char *url = ksm_record_first_value(r, "oneTimeCode");
	const char *verdict = "ok";
	ksm_totp t = {0};

	if (!strcmp(a->totp, "off") ||
	    (!strcmp(a->totp, "if_present") && (!url || !*url)))
		goto out;
	if (!url || !*url) {
		verdict = "no_code_field";
		goto out;
	}
	if (!a->code) {
		verdict = "need_code";
		goto out;
	}
	if (ksm_totp_parse(url, &t, NULL) != KSM_OK)
		verdict = "bad_code_field";
	else if (!ksm_totp_verify(&t, time(NULL), a->code))
		verdict = "wrong";
out:
	ksm_totp_clear(&t);
	ksm_free_secret(url);
	return verdict;
}

static void auth_offline(struct ksmd *d, const struct auth_req *a,
			 const char *why, ksm_ipc_msg *resp)
{
	uint64_t until = a->t0 + a->budget_ms + OFFLINE_SLACK_MS;
	ksm_offline_result res;
	ksm_error err = {0};

	if (a->no_offline) {
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s) and no_offline is set", why);
		return;
	}
	if (strcmp(a->totp, "off") != 0 && a->code) {
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s) and the one-time code cannot be "
		       "checked offline",
		       why);
		return;
	}
	/* A live read of a moment ago may have changed the verifier (a
	 * rotation): what is queued is written first. */
	if (!ksmd_store_settle(a->user, until)) {
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s) and the offline verifier is "
		       "being updated",
		       why);
		return;
	}
	if (ksm_offline_verify_by(d->conf->private_store, a->user, a->password,
				  d->conf, time(NULL), until, &res,
				  &err) != KSM_OK) {
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s); offline check failed: %s", why,
		       err.message);
		return;
	}
	switch (res) {
	case KSM_OFFLINE_OK:
		answer(resp, "ok", "offline",
		       "password accepted by the offline verifier (vault "
		       "unreachable: %s)",
		       why);
		break;
	case KSM_OFFLINE_WRONG:
		answer(resp, "wrong", "offline",
		       "wrong password (offline verifier; vault unreachable: "
		       "%s)",
		       why);
		break;
	case KSM_OFFLINE_LOCKED:
		answer(resp, "locked", "offline",
		       "refused: %u wrong offline passwords "
		       "(offline_max_failures); locked until the vault answers",
		       d->conf->offline_max_failures);
		break;
	case KSM_OFFLINE_TOO_OLD:
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s) and the offline verifier is "
		       "older than offline_max_age",
		       why);
		break;
	default:
		answer(resp, "unavail", NULL,
		       "vault unreachable (%s) and no offline verifier (one is "
		       "made at the first live login on this host)",
		       why);
	}
}

/* Does the read's record have this password? */
static bool read_has_password(const struct ksmd_fetch *f, const char *pw)
{
	char *current =
		ksm_record_first_value(ksmd_fetch_record(f), "password");
	bool eq = current && *current && ksm_secret_equal(pw, current);

	ksm_free_secret(current);
	return eq;
}

/*
 * The read this auth is judged by: one of at most auth_reuse ago, shared
 * with the user's other logins. If a read from before this auth began
 * refuses the password, the vault may have a new one since (a rotation):
 * ask it now, so that a new password works at once and only an old one
 * may live on for auth_reuse. Should that fail, the earlier read stands.
 */
static ksm_status auth_read(struct ksmd *d, const struct auth_req *a,
			    const char *record_uid, uint64_t deadline,
			    struct ksmd_fetch **f, bool *budget, ksm_error *err)
{
	struct ksmd_fetch *now = NULL;
	ksm_error err2 = {0};
	bool budget2;
	ksm_status st;

	st = ksmd_vault_record(d, record_uid, deadline,
			       d->conf->auth_reuse * 1000u, 0, f, budget, err);
	if (st != KSM_OK || ksmd_fetch_sent_at(*f) >= a->t0 ||
	    read_has_password(*f, a->password))
		return st;
	if (ksmd_vault_record(d, record_uid, deadline, 0, 0, &now, &budget2,
			      &err2) == KSM_OK) {
		ksmd_fetch_release(*f);
		*f = now;
	}
	return KSM_OK;
}

static void auth_live(struct ksmd *d, const struct auth_req *a,
		      const char *record_uid, ksm_ipc_msg *resp)
{
	uint64_t deadline = a->t0 + a->budget_ms;
	struct ksmd_fetch *f = NULL;
	const ksm_record *r = NULL;
	ksm_account acct = {0};
	ksm_error err = {0};
	char *current = NULL;
	const char *code, *accepted = NULL, *seen = record_uid;
	bool budget = false, pw_ok;
	ksm_status st;

	st = auth_read(d, a, record_uid, deadline, &f, &budget, &err);
	if (st == KSM_ERR_TIMEOUT) /* name the budget that ran out */
		ksm_error_prefix(&err, "timeout_auth budget");
	if (st != KSM_OK) {
		if (budget)
			answer(resp, "unavail", NULL, "%s", err.message);
		else if (ksmd_unreachable(st))
			auth_offline(d, a, err.message, resp);
		else if (st == KSM_ERR_ACCESS_DENIED)
			answer(resp, "wrong", "live",
			       "the vault refused this device: %s",
			       err.message);
		else
			answer(resp, "unavail", NULL, "vault check failed: %s",
			       err.message);
		goto out;
	}
	r = ksmd_fetch_record(f);
	/* The record must still be this user's account, and current. */
	if (!r ||
	    ksm_account_identity_from_record(r, d->conf, &acct, &err) !=
		    KSM_OK ||
	    strcmp(acct.name, a->user) != 0) {
		seen = NULL; /* its verifier goes too */
		answer(resp, "unknown", "live",
		       "the vault no longer has this account (record %s)",
		       record_uid);
		goto out;
	}
	if (acct.valid_until && acct.valid_until < (int64_t)time(NULL)) {
		answer(resp, "expired", "live",
		       "access expired (valid_until in the vault)");
		goto out;
	}
	current = ksm_record_first_value(r, "password");
	if (!current || !*current) {
		answer(resp, "wrong", "live",
		       "the record has no password: password logins are off");
		goto out;
	}
	pw_ok = ksm_secret_equal(a->password, current);
	code = check_code(a, r);
	if (!strcmp(code, "need_code")) {
		/* Asked whatever the password: no oracle for it. */
		answer(resp, "need_code", "live", "a one-time code is needed");
		goto out;
	}
	if (!pw_ok || strcmp(code, "ok") != 0) {
		ksmd_failure_add(d, a->user);
		answer(resp, "wrong", "live", "%s",
		       !pw_ok ? "wrong password (vault, live)"
		       : !strcmp(code, "wrong")
			       ? "wrong verification code"
			       : "totp=required but the record has no usable "
				 "oneTimeCode");
		goto out;
	}
	ksmd_failures_reset(a->user);
	accepted = a->password;
	answer(resp, "ok", "live",
	       "password accepted by the vault (live, %llu ms)",
	       (unsigned long long)(ksm_monotonic_ms() - a->t0));
out:
	/* The offline verifier follows what this read said, after the
	 * answer (store.c): made or kept for an accepted password, dropped
	 * when the record moved on (a rotation) or the account is gone. */
	if (f)
		ksmd_store_update(a->user, f, seen,
				  r ? ksm_record_revision(r) : 0, accepted);
	ksm_free_secret(current);
	ksm_account_clear(&acct);
	ksmd_fetch_release(f);
}

static void auth(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	struct auth_req a = {
		.user = ksm_ipc_get(req, "user"),
		.password = ksm_ipc_get(req, "password"),
		.code = ksm_ipc_get(req, "code"),
		.totp = ksm_ipc_get(req, "totp"),
		.no_offline = ksm_ipc_get_u64(req, "no_offline", 0) != 0,
		.budget_ms = (unsigned)ksm_ipc_get_u64(
			req, "budget_ms", d->conf->timeout_auth_ms),
		.t0 = ksm_monotonic_ms(),
	};
	char record_uid[64];
	const char *why;

	if (!a.totp)
		a.totp = "off";
	if (a.budget_ms > d->conf->timeout_auth_ms)
		a.budget_ms = d->conf->timeout_auth_ms;
	if (!a.user || !a.password) {
		answer(resp, "error", NULL, "auth needs user and password");
		return;
	}
	if (!ksmd_vault_user(d, a.user, record_uid, &why)) {
		answer(resp, "unknown", NULL, "%s", why);
		return;
	}
	if (ksmd_failures_exceeded(d, a.user)) {
		answer(resp, "locked", NULL,
		       "refused without asking the vault: %u failures within "
		       "auth_failure_window (max_auth_failures)",
		       d->conf->max_auth_failures);
		return;
	}
	auth_live(d, &a, record_uid, resp);
}

/* One line per check for the audit trail: who, from where, the verdict. */
static void log_verdict(const ksm_ipc_msg *req, const ksm_ipc_msg *resp)
{
	const char *result = ksm_ipc_get(resp, "result");
	const char *how = ksm_ipc_get(resp, "how");
	const char *rhost = ksm_ipc_get(req, "rhost");
	char user[65], service[33], from[65], tty[33];

	/* Caller-supplied text: printable, bounded. */
	ksm_text_sanitize(user, sizeof(user), ksm_ipc_get(req, "user"), NULL);
	ksm_text_sanitize(service, sizeof(service), ksm_ipc_get(req, "service"),
			  NULL);
	ksm_text_sanitize(from, sizeof(from), rhost, NULL);
	ksm_text_sanitize(tty, sizeof(tty), ksm_ipc_get(req, "tty"), NULL);
	ksmd_log(result && !strcmp(result, "ok") ? LOG_INFO : LOG_NOTICE,
		 "auth %s (%s%s%s%s%s): %s%s%s", user,
		 service[0] ? service : "?", from[0] ? " from " : "", from,
		 tty[0] ? " on " : "", tty, result ? result : "?",
		 how ? ", " : "", how ? how : "");
}

void ksmd_op_auth(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	auth(d, req, resp);
	log_verdict(req, resp);
}
