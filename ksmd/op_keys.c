/* SPDX-License-Identifier: MIT */
/*
 * op_keys.c - "keys": a vault user's SSH keys as the vault has them now,
 * for the keys helper's live path (the snapshot is older than
 * keys_max_age). Validated lines only, the same rules as a sync; an
 * expired account or a local account of that name gets none.
 */
#include "ksmd.h"

#include <string.h>
#include <time.h>

void ksmd_op_keys(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const char *user = ksm_ipc_get(req, "user"), *why;
	unsigned budget_ms = (unsigned)ksm_ipc_get_u64(
		req, "budget_ms", d->conf->timeout_keys_ms);
	struct ksmd_fetch *f = NULL;
	const ksm_record *r;
	ksm_account acct = {0};
	ksm_error err = {0};
	char record_uid[64];
	bool budget;
	ksm_status st;

	if (budget_ms > d->conf->timeout_keys_ms)
		budget_ms = d->conf->timeout_keys_ms;
	if (!user || !ksmd_vault_user(d, user, record_uid, &why)) {
		ksm_ipc_add_str(resp, "result", "unknown");
		ksm_ipc_add_str(resp, "message", user ? why : "no user");
		return;
	}
	/* Read now (sharing a read under way): the session of the same key
	 * login then takes this read. */
	st = ksmd_vault_record(d, record_uid, ksm_monotonic_ms() + budget_ms, 0,
			       0, &f, &budget, &err);
	if (st == KSM_ERR_TIMEOUT)
		ksm_error_prefix(&err, "timeout_keys budget");
	if (st != KSM_OK) {
		/* The vault said no: the snapshot must not say yes. */
		bool denied = st == KSM_ERR_ACCESS_DENIED;

		ksm_ipc_add_str(resp, "result", denied ? "denied" : "unavail");
		ksm_ipc_add_str(resp, "message", err.message);
		goto out;
	}
	r = ksmd_fetch_record(f);
	st = r ? ksm_account_from_record(r, d->conf, &acct, NULL, &err)
	       : KSM_ERR_NOT_FOUND;
	/* The offline verifier follows this read, as after an auth. */
	ksmd_store_update(user, f,
			  st == KSM_OK && !strcmp(acct.name, user) ? record_uid
								   : NULL,
			  r ? ksm_record_revision(r) : 0, NULL);
	if (st != KSM_OK || strcmp(acct.name, user) != 0) {
		ksm_ipc_add_str(resp, "result", "denied");
		ksm_ipc_add_str(resp, "message",
				!r ? "the record is no longer shared with "
				     "this application"
				: st != KSM_OK ? "the record is no longer an "
						 "account"
					       : "the record now names another "
						 "login");
		goto out;
	}
	if (acct.valid_until && acct.valid_until < (int64_t)time(NULL)) {
		ksm_ipc_add_str(resp, "result", "expired");
		ksm_ipc_add_str(resp, "message",
				"access expired (valid_until in the vault)");
		goto out;
	}
	ksm_ipc_add_str(resp, "result", "ok");
	for (size_t i = 0; i < acct.n_keys; i++) {
		ksm_ipc_add_str(resp, "key", acct.keys[i]);
		ksm_ipc_add_str(resp, "fp", acct.fingerprints[i]);
	}
out:
	ksm_account_clear(&acct);
	ksmd_fetch_release(f);
}
