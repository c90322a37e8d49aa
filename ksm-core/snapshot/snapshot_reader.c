/* SPDX-License-Identifier: MIT */
/*
 * snapshot_reader.c - mapping the snapshot, checking its header, and O(1)
 * lookups through its hash tables. libc only, no allocation, no locks:
 * callers that share a ksm_snap between threads serialise (re)opening it
 * and ksm_snap_check_enum themselves.
 */
#include "snapshot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *ksm_snap_status_str(ksm_snap_status st)
{
	switch (st) {
	case KSM_SNAPST_OK:
		return "ok";
	case KSM_SNAPST_MISSING:
		return "missing or unreadable";
	case KSM_SNAPST_CORRUPT:
		return "corrupt";
	case KSM_SNAPST_NEWER:
		return "written by a newer version";
	case KSM_SNAPST_UNSAFE:
		return "not root's, or writable by group or others (refused)";
	default:
		return "I/O error";
	}
}

static uint64_t align8(uint64_t v)
{
	return (v + 7) & ~(uint64_t)7;
}

/* The size section id must have for the header's counts (0: any). */
static bool size_ok(const ksm_snap *s, int id, uint64_t len)
{
	switch (id) {
	case KSM_SNAP_USERS:
		return len ==
		       (uint64_t)s->n_users * sizeof(struct ksm_snap_user);
	case KSM_SNAP_GROUPS:
		return len ==
		       (uint64_t)s->n_groups * sizeof(struct ksm_snap_group);
	case KSM_SNAP_USER_BY_NAME:
	case KSM_SNAP_USER_BY_UID:
		return len == (uint64_t)s->n_users * 4;
	case KSM_SNAP_GROUP_BY_NAME:
	case KSM_SNAP_GROUP_BY_GID:
		return len == (uint64_t)s->n_groups * 4;
	case KSM_SNAP_IDS:
		return len % 4 == 0;
	case KSM_SNAP_KEYS:
		return len == (uint64_t)s->n_keys * sizeof(struct ksm_snap_key);
	case KSM_SNAP_STRINGS:
		return len > 0;
	case KSM_SNAP_USER_NAME_HASH:
	case KSM_SNAP_USER_UID_HASH:
		return len == ksm_snap_hash_len(s->n_users);
	default:
		return len == ksm_snap_hash_len(s->n_groups);
	}
}

ksm_snap_status ksm_snap_layout(const void *data, size_t len, ksm_snap *s)
{
	const struct ksm_snap_header *h = data;
	const uint8_t *b = data;
	uint64_t at = KSM_SNAP_HEADER_LEN;

	if (len < KSM_SNAP_HEADER_LEN || ((uintptr_t)data & 7) ||
	    memcmp(h->magic, KSM_SNAP_MAGIC, 8) != 0)
		return KSM_SNAPST_CORRUPT;
	if (h->version != KSM_SNAP_VERSION)
		return h->version > KSM_SNAP_VERSION ? KSM_SNAPST_NEWER
						     : KSM_SNAPST_CORRUPT;
	if (h->header_len != KSM_SNAP_HEADER_LEN || h->file_len != len ||
	    len > KSM_SNAP_MAX_BYTES)
		return KSM_SNAPST_CORRUPT;
	s->base = b;
	s->len = len;
	s->h = h;
	s->n_users = h->n_users;
	s->n_groups = h->n_groups;
	s->n_keys = h->n_keys;
	memcpy(s->sec, h->sec, sizeof(s->sec));
	/* The sections tile the file, in order, 8-byte aligned. */
	for (int i = 0; i < KSM_SNAP_NSECTIONS; i++) {
		const struct ksm_snap_section *sec = &s->sec[i];

		if (sec->off != align8(at) ||
		    !ksm_snap_range_ok(sec->off, sec->len, len) ||
		    !size_ok(s, i, sec->len))
			return KSM_SNAPST_CORRUPT;
		at = sec->off + sec->len;
	}
	if (at != len)
		return KSM_SNAPST_CORRUPT;
#define SEC(id) ((const void *)(b + s->sec[id].off))
	s->users = SEC(KSM_SNAP_USERS);
	s->groups = SEC(KSM_SNAP_GROUPS);
	s->user_by_name = SEC(KSM_SNAP_USER_BY_NAME);
	s->user_by_uid = SEC(KSM_SNAP_USER_BY_UID);
	s->group_by_name = SEC(KSM_SNAP_GROUP_BY_NAME);
	s->group_by_gid = SEC(KSM_SNAP_GROUP_BY_GID);
	s->ids = SEC(KSM_SNAP_IDS);
	s->n_ids = s->sec[KSM_SNAP_IDS].len / 4;
	s->keys = SEC(KSM_SNAP_KEYS);
	s->strings = SEC(KSM_SNAP_STRINGS);
	s->strings_len = s->sec[KSM_SNAP_STRINGS].len;
	for (int t = 0; t < KSM_SNAP_NTABLES; t++) {
		struct ksm_snap_table *tab = &s->tab[t];

		tab->n = t < 2 ? s->n_users : s->n_groups;
		tab->nb = ksm_snap_nbuckets(tab->n);
		tab->buckets = SEC(KSM_SNAP_USER_NAME_HASH + t);
		tab->ents = (const void *)(tab->buckets + tab->nb + 1);
	}
#undef SEC
	/* Any offset inside STRINGS is then a terminated string. */
	if (s->strings[s->strings_len - 1] != 0)
		return KSM_SNAPST_CORRUPT;
	return KSM_SNAPST_OK;
}

/* mapped: data is ksm_snap_open's mapping (unmapped by ksm_snap_close);
 * never read from *s, which may be uninitialised. */
static ksm_snap_status snap_from_memory(const void *data, size_t len, bool lazy,
					bool mapped, ksm_snap *s)
{
	ksm_snap_status st;

	memset(s, 0, sizeof(*s));
	s->mapped = mapped;
	st = ksm_snap_layout(data, len, s);
	if (st == KSM_SNAPST_OK &&
	    ksm_snap_header_crc(data) !=
		    ((const struct ksm_snap_header *)data)->header_crc)
		st = KSM_SNAPST_CORRUPT;
	s->lazy = lazy;
	if (st == KSM_SNAPST_OK && !lazy) {
		if (ksm_snap_full_check(s))
			s->verified = (1u << KSM_SNAP_NSECTIONS) - 1;
		else
			st = KSM_SNAPST_CORRUPT;
	}
	if (st != KSM_SNAPST_OK) {
		memset(s, 0, sizeof(*s));
		s->mapped = mapped;
	}
	return st;
}

ksm_snap_status ksm_snap_from_memory(const void *data, size_t len, ksm_snap *s)
{
	return snap_from_memory(data, len, false, false, s);
}

ksm_snap_status ksm_snap_from_memory_flags(const void *data, size_t len,
					   unsigned flags, ksm_snap *s)
{
	return snap_from_memory(data, len, flags & KSM_SNAP_LAZY, false, s);
}

ksm_snap_status ksm_snap_open(const char *path, ksm_snap *s)
{
	return ksm_snap_open_flags(path, 0, s);
}

ksm_snap_status ksm_snap_open_flags(const char *path, unsigned flags,
				    ksm_snap *s)
{
	struct stat st;
	void *map;
	ksm_snap_status rc;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT || errno == EACCES ? KSM_SNAPST_MISSING
							  : KSM_SNAPST_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return KSM_SNAPST_IO;
	}
	/* Root's (ksmctl sync), or this process's own user's: a snapshot
	 * anyone else could have written is no source of accounts. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return KSM_SNAPST_UNSAFE;
	}
	if (st.st_size < (off_t)KSM_SNAP_HEADER_LEN ||
	    (uint64_t)st.st_size > KSM_SNAP_MAX_BYTES) {
		close(fd);
		return KSM_SNAPST_CORRUPT;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return KSM_SNAPST_IO;
	rc = snap_from_memory(map, (size_t)st.st_size, flags & KSM_SNAP_LAZY,
			      true, s);
	if (rc != KSM_SNAPST_OK) {
		munmap(map, (size_t)st.st_size);
		memset(s, 0, sizeof(*s));
		return rc;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->mtime = st.st_mtim;
	s->ctime = st.st_ctim;
	return KSM_SNAPST_OK;
}

void ksm_snap_close(ksm_snap *s)
{
	if (s->mapped && s->base)
		munmap((void *)s->base, s->len);
	memset(s, 0, sizeof(*s));
}

bool ksm_snap_same_file(const ksm_snap *s, const struct stat *st)
{
	return s->base && st->st_ino == s->ino && st->st_dev == s->dev &&
	       (uint64_t)st->st_size == s->len &&
	       st->st_mtim.tv_sec == s->mtime.tv_sec &&
	       st->st_mtim.tv_nsec == s->mtime.tv_nsec &&
	       st->st_ctim.tv_sec == s->ctime.tv_sec &&
	       st->st_ctim.tv_nsec == s->ctime.tv_nsec;
}

bool ksm_snap_stale(const ksm_snap *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return s->base != NULL;
	return !ksm_snap_same_file(s, &st);
}

/* Whether entry i answers for key: FOUND, NOTFOUND (a hash collision) or
 * DAMAGED. */
typedef ksm_snap_found match_fn(const ksm_snap *s, uint32_t i, uint32_t key,
				const void *arg);

/* Search hash table t for key; *idx: the matching entry. */
static ksm_snap_found find(const ksm_snap *s, int t, uint32_t key,
			   match_fn *match, const void *arg, uint32_t *idx)
{
	const struct ksm_snap_table *tab = &s->tab[t];
	uint32_t b = ksm_snap_bucket(key, tab->nb), start, end, crc = 0, stored;

	if (!s->h)
		return KSM_SNAP_NOTFOUND;
	if (!ksm_snap_bucket_crc(tab, b, &start, &end, s->lazy ? &crc : NULL,
				 &stored) ||
	    (s->lazy && crc != stored))
		return KSM_SNAP_DAMAGED;
	for (uint32_t i = start; i < end; i++) {
		struct ksm_snap_hent e = tab->ents[i];
		ksm_snap_found r;

		if (e.key != key)
			continue;
		if (e.entry >= tab->n)
			return KSM_SNAP_DAMAGED;
		r = match(s, e.entry, key, arg);
		if (r != KSM_SNAP_NOTFOUND) {
			*idx = e.entry;
			return r;
		}
	}
	return KSM_SNAP_NOTFOUND;
}

/* Lazy: the entry's own checks; the comparisons use the checked copy. */
static bool user_copy(const ksm_snap *s, uint32_t i, struct ksm_snap_user *c)
{
	if (s->lazy)
		return ksm_snap_user_check(s, &s->users[i], c);
	*c = s->users[i];
	return true;
}

static bool group_copy(const ksm_snap *s, uint32_t i, struct ksm_snap_group *c)
{
	if (s->lazy)
		return ksm_snap_group_check(s, &s->groups[i], c);
	*c = s->groups[i];
	return true;
}

static ksm_snap_found user_named(const ksm_snap *s, uint32_t i, uint32_t key,
				 const void *name)
{
	struct ksm_snap_user u;
	const char *have;

	if (!user_copy(s, i, &u))
		return KSM_SNAP_DAMAGED;
	have = ksm_snap_str(s, u.name);
	if (strcmp(name, have) == 0)
		return KSM_SNAP_FOUND;
	/* Another name with the same key, or an index that lies. */
	return ksm_snap_name_key(have) == key ? KSM_SNAP_NOTFOUND
					      : KSM_SNAP_DAMAGED;
}

static ksm_snap_found user_numbered(const ksm_snap *s, uint32_t i, uint32_t key,
				    const void *unused)
{
	struct ksm_snap_user u;

	return user_copy(s, i, &u) && u.uid == key ? KSM_SNAP_FOUND
						   : KSM_SNAP_DAMAGED;
}

static ksm_snap_found group_named(const ksm_snap *s, uint32_t i, uint32_t key,
				  const void *name)
{
	struct ksm_snap_group g;
	const char *have;

	if (!group_copy(s, i, &g))
		return KSM_SNAP_DAMAGED;
	have = ksm_snap_str(s, g.name);
	if (strcmp(name, have) == 0)
		return KSM_SNAP_FOUND;
	return ksm_snap_name_key(have) == key ? KSM_SNAP_NOTFOUND
					      : KSM_SNAP_DAMAGED;
}

static ksm_snap_found group_numbered(const ksm_snap *s, uint32_t i,
				     uint32_t key, const void *unused)
{
	struct ksm_snap_group g;

	return group_copy(s, i, &g) && g.gid == key ? KSM_SNAP_FOUND
						    : KSM_SNAP_DAMAGED;
}

ksm_snap_found ksm_snap_find_user_by_name(const ksm_snap *s, const char *name,
					  const struct ksm_snap_user **out)
{
	uint32_t i = 0;
	ksm_snap_found r =
		find(s, 0, ksm_snap_name_key(name), user_named, name, &i);

	*out = r == KSM_SNAP_FOUND ? &s->users[i] : NULL;
	return r;
}

ksm_snap_found ksm_snap_find_user_by_uid(const ksm_snap *s, uint32_t uid,
					 const struct ksm_snap_user **out)
{
	uint32_t i = 0;
	ksm_snap_found r = find(s, 1, uid, user_numbered, NULL, &i);

	*out = r == KSM_SNAP_FOUND ? &s->users[i] : NULL;
	return r;
}

ksm_snap_found ksm_snap_find_group_by_name(const ksm_snap *s, const char *name,
					   const struct ksm_snap_group **out)
{
	uint32_t i = 0;
	ksm_snap_found r =
		find(s, 2, ksm_snap_name_key(name), group_named, name, &i);

	*out = r == KSM_SNAP_FOUND ? &s->groups[i] : NULL;
	return r;
}

ksm_snap_found ksm_snap_find_group_by_gid(const ksm_snap *s, uint32_t gid,
					  const struct ksm_snap_group **out)
{
	uint32_t i = 0;
	ksm_snap_found r = find(s, 3, gid, group_numbered, NULL, &i);

	*out = r == KSM_SNAP_FOUND ? &s->groups[i] : NULL;
	return r;
}

const struct ksm_snap_user *ksm_snap_user_by_name(const ksm_snap *s,
						  const char *name)
{
	const struct ksm_snap_user *u;

	ksm_snap_find_user_by_name(s, name, &u);
	return u;
}

const struct ksm_snap_user *ksm_snap_user_by_uid(const ksm_snap *s,
						 uint32_t uid)
{
	const struct ksm_snap_user *u;

	ksm_snap_find_user_by_uid(s, uid, &u);
	return u;
}

const struct ksm_snap_group *ksm_snap_group_by_name(const ksm_snap *s,
						    const char *name)
{
	const struct ksm_snap_group *g;

	ksm_snap_find_group_by_name(s, name, &g);
	return g;
}

const struct ksm_snap_group *ksm_snap_group_by_gid(const ksm_snap *s,
						   uint32_t gid)
{
	const struct ksm_snap_group *g;

	ksm_snap_find_group_by_gid(s, gid, &g);
	return g;
}

/* The sections each walk reads: entries, order, strings, ids (and users'
 * keys), so that a walk yields all entries or fails at its start. */
static uint32_t walk_sections(enum ksm_snap_walk walk)
{
	if (walk == KSM_SNAP_WALK_USERS)
		return 1u << KSM_SNAP_USERS | 1u << KSM_SNAP_USER_BY_UID |
		       1u << KSM_SNAP_IDS | 1u << KSM_SNAP_KEYS |
		       1u << KSM_SNAP_STRINGS;
	return 1u << KSM_SNAP_GROUPS | 1u << KSM_SNAP_GROUP_BY_GID |
	       1u << KSM_SNAP_IDS | 1u << KSM_SNAP_USERS |
	       1u << KSM_SNAP_STRINGS;
}

bool ksm_snap_check_enum(ksm_snap *s, enum ksm_snap_walk walk)
{
	uint32_t need = walk_sections(walk);

	if (!s->h)
		return false;
	for (int i = 0; i < KSM_SNAP_NSECTIONS; i++) {
		const struct ksm_snap_section *sec = &s->sec[i];

		if (!(need & (1u << i)) || (s->verified & (1u << i)))
			continue;
		if (ksm_crc32c(0, s->base + sec->off, sec->len) != sec->crc)
			return false;
		s->verified |= 1u << i;
	}
	return true;
}

static bool walk_ready(const ksm_snap *s, enum ksm_snap_walk walk)
{
	uint32_t need = walk_sections(walk);

	return s->h && (s->verified & need) == need;
}

/*
 * The walk's sections were checked whole when it started, so each entry is
 * as written: only its bounds and rules remain to be checked (lazy), from
 * one copy of the record. Its own CRC is not: that would cost more than the
 * rest of a walk, and would only matter for a file rewritten in place during
 * the walk, which nss_ksm detects by its size and mtime (docs/nss_ksm.md).
 */
static bool user_walkable(const ksm_snap *s, const struct ksm_snap_user *u)
{
	struct ksm_snap_user c = *u;

	return ksm_snap_user_rules(s, &c) && c.gecos < s->strings_len &&
	       c.home < s->strings_len && c.shell < s->strings_len &&
	       c.record_uid < s->strings_len &&
	       ksm_snap_range_ok(c.keys, c.n_keys, s->n_keys);
}

static bool group_walkable(const ksm_snap *s, const struct ksm_snap_group *g)
{
	struct ksm_snap_group c = *g;

	if (!ksm_snap_group_rules(s, &c) ||
	    !ksm_snap_range_ok(c.members, c.n_members, s->n_ids))
		return false;
	for (uint32_t m = 0; m < c.n_members; m++) {
		uint32_t who = s->ids[c.members + m];

		if (who >= s->n_users || s->users[who].name >= s->strings_len)
			return false;
	}
	return true;
}

/* Entry pos of a walk: its index in *i. */
static ksm_snap_found walk_at(const ksm_snap *s, enum ksm_snap_walk walk,
			      uint32_t pos, uint32_t *i)
{
	bool users = walk == KSM_SNAP_WALK_USERS;
	uint32_t n = users ? s->n_users : s->n_groups;

	if (!walk_ready(s, walk))
		return KSM_SNAP_DAMAGED;
	if (pos >= n)
		return KSM_SNAP_NOTFOUND;
	*i = users ? s->user_by_uid[pos] : s->group_by_gid[pos];
	if (*i >= n ||
	    (s->lazy && !(users ? user_walkable(s, &s->users[*i])
				: group_walkable(s, &s->groups[*i]))))
		return KSM_SNAP_DAMAGED;
	return KSM_SNAP_FOUND;
}

ksm_snap_found ksm_snap_user_at(const ksm_snap *s, uint32_t pos,
				const struct ksm_snap_user **out)
{
	uint32_t i = 0;
	ksm_snap_found f = walk_at(s, KSM_SNAP_WALK_USERS, pos, &i);

	*out = f == KSM_SNAP_FOUND ? &s->users[i] : NULL;
	return f;
}

ksm_snap_found ksm_snap_group_at(const ksm_snap *s, uint32_t pos,
				 const struct ksm_snap_group **out)
{
	uint32_t i = 0;
	ksm_snap_found f = walk_at(s, KSM_SNAP_WALK_GROUPS, pos, &i);

	*out = f == KSM_SNAP_FOUND ? &s->groups[i] : NULL;
	return f;
}
