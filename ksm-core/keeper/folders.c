/* SPDX-License-Identifier: MIT */
/*
 * folders.c - get_folders: shared folders (key GCM under the app key) and
 * their subfolders (key CBC under the root shared folder's key), names
 * CBC-encrypted under each folder's own key (docs/protocol.md §9).
 */
#include "folders.h"

#include <stdlib.h>
#include <string.h>

struct folder {
	char *uid, *parent, *name;
	uint8_t key[32];
	int state; /* 0 unresolved, 1 resolved, -1 bad */
};

struct ksm_folders {
	struct folder *f;
	size_t n;
};

size_t ksm_folders_count(const ksm_folders *f)
{
	return f ? f->n : 0;
}

const char *ksm_folders_uid(const ksm_folders *f, size_t i)
{
	return f && i < f->n ? f->f[i].uid : NULL;
}

const char *ksm_folders_parent(const ksm_folders *f, size_t i)
{
	return f && i < f->n ? f->f[i].parent : NULL;
}

const char *ksm_folders_name(const ksm_folders *f, size_t i)
{
	return f && i < f->n ? f->f[i].name : NULL;
}

void ksm_folders_free(ksm_folders *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->f[i].uid);
		free(f->f[i].parent);
		free(f->f[i].name);
		ksm_wipe(f->f[i].key, sizeof(f->f[i].key));
	}
	free(f->f);
	free(f);
}

static struct folder *find(ksm_folders *fs, const char *uid)
{
	for (size_t i = 0; i < fs->n; i++)
		if (strcmp(fs->f[i].uid, uid) == 0)
			return &fs->f[i];
	return NULL;
}

/* The root shared folder above f (NULL if the chain is broken/cyclic). */
static struct folder *root_of(ksm_folders *fs, struct folder *f)
{
	for (size_t hops = 0; f && f->parent && hops <= fs->n; hops++)
		f = find(fs, f->parent);
	return f && !f->parent ? f : NULL;
}

static void decrypt_name(struct folder *f, const char *data)
{
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctlen = 0, ptlen = 0;
	json_object *o = NULL;

	if (!data || ksm_b64_decode(data, strlen(data), &ct, &ctlen) != KSM_OK)
		return;
	if (ksm_cbc_decrypt(f->key, ct, ctlen, &pt, &ptlen) == KSM_OK &&
	    ksm_json_parse((const char *)pt, ptlen, &o, NULL) == KSM_OK) {
		const char *name = ksm_json_str(o, "name");

		f->name = name ? ksm_strdup(name) : NULL;
	}
	json_object_put(o);
	ksm_free_wiped(pt, ptlen);
	free(ct);
}

/* A subfolder's key: CBC under its root shared folder's key. */
static int subfolder_key(ksm_folders *fs, struct folder *f, const char *fk)
{
	struct folder *root = root_of(fs, f);
	uint8_t *ct = NULL, *pt = NULL;
	size_t ctlen = 0, ptlen = 0;
	int state = -1;

	if (root && root->state == 1 && fk &&
	    ksm_b64_decode(fk, strlen(fk), &ct, &ctlen) == KSM_OK &&
	    ksm_cbc_decrypt(root->key, ct, ctlen, &pt, &ptlen) == KSM_OK &&
	    ptlen == 32) {
		memcpy(f->key, pt, 32);
		state = 1;
	}
	ksm_free_wiped(pt, ptlen);
	free(ct);
	return state;
}

ksm_status ksm_folders_from_response(const ksm_client *c, json_object *resp,
				     ksm_folders **out, ksm_error *err)
{
	ksm_folders *fs = calloc(1, sizeof(*fs));
	json_object *arr = NULL, **src = NULL;
	size_t n;

	if (resp)
		json_object_object_get_ex(resp, "folders", &arr);
	n = json_object_is_type(arr, json_type_array)
		    ? json_object_array_length(arr)
		    : 0;

	if (!fs || (n && (!(fs->f = calloc(n, sizeof(*fs->f))) ||
			  !(src = calloc(n, sizeof(*src)))))) {
		ksm_folders_free(fs);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		json_object *j = json_object_array_get_idx(arr, i);
		const char *uid = ksm_json_str(j, "folderUid");
		const char *parent = ksm_json_str(j, "parent");

		if (!uid)
			continue;
		src[fs->n] = j;
		fs->f[fs->n].uid = ksm_strdup(uid);
		fs->f[fs->n].parent =
			parent && *parent ? ksm_strdup(parent) : NULL;
		fs->n++;
	}
	/* Two passes: shared folders' keys first, then subfolders'. */
	for (size_t i = 0; i < fs->n; i++)
		if (!fs->f[i].parent)
			fs->f[i].state =
				ksm_unwrap_key_b64(
					c->app_key,
					ksm_json_str(src[i], "folderKey"),
					fs->f[i].key) == KSM_OK
					? 1
					: -1;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].parent)
			fs->f[i].state = subfolder_key(
				fs, &fs->f[i],
				ksm_json_str(src[i], "folderKey"));
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].state == 1)
			decrypt_name(&fs->f[i], ksm_json_str(src[i], "data"));
	free(src);
	*out = fs;
	return KSM_OK;
}

ksm_status ksm_get_folders(ksm_client *c, unsigned timeout_ms,
			   ksm_folders **out, ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	json_object *p, *resp = NULL;
	ksm_status st;

	*out = NULL;
	if (!c->bound)
		return ksm_set_error(
			err, KSM_ERR_NOT_BOUND,
			"not bound yet: run 'ksmctl init --token -' first");
	p = ksm_payload_new(c);
	if (!p)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ksm_post_query(c, "get_folders", p, deadline, &resp, err);
	if (st == KSM_OK)
		st = ksm_folders_from_response(c, resp, out, err);
	json_object_put(resp);
	json_object_put(p);
	return st;
}
