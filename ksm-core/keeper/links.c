/* SPDX-License-Identifier: MIT */
/*
 * links.c - record links, as the official SDKs read them (docs/protocol.md
 * §7.6): each {"recordUid", "data", "path"} of a record's "links", data
 * being base64 of a JSON object, or (jit_settings, ai_settings) base64 of
 * that JSON under AES-GCM with the owning record's key. Nothing here fails
 * a record: a link that cannot be read is left out, data that does not
 * decode is no data.
 */
#include "links.h"
#include "crypto.h"
#include "record.h"

#include <stdlib.h>
#include <string.h>

/* Bounds on what one link may carry (a record's data is at most 1 MiB). */
#define LINK_DATA_MAX (1u << 20)
#define LINK_PATH_MAX 64

void ksm_links_free(struct ksm_link *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].record_uid);
		free(l[i].path);
		if (l[i].data) {
			ksm_json_wipe(l[i].data);
			json_object_put(l[i].data);
		}
	}
	free(l);
}

/* A JSON object from text, or NULL (as the SDKs: arrays and scalars are
 * not link data). */
static json_object *json_object_of(const char *text, size_t len)
{
	json_object *o = NULL;

	if (ksm_json_parse(text, len, &o, NULL) != KSM_OK)
		return NULL;
	if (json_object_is_type(o, json_type_object))
		return o;
	ksm_json_wipe(o);
	json_object_put(o);
	return NULL;
}

/*
 * The SDKs' getLinkData: text starting with '{' or '[' that parses is
 * plain; anything else (ciphertext may start with '{' too) is tried as
 * GCM under the record key.
 */
static json_object *decode_data(const char *b64, const uint8_t key[32],
				bool *encrypted)
{
	uint8_t *raw = NULL, *pt = NULL;
	size_t rawlen = 0, ptlen = 0;
	json_object *o = NULL;

	*encrypted = false;
	if (!b64 || !*b64 || strlen(b64) > LINK_DATA_MAX ||
	    ksm_b64_decode(b64, strlen(b64), &raw, &rawlen) != KSM_OK)
		return NULL;
	if (rawlen && (raw[0] == '{' || raw[0] == '['))
		o = json_object_of((const char *)raw, rawlen);
	if (!o && key &&
	    ksm_gcm_decrypt(key, raw, rawlen, &pt, &ptlen) == KSM_OK) {
		o = json_object_of((const char *)pt, ptlen);
		*encrypted = o != NULL;
	}
	ksm_free_wiped(pt, ptlen);
	ksm_free_wiped(raw, rawlen);
	return o;
}

/* recordUid and path of a link object; false if it is no link. */
static bool link_names(json_object *jl, const char **uid, const char **path)
{
	json_object *p;

	*uid = ksm_json_str(jl, "recordUid");
	*path = NULL;
	if (!*uid || !ksm_record_uid_valid(*uid))
		return false;
	if (!json_object_object_get_ex(jl, "path", &p) || !p)
		return true;
	*path = json_object_get_string(p);
	/* A path reaches log lines: short printable text, or no link. */
	return json_object_is_type(p, json_type_string) &&
	       strlen(*path) == (size_t)json_object_get_string_len(p) &&
	       ksm_text_clean(*path, LINK_PATH_MAX, "");
}

/* Add one link, taking data; false on ENOMEM. */
static bool push(struct ksm_link *v, size_t *n, const char *uid,
		 const char *path, json_object *data, bool encrypted)
{
	struct ksm_link *l = &v[*n];

	memset(l, 0, sizeof(*l));
	l->data = data;
	l->encrypted = encrypted;
	l->record_uid = ksm_strdup(uid);
	l->path = path && *path ? ksm_strdup(path) : NULL;
	(*n)++;
	return l->record_uid && (!path || !*path || l->path);
}

static bool links_from(json_object *arr, const uint8_t *key, bool decoded,
		       struct ksm_link **out, size_t *n)
{
	size_t len = json_object_is_type(arr, json_type_array)
			     ? json_object_array_length(arr)
			     : 0;
	struct ksm_link *v;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return true;
	v = calloc(len, sizeof(*v));
	if (!v)
		return false;
	for (size_t i = 0; i < len; i++) {
		json_object *jl = json_object_array_get_idx(arr, i), *d,
			    *data = NULL;
		const char *uid, *path;
		bool enc = false;

		if (!json_object_is_type(jl, json_type_object) ||
		    !link_names(jl, &uid, &path))
			continue;
		if (!decoded) {
			data = decode_data(ksm_json_str(jl, "data"), key, &enc);
		} else if (json_object_object_get_ex(jl, "data", &d) &&
			   json_object_is_type(d, json_type_object)) {
			/* A copy: the caller wipes the text it came from. */
			if (json_object_deep_copy(d, &data, NULL) != 0) {
				ksm_links_free(v, *n);
				return false;
			}
			enc = json_object_object_get_ex(jl, "encrypted", &d) &&
			      json_object_is_type(d, json_type_boolean) &&
			      json_object_get_boolean(d);
		}
		if (!push(v, n, uid, path, data, enc)) {
			ksm_links_free(v, *n);
			*n = 0;
			return false;
		}
	}
	*out = v;
	return true;
}

bool ksm_links_parse(json_object *arr, const uint8_t record_key[32],
		     struct ksm_link **out, size_t *n)
{
	return links_from(arr, record_key, false, out, n);
}

bool ksm_links_from_json(json_object *arr, struct ksm_link **out, size_t *n)
{
	return links_from(arr, NULL, true, out, n);
}

/* One link in the decoded form, added to arr; false on ENOMEM. */
static bool link_json(json_object *arr, const struct ksm_link *l)
{
	json_object *o = json_object_new_object(), *d = NULL;

	if (!o || json_object_array_add(arr, o) != 0) {
		json_object_put(o);
		return false;
	}
	if (!ksm_json_add_str(o, "recordUid", l->record_uid) ||
	    (l->path && !ksm_json_add_str(o, "path", l->path)))
		return false;
	if (l->data && (json_object_deep_copy(l->data, &d, NULL) != 0 ||
			json_object_object_add(o, "data", d) != 0)) {
		json_object_put(d);
		return false;
	}
	return !l->encrypted ||
	       json_object_object_add(o, "encrypted",
				      json_object_new_boolean(1)) == 0;
}

json_object *ksm_links_json(const struct ksm_link *l, size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < n; i++)
		if (!link_json(arr, &l[i])) {
			ksm_json_wipe(arr);
			json_object_put(arr);
			return NULL;
		}
	return arr;
}

/* ----------------------------------------------------- public accessors */

size_t ksm_record_link_count(const ksm_record *r)
{
	return r ? r->n_links : 0;
}

const ksm_link *ksm_record_link_at(const ksm_record *r, size_t i)
{
	return r && i < r->n_links ? &r->links[i] : NULL;
}

const char *ksm_link_record_uid(const ksm_link *l)
{
	return l ? l->record_uid : "";
}

const char *ksm_link_path(const ksm_link *l)
{
	return l ? l->path : NULL;
}

bool ksm_link_encrypted(const ksm_link *l)
{
	return l && l->data && l->encrypted;
}

char *ksm_link_data_json(const ksm_link *l)
{
	return l && l->data ? ksm_json_dup(l->data) : NULL;
}

/* The member at a dotted path ("rotation_settings.noop"), or NULL. */
static json_object *member_at(const ksm_link *l, const char *path)
{
	json_object *o = l ? l->data : NULL;
	const char *p = path;

	while (o && p && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[128];
		json_object *next = NULL;

		if (n == 0 || n >= sizeof(key) ||
		    !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &next))
			return NULL;
		o = next;
		p = dot ? dot + 1 : NULL;
	}
	return p ? NULL : o;
}

bool ksm_link_bool(const ksm_link *l, const char *path)
{
	json_object *v = member_at(l, path);

	/* Strict, as the SDKs: only a JSON true is true. */
	return v && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

char *ksm_link_value(const ksm_link *l, const char *path)
{
	json_object *v = member_at(l, path);

	return v ? ksm_json_text(v) : NULL;
}
