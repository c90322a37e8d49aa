/* SPDX-License-Identifier: MIT */
/*
 * op_explain.c - "explain" (root: ksmctl explain): what ksmd itself would
 * do for a login name now, from what only ksmd has: whether its snapshot
 * (its own ksm.conf's) makes the name a vault user, the user's live
 * failures within auth_failure_window, and the offline verifier in its
 * store (never the verifier itself). No vault request.
 */
#include "ksmd.h"

#include <string.h>

void ksmd_op_explain(struct ksmd *d, const ksm_ipc_msg *req, ksm_ipc_msg *resp)
{
	const char *user = ksm_ipc_get(req, "user"), *why;
	const ksm_settings *c = d->conf;
	ksm_offline_entry e;
	ksm_error err = {0};
	char record_uid[64] = "";
	unsigned failures;
	bool vault;
	ksm_status st;

	if (!user || !*user) {
		ksm_ipc_add_str(resp, "result", "error");
		ksm_ipc_add_str(resp, "message", "explain needs user");
		return;
	}
	vault = ksmd_vault_user(d, user, record_uid, &why);
	failures = ksmd_failures_recent(d, user);
	ksm_ipc_add_str(resp, "result", "ok");
	ksm_ipc_add_str(resp, "snapshot", c->snapshot);
	ksm_ipc_add_u64(resp, "vault_user", vault);
	ksm_ipc_add_str(resp, "why", why);
	if (vault)
		ksm_ipc_add_str(resp, "record", record_uid);
	ksm_ipc_add_u64(resp, "auth_failures", failures);
	ksm_ipc_add_u64(resp, "max_auth_failures", c->max_auth_failures);
	ksm_ipc_add_u64(resp, "auth_failure_window", c->auth_failure_window);
	ksm_ipc_add_u64(resp, "locked", ksmd_failures_exceeded(d, user));
	ksm_ipc_add_str(resp, "offline_verifiers",
			c->offline_verifiers_all ? "all" : "login");
	ksm_ipc_add_u64(resp, "offline_max_age", c->offline_max_age);
	ksm_ipc_add_u64(resp, "offline_max_failures", c->offline_max_failures);
	st = ksm_offline_lookup(c->private_store, user, &e, &err);
	ksm_ipc_add_u64(resp, "verifier", st == KSM_OK);
	if (st == KSM_OK) {
		ksm_ipc_add_str(resp, "verifier_record", e.record_uid);
		ksm_ipc_add_u64(resp, "verifier_revision",
				e.revision < 0 ? 0 : (uint64_t)e.revision);
		ksm_ipc_add_u64(resp, "confirmed",
				e.confirmed < 0 ? 0 : (uint64_t)e.confirmed);
		ksm_ipc_add_u64(resp, "offline_failures", e.failures);
		ksm_ipc_add_u64(resp, "verifier_usable", e.usable);
	} else if (st != KSM_ERR_NOT_FOUND) {
		ksm_ipc_add_str(resp, "store_error", err.message);
	}
}
