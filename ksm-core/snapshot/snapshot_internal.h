/* SPDX-License-Identifier: MIT */
/*
 * snapshot_internal.h - what the snapshot layer's files share: the layout
 * check, the per-entry checks and checksums (snapshot_entry.c) that lazy
 * lookups, the full check (snapshot_full.c) and the sealer
 * (snapshot_seal.c) agree on. Not for callers outside ksm-core/snapshot/.
 */
#ifndef KSM_SNAPSHOT_INTERNAL_H
#define KSM_SNAPSHOT_INTERNAL_H

#include "snapshot_reader.h"

/* Header and section bounds, no checksum: s points into data. */
ksm_snap_status ksm_snap_layout(const void *data, size_t len, ksm_snap *s);

static inline bool ksm_snap_range_ok(uint64_t start, uint64_t n, uint64_t total)
{
	return start <= total && n <= total - start;
}

/* The string at off has its NUL inside STRINGS; *n: its length. */
bool ksm_snap_str_span(const ksm_snap *s, uint32_t off, size_t *n);

/* CRC of the header as defined (header_crc taken as 0). */
uint32_t ksm_snap_header_crc(const struct ksm_snap_header *h);

/*
 * An entry's CRC as defined in snapshot_format.h, computed from one copy of
 * the record (*copy, with crc as the file has it). false: an offset or a
 * range is out of bounds (the CRC cannot be computed).
 */
bool ksm_snap_user_crc(const ksm_snap *s, const struct ksm_snap_user *u,
		       struct ksm_snap_user *copy, uint32_t *crc);
bool ksm_snap_group_crc(const ksm_snap *s, const struct ksm_snap_group *g,
			struct ksm_snap_group *copy, uint32_t *crc);
/* Bucket b of t: its entries [*start, *end) and CRC as defined (*crc; not
 * computed if crc is NULL) and as stored (*stored). false: out of
 * bounds. */
bool ksm_snap_bucket_crc(const struct ksm_snap_table *t, uint32_t b,
			 uint32_t *start, uint32_t *end, uint32_t *crc,
			 uint32_t *stored);

/* Rules every entry obeys beyond its bounds: no uid or gid 0, a name. */
bool ksm_snap_user_rules(const ksm_snap *s, const struct ksm_snap_user *u);
bool ksm_snap_group_rules(const ksm_snap *s, const struct ksm_snap_group *g);

/* Lazy lookups: one copy of the entry, its bounds, rules and CRC. */
bool ksm_snap_user_check(const ksm_snap *s, const struct ksm_snap_user *u,
			 struct ksm_snap_user *copy);
bool ksm_snap_group_check(const ksm_snap *s, const struct ksm_snap_group *g,
			  struct ksm_snap_group *copy);

/* The full check: padding, every section's CRC, every entry and index. */
bool ksm_snap_full_check(const ksm_snap *s);

#endif
