/* SPDX-License-Identifier: MIT */
/*
 * op_admin.c - ksmctl's other requests (root only): "notation" resolves
 * one Keeper notation, files included (downloaded by ksmd, so no request
 * of ksmctl leaves the host on its own), "resolve" many of them with one
 * vault request (interpolate, exec), "folders" lists the application's
 * folders, and "bind" makes a new device of a one-time token and hands
 * ksmctl init the bound config to write.
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

/* The notations of a "resolve" request: parsed ones, and every answer. */
struct batch {
	ksm_notation *ns; /* the m that parsed */
	size_t *idx;	  /* their places in the request */
	size_t m;
	ksm_error *errs; /* per notation of the request */
	char ***values;
	size_t *counts;
};

static ksm_status resolve_batch(ksm_client *c, ksm_secrets *s,
				uint64_t deadline, void *ctx)
{
	struct batch *b = ctx;

	for (size_t j = 0; j < b->m; j++) {
		size_t i = b->idx[j];
		uint64_t now = ksm_monotonic_ms();

		ksm_notation_resolve_in(
			c, s, &b->ns[j],
			now < deadline ? (unsigned)(deadline - now) : 0,
			&b->values[i], &b->counts[i], &b->errs[i]);
	}
	return KSM_OK;
}

void ksmd_op_resolve(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const struct ksm_ipc_field *f;
	struct batch b = {0};
	const char **uids = NULL;
	ksm_query q;
	ksm_error err = {0};
	size_t n = 0, pos = 0;
	bool budget;
	ksm_status st = KSM_OK;

	while (ksm_ipc_next(req, "notation", &pos))
		n++;
	b.ns = calloc(n + 1, sizeof(*b.ns));
	b.idx = calloc(n + 1, sizeof(*b.idx));
	b.errs = calloc(n + 1, sizeof(*b.errs));
	b.values = calloc(n + 1, sizeof(*b.values));
	b.counts = calloc(n + 1, sizeof(*b.counts));
	uids = calloc(n + 1, sizeof(*uids));
	if (!b.ns || !b.idx || !b.errs || !b.values || !b.counts || !uids) {
		fail(resp, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	pos = 0;
	for (size_t i = 0; (f = ksm_ipc_next(req, "notation", &pos)); i++) {
		const char *text = (const char *)f->val;

		if (strlen(text) != f->len) {
			ksm_set_error(&b.errs[i], KSM_ERR_NOTATION,
				      "notation: a NUL byte inside");
			continue;
		}
		if (ksm_notation_parse(text, &b.ns[b.m], &b.errs[i]) == KSM_OK)
			b.idx[b.m++] = i;
	}
	/* One read for all of them: their UIDs, or every record. */
	if (b.m)
		st = ksmd_vault_query(
			d, ksm_notation_query(b.ns, b.m, uids, &q), KSMD_ADMIN,
			ksm_monotonic_ms() + d->conf->timeout_sync_ms,
			resolve_batch, &b, NULL, &budget, NULL, &err);
	if (st != KSM_OK) {
		fail(resp, st, err.message);
		goto out;
	}
	ksm_ipc_add_str(resp, "result", "ok");
	for (size_t i = 0; i < n; i++) {
		ksm_status ist = b.errs[i].code;

		ksm_ipc_add_str(resp, "item",
				ist == KSM_OK ? "ok" : ksm_status_name(ist));
		ksm_ipc_add_str(resp, "item_message",
				ist == KSM_OK ? "" : b.errs[i].message);
		for (size_t j = 0; ist == KSM_OK && j < b.counts[i]; j++)
			ksm_ipc_add_str(resp, "value", b.values[i][j]);
	}
out:
	for (size_t j = 0; j < b.m; j++)
		ksm_notation_clear(&b.ns[j]);
	for (size_t i = 0; b.values && b.counts && i < n; i++)
		ksm_strv_free(b.values[i], b.counts[i]);
	free(b.ns);
	free(b.idx);
	free(b.errs);
	free(b.values);
	free(b.counts);
	free(uids);
}

void ksmd_op_folders(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	ksm_folders *fs = NULL;
	ksm_error err = {0};
	bool budget;
	ksm_status st;

	(void)req;
	st = ksmd_vault_folders(d,
				ksm_monotonic_ms() + d->conf->timeout_sync_ms,
				&fs, &budget, &err);
	if (st != KSM_OK) {
		fail(resp, st, err.message);
	} else {
		ksm_ipc_add_str(resp, "result", "ok");
		for (size_t i = 0; i < ksm_folders_count(fs); i++) {
			const char *parent = ksm_folders_parent(fs, i),
				   *name = ksm_folders_name(fs, i);

			ksm_ipc_add_str(resp, "folder", ksm_folders_uid(fs, i));
			ksm_ipc_add_str(resp, "parent", parent ? parent : "");
			ksm_ipc_add_str(resp, "name", name ? name : "");
		}
	}
	ksm_folders_free(fs);
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
