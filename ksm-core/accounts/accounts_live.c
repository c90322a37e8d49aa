/* SPDX-License-Identifier: MIT */
/*
 * accounts_live.c - one account fetched from the server now.
 */
#include "base.h"
#include "client.h"
#include "get_secrets.h"

#include <string.h>

ksm_status ksm_fetch_account(const ksm_settings *conf, const char *record_uid,
			     unsigned timeout_ms, ksm_account *out,
			     ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	ksm_query q = {.record_uids = &record_uid, .n_record_uids = 1};
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	const ksm_record *r;
	uint64_t now;
	ksm_status st;

	*out = (ksm_account){0};
	st = ksm_client_from_settings(conf, &c, err);
	if (st != KSM_OK)
		return st;
	/* Loading the config may have taken part of the budget. */
	now = ksm_monotonic_ms();
	st = ksm_get_secrets(c, &q,
			     now < deadline ? (unsigned)(deadline - now) : 0,
			     &s, err);
	if (st == KSM_OK) {
		r = ksm_secrets_find(s, record_uid);
		st = r ? ksm_account_from_record(r, conf, out, NULL, err)
		       : ksm_set_error(
				 err, KSM_ERR_NOT_FOUND,
				 "record %s is no longer shared with this "
				 "application",
				 record_uid);
		if (st == KSM_ERR_NOT_FOUND && r)
			ksm_set_error(err, st,
				      "record %s is no longer an account",
				      record_uid);
		/* Shared but unreadable: say why, as sync does. */
		for (size_t i = 0; !r; i++) {
			const struct ksm_unreadable *u =
				ksm_secrets_unreadable(s, i);

			if (!u)
				break;
			if (!strcmp(u->uid, record_uid)) {
				ksm_set_error(err, st,
					      "record %s cannot be read: %s",
					      record_uid, u->reason);
				break;
			}
		}
	}
	ksm_secrets_free(s);
	ksm_client_free(c);
	return st;
}
