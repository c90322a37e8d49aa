/* SPDX-License-Identifier: MIT */
/*
 * prior.c - what the previous sync published, read back from its snapshot:
 * which record held which uid and gid (so that a newcomer whose derived id
 * collides is refused instead of the account that had it), and how many
 * accounts there were (the drop guard, max_account_drop).
 */
#include "accounts.h"
#include "snapshot_reader.h"

#include <stdlib.h>
#include <string.h>

static int by_record(const void *x, const void *y)
{
	const struct ksm_prior_id *a = x, *b = y;

	return strcmp(a->record_uid, b->record_uid);
}

ksm_status ksm_prior_load(const char *snapshot, ksm_prior **out, ksm_error *err)
{
	ksm_prior *p = calloc(1, sizeof(*p));
	ksm_snap s;
	ksm_status st = KSM_OK;

	*out = NULL;
	if (!p)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	/* Missing, corrupt, newer or unsafe: no previous sync to keep. */
	if (!snapshot || ksm_snap_open(snapshot, &s) != KSM_SNAPST_OK) {
		*out = p;
		return KSM_OK;
	}
	p->ids = calloc(s.h->n_users ? s.h->n_users : 1, sizeof(*p->ids));
	if (!p->ids)
		st = KSM_ERR_NOMEM;
	for (uint32_t i = 0; st == KSM_OK && i < s.h->n_users; i++) {
		const struct ksm_snap_user *u = &s.users[i];

		p->ids[i].record_uid =
			ksm_strdup(ksm_snap_str(&s, u->record_uid));
		p->ids[i].uid = u->uid;
		p->ids[i].gid = u->gid;
		p->n = i + 1;
		if (!p->ids[i].record_uid)
			st = KSM_ERR_NOMEM;
	}
	ksm_snap_close(&s);
	if (st != KSM_OK) {
		ksm_prior_free(p);
		return ksm_set_error(err, st, "out of memory");
	}
	qsort(p->ids, p->n, sizeof(*p->ids), by_record);
	*out = p;
	return KSM_OK;
}

size_t ksm_prior_count(const ksm_prior *p)
{
	return p ? p->n : 0;
}

void ksm_prior_free(ksm_prior *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->ids[i].record_uid);
	free(p->ids);
	free(p);
}

const struct ksm_prior_id *ksm_prior_find(const ksm_prior *p,
					  const char *record_uid)
{
	struct ksm_prior_id key = {.record_uid = (char *)record_uid};

	if (!p || !p->n || !record_uid)
		return NULL;
	return bsearch(&key, p->ids, p->n, sizeof(*p->ids), by_record);
}

void ksm_accounts_drop_check(const ksm_accounts *as, const ksm_prior *prior,
			     const ksm_settings *conf, ksm_drop_check *out)
{
	size_t kept = 0, share;

	memset(out, 0, sizeof(*out));
	out->before = ksm_prior_count(prior);
	/* Names are unique among published accounts, and so are records. */
	for (size_t i = 0; as && i < as->n_accounts; i++)
		kept += ksm_prior_find(prior, as->accounts[i].record_uid) !=
			NULL;
	out->removed = out->before - kept;
	share = out->before / 100 * conf->max_drop_percent +
		out->before % 100 * conf->max_drop_percent / 100;
	out->allowed =
		share > conf->max_drop_count ? share : conf->max_drop_count;
	out->refused = out->removed > out->allowed;
}
