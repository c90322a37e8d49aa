/* SPDX-License-Identifier: MIT */
/*
 * snapshot_reader.c - mapping and validating the snapshot, and O(log n)
 * lookups by name and id. libc only, no allocation, no locks: callers that
 * share a ksm_snap between threads serialise (re)opening it themselves.
 */
#include "snapshot_reader.h"

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

/* Section i holds exactly count entries of size each, inside the file. */
static bool section_ok(const ksm_snap *s, int i, size_t size, uint64_t count)
{
	const struct ksm_snap_section *sec = &s->h->sec[i];

	return sec->off >= s->h->header_len && sec->off % 8 == 0 &&
	       sec->off <= s->len && sec->len <= s->len - sec->off &&
	       (size == 0 || sec->len == size * count);
}

static bool str_ok(const ksm_snap *s, uint32_t off)
{
	return off < s->strings_len;
}

static bool range_ok(size_t start, size_t n, size_t total)
{
	return start <= total && n <= total - start;
}

/* Never uid or gid 0, as account or supplementary group: a snapshot that
 * says otherwise was not written by ksmctl sync. */
static bool ids_ok(const ksm_snap *s, const struct ksm_snap_user *u)
{
	if (u->uid == 0 || u->gid == 0 ||
	    !range_ok(u->groups, u->n_groups, s->n_ids))
		return false;
	for (uint32_t k = 0; k < u->n_groups; k++)
		if (s->ids[u->groups + k] == 0)
			return false;
	return true;
}

static bool users_ok(const ksm_snap *s)
{
	uint32_t nu = s->h->n_users, ng = s->h->n_groups;

	for (uint32_t i = 0; i < nu; i++) {
		const struct ksm_snap_user *u = &s->users[i];

		if (!ids_ok(s, u) || !str_ok(s, u->name) ||
		    !str_ok(s, u->gecos) || !str_ok(s, u->home) ||
		    !str_ok(s, u->shell) || !str_ok(s, u->record_uid) ||
		    !*ksm_snap_str(s, u->name) ||
		    !range_ok(u->groups, u->n_groups, s->n_ids) ||
		    !range_ok(u->keys, u->n_keys, s->h->n_keys) ||
		    s->user_by_name[i] >= nu || s->user_by_uid[i] >= nu ||
		    !str_ok(s, s->users[s->user_by_name[i]].name))
			return false;
		/* Sorted indexes, or binary search would miss entries. */
		if (i > 0 &&
		    (strcmp(ksm_snap_str(s,
					 s->users[s->user_by_name[i - 1]].name),
			    ksm_snap_str(s,
					 s->users[s->user_by_name[i]].name)) >=
			     0 ||
		     s->users[s->user_by_uid[i - 1]].uid >=
			     s->users[s->user_by_uid[i]].uid))
			return false;
	}
	for (uint32_t i = 0; i < ng; i++) {
		const struct ksm_snap_group *g = &s->groups[i];

		if (g->gid == 0 || !str_ok(s, g->name) ||
		    !*ksm_snap_str(s, g->name) ||
		    !range_ok(g->members, g->n_members, s->n_ids) ||
		    s->group_by_name[i] >= ng || s->group_by_gid[i] >= ng ||
		    !str_ok(s, s->groups[s->group_by_name[i]].name))
			return false;
		for (uint32_t m = 0; m < g->n_members; m++)
			if (s->ids[g->members + m] >= nu)
				return false;
		if (i > 0 &&
		    (strcmp(ksm_snap_str(
				    s, s->groups[s->group_by_name[i - 1]].name),
			    ksm_snap_str(
				    s, s->groups[s->group_by_name[i]].name)) >=
			     0 ||
		     s->groups[s->group_by_gid[i - 1]].gid >=
			     s->groups[s->group_by_gid[i]].gid))
			return false;
	}
	for (uint32_t i = 0; i < s->h->n_keys; i++)
		if (!str_ok(s, s->keys[i].line) ||
		    !str_ok(s, s->keys[i].fingerprint))
			return false;
	return true;
}

/* One user entry's strings and ranges (lazy mode checks them on lookup). */
static bool user_ok(const ksm_snap *s, const struct ksm_snap_user *u)
{
	if (!ids_ok(s, u) || !str_ok(s, u->name) || !str_ok(s, u->gecos) ||
	    !str_ok(s, u->home) || !str_ok(s, u->shell) ||
	    !str_ok(s, u->record_uid) ||
	    !range_ok(u->groups, u->n_groups, s->n_ids) ||
	    !range_ok(u->keys, u->n_keys, s->h->n_keys))
		return false;
	for (uint32_t k = 0; k < u->n_keys; k++)
		if (!str_ok(s, s->keys[u->keys + k].line) ||
		    !str_ok(s, s->keys[u->keys + k].fingerprint))
			return false;
	return true;
}

static bool group_ok(const ksm_snap *s, const struct ksm_snap_group *g)
{
	if (g->gid == 0 || !str_ok(s, g->name) ||
	    !range_ok(g->members, g->n_members, s->n_ids))
		return false;
	for (uint32_t m = 0; m < g->n_members; m++)
		if (s->ids[g->members + m] >= s->h->n_users ||
		    !str_ok(s, s->users[s->ids[g->members + m]].name))
			return false;
	return true;
}

static ksm_snap_status snap_from_memory(const void *data, size_t len, bool lazy,
					ksm_snap *s);

ksm_snap_status ksm_snap_from_memory(const void *data, size_t len, ksm_snap *s)
{
	return snap_from_memory(data, len, false, s);
}

ksm_snap_status ksm_snap_from_memory_flags(const void *data, size_t len,
					   unsigned flags, ksm_snap *s)
{
	return snap_from_memory(data, len, flags & KSM_SNAP_LAZY, s);
}

static ksm_snap_status snap_from_memory(const void *data, size_t len, bool lazy,
					ksm_snap *s)
{
	const struct ksm_snap_header *h = data;
	const uint8_t *b = data;
	bool mapped = s->mapped;

	memset(s, 0, sizeof(*s));
	s->mapped = mapped;
	if (len < KSM_SNAP_HEADER_LEN || ((uintptr_t)data & 7) ||
	    memcmp(h->magic, KSM_SNAP_MAGIC, 8) != 0)
		return KSM_SNAPST_CORRUPT;
	if (h->version != KSM_SNAP_VERSION)
		return h->version > KSM_SNAP_VERSION ? KSM_SNAPST_NEWER
						     : KSM_SNAPST_CORRUPT;
	if (h->header_len != KSM_SNAP_HEADER_LEN || h->file_len != len ||
	    len > KSM_SNAP_MAX_BYTES ||
	    (!lazy && ksm_crc32c(0, b + h->header_len, len - h->header_len) !=
			      h->checksum))
		return KSM_SNAPST_CORRUPT;
	s->base = b;
	s->len = len;
	s->h = h;
	if (!section_ok(s, KSM_SNAP_USERS, sizeof(struct ksm_snap_user),
			h->n_users) ||
	    !section_ok(s, KSM_SNAP_GROUPS, sizeof(struct ksm_snap_group),
			h->n_groups) ||
	    !section_ok(s, KSM_SNAP_USER_BY_NAME, 4, h->n_users) ||
	    !section_ok(s, KSM_SNAP_USER_BY_UID, 4, h->n_users) ||
	    !section_ok(s, KSM_SNAP_GROUP_BY_NAME, 4, h->n_groups) ||
	    !section_ok(s, KSM_SNAP_GROUP_BY_GID, 4, h->n_groups) ||
	    !section_ok(s, KSM_SNAP_IDS, 0, 0) ||
	    h->sec[KSM_SNAP_IDS].len % 4 ||
	    !section_ok(s, KSM_SNAP_KEYS, sizeof(struct ksm_snap_key),
			h->n_keys) ||
	    !section_ok(s, KSM_SNAP_STRINGS, 0, 0) ||
	    h->sec[KSM_SNAP_STRINGS].len == 0 ||
	    b[h->sec[KSM_SNAP_STRINGS].off + h->sec[KSM_SNAP_STRINGS].len -
	      1] != 0)
		goto corrupt;
#define SEC(id) ((const void *)(b + h->sec[id].off))
	s->users = SEC(KSM_SNAP_USERS);
	s->groups = SEC(KSM_SNAP_GROUPS);
	s->user_by_name = SEC(KSM_SNAP_USER_BY_NAME);
	s->user_by_uid = SEC(KSM_SNAP_USER_BY_UID);
	s->group_by_name = SEC(KSM_SNAP_GROUP_BY_NAME);
	s->group_by_gid = SEC(KSM_SNAP_GROUP_BY_GID);
	s->ids = SEC(KSM_SNAP_IDS);
	s->n_ids = h->sec[KSM_SNAP_IDS].len / 4;
	s->keys = SEC(KSM_SNAP_KEYS);
	s->strings = SEC(KSM_SNAP_STRINGS);
	s->strings_len = h->sec[KSM_SNAP_STRINGS].len;
#undef SEC
	s->lazy = lazy;
	if (!lazy && !users_ok(s))
		goto corrupt;
	return KSM_SNAPST_OK;
corrupt:
	memset(s, 0, sizeof(*s));
	s->mapped = mapped;
	return KSM_SNAPST_CORRUPT;
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
	s->mapped = true;
	rc = snap_from_memory(map, (size_t)st.st_size, flags & KSM_SNAP_LAZY,
			      s);
	if (rc != KSM_SNAPST_OK) {
		munmap(map, (size_t)st.st_size);
		memset(s, 0, sizeof(*s));
		return rc;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->mtime = st.st_mtim;
	return KSM_SNAPST_OK;
}

void ksm_snap_close(ksm_snap *s)
{
	if (s->mapped && s->base)
		munmap((void *)s->base, s->len);
	memset(s, 0, sizeof(*s));
}

bool ksm_snap_stale(const ksm_snap *s, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return s->base != NULL;
	return !s->base || st.st_ino != s->ino || st.st_dev != s->dev ||
	       (size_t)st.st_size != s->len ||
	       st.st_mtim.tv_sec != s->mtime.tv_sec ||
	       st.st_mtim.tv_nsec != s->mtime.tv_nsec;
}

/* Binary search over an index of entry numbers. */
#define BSEARCH(idx, n, valid_expr, cmp_expr)                                  \
	do {                                                                   \
		size_t lo = 0, hi = (n);                                       \
		while (lo < hi) {                                              \
			size_t mid = lo + (hi - lo) / 2;                       \
			uint32_t e = (idx)[mid];                               \
			int c;                                                 \
			if (!(valid_expr))                                     \
				return UINT32_MAX; /* lazy: corrupt index */   \
			c = (cmp_expr);                                        \
			if (c == 0)                                            \
				return e;                                      \
			if (c < 0)                                             \
				hi = mid;                                      \
			else                                                   \
				lo = mid + 1;                                  \
		}                                                              \
		return UINT32_MAX;                                             \
	} while (0)

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static uint32_t find_user_name(const ksm_snap *s, const char *name)
{
	BSEARCH(s->user_by_name, s->h->n_users,
		e < s->h->n_users && str_ok(s, s->users[e].name),
		strcmp(name, ksm_snap_str(s, s->users[e].name)));
}

static uint32_t find_user_uid(const ksm_snap *s, uint32_t uid)
{
	BSEARCH(s->user_by_uid, s->h->n_users, e < s->h->n_users,
		cmp_u32(uid, s->users[e].uid));
}

static uint32_t find_group_name(const ksm_snap *s, const char *name)
{
	BSEARCH(s->group_by_name, s->h->n_groups,
		e < s->h->n_groups && str_ok(s, s->groups[e].name),
		strcmp(name, ksm_snap_str(s, s->groups[e].name)));
}

static uint32_t find_group_gid(const ksm_snap *s, uint32_t gid)
{
	BSEARCH(s->group_by_gid, s->h->n_groups, e < s->h->n_groups,
		cmp_u32(gid, s->groups[e].gid));
}

const struct ksm_snap_user *ksm_snap_user_by_name(const ksm_snap *s,
						  const char *name)
{
	uint32_t i = s->h ? find_user_name(s, name) : UINT32_MAX;

	return i == UINT32_MAX || (s->lazy && !user_ok(s, &s->users[i]))
		       ? NULL
		       : &s->users[i];
}

const struct ksm_snap_user *ksm_snap_user_by_uid(const ksm_snap *s,
						 uint32_t uid)
{
	uint32_t i = s->h ? find_user_uid(s, uid) : UINT32_MAX;

	return i == UINT32_MAX || (s->lazy && !user_ok(s, &s->users[i]))
		       ? NULL
		       : &s->users[i];
}

const struct ksm_snap_group *ksm_snap_group_by_name(const ksm_snap *s,
						    const char *name)
{
	uint32_t i = s->h ? find_group_name(s, name) : UINT32_MAX;

	return i == UINT32_MAX || (s->lazy && !group_ok(s, &s->groups[i]))
		       ? NULL
		       : &s->groups[i];
}

const struct ksm_snap_group *ksm_snap_group_by_gid(const ksm_snap *s,
						   uint32_t gid)
{
	uint32_t i = s->h ? find_group_gid(s, gid) : UINT32_MAX;

	return i == UINT32_MAX || (s->lazy && !group_ok(s, &s->groups[i]))
		       ? NULL
		       : &s->groups[i];
}
