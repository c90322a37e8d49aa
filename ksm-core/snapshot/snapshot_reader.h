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

typedef struct ksm_snap {
	const uint8_t *base;
	size_t len;
	bool mapped; /* base came from mmap (ksm_snap_open) */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	const struct ksm_snap_header *h;
	const struct ksm_snap_user *users;
	const struct ksm_snap_group *groups;
	const uint32_t *user_by_name, *user_by_uid;
	const uint32_t *group_by_name, *group_by_gid;
	const uint32_t *ids;
	size_t n_ids;
	const struct ksm_snap_key *keys;
	const char *strings;
	size_t strings_len;
	bool lazy; /* entries validated when looked up (KSM_SNAP_LAZY) */
} ksm_snap;

/*
 * Open flags. KSM_SNAP_LAZY: check the header and the sections' bounds at
 * open (O(1)) and each entry a lookup returns, instead of the checksum and
 * every entry: for one-shot processes such as the keys helper, whose cost
 * must not grow with the vault. Corruption still cannot make a lookup read
 * out of bounds; it is only detected later (ksmctl users checks it all).
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
/* Has path been replaced since s was opened (inode, size or mtime)? */
bool ksm_snap_stale(const ksm_snap *s, const char *path);
const char *ksm_snap_status_str(ksm_snap_status st);

static inline const char *ksm_snap_str(const ksm_snap *s, uint32_t off)
{
	return s->strings + off; /* validated at open */
}

const struct ksm_snap_user *ksm_snap_user_by_name(const ksm_snap *s,
						  const char *name);
const struct ksm_snap_user *ksm_snap_user_by_uid(const ksm_snap *s,
						 uint32_t uid);
const struct ksm_snap_group *ksm_snap_group_by_name(const ksm_snap *s,
						    const char *name);
const struct ksm_snap_group *ksm_snap_group_by_gid(const ksm_snap *s,
						   uint32_t gid);

#endif
