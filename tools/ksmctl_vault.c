/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_vault.c - how ksmctl reads the vault: through ksmd when it runs
 * (so the whole host shares one device budget and one connection, and the
 * request leaves with ksmd's environment), else directly with the client
 * config (a host without ksmd, or before it is set up).
 */
#include "ipc_client.h"
#include "ksmctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ksmd answers a whole vault; allow for big ones. */
#define RECORDS_MAX (1024u << 20)
#define PING_MS	    1000

bool ksmctl_ksmd_ping(const struct ksmctl *k, ksm_ipc_msg *resp)
{
	ksm_ipc_msg req = {0};
	bool up;

	ksm_ipc_add_str(&req, "op", "ping");
	up = ksm_ipc_call(k->conf, &req, resp, 4096, PING_MS, NULL) == KSM_OK &&
	     ksm_ipc_get(resp, "result") &&
	     !strcmp(ksm_ipc_get(resp, "result"), "ok");
	ksm_ipc_clear(&req);
	return up;
}

bool ksmctl_ksmd_running(const struct ksmctl *k)
{
	ksm_ipc_msg resp = {0};
	bool up = ksmctl_ksmd_ping(k, &resp);

	ksm_ipc_clear(&resp);
	return up;
}

int ksmctl_client(const struct ksmctl *k, ksm_client **c)
{
	ksm_error err = {0};

	*c = NULL;
	if (ksmctl_ksmd_running(k))
		return EXIT_OK; /* NULL: ask ksmd */
	if (ksm_client_from_settings(k->conf, c, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	return EXIT_OK;
}

static ksm_status status_of(const char *name)
{
	for (int st = KSM_OK; st <= KSM_ERR_NOTATION; st++)
		if (name && !strcmp(ksm_status_name((ksm_status)st), name))
			return (ksm_status)st;
	return KSM_ERR_SERVER;
}

/* ksmd's answer was not ok: its status (as ksmctl's exit code sees it)
 * and message. */
static ksm_status refusal(const ksm_ipc_msg *resp, ksm_error *err)
{
	const char *msg = ksm_ipc_get(resp, "message");

	err->code = status_of(ksm_ipc_get(resp, "status"));
	snprintf(err->message, sizeof(err->message), "ksmd: %s",
		 msg ? msg : "no usable answer");
	return err->code;
}

static ksm_status via_ksmd(const struct ksmctl *k, const ksm_query *q,
			   const char *purpose, bool force, ksm_secrets **out,
			   struct ksmctl_sync_info *info, ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const char *result, *records;
	ksm_status st = KSM_OK;

	if (ksm_ipc_add_str(&req, "op", "records") ||
	    ksm_ipc_add_str(&req, "purpose", purpose) ||
	    (force && ksm_ipc_add_str(&req, "force", "yes")))
		st = KSM_ERR_NOMEM;
	for (size_t i = 0; st == KSM_OK && q && i < q->n_record_uids; i++)
		st = ksm_ipc_add_str(&req, "uid", q->record_uids[i]);
	for (size_t i = 0; st == KSM_OK && q && i < q->n_folder_uids; i++)
		st = ksm_ipc_add_str(&req, "folder", q->folder_uids[i]);
	if (st != KSM_OK) {
		ksm_ipc_clear(&req);
		err->code = st;
		snprintf(err->message, sizeof(err->message), "out of memory");
		return st;
	}
	st = ksm_ipc_call(k->conf, &req, &resp, RECORDS_MAX,
			  k->conf->timeout_sync_ms + 2000, err);
	result = ksm_ipc_get(&resp, "result");
	records = ksm_ipc_get(&resp, "records");
	if (st == KSM_OK && result && !strcmp(result, "ok") && records) {
		st = ksm_secrets_from_json(records, strlen(records), out, err);
		if (info) {
			const char *verr =
				ksm_ipc_get(&resp, "verifiers_error");

			info->verifiers_made = (size_t)ksm_ipc_get_u64(
				&resp, "verifiers_made", 0);
			snprintf(info->verifiers_error,
				 sizeof(info->verifiers_error), "%s",
				 verr ? verr : "");
		}
	} else if (st == KSM_OK) {
		st = refusal(&resp, err);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_get_secrets(const struct ksmctl *k, ksm_client *c,
			      const ksm_query *q, const char *purpose,
			      ksm_secrets **out, ksm_error *err)
{
	*out = NULL;
	if (!c)
		return via_ksmd(k, q, purpose, false, out, NULL, err);
	return ksm_get_secrets(c, q, k->conf->timeout_sync_ms, out, err);
}

ksm_status ksmctl_sync_read(const struct ksmctl *k, ksm_client *c,
			    const char *purpose, bool force, ksm_secrets **out,
			    struct ksmctl_sync_info *info, ksm_error *err)
{
	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (!c)
		return via_ksmd(k, NULL, purpose, force, out, info, err);
	return ksm_get_secrets(c, NULL, k->conf->timeout_sync_ms, out, err);
}

/* One notation through ksmd ("notation": files are downloaded by ksmd). */
static ksm_status notation_via_ksmd(const struct ksmctl *k, const char *text,
				    char ***values, size_t *count,
				    ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const struct ksm_ipc_field *v;
	const char *result;
	size_t pos = 0, n = 0;
	ksm_status st;

	*values = NULL;
	*count = 0;
	st = ksm_ipc_add_str(&req, "op", "notation");
	if (st == KSM_OK)
		st = ksm_ipc_add_str(&req, "notation", text);
	if (st == KSM_OK)
		st = ksm_ipc_call(k->conf, &req, &resp, RECORDS_MAX,
				  k->conf->timeout_sync_ms + 2000, err);
	result = ksm_ipc_get(&resp, "result");
	if (st == KSM_OK && (!result || strcmp(result, "ok") != 0)) {
		st = refusal(&resp, err);
	}
	while (st == KSM_OK && ksm_ipc_next(&resp, "value", &pos))
		n++;
	if (st == KSM_OK && !(*values = calloc(n + 1, sizeof(char *))))
		st = KSM_ERR_NOMEM;
	for (pos = 0;
	     st == KSM_OK && (v = ksm_ipc_next(&resp, "value", &pos));) {
		(*values)[*count] = strdup((const char *)v->val);
		if (!(*values)[(*count)++])
			st = KSM_ERR_NOMEM;
	}
	if (st != KSM_OK) {
		ksm_strv_free(*values, *count);
		*values = NULL;
		*count = 0;
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_resolve_parsed(const struct ksmctl *k, ksm_client *c,
				 const ksm_secrets *s, const ksm_notation *n,
				 const char *text, char ***values,
				 size_t *count, ksm_error *err)
{
	/* A file needs a download: through ksmd when it runs. */
	if (!c && n->selector == KSM_SEL_FILE)
		return notation_via_ksmd(k, text, values, count, err);
	return ksm_notation_resolve_in(c, s, n, k->conf->timeout_sync_ms,
				       values, count, err);
}

ksm_status ksmctl_resolve(const struct ksmctl *k, ksm_client *c,
			  const char *text, char ***values, size_t *count,
			  ksm_error *err)
{
	if (!c)
		return notation_via_ksmd(k, text, values, count, err);
	return ksm_notation_resolve(c, text, k->conf->timeout_sync_ms, values,
				    count, err);
}

ksm_status ksmctl_bind_via_ksmd(const struct ksmctl *k, const char *token,
				const char *host, const char *server_key,
				ksm_client_config **cfg, size_t *records,
				ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const char *result, *json;
	ksm_status st;

	*cfg = NULL;
	*records = 0;
	st = ksm_ipc_add_str(&req, "op", "bind");
	if (st == KSM_OK)
		st = ksm_ipc_add_str(&req, "token", token);
	if (st == KSM_OK && host)
		st = ksm_ipc_add_str(&req, "host", host);
	if (st == KSM_OK && server_key)
		st = ksm_ipc_add_str(&req, "server_key", server_key);
	if (st == KSM_OK)
		st = ksm_ipc_call(k->conf, &req, &resp, 1u << 20,
				  k->conf->timeout_sync_ms + 2000, err);
	result = ksm_ipc_get(&resp, "result");
	json = ksm_ipc_get(&resp, "config");
	if (st == KSM_OK && result && !strcmp(result, "ok") && json) {
		st = ksm_client_config_load_string(json, cfg, err);
		*records = (size_t)ksm_ipc_get_u64(&resp, "records", 0);
	} else if (st == KSM_OK) {
		st = refusal(&resp, err);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}
