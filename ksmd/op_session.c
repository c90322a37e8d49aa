/* SPDX-License-Identifier: MIT */
/*
 * op_session.c - "session": the configured session secrets of a vault user,
 * for pam_ksm to put into the session keyring. The user's own record is
 * taken from the read its auth just made (one login, one request); secrets
 * of other records cost one more read for all of them together.
 */
#include "ksmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The notation with {record} replaced by the user's record UID. */
static char *notation_for(const char *notation, const char *record_uid)
{
	const char *p = strstr(notation, "{record}");
	size_t n;
	char *out;

	if (!p)
		return ksm_strdup(notation);
	n = strlen(notation) - 8 + strlen(record_uid);
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, notation, (size_t)(p - notation));
	strcpy(out + (p - notation), record_uid);
	strcat(out, p + 8);
	return out;
}

struct other {
	char **texts;  /* per secret: its notation, or NULL when resolved */
	char **values; /* per secret: the value found */
	size_t n;
};

/* With the vault's client held: resolve what the user's record did not. */
static ksm_status resolve_others(ksm_client *c, ksm_secrets *s,
				 uint64_t deadline, void *ctx)
{
	struct other *o = ctx;

	for (size_t i = 0; i < o->n; i++) {
		ksm_notation n;
		char **v = NULL;
		size_t cnt = 0;
		uint64_t now = ksm_monotonic_ms();

		if (!o->texts[i] ||
		    ksm_notation_parse(o->texts[i], &n, NULL) != KSM_OK)
			continue;
		if (ksm_notation_resolve_in(
			    c, s, &n,
			    now < deadline ? (unsigned)(deadline - now) : 0, &v,
			    &cnt, NULL) == KSM_OK &&
		    cnt > 0) {
			o->values[i] = v[0];
			v[0] = NULL;
		}
		ksm_strv_free(v, cnt);
		ksm_notation_clear(&n);
	}
	return KSM_OK;
}

/* From the user's own record: what needs no other read. */
static char *from_own(const char *text, const ksm_record *r)
{
	ksm_notation n;
	char **v = NULL, *value = NULL;
	size_t cnt = 0;

	if (ksm_notation_parse(text, &n, NULL) != KSM_OK)
		return NULL;
	if (n.selector != KSM_SEL_FILE && ksm_notation_record_is_uid(&n) &&
	    !strcmp(n.record, ksm_record_uid(r)) &&
	    ksm_notation_select(&n, r, &v, &cnt, NULL) == KSM_OK && cnt > 0) {
		value = v[0];
		v[0] = NULL;
	}
	ksm_strv_free(v, cnt);
	ksm_notation_clear(&n);
	return value;
}

void ksmd_op_session(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const ksm_settings *conf = d->conf;
	const char *user = ksm_ipc_get(req, "user"), *why;
	unsigned budget_ms = (unsigned)ksm_ipc_get_u64(req, "budget_ms",
						       conf->timeout_auth_ms);
	uint64_t deadline;
	size_t n = conf->n_session_secrets;
	struct other o = {calloc(n + 1, sizeof(char *)),
			  calloc(n + 1, sizeof(char *)), n};
	const char **uids = calloc(n + 1, sizeof(char *));
	ksm_query q = {.record_uids = uids, .max_response = 16u << 20};
	struct ksmd_fetch *f = NULL;
	const ksm_record *r;
	ksm_account acct = {0};
	char record_uid[64];
	ksm_error err = {0};
	bool budget, all_uids = true, gone;
	size_t missing = 0;
	ksm_status st;

	if (budget_ms > conf->timeout_auth_ms)
		budget_ms = conf->timeout_auth_ms;
	deadline = ksm_monotonic_ms() + budget_ms;
	if (!o.texts || !o.values || !uids) {
		ksm_ipc_add_str(resp, "result", "error");
		goto out;
	}
	if (!user || !ksmd_vault_user(d, user, record_uid, &why)) {
		ksm_ipc_add_str(resp, "result", "unknown");
		goto out;
	}
	/* The auth's (or key lookup's) read: the stages of one login follow
	 * each other within milliseconds. */
	st = ksmd_vault_record(d, record_uid, deadline, STAGE_REUSE_MS,
			       STAGE_REUSE_MS, &f, &budget, &err);
	if (st == KSM_ERR_TIMEOUT)
		ksm_error_prefix(&err, "timeout_auth budget");
	if (st != KSM_OK || !(r = ksmd_fetch_record(f))) {
		ksm_ipc_add_str(resp, "result", "unavail");
		ksm_ipc_add_str(resp, "message",
				st != KSM_OK ? err.message
					     : "the record is gone");
		goto out;
	}
	/* Still this user's account, and not expired: as auth checks. */
	gone = ksm_account_identity_from_record(r, conf, &acct, &err) !=
		       KSM_OK ||
	       strcmp(acct.name, user) != 0;
	/* The offline verifier follows this read, as after an auth. */
	ksmd_store_update(user, f, gone ? NULL : record_uid,
			  ksm_record_revision(r), NULL);
	if (gone ||
	    (acct.valid_until && acct.valid_until < (int64_t)time(NULL))) {
		ksm_ipc_add_str(resp, "result", "unknown");
		ksm_ipc_add_str(resp, "message",
				"the vault no longer gives this account "
				"(gone, renamed or expired)");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *text = notation_for(conf->session_secrets[i].notation,
					  record_uid);
		ksm_notation nt;

		if (!text)
			continue;
		o.values[i] = from_own(text, r);
		if (o.values[i]) {
			free(text);
			continue;
		}
		o.texts[i] = text;
		missing++;
		if (ksm_notation_parse(text, &nt, NULL) == KSM_OK) {
			if (ksm_notation_record_is_uid(&nt))
				uids[q.n_record_uids++] = ksm_strdup(nt.record);
			else
				all_uids = false;
			ksm_notation_clear(&nt);
		}
	}
	if (missing && ksmd_vault_query(d, all_uids ? &q : NULL, KSMD_LOGIN,
					deadline, resolve_others, &o, NULL,
					&budget, NULL, &err) != KSM_OK)
		ksmd_log(LOG_WARNING,
			 "%s: session secrets of other records "
			 "not available: %s",
			 user, err.message);
	ksm_ipc_add_str(resp, "result", "ok");
	for (size_t i = 0; i < n; i++) {
		if (!o.values[i]) {
			ksmd_log(LOG_WARNING,
				 "%s: session secret %s: nothing "
				 "found",
				 user, conf->session_secrets[i].name);
			continue;
		}
		ksm_ipc_add_str(resp, "name", conf->session_secrets[i].name);
		ksm_ipc_add_str(resp, "value", o.values[i]);
	}
out:
	for (size_t i = 0; uids && i < q.n_record_uids; i++)
		free((char *)uids[i]);
	free(uids);
	for (size_t i = 0; i < n; i++) {
		if (o.texts)
			free(o.texts[i]);
		if (o.values)
			ksm_free_secret(o.values[i]);
	}
	free(o.texts);
	free(o.values);
	ksm_account_clear(&acct);
	ksmd_fetch_release(f);
}
