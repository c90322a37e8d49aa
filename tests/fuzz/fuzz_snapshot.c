/* SPDX-License-Identifier: MIT */
/*
 * fuzz_snapshot.c - the snapshot reader, full (ksm_snap_from_memory) and lazy
 * (KSM_SNAP_LAZY, what nss_ksm and the keys helper use), and what nss_ksm
 * does with the entries it gets: lookups by name and id, enumerations,
 * copies into passwd/group buffers of several sizes, supplementary gids
 * through the initgroups_dyn logic, key strings. Each input is tried three
 * times: as it is (the header CRC rejects almost everything); with
 * file_len made right and the header and section CRCs re-sealed
 * (ksm_snap_seal), so that the fuzzer reaches the layout and structure
 * checks and the entries' own CRCs; and with every CRC re-sealed, so that
 * it reaches what lies behind those.
 *
 * Invariants (abort on violation):
 * - a snapshot the full check accepts finds each of its users by name and
 *   by uid, and each group by name and gid, and walks all of them;
 * - a lazy lookup returns an entry that answers the question asked (the
 *   name or id looked up), and, when the full check accepts the same bytes,
 *   the very entry the full reader returns, or DAMAGED; never another
 *   entry, never a miss of an entry the full reader finds; with every CRC
 *   sealed, exactly the full reader's answers (no DAMAGED at all);
 * - copying any entry either fits or reports ERANGE.
 * ASan and UBSan check that no path, lazy ones included, reads out of
 * bounds.
 *
 * Seeds: tests/fuzz/corpus/fuzz_snapshot, written by
 * tests/fuzz/make-snapshot-seeds.py with tests/nss/mksnap.py.
 */
#include "../../nss_ksm/nss_ksm.h"
#include "snapshot_seal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char big[1 << 16];

/* Everything nss_ksm copies or reads of a user entry. */
static size_t read_user(const ksm_snap *s, const struct ksm_snap_user *u)
{
	static const size_t sizes[] = {0, 1, 31, 64, 1000, sizeof(big)};
	struct passwd pw;
	gid_t *groups;
	long int start = 1, size = 1;
	size_t total = 0;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int rc = ksm_nss_fill_passwd(s, u, &pw, big, sizes[k]);

		if (rc != 0 && rc != ERANGE)
			abort();
		if (rc == 0)
			total += strlen(pw.pw_name) + strlen(pw.pw_gecos) +
				 strlen(pw.pw_dir) + strlen(pw.pw_shell);
	}
	groups = malloc(sizeof(gid_t));
	if (!groups)
		abort();
	groups[0] = u->gid;
	if (ksm_nss_add_groups(s, u, u->gid, &start, &size, &groups,
			       u->uid % 2 ? 3 : -1) != 0)
		abort();
	free(groups);
	total += strlen(ksm_snap_str(s, u->record_uid));
	for (uint32_t k = 0; k < u->n_keys; k++)
		total += strlen(ksm_snap_str(s, s->keys[u->keys + k].line)) +
			 strlen(ksm_snap_str(s,
					     s->keys[u->keys + k].fingerprint));
	return total;
}

static size_t read_group(const ksm_snap *s, const struct ksm_snap_group *g)
{
	static const size_t sizes[] = {0, 1, 31, 64, 1000, sizeof(big)};
	struct group gr;
	size_t total = 0;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		/* Odd offsets: the member array must be aligned. */
		size_t off = k % 2 ? 3 : 0;
		int rc =
			ksm_nss_fill_group(s, g, &gr, big + off,
					   sizes[k] > off ? sizes[k] - off : 0);

		if (rc != 0 && rc != ERANGE)
			abort();
		if (rc == 0)
			for (char **m = gr.gr_mem; *m; m++)
				total += strlen(*m);
	}
	return total;
}

/*
 * A lazy answer against the full reader's (full: NULL if the full check
 * refused these bytes; got, want: entry indices, -1 for none). sealed:
 * every CRC was re-sealed.
 */
static void check_answer(const ksm_snap *full, bool sealed, ksm_snap_found f,
			 long got, long want)
{
	if (full && (f == KSM_SNAP_DAMAGED ? sealed
		     : f == KSM_SNAP_FOUND ? want < 0 || got != want
					   : want >= 0))
		abort();
}

static long user_index(const ksm_snap *s, const struct ksm_snap_user *u)
{
	return u ? u - s->users : -1;
}

static long group_index(const ksm_snap *s, const struct ksm_snap_group *g)
{
	return g ? g - s->groups : -1;
}

/* check_answer for user u of lazy against want of full. */
#define CHECK_USER(lazy, full, sealed, f, u, want)                             \
	check_answer(full, sealed, f, user_index(lazy, u),                     \
		     full ? user_index(full, want) : -1)
#define CHECK_GROUP(lazy, full, sealed, f, g, want)                            \
	check_answer(full, sealed, f, group_index(lazy, g),                    \
		     full ? group_index(full, want) : -1)

/* The full reader: every entry found by its keys and walked. */
static void walk_full(ksm_snap *s)
{
	const struct ksm_snap_user *u;
	const struct ksm_snap_group *g;
	size_t total = 0;

	for (uint32_t i = 0; i < s->n_users; i++) {
		u = &s->users[i];
		if (ksm_snap_user_by_name(s, ksm_snap_str(s, u->name)) != u ||
		    ksm_snap_user_by_uid(s, u->uid) != u)
			abort();
		total += read_user(s, u);
	}
	for (uint32_t i = 0; i < s->n_groups; i++) {
		g = &s->groups[i];
		if (ksm_snap_group_by_name(s, ksm_snap_str(s, g->name)) != g ||
		    ksm_snap_group_by_gid(s, g->gid) != g)
			abort();
		total += read_group(s, g);
	}
	if (!ksm_snap_check_enum(s, KSM_SNAP_WALK_USERS) ||
	    !ksm_snap_check_enum(s, KSM_SNAP_WALK_GROUPS))
		abort();
	for (uint32_t p = 0; p < s->n_users; p++)
		if (ksm_snap_user_at(s, p, &u) != KSM_SNAP_FOUND)
			abort();
	for (uint32_t p = 0; p < s->n_groups; p++)
		if (ksm_snap_group_at(s, p, &g) != KSM_SNAP_FOUND)
			abort();
	if (ksm_snap_user_at(s, s->n_users, &u) != KSM_SNAP_NOTFOUND ||
	    total == SIZE_MAX)
		abort();
}

/* The lazy reader, asked for every key the raw entries claim (and a few
 * that may or may not be there). */
static void walk_lazy(ksm_snap *s, const ksm_snap *full, bool sealed)
{
	static const char *const names[] = {"", "alice", "bob", "sudo"};
	const struct ksm_snap_user *u;
	const struct ksm_snap_group *g;
	ksm_snap_found f;
	size_t total = 0;

	for (uint32_t i = 0; i < s->n_users; i++) {
		const char *name = ksm_snap_str(s, s->users[i].name);
		uint32_t uid = s->users[i].uid;

		f = ksm_snap_find_user_by_name(s, name, &u);
		if (f == KSM_SNAP_FOUND) {
			if (strcmp(ksm_snap_str(s, u->name), name))
				abort();
			total += read_user(s, u);
		}
		CHECK_USER(s, full, sealed, f, u,
			   full ? ksm_snap_user_by_name(full, name) : NULL);
		f = ksm_snap_find_user_by_uid(s, uid, &u);
		if (f == KSM_SNAP_FOUND) {
			if (u->uid != uid)
				abort();
			total += read_user(s, u);
		}
		CHECK_USER(s, full, sealed, f, u,
			   full ? ksm_snap_user_by_uid(full, uid) : NULL);
	}
	for (uint32_t i = 0; i < s->n_groups; i++) {
		const char *name = ksm_snap_str(s, s->groups[i].name);
		uint32_t gid = s->groups[i].gid;

		f = ksm_snap_find_group_by_name(s, name, &g);
		if (f == KSM_SNAP_FOUND) {
			if (strcmp(ksm_snap_str(s, g->name), name))
				abort();
			total += read_group(s, g);
		}
		CHECK_GROUP(s, full, sealed, f, g,
			    full ? ksm_snap_group_by_name(full, name) : NULL);
		f = ksm_snap_find_group_by_gid(s, gid, &g);
		if (f == KSM_SNAP_FOUND) {
			if (g->gid != gid)
				abort();
			total += read_group(s, g);
		}
		CHECK_GROUP(s, full, sealed, f, g,
			    full ? ksm_snap_group_by_gid(full, gid) : NULL);
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		f = ksm_snap_find_user_by_name(s, names[k], &u);
		CHECK_USER(s, full, sealed, f, u,
			   full ? ksm_snap_user_by_name(full, names[k]) : NULL);
		f = ksm_snap_find_group_by_name(s, names[k], &g);
		CHECK_GROUP(s, full, sealed, f, g,
			    full ? ksm_snap_group_by_name(full, names[k])
				 : NULL);
	}
	f = ksm_snap_find_user_by_uid(s, 0, &u);
	CHECK_USER(s, full, sealed, f, u, NULL);
	/* Enumerations; with the sections sealed they must start. */
	if (ksm_snap_check_enum(s, KSM_SNAP_WALK_USERS)) {
		for (uint32_t p = 0;
		     (f = ksm_snap_user_at(s, p, &u)) == KSM_SNAP_FOUND; p++)
			total += read_user(s, u);
		if (full && f == KSM_SNAP_DAMAGED && sealed)
			abort();
	} else if (full) {
		abort();
	}
	if (ksm_snap_check_enum(s, KSM_SNAP_WALK_GROUPS)) {
		for (uint32_t p = 0;
		     (f = ksm_snap_group_at(s, p, &g)) == KSM_SNAP_FOUND; p++)
			total += read_group(s, g);
		if (full && f == KSM_SNAP_DAMAGED && sealed)
			abort();
	} else if (full) {
		abort();
	}
	if (total == SIZE_MAX)
		abort(); /* keep the reads */
}

static void try_one(const uint8_t *buf, size_t size, bool sealed)
{
	ksm_snap full, lazy;
	bool ok;

	memset(&full, 0, sizeof(full));
	memset(&lazy, 0, sizeof(lazy));
	ok = ksm_snap_from_memory(buf, size, &full) == KSM_SNAPST_OK;
	if (ok)
		walk_full(&full);
	if (ksm_snap_from_memory_flags(buf, size, KSM_SNAP_LAZY, &lazy) ==
	    KSM_SNAPST_OK)
		walk_lazy(&lazy, ok ? &full : NULL, sealed);
	else if (ok)
		abort();       /* the lazy open checks less */
	ksm_snap_close(&lazy); /* not mapped: only clears */
	ksm_snap_close(&full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The reader wants 8-byte alignment (the mapping has page alignment).
	 */
	uint64_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	try_one((const uint8_t *)buf, size, false);
	if (size >= KSM_SNAP_HEADER_LEN) {
		struct ksm_snap_header *h = (struct ksm_snap_header *)buf;

		h->file_len = size;
		if (ksm_snap_seal(buf, size, KSM_SNAP_SEAL_HEADER)) {
			try_one((const uint8_t *)buf, size, false);
			ksm_snap_seal(buf, size,
				      KSM_SNAP_SEAL_ENTRIES |
					      KSM_SNAP_SEAL_HEADER);
			try_one((const uint8_t *)buf, size, true);
		}
	}
	free(buf);
	return 0;
}
