/* SPDX-License-Identifier: MIT */
/*
 * fuzz_snapshot.c - the snapshot reader (ksm_snap_from_memory) and what
 * nss_ksm does with an accepted snapshot: every user and group looked up by
 * name and id and copied into passwd/group buffers of several sizes, every
 * user's supplementary gids through the initgroups_dyn logic, every key
 * string read. Each input is tried twice: as it is (the CRC rejects almost
 * everything) and with file_len and the checksum made right, so that the
 * fuzzer reaches the section, offset and index checks behind the CRC.
 *
 * Invariants checked (abort on violation): a snapshot the reader accepts
 * finds each of its users by name and by uid, and each group by name and
 * gid (the indexes are validated as sorted permutations), and copying any
 * entry either fits or reports ERANGE.
 *
 * Seeds: tests/fuzz/corpus/fuzz_snapshot, written by
 * tests/fuzz/make-snapshot-seeds.py with tests/nss/mksnap.py.
 */
#include "../../nss_ksm/nss_ksm.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char big[1 << 16];

static void walk(const ksm_snap *s)
{
	static const size_t sizes[] = {0, 1, 31, 64, 1000, sizeof(big)};
	struct passwd pw;
	struct group gr;
	size_t total = 0;

	for (uint32_t i = 0; i < s->h->n_users; i++) {
		const struct ksm_snap_user *u = &s->users[i];
		gid_t *groups = malloc(sizeof(gid_t));
		long int start = 1, size = 1;

		if (ksm_snap_user_by_name(s, ksm_snap_str(s, u->name)) != u ||
		    ksm_snap_user_by_uid(s, u->uid) != u)
			abort();
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			int rc = ksm_nss_fill_passwd(s, u, &pw, big, sizes[k]);

			if (rc != 0 && rc != ERANGE)
				abort();
			if (rc == 0)
				total += strlen(pw.pw_name) +
					 strlen(pw.pw_gecos) +
					 strlen(pw.pw_dir) +
					 strlen(pw.pw_shell);
		}
		if (!groups)
			abort();
		groups[0] = u->gid;
		if (ksm_nss_add_groups(s, u, u->gid, &start, &size, &groups,
				       i % 2 ? 3 : -1) != 0)
			abort();
		free(groups);
		total += strlen(ksm_snap_str(s, u->record_uid));
		for (uint32_t k = 0; k < u->n_keys; k++)
			total += strlen(ksm_snap_str(
					 s, s->keys[u->keys + k].line)) +
				 strlen(ksm_snap_str(
					 s, s->keys[u->keys + k].fingerprint));
	}
	for (uint32_t i = 0; i < s->h->n_groups; i++) {
		const struct ksm_snap_group *g = &s->groups[i];

		if (ksm_snap_group_by_name(s, ksm_snap_str(s, g->name)) != g ||
		    ksm_snap_group_by_gid(s, g->gid) != g)
			abort();
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			/* Odd offsets: the member array must be aligned. */
			size_t off = k % 2 ? 3 : 0;
			int rc = ksm_nss_fill_group(
				s, g, &gr, big + off,
				sizes[k] > off ? sizes[k] - off : 0);

			if (rc != 0 && rc != ERANGE)
				abort();
			if (rc == 0)
				for (char **m = gr.gr_mem; *m; m++)
					total += strlen(*m);
		}
	}
	/* Names that may or may not be there. */
	(void)ksm_snap_user_by_name(s, "");
	(void)ksm_snap_user_by_name(s, "alice");
	(void)ksm_snap_user_by_uid(s, 0);
	(void)ksm_snap_group_by_name(s, "sudo");
	(void)ksm_snap_group_by_gid(s, UINT32_MAX);
	if (total == SIZE_MAX)
		abort(); /* keep the reads */
}

/* Everything a user entry the lookup returned points at. */
static size_t read_user(const ksm_snap *s, const struct ksm_snap_user *u)
{
	size_t total = 0;

	if (!u)
		return 0;
	total += strlen(ksm_snap_str(s, u->name)) +
		 strlen(ksm_snap_str(s, u->home)) +
		 strlen(ksm_snap_str(s, u->gecos)) +
		 strlen(ksm_snap_str(s, u->shell)) +
		 strlen(ksm_snap_str(s, u->record_uid));
	for (uint32_t k = 0; k < u->n_keys; k++)
		total += strlen(ksm_snap_str(s, s->keys[u->keys + k].line)) +
			 strlen(ksm_snap_str(s,
					     s->keys[u->keys + k].fingerprint));
	for (uint32_t g = 0; g < u->n_groups; g++)
		total += s->ids[u->groups + g];
	return total;
}

/* Lazy mode (the keys helper): only what lookups return may be read. */
static void walk_lazy(const ksm_snap *s)
{
	size_t total = 0;

	for (uint32_t i = 0; i < s->h->n_users; i++)
		total += read_user(s, ksm_snap_user_by_uid(s, s->users[i].uid));
	for (uint32_t i = 0; i < s->h->n_groups; i++) {
		const struct ksm_snap_group *g =
			ksm_snap_group_by_gid(s, s->groups[i].gid);

		for (uint32_t m = 0; g && m < g->n_members; m++)
			total += strlen(ksm_snap_str(
				s, s->users[s->ids[g->members + m]].name));
	}
	total += read_user(s, ksm_snap_user_by_name(s, "alice"));
	total += read_user(s, ksm_snap_user_by_name(s, "bob"));
	if (total == SIZE_MAX)
		abort();
}

static void try_one(const uint8_t *buf, size_t size)
{
	ksm_snap s;

	memset(&s, 0, sizeof(s));
	if (ksm_snap_from_memory(buf, size, &s) == KSM_SNAPST_OK)
		walk(&s);
	ksm_snap_close(&s); /* not mapped: only clears */
	if (ksm_snap_from_memory_flags(buf, size, KSM_SNAP_LAZY, &s) ==
	    KSM_SNAPST_OK)
		walk_lazy(&s);
	ksm_snap_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The reader wants 8-byte alignment (the mapping has page alignment).
	 */
	uint64_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	try_one((const uint8_t *)buf, size);
	if (size >= KSM_SNAP_HEADER_LEN) {
		struct ksm_snap_header *h = (struct ksm_snap_header *)buf;

		h->file_len = size;
		h->checksum =
			ksm_crc32c(0, (uint8_t *)buf + KSM_SNAP_HEADER_LEN,
				   size - KSM_SNAP_HEADER_LEN);
		try_one((const uint8_t *)buf, size);
	}
	free(buf);
	return 0;
}
