/* SPDX-License-Identifier: MIT */
/*
 * snapshot_full.c - the full check (ksm_snap_open without KSM_SNAP_LAZY):
 * every byte and every entry once, O(n), so that lookups then need no check
 * at all. For ksmctl users/status and the tests: whatever passes
 * here also passes every lazy check except the entries' and buckets' own
 * CRCs, which only a faulty writer gets wrong (the section CRCs already
 * vouch for every byte).
 */
#include "snapshot_internal.h"

#include <string.h>

/* Padding zero, reserved fields zero, every section's CRC. */
static bool bytes_ok(const ksm_snap *s)
{
	uint64_t at = KSM_SNAP_HEADER_LEN;

	for (int i = 0; i < KSM_SNAP_NSECTIONS; i++) {
		const struct ksm_snap_section *sec = &s->sec[i];

		for (; at < sec->off; at++)
			if (s->base[at])
				return false;
		if (sec->reserved ||
		    ksm_crc32c(0, s->base + sec->off, sec->len) != sec->crc)
			return false;
		at = sec->off + sec->len;
	}
	return true;
}

static bool str_ok(const ksm_snap *s, uint32_t off)
{
	return off < s->strings_len;
}

static bool user_ok(const ksm_snap *s, const struct ksm_snap_user *u)
{
	if (!ksm_snap_user_rules(s, u) || !str_ok(s, u->gecos) ||
	    !str_ok(s, u->home) || !str_ok(s, u->shell) ||
	    !str_ok(s, u->record_uid) || u->reserved ||
	    !ksm_snap_range_ok(u->keys, u->n_keys, s->n_keys))
		return false;
	return true;
}

static bool group_ok(const ksm_snap *s, const struct ksm_snap_group *g)
{
	if (!ksm_snap_group_rules(s, g) ||
	    !ksm_snap_range_ok(g->members, g->n_members, s->n_ids))
		return false;
	for (uint32_t m = 0; m < g->n_members; m++)
		if (s->ids[g->members + m] >= s->n_users)
			return false;
	return true;
}

/* The sorted indexes: permutations (strictly sorted, so no entry twice). */
static bool indexes_ok(const ksm_snap *s)
{
	uint32_t nu = s->n_users, ng = s->n_groups;

	for (uint32_t i = 0; i < nu; i++) {
		const uint32_t a = s->user_by_name[i], b = s->user_by_uid[i];

		if (a >= nu || b >= nu)
			return false;
		if (i > 0 &&
		    (strcmp(ksm_snap_str(s,
					 s->users[s->user_by_name[i - 1]].name),
			    ksm_snap_str(s, s->users[a].name)) >= 0 ||
		     s->users[s->user_by_uid[i - 1]].uid >= s->users[b].uid))
			return false;
	}
	for (uint32_t i = 0; i < ng; i++) {
		const uint32_t a = s->group_by_name[i], b = s->group_by_gid[i];

		if (a >= ng || b >= ng)
			return false;
		if (i > 0 &&
		    (strcmp(ksm_snap_str(
				    s, s->groups[s->group_by_name[i - 1]].name),
			    ksm_snap_str(s, s->groups[a].name)) >= 0 ||
		     s->groups[s->group_by_gid[i - 1]].gid >= s->groups[b].gid))
			return false;
	}
	return true;
}

/*
 * A table's shape: buckets in order and in bounds, each entry in its key's
 * bucket, entries sorted (key, entry) strictly within a bucket. Entries of
 * different buckets have different keys, so no (key, entry) pair is there
 * twice. Read in the table's order only.
 */
static bool table_shape_ok(const struct ksm_snap_table *tab)
{
	if (tab->buckets[0].start != 0 ||
	    tab->buckets[tab->nb].start != tab->n ||
	    tab->buckets[tab->nb].crc != 0)
		return false;
	for (uint32_t b = 0; b < tab->nb; b++) {
		uint32_t start, end, stored;

		if (!ksm_snap_bucket_crc(tab, b, &start, &end, NULL, &stored))
			return false;
		for (uint32_t i = start; i < end; i++) {
			struct ksm_snap_hent e = tab->ents[i], p;

			if (e.entry >= tab->n ||
			    ksm_snap_bucket(e.key, tab->nb) != b)
				return false;
			if (i == start)
				continue;
			p = tab->ents[i - 1];
			if (p.key > e.key ||
			    (p.key == e.key && p.entry >= e.entry))
				return false;
		}
	}
	return true;
}

/* A (key, entry) pair through splitmix64's finaliser. */
static uint64_t mix(uint32_t key, uint32_t entry)
{
	uint64_t z = (uint64_t)key << 32 | entry;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t table_sum(const struct ksm_snap_table *tab)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < tab->n; i++)
		sum += mix(tab->ents[i].key, tab->ents[i].entry);
	return sum;
}

/*
 * Each table holds exactly the entries' own (key, entry) pairs. Both sides
 * have n distinct pairs (the shape check, and one pair per entry), so they
 * are the same set when the sums of their mixes agree; that they agree by
 * accident is a 2^-64 chance, and a table that lies could not make a lookup
 * return a wrong entry anyway (lookups compare the entry they reach with
 * what they were asked), only miss one. Both sides are read in order: a
 * lookup per entry here cost 4 cache misses each.
 */
static bool tables_ok(const ksm_snap *s)
{
	uint64_t sum[KSM_SNAP_NTABLES] = {0};

	for (int t = 0; t < KSM_SNAP_NTABLES; t++)
		if (!table_shape_ok(&s->tab[t]))
			return false;
	for (uint32_t i = 0; i < s->n_users; i++) {
		const struct ksm_snap_user *u = &s->users[i];

		sum[0] += mix(ksm_snap_name_key(ksm_snap_str(s, u->name)), i);
		sum[1] += mix(u->uid, i);
	}
	for (uint32_t i = 0; i < s->n_groups; i++) {
		const struct ksm_snap_group *g = &s->groups[i];

		sum[2] += mix(ksm_snap_name_key(ksm_snap_str(s, g->name)), i);
		sum[3] += mix(g->gid, i);
	}
	for (int t = 0; t < KSM_SNAP_NTABLES; t++)
		if (table_sum(&s->tab[t]) != sum[t])
			return false;
	return true;
}

bool ksm_snap_full_check(const ksm_snap *s)
{
	if (!bytes_ok(s))
		return false;
	for (uint32_t i = 0; i < s->n_users; i++)
		if (!user_ok(s, &s->users[i]))
			return false;
	for (uint32_t i = 0; i < s->n_groups; i++)
		if (!group_ok(s, &s->groups[i]))
			return false;
	for (uint32_t i = 0; i < s->n_keys; i++)
		if (!str_ok(s, s->keys[i].line) ||
		    !str_ok(s, s->keys[i].fingerprint))
			return false;
	return indexes_ok(s) && tables_ok(s);
}
