/* SPDX-License-Identifier: MIT */
/*
 * snapshot_writer.c - serialising accounts into the snapshot format
 * (snapshot_format.h), sealing it (snapshot_seal.h computes every checksum)
 * and replacing the file atomically.
 */
#include "accounts.h"
#include "fileio.h"
#include "snapshot_format.h"
#include "snapshot_seal.h"

#include <stdlib.h>
#include <string.h>

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static bool buf_reserve(struct buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	uint8_t *p;

	if (more > SIZE_MAX / 2 - b->len)
		return false;
	while (cap < b->len + more)
		cap *= 2;
	if (cap == b->cap)
		return true;
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

static bool buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return true; /* data may be NULL (an empty section) */
	if (!buf_reserve(b, n))
		return false;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return true;
}

/* Append a string to the table; its offset, or UINT32_MAX if too big. */
static uint32_t str_add(struct buf *strings, const char *s)
{
	size_t off = strings->len;

	if (!*s)
		return 0;
	if (off + strlen(s) + 1 > UINT32_MAX ||
	    !buf_add(strings, s, strlen(s) + 1))
		return UINT32_MAX;
	return (uint32_t)off;
}

/* qsort has no context argument: the writer is not reentrant-critical, but
 * keep it thread-safe with a thread-local pointer. */
static __thread const ksm_accounts *sort_as;

static int user_name_cmp(const void *x, const void *y)
{
	return strcmp(sort_as->accounts[*(const uint32_t *)x].name,
		      sort_as->accounts[*(const uint32_t *)y].name);
}

static int user_uid_cmp(const void *x, const void *y)
{
	uint32_t a = sort_as->accounts[*(const uint32_t *)x].uid;
	uint32_t b = sort_as->accounts[*(const uint32_t *)y].uid;

	return a < b ? -1 : a > b;
}

static int group_name_cmp(const void *x, const void *y)
{
	return strcmp(sort_as->groups[*(const uint32_t *)x].name,
		      sort_as->groups[*(const uint32_t *)y].name);
}

static int group_gid_cmp(const void *x, const void *y)
{
	uint32_t a = sort_as->groups[*(const uint32_t *)x].gid;
	uint32_t b = sort_as->groups[*(const uint32_t *)y].gid;

	return a < b ? -1 : a > b;
}

static uint32_t *sorted_index(size_t n, int (*cmp)(const void *, const void *))
{
	uint32_t *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (uint32_t)i;
	qsort(v, n, sizeof(*v), cmp);
	return v;
}

/* Pad the image to the next 8-byte boundary. */
static bool align8(struct buf *b)
{
	static const uint8_t zero[8];

	return buf_add(b, zero, (8 - b->len % 8) % 8);
}

static bool add_section(struct buf *img, struct ksm_snap_header *h, int id,
			const void *data, size_t len)
{
	if (!align8(img))
		return false;
	h->sec[id].off = img->len;
	h->sec[id].len = len;
	return buf_add(img, data, len);
}

/* A hash table's entry while it is built: sorted by (bucket, key, entry). */
struct hrow {
	uint32_t bucket, key, entry;
};

static int hrow_cmp(const void *x, const void *y)
{
	const struct hrow *a = x, *b = y;

	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* The hash section (buckets, then entries) of n entries with these keys;
 * the CRCs are left 0 for ksm_snap_seal. */
static bool hash_section(const uint32_t *keys, size_t n, struct buf *out)
{
	uint32_t nb = ksm_snap_nbuckets((uint32_t)n);
	struct hrow *rows = malloc((n ? n : 1) * sizeof(*rows));
	size_t r = 0;
	bool ok = rows != NULL;

	for (size_t i = 0; ok && i < n; i++)
		rows[i] = (struct hrow){ksm_snap_bucket(keys[i], nb), keys[i],
					(uint32_t)i};
	if (ok)
		qsort(rows, n, sizeof(*rows), hrow_cmp);
	for (uint32_t b = 0; ok && b <= nb; b++) {
		struct ksm_snap_bucket bk = {0};

		while (r < n && rows[r].bucket < b)
			r++;
		bk.start = (uint32_t)r;
		ok = buf_add(out, &bk, sizeof(bk));
	}
	for (size_t i = 0; ok && i < n; i++) {
		struct ksm_snap_hent e = {rows[i].key, rows[i].entry};

		ok = buf_add(out, &e, sizeof(e));
	}
	free(rows);
	return ok;
}

/* The four hash sections: users by name and uid, groups by name and gid. */
static bool hash_sections(const ksm_accounts *as, struct buf hash[4])
{
	size_t nu = as->n_accounts, ng = as->n_groups;
	uint32_t *k = calloc((nu > ng ? nu : ng) + 1, sizeof(*k));
	bool ok = k != NULL;

	for (size_t i = 0; ok && i < nu; i++)
		k[i] = ksm_snap_name_key(as->accounts[i].name);
	ok = ok && hash_section(k, nu, &hash[0]);
	for (size_t i = 0; ok && i < nu; i++)
		k[i] = as->accounts[i].uid;
	ok = ok && hash_section(k, nu, &hash[1]);
	for (size_t i = 0; ok && i < ng; i++)
		k[i] = ksm_snap_name_key(as->groups[i].name);
	ok = ok && hash_section(k, ng, &hash[2]);
	for (size_t i = 0; ok && i < ng; i++)
		k[i] = as->groups[i].gid;
	ok = ok && hash_section(k, ng, &hash[3]);
	free(k);
	return ok;
}

/*
 * Each account's supplementary gids (every group listing it), inverted from
 * the groups' member lists: gids[first[i] .. first[i + 1]) for account i.
 */
static bool invert_members(const ksm_accounts *as, size_t **first_out,
			   uint32_t **gids_out)
{
	size_t n = as->n_accounts, total = 0;
	size_t *first = calloc(n + 1, sizeof(*first));
	size_t *fill = calloc(n + 1, sizeof(*fill));
	uint32_t *gids;

	for (size_t g = 0; first && g < as->n_groups; g++)
		for (size_t m = 0; m < as->groups[g].n_members; m++, total++)
			first[as->groups[g].members[m] + 1]++;
	gids = malloc((total ? total : 1) * sizeof(*gids));
	if (!first || !fill || !gids) {
		free(first);
		free(fill);
		free(gids);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (size_t g = 0; g < as->n_groups; g++)
		for (size_t m = 0; m < as->groups[g].n_members; m++) {
			size_t a = as->groups[g].members[m];

			gids[first[a] + fill[a]++] = as->groups[g].gid;
		}
	free(fill);
	*first_out = first;
	*gids_out = gids;
	return true;
}

/* Users, groups, ids and keys tables, and their strings. */
static bool tables(const ksm_accounts *as, struct buf *users,
		   struct buf *groups, struct buf *ids, struct buf *keys,
		   struct buf *strings, uint32_t *n_keys, const size_t *first,
		   const uint32_t *gids)
{
	uint32_t nk = 0;

	for (size_t i = 0; i < as->n_accounts; i++) {
		const ksm_account *a = &as->accounts[i];
		struct ksm_snap_user u = {0};

		u.name = str_add(strings, a->name);
		u.gecos = str_add(strings, a->gecos);
		u.home = str_add(strings, a->home);
		u.shell = str_add(strings, a->shell);
		u.record_uid = str_add(strings, a->record_uid);
		u.uid = a->uid;
		u.gid = a->gid;
		u.valid_until = a->valid_until;
		u.flags = (a->has_password ? KSM_SNAP_HAS_PASSWORD : 0) |
			  (a->has_totp ? KSM_SNAP_HAS_TOTP : 0);
		u.groups = (uint32_t)(ids->len / 4);
		u.n_groups = (uint32_t)(first[i + 1] - first[i]);
		if (u.n_groups &&
		    !buf_add(ids, gids + first[i], (size_t)u.n_groups * 4))
			return false;
		u.keys = nk;
		for (size_t k = 0; k < a->n_keys; k++) {
			struct ksm_snap_key key = {
				.line = str_add(strings, a->keys[k]),
				.fingerprint =
					str_add(strings, a->fingerprints[k]),
			};

			if (key.line == UINT32_MAX ||
			    key.fingerprint == UINT32_MAX ||
			    !buf_add(keys, &key, sizeof(key)))
				return false;
			nk++;
		}
		u.n_keys = (uint32_t)a->n_keys;
		if (u.name == UINT32_MAX || u.gecos == UINT32_MAX ||
		    u.home == UINT32_MAX || u.shell == UINT32_MAX ||
		    u.record_uid == UINT32_MAX ||
		    !buf_add(users, &u, sizeof(u)))
			return false;
	}
	for (size_t i = 0; i < as->n_groups; i++) {
		const ksm_group *g = &as->groups[i];
		struct ksm_snap_group sg = {
			.name = str_add(strings, g->name),
			.gid = g->gid,
			.members = (uint32_t)(ids->len / 4),
			.n_members = (uint32_t)g->n_members,
			.local = g->local,
		};

		for (size_t m = 0; m < g->n_members; m++) {
			uint32_t idx = (uint32_t)g->members[m];

			if (!buf_add(ids, &idx, 4))
				return false;
		}
		if (sg.name == UINT32_MAX || !buf_add(groups, &sg, sizeof(sg)))
			return false;
	}
	*n_keys = nk;
	return true;
}

static bool build_tables(const ksm_accounts *as, struct buf *users,
			 struct buf *groups, struct buf *ids, struct buf *keys,
			 struct buf *strings, uint32_t *n_keys)
{
	size_t *first = NULL;
	uint32_t *gids = NULL;
	bool ok = invert_members(as, &first, &gids) &&
		  tables(as, users, groups, ids, keys, strings, n_keys, first,
			 gids);

	free(first);
	free(gids);
	return ok;
}

ksm_status ksm_snapshot_build(const ksm_accounts *as, int64_t now,
			      uint8_t **image, size_t *len, ksm_error *err)
{
	struct buf img = {0}, users = {0}, groups = {0}, ids = {0}, keys = {0};
	struct buf strings = {0}, hash[4] = {{0}};
	struct ksm_snap_header h = {0};
	uint32_t *idx[4] = {0}, n_keys = 0;
	ksm_status st = KSM_ERR_NOMEM;

	*image = NULL;
	*len = 0;
	if (as->n_accounts > UINT32_MAX / 2 || as->n_groups > UINT32_MAX / 2)
		return ksm_set_error(err, KSM_ERR_INVALID, "too many accounts");
	if (!buf_add(&strings, "", 1) ||
	    !build_tables(as, &users, &groups, &ids, &keys, &strings, &n_keys))
		goto out;
	sort_as = as;
	idx[0] = sorted_index(as->n_accounts, user_name_cmp);
	idx[1] = sorted_index(as->n_accounts, user_uid_cmp);
	idx[2] = sorted_index(as->n_groups, group_name_cmp);
	idx[3] = sorted_index(as->n_groups, group_gid_cmp);
	sort_as = NULL;
	if (!idx[0] || !idx[1] || !idx[2] || !idx[3] ||
	    !hash_sections(as, hash))
		goto out;
	memcpy(h.magic, KSM_SNAP_MAGIC, 8);
	h.version = KSM_SNAP_VERSION;
	h.header_len = KSM_SNAP_HEADER_LEN;
	h.generated_at = now;
	h.n_users = (uint32_t)as->n_accounts;
	h.n_groups = (uint32_t)as->n_groups;
	h.n_keys = n_keys;
	if (!buf_add(&img, &h, sizeof(h)) ||
	    !add_section(&img, &h, KSM_SNAP_USERS, users.p, users.len) ||
	    !add_section(&img, &h, KSM_SNAP_GROUPS, groups.p, groups.len) ||
	    !add_section(&img, &h, KSM_SNAP_USER_BY_NAME, idx[0],
			 as->n_accounts * 4) ||
	    !add_section(&img, &h, KSM_SNAP_USER_BY_UID, idx[1],
			 as->n_accounts * 4) ||
	    !add_section(&img, &h, KSM_SNAP_GROUP_BY_NAME, idx[2],
			 as->n_groups * 4) ||
	    !add_section(&img, &h, KSM_SNAP_GROUP_BY_GID, idx[3],
			 as->n_groups * 4) ||
	    !add_section(&img, &h, KSM_SNAP_IDS, ids.p, ids.len) ||
	    !add_section(&img, &h, KSM_SNAP_KEYS, keys.p, keys.len) ||
	    !add_section(&img, &h, KSM_SNAP_STRINGS, strings.p, strings.len))
		goto out;
	for (int t = 0; t < 4; t++)
		if (!add_section(&img, &h, KSM_SNAP_USER_NAME_HASH + t,
				 hash[t].p, hash[t].len))
			goto out;
	h.file_len = img.len;
	memcpy(img.p, &h, sizeof(h));
	if (!ksm_snap_seal(img.p, img.len,
			   KSM_SNAP_SEAL_ENTRIES | KSM_SNAP_SEAL_HEADER)) {
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "the snapshot built does not check");
		goto done;
	}
	*image = img.p;
	*len = img.len;
	img.p = NULL;
	st = KSM_OK;
	goto done;
out:
	ksm_set_error(err, st, "out of memory building the snapshot");
done:
	for (int i = 0; i < 4; i++)
		free(idx[i]);
	free(img.p);
	free(users.p);
	free(groups.p);
	free(ids.p);
	free(keys.p);
	free(strings.p);
	for (int t = 0; t < 4; t++)
		free(hash[t].p);
	return st;
}

ksm_status ksm_snapshot_write(const ksm_accounts *as, const char *path,
			      int64_t now, ksm_error *err)
{
	uint8_t *img = NULL;
	size_t len = 0;
	ksm_status st = ksm_snapshot_build(as, now, &img, &len, err);

	if (st == KSM_OK)
		st = ksm_atomic_write(path, img, len, 0644, err);
	free(img);
	return st;
}
