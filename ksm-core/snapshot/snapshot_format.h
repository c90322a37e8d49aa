/* SPDX-License-Identifier: MIT */
/*
 * snapshot_format.h - the on-disk layout of /var/lib/ksm/snapshot.
 *
 * Written by `ksmctl sync` (new file, fsync, rename), memory-mapped read-only
 * by nss_ksm, ksm-authorized-keys and ksmctl, many processes at once. It
 * holds nothing secret (mode 0644): names, ids, home, shell, gecos, public
 * keys with their SHA256 fingerprints, group memberships, expiry.
 *
 * Layout (host byte order: the file never leaves the host that wrote it;
 * every section starts 8-byte aligned):
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
 *
 * header.checksum is CRC-32C of bytes [header_len, file_len). Readers check
 * magic, version, sizes, checksum and every offset once when they map the
 * file; lookups are then binary searches with no further checks.
 */
#ifndef KSM_SNAPSHOT_FORMAT_H
#define KSM_SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define KSM_SNAP_MAGIC	   "KSMSNAP\x01"
#define KSM_SNAP_VERSION   1u
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
	KSM_SNAP_NSECTIONS
};

struct ksm_snap_section {
	uint64_t off, len; /* bytes from the file start */
};

struct ksm_snap_header {
	uint8_t magic[8];
	uint32_t version;
	uint32_t header_len;
	uint64_t file_len;
	int64_t generated_at; /* unix seconds */
	uint32_t checksum;
	uint32_t n_users;
	uint32_t n_groups;
	uint32_t n_keys;
	struct ksm_snap_section sec[KSM_SNAP_NSECTIONS];
};
#define KSM_SNAP_HEADER_LEN ((uint32_t)sizeof(struct ksm_snap_header))

/* User flags. */
#define KSM_SNAP_HAS_PASSWORD 1u /* the record has a password field value */
#define KSM_SNAP_HAS_TOTP     2u /* the record has a oneTimeCode value */

/* Strings are offsets into STRINGS. */
struct ksm_snap_user {
	uint32_t name, gecos, home, shell, record_uid;
	uint32_t uid, gid;
	uint32_t groups, n_groups; /* IDS[groups ..]: supplementary gids */
	uint32_t keys, n_keys;	   /* KEYS[keys ..] */
	uint32_t flags;
	int64_t valid_until; /* unix seconds; 0 = no expiry */
};

struct ksm_snap_group {
	uint32_t name, gid;
	uint32_t members, n_members; /* IDS[members ..]: user indices */
	uint32_t local; /* 1: a local group (gid from /etc/group) */
	uint32_t pad;
};

struct ksm_snap_key {
	uint32_t line;	      /* "type base64 [comment]", validated */
	uint32_t fingerprint; /* "SHA256:..." as sshd prints %f */
};

/* CRC-32C (Castagnoli), hardware-assisted where the CPU has it. */
uint32_t ksm_crc32c(uint32_t crc, const void *data, size_t len);

#endif
