/* SPDX-License-Identifier: MIT */
/*
 * notation_resolve.c - resolving Keeper notation against the server
 * (docs/protocol.md §14.2).
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

/* The one record the notation names: by UID, else by exact title. */
static ksm_status pick_record(const ksm_secrets *s, const ksm_notation *n,
			      const ksm_record **out, ksm_error *err)
{
	const ksm_record *found = NULL;

	*out = NULL;
	if (ksm_notation_record_is_uid(n))
		found = ksm_secrets_find(s, n->record);
	if (!found) {
		for (size_t i = 0; i < ksm_secrets_count(s); i++) {
			const ksm_record *r = ksm_secrets_record(s, i);

			if (strcmp(ksm_record_title(r), n->record) != 0)
				continue;
			/* The same record twice (shortcuts) is one match. */
			if (found && strcmp(found->uid, r->uid) != 0)
				return ksm_set_error(err, KSM_ERR_AMBIGUOUS,
						     "notation: more than one "
						     "record is titled \"%s\"; "
						     "use its UID",
						     n->record);
			found = r;
		}
	}
	if (!found)
		return ksm_set_error(err, KSM_ERR_NOT_FOUND,
				     "notation: no record with UID or title "
				     "\"%s\" is shared with this application",
				     n->record);
	*out = found;
	return KSM_OK;
}

const ksm_query *ksm_notation_query(const ksm_notation *ns, size_t n,
				    const char **uids, ksm_query *q)
{
	memset(q, 0, sizeof(*q));
	q->record_uids = uids;
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (!ksm_notation_record_is_uid(&ns[i]))
			return NULL;
		for (size_t j = 0; j < q->n_record_uids && !seen; j++)
			seen = !strcmp(uids[j], ns[i].record);
		if (!seen)
			uids[q->n_record_uids++] = ns[i].record;
	}
	return q->n_record_uids ? q : NULL;
}

ksm_status ksm_notation_resolve_in(ksm_client *c, const ksm_secrets *s,
				   const ksm_notation *n, unsigned timeout_ms,
				   char ***values, size_t *count,
				   ksm_error *err)
{
	const ksm_record *r;
	const ksm_file *f;
	uint8_t *data = NULL;
	size_t len = 0;
	ksm_status st;

	*values = NULL;
	*count = 0;
	st = pick_record(s, n, &r, err);
	if (st != KSM_OK)
		return st;
	if (n->selector != KSM_SEL_FILE)
		return ksm_notation_select(n, r, values, count, err);
	st = ksm_notation_find_file(n, r, &f, err);
	if (st == KSM_OK)
		st = ksm_download_file(c, f, timeout_ms, &data, &len, err);
	if (st != KSM_OK)
		return st;
	*values = calloc(1, sizeof(char *));
	if (*values && ((*values)[0] = ksm_b64_encode(data, len, true)))
		*count = 1;
	ksm_free_wiped(data, len);
	if (!*count) {
		free(*values);
		*values = NULL;
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	return KSM_OK;
}

ksm_status ksm_notation_resolve(ksm_client *c, const char *notation,
				unsigned timeout_ms, char ***values,
				size_t *count, ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	ksm_notation n;
	ksm_secrets *s = NULL;
	ksm_status st;

	*values = NULL;
	*count = 0;
	st = ksm_notation_parse(notation, &n, err);
	if (st != KSM_OK)
		return st;
	if (ksm_notation_record_is_uid(&n)) {
		const char *uid = n.record;
		ksm_query q = {.record_uids = &uid, .n_record_uids = 1};

		st = ksm_get_secrets(c, &q, timeout_ms, &s, err);
		if (st == KSM_OK && ksm_secrets_count(s) == 0) {
			/* A 22-character title: look among all records. */
			ksm_secrets_free(s);
			s = NULL;
		}
	}
	if (st == KSM_OK && !s) {
		uint64_t now = ksm_monotonic_ms();

		st = ksm_get_secrets(c, NULL,
				     now < deadline ? (unsigned)(deadline - now)
						    : 0,
				     &s, err);
	}
	if (st == KSM_OK) {
		uint64_t now = ksm_monotonic_ms();

		st = ksm_notation_resolve_in(
			c, s, &n,
			now < deadline ? (unsigned)(deadline - now) : 0, values,
			count, err);
	}
	ksm_secrets_free(s);
	ksm_notation_clear(&n);
	return st;
}
