/* SPDX-License-Identifier: MIT */
/*
 * get_secrets.c - get_secret, its decryption chain and the binding
 * (docs/protocol.md §6, §7, §8).
 *
 *   token bytes -GCM-> appKey -GCM-> recordKey | folderKey -GCM-> recordKey
 *   recordKey -GCM-> record data JSON, fileKey -GCM-> file metadata
 */
#include "get_secrets.h"
#include "client.h"
#include "links.h"

#include <stdlib.h>
#include <string.h>

size_t ksm_secrets_count(const ksm_secrets *s)
{
	return s ? s->n : 0;
}

const ksm_record *ksm_secrets_record(const ksm_secrets *s, size_t i)
{
	return s && i < s->n ? s->records[i] : NULL;
}

const ksm_record *ksm_secrets_find(const ksm_secrets *s, const char *uid)
{
	return ksm_secrets_edit((ksm_secrets *)s, uid);
}

ksm_record *ksm_secrets_edit(ksm_secrets *s, const char *uid)
{
	size_t lo = 0, hi;

	if (!s || !uid || !s->by_uid)
		return NULL;
	/* The leftmost match: the first occurrence of a repeated UID. */
	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->records[s->by_uid[mid]]->uid, uid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n && strcmp(s->records[s->by_uid[lo]]->uid, uid) == 0)
		return s->records[s->by_uid[lo]];
	return NULL;
}

struct uid_key {
	const char *uid;
	size_t index;
};

static int by_uid_then_index(const void *x, const void *y)
{
	const struct uid_key *a = x, *b = y;
	int c = strcmp(a->uid, b->uid);

	return c ? c : (a->index < b->index ? -1 : a->index > b->index);
}

/*
 * Index the records by UID (lookups in O(log n): syncs of large vaults).
 * The keys are sorted in an array of their own, not through a global the
 * comparator reads: ksmd indexes answers in several threads at once.
 */
bool ksm_secrets_index(ksm_secrets *s)
{
	size_t n = s->n ? s->n : 1;
	struct uid_key *keys = malloc(n * sizeof(*keys));
	bool ok = false;

	s->by_uid = malloc(n * sizeof(*s->by_uid));
	if (!keys || !s->by_uid)
		goto out;
	for (size_t i = 0; i < s->n; i++)
		keys[i] = (struct uid_key){s->records[i]->uid, i};
	qsort(keys, s->n, sizeof(*keys), by_uid_then_index);
	for (size_t i = 0; i < s->n; i++)
		s->by_uid[i] = keys[i].index;
	ok = true;
out:
	free(keys);
	return ok;
}

size_t ksm_secrets_bad_count(const ksm_secrets *s)
{
	return s ? s->bad : 0;
}

int64_t ksm_secrets_expires_on(const ksm_secrets *s)
{
	return s ? s->expires_on : 0;
}

const char *ksm_secrets_app_name(const ksm_secrets *s)
{
	return s && s->app_name ? s->app_name : "";
}

const char *ksm_secrets_app_type(const ksm_secrets *s)
{
	return s && s->app_type ? s->app_type : "";
}

size_t ksm_secrets_warning_count(const ksm_secrets *s)
{
	return s ? s->n_warnings : 0;
}

const char *ksm_secrets_warning(const ksm_secrets *s, size_t i)
{
	return s && i < s->n_warnings ? s->warnings[i] : NULL;
}

bool ksm_secrets_set_app(ksm_secrets *s, const char *name, const char *type)
{
	free(s->app_name);
	free(s->app_type);
	s->app_name = name ? ksm_text_display(name, KSM_APP_NAME_MAX) : NULL;
	s->app_type = type ? ksm_text_display(type, KSM_APP_NAME_MAX) : NULL;
	return (!name || s->app_name) && (!type || s->app_type);
}

bool ksm_secrets_set_warnings(ksm_secrets *s, json_object *arr)
{
	size_t n = json_object_is_type(arr, json_type_array)
			   ? json_object_array_length(arr)
			   : 0;

	for (size_t i = 0; i < n && s->n_warnings < KSM_WARNINGS_MAX; i++) {
		const char *w = json_object_get_string(
			json_object_array_get_idx(arr, i));
		char *p;

		if (!json_object_is_type(json_object_array_get_idx(arr, i),
					 json_type_string) ||
		    !*w)
			continue;
		/* Server text, as its error messages: printable ASCII. */
		p = malloc(KSM_WARNING_MAX + 1);
		if (!p)
			return false;
		ksm_text_sanitize(p, KSM_WARNING_MAX + 1, w, NULL);
		if (!ksm_strv_push(&s->warnings, &s->n_warnings, p)) {
			free(p);
			return false;
		}
	}
	return true;
}

const struct ksm_unreadable *ksm_secrets_unreadable(const ksm_secrets *s,
						    size_t i)
{
	return s && i < s->n_unreadable ? &s->unreadable[i] : NULL;
}

void ksm_secrets_free(ksm_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		ksm_record_free(s->records[i]);
	for (size_t i = 0; i < s->n_unreadable; i++) {
		free(s->unreadable[i].uid);
		free(s->unreadable[i].folder_uid);
		free(s->unreadable[i].inner_folder_uid);
		free(s->unreadable[i].reason);
	}
	free(s->unreadable);
	for (size_t i = 0; i < s->n_folders; i++)
		free(s->folders[i]);
	free(s->folders);
	free(s->app_name);
	free(s->app_type);
	for (size_t i = 0; i < s->n_warnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	free(s->records);
	free(s->by_uid);
	free(s);
}

bool ksm_secrets_add_folder(ksm_secrets *s, const char *uid)
{
	char *copy;

	if (!uid || !*uid)
		return true;
	for (size_t i = 0; i < s->n_folders; i++)
		if (!strcmp(s->folders[i], uid))
			return true;
	copy = ksm_strdup(uid);
	if (!copy || !ksm_strv_push(&s->folders, &s->n_folders, copy)) {
		free(copy);
		return false;
	}
	return true;
}

static bool same(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

bool ksm_secrets_sees_folder(const ksm_secrets *s, const char *uid)
{
	for (size_t i = 0; i < s->n_folders; i++)
		if (same(s->folders[i], uid))
			return true;
	for (size_t i = 0; i < s->n; i++)
		if (same(s->records[i]->folder_uid, uid) ||
		    same(s->records[i]->inner_folder_uid, uid))
			return true;
	for (size_t i = 0; i < s->n_unreadable; i++)
		if (same(s->unreadable[i].folder_uid, uid) ||
		    same(s->unreadable[i].inner_folder_uid, uid))
			return true;
	return false;
}

bool ksm_secrets_push(ksm_secrets *s, ksm_record *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		ksm_record **p = realloc(s->records, cap * sizeof(*p));

		if (!p)
			return false;
		s->records = p;
		s->cap = cap;
	}
	s->records[s->n++] = r;
	return true;
}

static char *dup_str_member(json_object *o, const char *key)
{
	const char *s = ksm_json_str(o, key);

	return s && *s ? ksm_strdup(s) : NULL;
}

static ksm_status parse_file(EVP_CIPHER_CTX *gcm, const uint8_t record_key[32],
			     json_object *jf, struct ksm_file *f)
{
	json_object *meta = NULL, *v;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	ksm_status st;

	memset(f, 0, sizeof(*f));
	f->uid = dup_str_member(jf, "fileUid");
	if (!f->uid)
		return KSM_ERR_PROTOCOL;
	st = ksm_unwrap_key_b64_with(gcm, record_key,
				     ksm_json_str(jf, "fileKey"), f->key);
	if (st == KSM_OK)
		st = ksm_gcm_open_b64_with(
			gcm, f->key, ksm_json_str(jf, "data"), &pt, &ptlen);
	if (st == KSM_OK)
		st = ksm_json_parse((const char *)pt, ptlen, &meta, NULL);
	if (st == KSM_OK && json_object_is_type(meta, json_type_object)) {
		f->name = dup_str_member(meta, "name");
		f->title = dup_str_member(meta, "title");
		f->mime_type = dup_str_member(meta, "type");
		if (json_object_object_get_ex(meta, "size", &v))
			f->size = json_object_get_int64(v);
		if (json_object_object_get_ex(meta, "lastModified", &v))
			f->last_modified = json_object_get_int64(v);
	} else if (st == KSM_OK) {
		st = KSM_ERR_PROTOCOL;
	}
	f->url = dup_str_member(jf, "url");
	f->thumbnail_url = dup_str_member(jf, "thumbnailUrl");
	json_object_put(meta);
	ksm_free_wiped(pt, ptlen);
	return st;
}

#define B64U_CHARS                                                             \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* One record object of records[] or folders[].records[]; gcm: the
 * answer's decryption context. */
static ksm_status parse_record(EVP_CIPHER_CTX *gcm, const uint8_t wrap_key[32],
			       json_object *jr, const char *folder_uid,
			       ksm_record **out, ksm_error *err)
{
	uint8_t rkey[32], *pt = NULL;
	size_t ptlen = 0, nfiles;
	const char *uid = ksm_json_str(jr, "recordUid");
	json_object *v, *files;
	ksm_record *r = NULL;
	ksm_status st;

	*out = NULL;
	if (!uid || !ksm_record_uid_valid(uid))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "the record UID is not 1-64 characters "
				     "of A-Z a-z 0-9 - _");
	st = ksm_unwrap_key_b64_with(gcm, wrap_key,
				     ksm_json_str(jr, "recordKey"), rkey);
	if (st == KSM_OK)
		st = ksm_gcm_open_b64_with(gcm, rkey, ksm_json_str(jr, "data"),
					   &pt, &ptlen);
	if (st != KSM_OK)
		ksm_set_error(err, st,
			      "the record key or data does not decrypt");
	else
		st = ksm_record_parse(uid, (const char *)pt, ptlen, &r, err);
	ksm_free_wiped(pt, ptlen);
	if (st != KSM_OK)
		goto out;
	memcpy(r->key, rkey, sizeof(rkey));
	if (json_object_object_get_ex(jr, "revision", &v))
		r->revision = json_object_get_int64(v);
	if (json_object_object_get_ex(jr, "isEditable", &v))
		r->editable = json_object_get_boolean(v);
	r->folder_uid = dup_str_member(jr, "folderUid");
	if (!r->folder_uid && folder_uid)
		r->folder_uid = ksm_strdup(folder_uid);
	r->inner_folder_uid = dup_str_member(jr, "innerFolderUid");
	if (json_object_object_get_ex(jr, "links", &v) &&
	    !ksm_links_parse(v, r->key, &r->links, &r->n_links)) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (json_object_object_get_ex(jr, "files", &files) &&
	    json_object_is_type(files, json_type_array) &&
	    (nfiles = json_object_array_length(files)) > 0) {
		r->files = calloc(nfiles, sizeof(*r->files));
		if (!r->files) {
			st = KSM_ERR_NOMEM;
			goto out;
		}
		for (size_t i = 0; i < nfiles && st == KSM_OK; i++) {
			st = parse_file(gcm, r->key,
					json_object_array_get_idx(files, i),
					&r->files[i]);
			r->n_files = i + 1;
		}
		if (st != KSM_OK)
			ksm_set_error(err, st,
				      "a file of the record does not decrypt");
	}
out:
	ksm_wipe(rkey, sizeof(rkey));
	if (st != KSM_OK)
		ksm_record_free(r);
	else
		*out = r;
	return st;
}

/* UID without anything unprintable ('?' for it), at most 64 characters. */
static char *printable_uid(const char *uid)
{
	char *p = malloc(65);

	if (p)
		ksm_text_sanitize(p, 65, uid, B64U_CHARS);
	return p;
}

/* A record that is there but cannot be read: kept by UID and reason. */
static ksm_status add_unreadable(ksm_secrets *s, json_object *jr,
				 const char *folder_uid, const char *reason)
{
	struct ksm_unreadable *p =
		realloc(s->unreadable, (s->n_unreadable + 1) * sizeof(*p));
	const char *prefix = "record ";
	const char *uid = ksm_json_str(jr, "recordUid");

	if (!p)
		return KSM_ERR_NOMEM;
	s->unreadable = p;
	p += s->n_unreadable;
	memset(p, 0, sizeof(*p));
	/* ksm_record_parse's messages start with "record UID: ". */
	if (uid && !strncmp(reason, prefix, strlen(prefix)) &&
	    !strncmp(reason + strlen(prefix), uid, strlen(uid)) &&
	    !strncmp(reason + strlen(prefix) + strlen(uid), ": ", 2))
		reason += strlen(prefix) + strlen(uid) + 2;
	p->uid = printable_uid(uid);
	p->folder_uid = dup_str_member(jr, "folderUid");
	if (!p->folder_uid && folder_uid)
		p->folder_uid = ksm_strdup(folder_uid);
	p->inner_folder_uid = dup_str_member(jr, "innerFolderUid");
	p->reason = ksm_strdup(reason);
	s->n_unreadable++;
	return p->uid && p->reason ? KSM_OK : KSM_ERR_NOMEM;
}

/* Add records of a JSON array; unreadable ones are noted, not fatal. */
static ksm_status add_records(ksm_secrets *s, EVP_CIPHER_CTX *gcm,
			      const uint8_t key[32], json_object *arr,
			      const char *folder_uid)
{
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return KSM_OK;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *jr = json_object_array_get_idx(arr, i);
		ksm_record *r = NULL;
		ksm_error rerr = {0};
		ksm_status st =
			parse_record(gcm, key, jr, folder_uid, &r, &rerr);

		if (st == KSM_ERR_NOMEM)
			return st;
		if (st != KSM_OK) {
			s->bad++;
			st = add_unreadable(s, jr, folder_uid, rerr.message);
			json_object_array_put_idx(arr, i, NULL);
			if (st != KSM_OK)
				return st;
			continue;
		}
		/* Read: its part of the answer goes now, so the answer's tree
		 * and the records are not all held at once (big vaults). */
		json_object_array_put_idx(arr, i, NULL);
		if (!ksm_secrets_push(s, r)) {
			ksm_record_free(r);
			return KSM_ERR_NOMEM;
		}
	}
	return KSM_OK;
}

/*
 * appData: GCM(app key, {"title", "type"}), B64U. A display name only, so
 * one that does not decrypt or parse is no name rather than a failed read
 * (Python's SDK raises, JavaScript's only decrypts it when present).
 */
static ksm_status read_app_data(ksm_secrets *s, const uint8_t app_key[32],
				const char *b64)
{
	json_object *o = NULL;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	bool ok = true;

	if (!b64 || !*b64)
		return KSM_OK;
	if (ksm_gcm_open_b64(app_key, b64, &pt, &ptlen) == KSM_OK &&
	    ksm_json_parse((const char *)pt, ptlen, &o, NULL) == KSM_OK &&
	    json_object_is_type(o, json_type_object))
		ok = ksm_secrets_set_app(s, ksm_json_str(o, "title"),
					 ksm_json_str(o, "type"));
	json_object_put(o);
	ksm_free_wiped(pt, ptlen);
	return ok ? KSM_OK : KSM_ERR_NOMEM;
}

static ksm_status build_secrets(const ksm_client *c, json_object *resp,
				ksm_secrets **out, ksm_error *err)
{
	ksm_secrets *s = calloc(1, sizeof(*s));
	json_object *arr, *v;
	ksm_status st = KSM_OK;
	/* One context for every key and record of the answer (NULL: one per
	 * message, slower but the same). */
	EVP_CIPHER_CTX *gcm;

	*out = NULL;
	if (!s)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	gcm = ksm_gcm_ctx_new();
	if (resp && json_object_object_get_ex(resp, "expiresOn", &v))
		s->expires_on = json_object_get_int64(v);
	if (resp && json_object_object_get_ex(resp, "warnings", &arr) &&
	    !ksm_secrets_set_warnings(s, arr))
		st = KSM_ERR_NOMEM;
	if (st == KSM_OK && resp)
		st = read_app_data(s, c->app_key,
				   ksm_json_str(resp, "appData"));
	if (st == KSM_OK && resp &&
	    json_object_object_get_ex(resp, "records", &arr))
		st = add_records(s, gcm, c->app_key, arr, NULL);
	if (st == KSM_OK && resp &&
	    json_object_object_get_ex(resp, "folders", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);

		for (size_t i = 0; i < n && st == KSM_OK; i++) {
			json_object *jf = json_object_array_get_idx(arr, i),
				    *recs;
			uint8_t fkey[32];

			if (!ksm_secrets_add_folder(
				    s, ksm_json_str(jf, "folderUid"))) {
				st = KSM_ERR_NOMEM;
				break;
			}
			if (ksm_unwrap_key_b64_with(
				    gcm, c->app_key,
				    ksm_json_str(jf, "folderKey"),
				    fkey) != KSM_OK) {
				s->bad++;
				continue;
			}
			if (json_object_object_get_ex(jf, "records", &recs))
				st = add_records(s, gcm, fkey, recs,
						 ksm_json_str(jf, "folderUid"));
			ksm_wipe(fkey, sizeof(fkey));
		}
	}
	ksm_gcm_ctx_free(gcm);
	if (st == KSM_OK && !ksm_secrets_index(s))
		st = KSM_ERR_NOMEM;
	if (st != KSM_OK) {
		ksm_secrets_free(s);
		return ksm_set_error(err, st, "out of memory");
	}
	*out = s;
	return KSM_OK;
}

/* The binding answer: unwrap the app key with the token and keep it. */
static ksm_status finish_binding(ksm_client *c, json_object *resp,
				 ksm_error *err)
{
	const char *enc = resp ? ksm_json_str(resp, "encryptedAppKey") : NULL;
	const char *owner =
		resp ? ksm_json_str(resp, "appOwnerPublicKey") : NULL;
	uint8_t token[32];
	char *app64 = NULL;
	ksm_status st;

	if (!enc)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "the server's binding answer has no "
				     "encryptedAppKey");
	if (ksm_b64_decode_exact(
		    ksm_client_config_get(c->cfg, KSM_CFG_CLIENT_KEY), token,
		    32) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "client config clientKey is not 32 bytes");
	st = ksm_unwrap_key_b64(token, enc, c->app_key);
	ksm_wipe(token, sizeof(token));
	if (st != KSM_OK)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "the app key from the server does not "
				     "decrypt with this token");
	app64 = ksm_b64_encode(c->app_key, 32, false);
	if (!app64)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ksm_client_config_set(c->cfg, KSM_CFG_APP_KEY, app64, err);
	if (st == KSM_OK && owner)
		st = ksm_client_config_set(c->cfg, KSM_CFG_APP_OWNER_PUBLIC_KEY,
					   owner, err);
	/* The token is spent: it must not stay in the config. */
	if (st == KSM_OK)
		st = ksm_client_config_set(c->cfg, KSM_CFG_CLIENT_KEY, NULL,
					   err);
	ksm_free_secret(app64);
	if (st != KSM_OK)
		return st;
	c->bound = true;
	st = ksm_client_persist(c, err);
	if (st != KSM_OK)
		ksm_error_prefix(err, "bound, but could not save the config");
	return st;
}

ksm_secrets *ksm_secrets_wrap(ksm_record **records, size_t n)
{
	ksm_secrets *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!ksm_secrets_push(s, records[i])) {
			ksm_secrets_free(s);
			return NULL;
		}
	if (!ksm_secrets_index(s)) {
		ksm_secrets_free(s);
		return NULL;
	}
	return s;
}

ksm_status ksm_secrets_from_response(ksm_client *c, json_object *resp,
				     ksm_secrets **out, ksm_error *err)
{
	ksm_status st;

	*out = NULL;
	if (!c->bound) {
		st = finish_binding(c, resp, err);
		if (st != KSM_OK)
			return st;
	}
	return build_secrets(c, resp, out, err);
}

static bool add_str_array(json_object *p, const char *key, const char *const *v,
			  size_t n)
{
	json_object *a;

	if (!v)
		return true;
	a = json_object_new_array();
	if (!a || json_object_object_add(p, key, a) != 0) {
		json_object_put(a);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_new_string(v[i]);

		if (!s || json_object_array_add(a, s) != 0) {
			json_object_put(s);
			return false;
		}
	}
	return true;
}

ksm_status ksm_get_secrets(ksm_client *c, const ksm_query *q,
			   unsigned timeout_ms, ksm_secrets **out,
			   ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	json_object *p = ksm_payload_new(c), *resp = NULL;
	bool binding = !c->bound;
	ksm_status st;

	*out = NULL;
	if (!p)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (binding) {
		uint8_t point[65];
		char *pub;

		st = ksm_p256_public(c->priv, point);
		pub = st == KSM_OK ? ksm_b64_encode(point, 65, false) : NULL;
		if (!pub || !ksm_json_add_str(p, "publicKey", pub)) {
			free(pub);
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			goto out;
		}
		free(pub);
	}
	if (q && (!add_str_array(p, "requestedRecords", q->record_uids,
				 q->n_record_uids) ||
		  !add_str_array(p, "requestedFolders", q->folder_uids,
				 q->n_folder_uids) ||
		  (q->request_links &&
		   json_object_object_add(p, "requestLinks",
					  json_object_new_boolean(1)) != 0))) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	c->max_response = q ? q->max_response : 0;
	st = ksm_post_query(c, "get_secret", p, deadline, &resp, err);
	c->max_response = 0;
	if (st == KSM_ERR_ACCESS_DENIED && binding)
		ksm_error_prefix(err, "binding failed (a one-time token works "
				      "once, even for a failed attempt)");
	if (st != KSM_OK)
		goto out;
	st = ksm_secrets_from_response(c, resp, out, err);
out:
	json_object_put(resp);
	json_object_put(p);
	return st;
}
