/* SPDX-License-Identifier: MIT */
/*
 * op_admin.c - ksmctl's other requests (root only): "notation" resolves
 * one Keeper notation, files included (downloaded by ksmd, so no request
 * of ksmctl leaves the host on its own), and "bind" makes a new device of
 * a one-time token and hands ksmctl init the bound config to write.
 */
#include "ksmd.h"

#include <stdlib.h>
#include <string.h>

struct resolve {
	const ksm_notation *n;
	char **values;
	size_t count;
};

static ksm_status resolve_with(ksm_client *c, ksm_secrets *s, uint64_t deadline,
			       void *ctx)
{
	struct resolve *r = ctx;
	uint64_t now = ksm_monotonic_ms();

	return ksm_notation_resolve_in(
		c, s, r->n, now < deadline ? (unsigned)(deadline - now) : 0,
		&r->values, &r->count, NULL);
}

static void fail(ksm_ipc_msg *resp, ksm_status st, const char *message)
{
	ksm_ipc_add_str(resp, "result", "error");
	ksm_ipc_add_str(resp, "status", ksm_status_name(st));
	ksm_ipc_add_str(resp, "message", message);
}

void ksmd_op_notation(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const char *text = ksm_ipc_get(req, "notation"), *uid;
	ksm_query q = {.record_uids = &uid, .n_record_uids = 1};
	struct resolve r = {0};
	ksm_notation n;
	ksm_error err = {0};
	bool budget;
	ksm_status st;

	if (!text || ksm_notation_parse(text, &n, &err) != KSM_OK) {
		fail(resp, KSM_ERR_NOTATION,
		     text ? err.message : "no notation");
		return;
	}
	uid = n.record;
	r.n = &n;
	/* By UID one record, by title all of them (one must match). */
	st = ksmd_vault_query(d, ksm_notation_record_is_uid(&n) ? &q : NULL,
			      KSMD_ADMIN,
			      ksm_monotonic_ms() + d->conf->timeout_sync_ms,
			      resolve_with, &r, NULL, &budget, NULL, &err);
	if (st == KSM_OK && r.count == 0)
		st = ksm_set_error(&err, KSM_ERR_NOT_FOUND, "no value");
	if (st != KSM_OK) {
		fail(resp, st, err.message);
	} else {
		ksm_ipc_add_str(resp, "result", "ok");
		for (size_t i = 0; i < r.count; i++)
			ksm_ipc_add_str(resp, "value", r.values[i]);
	}
	ksm_strv_free(r.values, r.count);
	ksm_notation_clear(&n);
}

void ksmd_op_bind(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const char *token = ksm_ipc_get(req, "token");
	char *json = NULL;
	ksm_error err = {0};
	size_t records = 0;
	ksm_status st;

	if (!token) {
		fail(resp, KSM_ERR_TOKEN, "no token");
		return;
	}
	st = ksmd_vault_bind(d, token, ksm_ipc_get(req, "host"),
			     ksm_ipc_get(req, "server_key"), &json, &records,
			     &err);
	if (st != KSM_OK) {
		fail(resp, st, err.message);
		return;
	}
	ksmd_log(LOG_NOTICE, "bind: a new device bound (%zu records visible)",
		 records);
	ksm_ipc_add_str(resp, "result", "ok");
	ksm_ipc_add_str(resp, "config", json);
	ksm_ipc_add_u64(resp, "records", records);
	ksm_free_secret(json);
}
