/* SPDX-License-Identifier: MIT */
/*
 * snapshot_reader.h - read-only access to a mapped snapshot (libc only: it is
 * compiled into nss_ksm and the keys helper's cached path).
 */
#ifndef KSM_SNAPSHOT_READER_H
#define KSM_SNAPSHOT_READER_H

#include "snapshot_format.h"

#include <stdbool.h>
#include <sys/stat.h>

typedef enum ksm_snap_status {
	KSM_SNAPST_OK = 0,
	KSM_SNAPST_MISSING, /* no file (or no permission) */
	KSM_SNAPST_CORRUPT, /* bad magic, size, checksum or offset */
	KSM_SNAPST_NEWER,   /* written by a newer ksm-unix */
	KSM_SNAPST_IO,	    /* mmap/stat failure */
	KSM_SNAPST_UNSAFE,  /* owned by another user, or writable by others */
} ksm_snap_status;

/* What a lookup found. */
typedef enum ksm_snap_found {
	KSM_SNAP_NOTFOUND = 0,
	KSM_SNAP_FOUND,
	KSM_SNAP_DAMAGED, /* the entry, or the index that leads to it, fails
			     its checksum or bounds: the file is damaged */
} ksm_snap_found;

/* One hash section (snapshot_format.h). */
struct ksm_snap_table {
	const struct ksm_snap_bucket *buckets; /* nb + 1 */
	const struct ksm_snap_hent *ents;      /* n */
	uint32_t nb, n;
};

typedef struct ksm_snap {
	const uint8_t *base;
	size_t len;
	bool mapped; /* base came from mmap (ksm_snap_open) */
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
	const struct ksm_snap_header *h;
	/* The header's counts and sections, read once (after its checksum):
	 * every bound below comes from these, never again from the file. */
	uint32_t n_users, n_groups, n_keys;
	struct ksm_snap_section sec[KSM_SNAP_NSECTIONS];
	const struct ksm_snap_user *users;
	const struct ksm_snap_group *groups;
	const uint32_t *user_by_name, *user_by_uid;
	const uint32_t *group_by_name, *group_by_gid;
	const uint32_t *ids;
	size_t n_ids;
	const struct ksm_snap_key *keys;
	const char *strings;
	size_t strings_len;
	struct ksm_snap_table tab[KSM_SNAP_NTABLES];
	bool lazy;	   /* entries checked when read (KSM_SNAP_LAZY) */
	uint32_t verified; /* bit i: section i's CRC checked */
} ksm_snap;

/*
 * Open flags. KSM_SNAP_LAZY: check the header (its CRC, the sizes and the
 * sections' bounds) at open, O(1), instead of every byte and entry, O(n);
 * then each lookup checks the hash bucket and the entry it returns (their
 * CRCs and bounds) and an enumeration the CRCs of the sections it walks
 * (ksm_snap_check_enum). For nss_ksm and the keys helper, whose cost per
 * process must not grow with the vault. A damaged entry is found when it
 * is looked up (KSM_SNAP_DAMAGED), not at open; ksmctl users/status make
 * the full check.
 */
#define KSM_SNAP_LAZY 1u

/* Map and validate the file. On failure s is zeroed. */
ksm_snap_status ksm_snap_open(const char *path, ksm_snap *s);
ksm_snap_status ksm_snap_open_flags(const char *path, unsigned flags,
				    ksm_snap *s);
/* Validate a buffer the caller keeps alive (tests, fuzzing). */
ksm_snap_status ksm_snap_from_memory(const void *data, size_t len, ksm_snap *s);
ksm_snap_status ksm_snap_from_memory_flags(const void *data, size_t len,
					   unsigned flags, ksm_snap *s);
void ksm_snap_close(ksm_snap *s);
/* Has path been replaced or changed since s was opened (inode, size,
 * mtime or ctime)? */
bool ksm_snap_stale(const ksm_snap *s, const char *path);
/* Does st (of the path) describe the very file s maps, unchanged? */
bool ksm_snap_same_file(const ksm_snap *s, const struct stat *st);
const char *ksm_snap_status_str(ksm_snap_status st);

/* A string of an entry the reader returned; "" for an offset outside
 * STRINGS (which a returned entry never has). */
static inline const char *ksm_snap_str(const ksm_snap *s, uint32_t off)
{
	return off < s->strings_len ? s->strings + off : "";
}

/* Lookups: FOUND with *out set, NOTFOUND, or DAMAGED. */
ksm_snap_found ksm_snap_find_user_by_name(const ksm_snap *s, const char *name,
					  const struct ksm_snap_user **out);
ksm_snap_found ksm_snap_find_user_by_uid(const ksm_snap *s, uint32_t uid,
					 const struct ksm_snap_user **out);
ksm_snap_found ksm_snap_find_group_by_name(const ksm_snap *s, const char *name,
					   const struct ksm_snap_group **out);
ksm_snap_found ksm_snap_find_group_by_gid(const ksm_snap *s, uint32_t gid,
					  const struct ksm_snap_group **out);

/* The same, NULL for both NOTFOUND and DAMAGED. */
const struct ksm_snap_user *ksm_snap_user_by_name(const ksm_snap *s,
						  const char *name);
const struct ksm_snap_user *ksm_snap_user_by_uid(const ksm_snap *s,
						 uint32_t uid);
const struct ksm_snap_group *ksm_snap_group_by_name(const ksm_snap *s,
						    const char *name);
const struct ksm_snap_group *ksm_snap_group_by_gid(const ksm_snap *s,
						   uint32_t gid);

/*
 * Enumeration, users in uid order and groups in gid order. A lazy reader
 * first checks the CRCs of the sections the walk reads (once per mapping;
 * not thread-safe: callers that share s serialise it). false: damaged.
 * Then *_at returns entry pos: FOUND, NOTFOUND past the end, DAMAGED (also
 * when the check was not made or failed).
 */
enum ksm_snap_walk { KSM_SNAP_WALK_USERS, KSM_SNAP_WALK_GROUPS };
bool ksm_snap_check_enum(ksm_snap *s, enum ksm_snap_walk walk);
ksm_snap_found ksm_snap_user_at(const ksm_snap *s, uint32_t pos,
				const struct ksm_snap_user **out);
ksm_snap_found ksm_snap_group_at(const ksm_snap *s, uint32_t pos,
				 const struct ksm_snap_group **out);

#endif
