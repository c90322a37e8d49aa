/* SPDX-License-Identifier: MIT */
/*
 * snapshot_format.h - the on-disk layout of /var/lib/ksm/snapshot.
 *
 * Written by `ksmctl sync` (new file, fsync, rename), memory-mapped read-only
 * by nss_ksm, ksm-authorized-keys and ksmctl, many processes at once. It
 * holds nothing secret (mode 0644): names, ids, home, shell, gecos, public
 * keys with their SHA256 fingerprints, group memberships, expiry.
 *
 * Layout (host byte order: the file never leaves the host that wrote it).
 * The sections follow the header in this order, each at the next 8-byte
 * boundary after the previous one, the padding zero, nothing after the last:
 *
 *   header            struct ksm_snap_header (KSM_SNAP_HEADER_LEN bytes)
 *   USERS             n_users  x struct ksm_snap_user
 *   GROUPS            n_groups x struct ksm_snap_group
 *   USER_BY_NAME      n_users  x uint32 user index, sorted by strcmp(name)
 *   USER_BY_UID       n_users  x uint32 user index, sorted by uid
 *   GROUP_BY_NAME     n_groups x uint32 group index, sorted by strcmp(name)
 *   GROUP_BY_GID      n_groups x uint32 group index, sorted by gid
 *   IDS               uint32 lists: a user's supplementary gids, a group's
 *                     member user indices
 *   KEYS              n_keys x struct ksm_snap_key
 *   STRINGS           NUL-terminated strings; offset 0 is ""; the section
 *                     ends with a NUL, so any offset inside it is a string
 *   USER_NAME_HASH    hash tables (below): users by name,
 *   USER_UID_HASH     users by uid,
 *   GROUP_NAME_HASH   groups by name,
 *   GROUP_GID_HASH    groups by gid
 *
 * Hash tables. A table of n entries has nb = ksm_snap_nbuckets(n) buckets
 * (a power of two, about n/4): nb + 1 struct ksm_snap_bucket, then n struct
 * ksm_snap_hent. Bucket b holds hent[bucket[b].start .. bucket[b+1].start),
 * sorted by (key, entry), strictly; bucket[nb] is a sentinel (start n, crc
 * 0). An entry's key is its uid or gid, or ksm_snap_name_key(name); it sits
 * in bucket ksm_snap_bucket(key, nb). A lookup reads one bucket and the
 * entries it names: O(1), whatever the number of accounts.
 *
 * Checksums, all CRC-32C (ksm_crc32c), so that a reader can check what it
 * reads, and only that:
 *   header.header_crc   the header's KSM_SNAP_HEADER_LEN bytes, header_crc
 *                       itself taken as 0;
 *   sec[i].crc          section i's bytes;
 *   bucket[b].crc       the three uint32 b, start, end (host order), then
 *                       the bytes of hent[start .. end);
 *   ksm_snap_user.crc   the user's entry as it answers (KSM_SNAP_USER_CRC);
 *   ksm_snap_group.crc  the group's entry as it answers (KSM_SNAP_GROUP_CRC).
 * Two ways to read (snapshot_reader.h): the full check verifies the header,
 * every section's CRC, the padding and every entry and index once; the lazy
 * open the header and the section bounds only, then each lookup the bucket
 * and the entry it returns (their CRCs and bounds), and an enumeration the
 * CRCs of the sections it walks. Either way a damaged file can make a
 * lookup fail, never return something the writer did not write, and never
 * read out of bounds.
 */
#ifndef KSM_SNAPSHOT_FORMAT_H
#define KSM_SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define KSM_SNAP_MAGIC	   "KSMSNAP\x01"
#define KSM_SNAP_VERSION   2u
#define KSM_SNAP_MAX_BYTES (1u << 30) /* readers refuse larger files */

enum ksm_snap_section_id {
	KSM_SNAP_USERS,
	KSM_SNAP_GROUPS,
	KSM_SNAP_USER_BY_NAME,
	KSM_SNAP_USER_BY_UID,
	KSM_SNAP_GROUP_BY_NAME,
	KSM_SNAP_GROUP_BY_GID,
	KSM_SNAP_IDS,
	KSM_SNAP_KEYS,
	KSM_SNAP_STRINGS,
	KSM_SNAP_USER_NAME_HASH,
	KSM_SNAP_USER_UID_HASH,
	KSM_SNAP_GROUP_NAME_HASH,
	KSM_SNAP_GROUP_GID_HASH,
	KSM_SNAP_NSECTIONS
};
#define KSM_SNAP_NTABLES 4 /* the hash sections, USER_NAME_HASH first */

struct ksm_snap_section {
	uint64_t off, len; /* bytes from the file start */
	uint32_t crc;	   /* CRC-32C of the section */
	uint32_t reserved; /* 0 */
};

struct ksm_snap_header {
	uint8_t magic[8];
	uint32_t version;
	uint32_t header_len;
	uint64_t file_len;
	int64_t generated_at; /* unix seconds */
	uint32_t header_crc;
	uint32_t n_users;
	uint32_t n_groups;
	uint32_t n_keys;
	struct ksm_snap_section sec[KSM_SNAP_NSECTIONS];
};
#define KSM_SNAP_HEADER_LEN ((uint32_t)sizeof(struct ksm_snap_header))

/* User flags. */
#define KSM_SNAP_HAS_PASSWORD 1u /* the record has a password field value */
#define KSM_SNAP_HAS_TOTP     2u /* the record has a oneTimeCode value */

/*
 * Strings are offsets into STRINGS.
 *
 * KSM_SNAP_USER_CRC: CRC-32C of the struct's 64 bytes with crc taken as 0,
 * then the strings name, gecos, home, shell and record_uid, each with its
 * NUL, then the n_groups gids (IDS[groups ..], 4 bytes each), then for each
 * of the n_keys keys its line and its fingerprint, each with its NUL.
 */
struct ksm_snap_user {
	uint32_t name, gecos, home, shell, record_uid;
	uint32_t uid, gid;
	uint32_t groups, n_groups; /* IDS[groups ..]: supplementary gids */
	uint32_t keys, n_keys;	   /* KEYS[keys ..] */
	uint32_t flags;
	int64_t valid_until; /* unix seconds; 0 = no expiry */
	uint32_t crc;	     /* KSM_SNAP_USER_CRC */
	uint32_t reserved;   /* 0 */
};

/*
 * KSM_SNAP_GROUP_CRC: CRC-32C of the struct's 24 bytes with crc taken as 0,
 * then the name with its NUL, then the n_members user indices (IDS[members
 * ..], 4 bytes each), then each member's name with its NUL.
 */
struct ksm_snap_group {
	uint32_t name, gid;
	uint32_t members, n_members; /* IDS[members ..]: user indices */
	uint32_t local; /* 1: a local group (gid from /etc/group) */
	uint32_t crc;	/* KSM_SNAP_GROUP_CRC */
};

struct ksm_snap_key {
	uint32_t line;	      /* "type base64 [comment]", validated */
	uint32_t fingerprint; /* "SHA256:..." as sshd prints %f */
};

struct ksm_snap_bucket {
	uint32_t start; /* first entry of the bucket */
	uint32_t crc;	/* over b, start, end and the bucket's entries */
};

struct ksm_snap_hent {
	uint32_t key;	/* uid, gid or ksm_snap_name_key(name) */
	uint32_t entry; /* index into USERS or GROUPS */
};

/* CRC-32C (Castagnoli), hardware-assisted where the CPU has it. */
uint32_t ksm_crc32c(uint32_t crc, const void *data, size_t len);
/* The same over s[0 ..] up to and including its first NUL, read no further
 * than s[max - 1]; *len: the string's length, max if no NUL was found (the
 * CRC is then of no use). */
uint32_t ksm_crc32c_str(uint32_t crc, const char *s, size_t max, size_t *len);

/* The hash key of a name: CRC-32C of its bytes (no NUL). */
uint32_t ksm_snap_name_key(const char *name);

/* Buckets for n entries: the smallest power of two nb with 4 nb >= n. */
static inline uint32_t ksm_snap_nbuckets(uint32_t n)
{
	uint32_t nb = 1;

	while (nb < (1u << 30) && (uint64_t)nb * 4 < n)
		nb *= 2;
	return nb;
}

/* A key's bucket: Fibonacci hashing, the top log2(nb) bits of key x
 * 0x9e3779b1 (mod 2^32); bucket 0 when nb is 1. */
static inline uint32_t ksm_snap_bucket(uint32_t key, uint32_t nb)
{
	return nb <= 1 ? 0
		       : (uint32_t)(key * 0x9e3779b1u) >>
				 (32 - __builtin_ctz(nb));
}

/* Bytes of a hash section of n entries. */
static inline uint64_t ksm_snap_hash_len(uint32_t n)
{
	return 8 * ((uint64_t)ksm_snap_nbuckets(n) + 1) + 8 * (uint64_t)n;
}

#endif
