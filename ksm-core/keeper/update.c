/* SPDX-License-Identifier: MIT */
/*
 * update.c - update_secret with optional rotation transactions and their
 * finalize/rollback (docs/protocol.md §10).
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

ksm_status ksm_update_secret(ksm_client *c, const ksm_record *rec,
			     ksm_transaction tx, unsigned timeout_ms,
			     ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	char *json = NULL, *data64 = NULL;
	uint8_t *ct = NULL;
	size_t ctlen = 0;
	json_object *p = NULL;
	ksm_status st;

	if (!c->bound)
		return ksm_set_error(
			err, KSM_ERR_NOT_BOUND,
			"not bound yet: run 'ksmctl init --token -' first");
	json = ksm_record_data_json(rec);
	if (!json)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ksm_gcm_encrypt(rec->key, NULL, (const uint8_t *)json,
			     strlen(json), &ct, &ctlen);
	if (st != KSM_OK) {
		ksm_set_error(err, st, "cannot encrypt the record");
		goto out;
	}
	data64 = ksm_b64_encode(ct, ctlen, false);
	p = ksm_payload_new(c);
	if (!data64 || !p || !ksm_json_add_str(p, "recordUid", rec->uid) ||
	    !ksm_json_add_str(p, "data", data64) ||
	    json_object_object_add(p, "revision",
				   json_object_new_int64(rec->revision)) != 0 ||
	    (tx != KSM_TX_NONE &&
	     !ksm_json_add_str(p, "transactionType",
			       tx == KSM_TX_ROTATION ? "rotation"
						     : "general"))) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = ksm_post_query(c, "update_secret", p, deadline, NULL, err);
out:
	json_object_put(p);
	free(data64);
	free(ct);
	ksm_free_secret(json);
	return st;
}

ksm_status ksm_complete_transaction(ksm_client *c, const char *record_uid,
				    bool commit, unsigned timeout_ms,
				    ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	json_object *p = ksm_payload_new(c);
	ksm_status st;

	if (!p || !ksm_json_add_str(p, "recordUid", record_uid)) {
		json_object_put(p);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	st = ksm_post_query(
		c, commit ? "finalize_secret_update" : "rollback_secret_update",
		p, deadline, NULL, err);
	json_object_put(p);
	return st;
}
