/* SPDX-License-Identifier: MIT */
/*
 * snapshot_entry.c - the checks of one entry, one bucket and the header, as
 * snapshot_format.h defines their checksums. Lazy lookups make them on
 * what they return; the sealer computes the same checksums for writers.
 *
 * Each check reads the record once, into a copy, and works on the copy: a
 * file changed under a reader cannot make a bound checked here differ from
 * the value then used. Strings are measured within STRINGS (strnlen), so a
 * missing NUL is a failed check, not a read past the section.
 */
#include "snapshot_internal.h"

#include <string.h>

bool ksm_snap_str_span(const ksm_snap *s, uint32_t off, size_t *n)
{
	size_t len;

	if (off >= s->strings_len)
		return false;
	len = strnlen(s->strings + off, s->strings_len - off);
	if (len == s->strings_len - off)
		return false;
	*n = len;
	return true;
}

/* Add the string at off, NUL included, to crc (one pass: measured and
 * summed together). */
static bool add_str(const ksm_snap *s, uint32_t off, uint32_t *crc)
{
	size_t max, n;
	uint32_t c;

	if (off >= s->strings_len)
		return false;
	max = s->strings_len - off;
	c = ksm_crc32c_str(*crc, s->strings + off, max, &n);
	if (n == max)
		return false;
	*crc = c;
	return true;
}

uint32_t ksm_snap_header_crc(const struct ksm_snap_header *h)
{
	struct ksm_snap_header c;

	memcpy(&c, h, sizeof(c));
	c.header_crc = 0;
	return ksm_crc32c(0, &c, sizeof(c));
}

bool ksm_snap_user_crc(const ksm_snap *s, const struct ksm_snap_user *u,
		       struct ksm_snap_user *copy, uint32_t *crc)
{
	struct ksm_snap_user c;
	uint32_t sum;

	memcpy(copy, u, sizeof(*copy));
	c = *copy;
	c.crc = 0;
	sum = ksm_crc32c(0, &c, sizeof(c));
	if (!add_str(s, c.name, &sum) || !add_str(s, c.gecos, &sum) ||
	    !add_str(s, c.home, &sum) || !add_str(s, c.shell, &sum) ||
	    !add_str(s, c.record_uid, &sum) ||
	    !ksm_snap_range_ok(c.groups, c.n_groups, s->n_ids) ||
	    !ksm_snap_range_ok(c.keys, c.n_keys, s->n_keys))
		return false;
	sum = ksm_crc32c(sum, s->ids + c.groups, (size_t)c.n_groups * 4);
	for (uint32_t k = 0; k < c.n_keys; k++) {
		struct ksm_snap_key key = s->keys[c.keys + k];

		if (!add_str(s, key.line, &sum) ||
		    !add_str(s, key.fingerprint, &sum))
			return false;
	}
	*crc = sum;
	return true;
}

bool ksm_snap_group_crc(const ksm_snap *s, const struct ksm_snap_group *g,
			struct ksm_snap_group *copy, uint32_t *crc)
{
	struct ksm_snap_group c;
	uint32_t sum;

	memcpy(copy, g, sizeof(*copy));
	c = *copy;
	c.crc = 0;
	sum = ksm_crc32c(0, &c, sizeof(c));
	if (!add_str(s, c.name, &sum) ||
	    !ksm_snap_range_ok(c.members, c.n_members, s->n_ids))
		return false;
	sum = ksm_crc32c(sum, s->ids + c.members, (size_t)c.n_members * 4);
	for (uint32_t m = 0; m < c.n_members; m++) {
		uint32_t who = s->ids[c.members + m];

		if (who >= s->n_users || !add_str(s, s->users[who].name, &sum))
			return false;
	}
	*crc = sum;
	return true;
}

bool ksm_snap_bucket_crc(const struct ksm_snap_table *t, uint32_t b,
			 uint32_t *start, uint32_t *end, uint32_t *crc,
			 uint32_t *stored)
{
	struct ksm_snap_bucket b0, b1;
	uint32_t w[3];

	if (b >= t->nb)
		return false;
	b0 = t->buckets[b];
	b1 = t->buckets[b + 1];
	if (b0.start > b1.start || b1.start > t->n)
		return false;
	w[0] = b;
	w[1] = b0.start;
	w[2] = b1.start;
	if (crc)
		*crc = ksm_crc32c(
			ksm_crc32c(0, w, sizeof(w)), t->ents + b0.start,
			(size_t)(b1.start - b0.start) * sizeof(*t->ents));
	*start = b0.start;
	*end = b1.start;
	*stored = b0.crc;
	return true;
}

/* Never uid or gid 0, as account or supplementary group: a snapshot that
 * says otherwise was not written by ksmctl sync. */
bool ksm_snap_user_rules(const ksm_snap *s, const struct ksm_snap_user *u)
{
	if (u->uid == 0 || u->gid == 0 || u->name >= s->strings_len ||
	    !s->strings[u->name] ||
	    !ksm_snap_range_ok(u->groups, u->n_groups, s->n_ids))
		return false;
	for (uint32_t k = 0; k < u->n_groups; k++)
		if (s->ids[u->groups + k] == 0)
			return false;
	return true;
}

bool ksm_snap_group_rules(const ksm_snap *s, const struct ksm_snap_group *g)
{
	return g->gid != 0 && g->name < s->strings_len && s->strings[g->name];
}

bool ksm_snap_user_check(const ksm_snap *s, const struct ksm_snap_user *u,
			 struct ksm_snap_user *copy)
{
	uint32_t crc;

	return ksm_snap_user_crc(s, u, copy, &crc) && crc == copy->crc &&
	       ksm_snap_user_rules(s, copy);
}

bool ksm_snap_group_check(const ksm_snap *s, const struct ksm_snap_group *g,
			  struct ksm_snap_group *copy)
{
	uint32_t crc;

	return ksm_snap_group_crc(s, g, copy, &crc) && crc == copy->crc &&
	       ksm_snap_group_rules(s, copy);
}
