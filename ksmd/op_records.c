/* SPDX-License-Identifier: MIT */
/*
 * op_records.c - "records" (root only): a get_secret for ksmctl, answered
 * as the JSON text of ksm_secrets_to_json. With purpose=sync ksmd also
 * keeps the offline verifier store in step with the vault: entries of
 * users who are gone or whose password changed are dropped, and with
 * offline_verifiers = all new ones are hashed here; not when the sync's
 * drop guard refuses it (force=yes overrides, as ksmctl sync --force).
 * links=yes asks for the records' links too (requestLinks).
 */
#include "ksmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The number of verifiers made; *st_out and err say whether it worked.
 * The accounts are the ones ksmctl builds from the same read (the same
 * rules, the same previous snapshot); when ksmctl's drop guard will refuse
 * the sync (and force is false), the store is left as it is, so that a
 * refused sync drops no verifier either.
 */
static size_t sync_store(struct ksmd *d, const ksm_secrets *s, bool force,
			 ksm_status *st_out, ksm_error *err)
{
	ksm_local_db *local = NULL;
	ksm_prior *prior = NULL;
	ksm_accounts *as = NULL;
	const char **pw = NULL;
	int64_t *rev = NULL;
	ksm_drop_check drop = {0};
	size_t hashed = 0;
	ksm_status st;

	st = ksm_local_db_load(NULL, NULL, &local, err);
	if (st == KSM_OK)
		st = ksm_prior_load(d->conf->snapshot, &prior, err);
	if (st == KSM_OK)
		st = ksm_accounts_build_since(s, d->conf, local, prior, &as,
					      err);
	if (st == KSM_OK)
		ksm_accounts_drop_check(as, prior, d->conf, &drop);
	if (st == KSM_OK && drop.refused && !force) {
		ksmd_log(LOG_WARNING,
			 "sync: offline verifiers left as they are: the drop "
			 "guard refuses the sync (%zu of %zu accounts "
			 "removed)",
			 drop.removed, drop.before);
		goto out;
	}
	if (st == KSM_OK) {
		pw = calloc(as->n_accounts + 1, sizeof(*pw));
		rev = calloc(as->n_accounts + 1, sizeof(*rev));
		if (!pw || !rev)
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; st == KSM_OK && i < as->n_accounts; i++) {
		const ksm_record *r =
			ksm_secrets_find(s, as->accounts[i].record_uid);

		pw[i] = r ? ksm_record_first_value(r, "password") : NULL;
		rev[i] = r ? ksm_record_revision(r) : 0;
	}
	if (st == KSM_OK)
		st = ksm_offline_sync(d->conf->private_store, as, pw, rev,
				      d->conf->offline_verifiers_all,
				      time(NULL), &hashed, err);
	if (st != KSM_OK)
		ksmd_log(LOG_ERR, "sync: offline verifiers not updated: %s",
			 err->message);
	else if (hashed)
		ksmd_log(LOG_INFO, "sync: %zu offline verifier(s) made",
			 hashed);
out:
	for (size_t i = 0; pw && as && i < as->n_accounts; i++)
		ksm_free_secret((char *)pw[i]);
	free(pw);
	free(rev);
	ksm_accounts_free(as);
	ksm_prior_free(prior);
	ksm_local_db_free(local);
	*st_out = st;
	return hashed;
}

void ksmd_op_records(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const char *purpose = ksm_ipc_get(req, "purpose");
	const char *force = ksm_ipc_get(req, "force");
	const char *links = ksm_ipc_get(req, "links");
	bool sync = purpose && !strcmp(purpose, "sync");
	const char **uids = calloc(req->n + 1, sizeof(char *));
	const char **folders = calloc(req->n + 1, sizeof(char *));
	const struct ksm_ipc_field *f;
	ksm_query q = {.record_uids = uids, .folder_uids = folders};
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	char *json = NULL, *verr = NULL;
	size_t hashed = 0;
	uint64_t deadline, seq = 0;
	bool budget;
	size_t pos;
	ksm_status st;

	if (!uids || !folders) {
		ksm_ipc_add_str(resp, "result", "error");
		goto out;
	}
	for (pos = 0; (f = ksm_ipc_next(req, "uid", &pos));)
		uids[q.n_record_uids++] = (const char *)f->val;
	for (pos = 0; (f = ksm_ipc_next(req, "folder", &pos));)
		folders[q.n_folder_uids++] = (const char *)f->val;
	/* The sync's accounts are built twice, here (the store) and in
	 * ksmctl (the snapshot): both from the same ksm.conf, or not at all. */
	if (sync && ksmd_conf_changed(d)) {
		ksm_ipc_add_str(resp, "result", "error");
		ksm_ipc_add_str(resp, "status",
				ksm_status_name(KSM_ERR_CONFIG));
		ksm_ipc_add_str(resp, "message",
				"ksm.conf changed after ksmd started, and ksmd "
				"reads it only at start: restart ksmd "
				"(systemctl restart ksmd) so that the sync and "
				"ksmd use the same settings; nothing was "
				"changed");
		goto out;
	}
	if (!q.n_record_uids)
		q.record_uids = NULL;
	if (!q.n_folder_uids)
		q.folder_uids = NULL;
	deadline = ksm_monotonic_ms() + d->conf->timeout_sync_ms;
	q.request_links = links && !strcmp(links, "yes");
	st = ksmd_vault_query(
		d,
		q.record_uids || q.folder_uids || q.request_links ? &q : NULL,
		KSMD_ADMIN, deadline, NULL, NULL, &s, &budget, &seq, &err);
	if (st != KSM_OK) {
		ksm_ipc_add_str(resp, "result", "error");
		ksm_ipc_add_str(resp, "status", ksm_status_name(st));
		ksm_ipc_add_str(resp, "message", err.message);
		goto out;
	}
	if (sync) {
		ksm_status vst;

		ksm_error_clear(&err);
		/* Queued login updates of older reads than this one must not
		 * undo what it finds (store.c). */
		ksmd_store_sync_begin(seq, deadline);
		hashed = sync_store(d, s, force && !strcmp(force, "yes"), &vst,
				    &err);
		if (vst != KSM_OK)
			verr = ksm_strdup(err.message);
	}
	json = ksm_secrets_to_json(s);
	if (!json) {
		ksm_ipc_add_str(resp, "result", "error");
		ksm_ipc_add_str(resp, "message", "out of memory");
		goto out;
	}
	ksm_ipc_add_str(resp, "result", "ok");
	ksm_ipc_add_str(resp, "records", json);
	ksm_ipc_add_u64(resp, "verifiers_made", hashed);
	ksmd_add_clock(resp);
	/* The snapshot is still worth writing; the sync must fail loudly. */
	if (verr)
		ksm_ipc_add_str(resp, "verifiers_error", verr);
out:
	ksm_free_secret(json);
	free(verr);
	ksm_secrets_free(s);
	free(uids);
	free(folders);
}
