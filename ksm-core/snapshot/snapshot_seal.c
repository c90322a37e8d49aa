/* SPDX-License-Identifier: MIT */
/*
 * snapshot_seal.c - a snapshot image's checksums, computed with the very
 * functions lazy readers check them with (snapshot_entry.c).
 */
#include "snapshot_seal.h"
#include "snapshot_internal.h"

#include <string.h>

static bool seal_entries(const ksm_snap *s, uint8_t *img)
{
	bool ok = true;

	for (uint32_t i = 0; i < s->n_users; i++) {
		struct ksm_snap_user *u =
			(void *)(img + s->sec[KSM_SNAP_USERS].off +
				 (size_t)i * sizeof(*u));
		struct ksm_snap_user copy;
		uint32_t crc;

		if (ksm_snap_user_crc(s, u, &copy, &crc))
			u->crc = crc;
		else
			ok = false;
	}
	for (uint32_t i = 0; i < s->n_groups; i++) {
		struct ksm_snap_group *g =
			(void *)(img + s->sec[KSM_SNAP_GROUPS].off +
				 (size_t)i * sizeof(*g));
		struct ksm_snap_group copy;
		uint32_t crc;

		if (ksm_snap_group_crc(s, g, &copy, &crc))
			g->crc = crc;
		else
			ok = false;
	}
	for (int t = 0; t < KSM_SNAP_NTABLES; t++) {
		const struct ksm_snap_table *tab = &s->tab[t];
		struct ksm_snap_bucket *b =
			(void *)(img + s->sec[KSM_SNAP_USER_NAME_HASH + t].off);

		for (uint32_t k = 0; k < tab->nb; k++) {
			uint32_t start, end, crc, stored;

			if (ksm_snap_bucket_crc(tab, k, &start, &end, &crc,
						&stored))
				b[k].crc = crc;
			else
				ok = false;
		}
		b[tab->nb].crc = 0;
	}
	return ok;
}

static void seal_header(const ksm_snap *s, uint8_t *img)
{
	struct ksm_snap_header *h = (void *)img;

	for (int i = 0; i < KSM_SNAP_NSECTIONS; i++)
		h->sec[i].crc =
			ksm_crc32c(0, img + h->sec[i].off, h->sec[i].len);
	h->header_crc = ksm_snap_header_crc(h);
}

bool ksm_snap_seal(void *img, size_t len, unsigned what)
{
	ksm_snap s;
	bool ok = true;

	memset(&s, 0, sizeof(s));
	if (ksm_snap_layout(img, len, &s) != KSM_SNAPST_OK)
		return false;
	if (what & KSM_SNAP_SEAL_ENTRIES)
		ok = seal_entries(&s, img);
	if (what & KSM_SNAP_SEAL_HEADER)
		seal_header(&s, img);
	return ok;
}
