/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_vault.c - how ksmctl reads the vault: through ksmd when it runs
 * (so the whole host shares one device budget and one connection, and the
 * request leaves with ksmd's environment), else directly with the client
 * config (a host without ksmd, or before it is set up).
 */
#include "ipc_client.h"
#include "ksmctl.h"

#include <string.h>

/* ksmd answers a whole vault; allow for big ones. */
#define RECORDS_MAX (1024u << 20)
#define PING_MS	    1000

bool ksmctl_ksmd_running(const struct ksmctl *k)
{
	ksm_ipc_msg req = {0}, resp = {0};
	bool up;

	ksm_ipc_add_str(&req, "op", "ping");
	up = ksm_ipc_call(k->conf, &req, &resp, 4096, PING_MS, NULL) ==
		     KSM_OK &&
	     ksm_ipc_get(&resp, "result") &&
	     !strcmp(ksm_ipc_get(&resp, "result"), "ok");
	ksm_ipc_clear(&req);
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

static ksm_status via_ksmd(const struct ksmctl *k, const ksm_query *q,
			   const char *purpose, ksm_secrets **out,
			   ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const char *result, *records;
	ksm_status st = KSM_OK;

	if (ksm_ipc_add_str(&req, "op", "records") ||
	    ksm_ipc_add_str(&req, "purpose", purpose))
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
	} else if (st == KSM_OK) {
		st = status_of(ksm_ipc_get(&resp, "status"));
		err->code = st;
		snprintf(err->message, sizeof(err->message), "ksmd: %s",
			 ksm_ipc_get(&resp, "message")
				 ? ksm_ipc_get(&resp, "message")
				 : "no records in the answer");
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
		return via_ksmd(k, q, purpose, out, err);
	return ksm_get_secrets(c, q, k->conf->timeout_sync_ms, out, err);
}
