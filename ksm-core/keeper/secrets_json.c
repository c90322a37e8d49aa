/* SPDX-License-Identifier: MIT */
/*
 * secrets_json.c - a get_secret result set as JSON text and back: how ksmd
 * hands records to ksmctl (docs/ksmd-protocol.md, "records"). The text is
 * secret (record data, file keys); the record keys are not in it, so a
 * set read back can be looked at but not written to the vault.
 */
#include "get_secrets.h"
#include "links.h"

#include <stdlib.h>
#include <string.h>

static bool add_str(json_object *o, const char *k, const char *v)
{
	return !v || ksm_json_add_str(o, k, v);
}

static bool add_int(json_object *o, const char *k, int64_t v)
{
	json_object *n = json_object_new_int64(v);

	if (!n || json_object_object_add(o, k, n) != 0) {
		json_object_put(n);
		return false;
	}
	return true;
}

static json_object *file_json(const struct ksm_file *f)
{
	json_object *o = json_object_new_object();
	char *key = ksm_b64_encode(f->key, sizeof(f->key), false);
	bool ok = o && key && add_str(o, "uid", f->uid) &&
		  add_str(o, "key", key) && add_str(o, "name", f->name) &&
		  add_str(o, "title", f->title) &&
		  add_str(o, "type", f->mime_type) &&
		  add_int(o, "size", f->size) &&
		  add_int(o, "lastModified", f->last_modified) &&
		  add_str(o, "url", f->url) &&
		  add_str(o, "thumbnailUrl", f->thumbnail_url);

	ksm_free_secret(key);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *record_json(const ksm_record *r)
{
	json_object *o = json_object_new_object(), *files, *f;
	char *data = ksm_record_data_json(r);
	bool ok = o && data && add_str(o, "uid", r->uid) &&
		  add_str(o, "folderUid", r->folder_uid) &&
		  add_str(o, "innerFolderUid", r->inner_folder_uid) &&
		  add_int(o, "revision", r->revision) &&
		  json_object_object_add(
			  o, "editable",
			  json_object_new_boolean(r->editable)) == 0 &&
		  add_str(o, "data", data);

	ksm_free_secret(data);
	if (ok && r->n_links) {
		json_object *links = ksm_links_json(r->links, r->n_links);

		ok = links && json_object_object_add(o, "links", links) == 0;
		if (!ok)
			json_object_put(links);
	}
	files = ok ? json_object_new_array() : NULL;
	ok = ok && files && json_object_object_add(o, "files", files) == 0;
	for (size_t i = 0; ok && i < r->n_files; i++) {
		f = file_json(&r->files[i]);
		ok = f && json_object_array_add(files, f) == 0;
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

char *ksm_secrets_to_json(const ksm_secrets *s)
{
	json_object *o = json_object_new_object(), *recs, *bad, *warn, *e;
	char *text = NULL;
	bool ok = o && (recs = json_object_new_array()) &&
		  json_object_object_add(o, "records", recs) == 0 &&
		  (bad = json_object_new_array()) &&
		  json_object_object_add(o, "unreadable", bad) == 0 &&
		  add_int(o, "bad", (int64_t)s->bad) &&
		  add_int(o, "expiresOn", s->expires_on) &&
		  add_str(o, "appName", s->app_name) &&
		  add_str(o, "appType", s->app_type) &&
		  (warn = json_object_new_array()) &&
		  json_object_object_add(o, "warnings", warn) == 0;

	for (size_t i = 0; ok && i < s->n_warnings; i++) {
		e = json_object_new_string(s->warnings[i]);
		ok = e && json_object_array_add(warn, e) == 0;
		if (!ok)
			json_object_put(e);
	}
	for (size_t i = 0; ok && i < s->n; i++) {
		e = record_json(s->records[i]);
		ok = e && json_object_array_add(recs, e) == 0;
	}
	ok = ok && (e = json_object_new_array()) &&
	     json_object_object_add(o, "folders", e) == 0;
	for (size_t i = 0; ok && i < s->n_folders; i++) {
		json_object *f = json_object_new_string(s->folders[i]);

		ok = f && json_object_array_add(e, f) == 0;
	}
	for (size_t i = 0; ok && i < s->n_unreadable; i++) {
		const struct ksm_unreadable *u = &s->unreadable[i];

		e = json_object_new_object();
		ok = e && json_object_array_add(bad, e) == 0 &&
		     add_str(e, "uid", u->uid) &&
		     add_str(e, "folderUid", u->folder_uid) &&
		     add_str(e, "innerFolderUid", u->inner_folder_uid) &&
		     add_str(e, "reason", u->reason);
	}
	if (ok) {
		const char *t =
			json_object_to_json_string_ext(o, KSM_JSON_FLAGS);

		text = t ? ksm_strdup(t) : NULL;
		if (t) /* json-c's own rendering of the secrets */
			ksm_wipe((char *)t, strlen(t));
	}
	if (o) {
		ksm_json_wipe(o);
		json_object_put(o);
	}
	return text;
}

static char *dup_member(json_object *o, const char *key)
{
	const char *v = ksm_json_str(o, key);

	return v ? ksm_strdup(v) : NULL;
}

static int64_t int_member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v)
						     : 0;
}

static ksm_status file_from(json_object *jf, struct ksm_file *f)
{
	const char *key = ksm_json_str(jf, "key");

	if (!ksm_json_str(jf, "uid") || !key ||
	    ksm_b64_decode_exact(key, f->key, sizeof(f->key)) != KSM_OK)
		return KSM_ERR_PROTOCOL;
	f->uid = dup_member(jf, "uid");
	f->name = dup_member(jf, "name");
	f->title = dup_member(jf, "title");
	f->mime_type = dup_member(jf, "type");
	f->url = dup_member(jf, "url");
	f->thumbnail_url = dup_member(jf, "thumbnailUrl");
	f->size = int_member(jf, "size");
	f->last_modified = int_member(jf, "lastModified");
	return f->uid ? KSM_OK : KSM_ERR_NOMEM;
}

static ksm_status record_from(json_object *jr, ksm_record **out, ksm_error *err)
{
	const char *uid = ksm_json_str(jr, "uid"), *data;
	json_object *files, *e;
	ksm_record *r = NULL;
	ksm_status st;

	data = ksm_json_str(jr, "data");
	if (!uid || !data)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "records from ksmd: a record without uid "
				     "or data");
	st = ksm_record_parse(uid, data, strlen(data), &r, err);
	if (st != KSM_OK)
		return st;
	r->folder_uid = dup_member(jr, "folderUid");
	r->inner_folder_uid = dup_member(jr, "innerFolderUid");
	r->revision = int_member(jr, "revision");
	r->editable = json_object_object_get_ex(jr, "editable", &e) &&
		      json_object_get_boolean(e);
	if (json_object_object_get_ex(jr, "links", &e) &&
	    !ksm_links_from_json(e, &r->links, &r->n_links))
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (st == KSM_OK && json_object_object_get_ex(jr, "files", &files) &&
	    json_object_is_type(files, json_type_array) &&
	    json_object_array_length(files) > 0) {
		size_t n = json_object_array_length(files);

		r->files = calloc(n, sizeof(*r->files));
		if (!r->files)
			st = KSM_ERR_NOMEM;
		for (size_t i = 0; st == KSM_OK && i < n; i++) {
			st = file_from(json_object_array_get_idx(files, i),
				       &r->files[i]);
			r->n_files = i + 1;
		}
		if (st != KSM_OK)
			ksm_set_error(err, st,
				      "records from ksmd: record %s: a bad "
				      "file entry",
				      uid);
	}
	if (st != KSM_OK)
		ksm_record_free(r);
	else
		*out = r;
	return st;
}

static ksm_status unreadable_from(ksm_secrets *s, json_object *arr)
{
	size_t n = json_object_is_type(arr, json_type_array)
			   ? json_object_array_length(arr)
			   : 0;

	if (n == 0)
		return KSM_OK;
	s->unreadable = calloc(n, sizeof(*s->unreadable));
	if (!s->unreadable)
		return KSM_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct ksm_unreadable *u = &s->unreadable[i];

		u->uid = ksm_strdup(
			ksm_json_str(e, "uid") ? ksm_json_str(e, "uid") : "?");
		u->folder_uid = dup_member(e, "folderUid");
		u->inner_folder_uid = dup_member(e, "innerFolderUid");
		u->reason = ksm_strdup(ksm_json_str(e, "reason")
					       ? ksm_json_str(e, "reason")
					       : "unreadable");
		s->n_unreadable = i + 1;
		if (!u->uid || !u->reason)
			return KSM_ERR_NOMEM;
	}
	return KSM_OK;
}

/* "folders": the shared folder UIDs (strings; anything else is skipped). */
static ksm_status folders_from(ksm_secrets *s, json_object *o)
{
	json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, "folders", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return KSM_OK;
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(arr, i);

		if (json_object_is_type(f, json_type_string) &&
		    !ksm_secrets_add_folder(s, json_object_get_string(f)))
			return KSM_ERR_NOMEM;
	}
	return KSM_OK;
}

ksm_status ksm_secrets_from_json(const char *text, size_t len,
				 ksm_secrets **out, ksm_error *err)
{
	json_object *o = NULL, *recs = NULL, *bad = NULL, *warn = NULL;
	ksm_secrets *s = calloc(1, sizeof(*s));
	ksm_status st;

	*out = NULL;
	if (!s)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	/* Bounded by the IPC answer's cap (docs/ksmd-protocol.md §2.2). */
	st = ksm_json_parse_max(text, len, SIZE_MAX, &o, err);
	if (st == KSM_OK && (!json_object_is_type(o, json_type_object) ||
			     !json_object_object_get_ex(o, "records", &recs) ||
			     !json_object_is_type(recs, json_type_array)))
		st = ksm_set_error(err, KSM_ERR_PROTOCOL,
				   "records from ksmd: not a record set");
	for (size_t i = 0; st == KSM_OK && i < json_object_array_length(recs);
	     i++) {
		ksm_record *r = NULL;

		st = record_from(json_object_array_get_idx(recs, i), &r, err);
		if (st == KSM_OK && !ksm_secrets_push(s, r)) {
			ksm_record_free(r);
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		}
	}
	if (st == KSM_OK) {
		json_object_object_get_ex(o, "unreadable", &bad);
		if (unreadable_from(s, bad) != KSM_OK ||
		    folders_from(s, o) != KSM_OK || !ksm_secrets_index(s))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		s->bad = (size_t)int_member(o, "bad");
		s->expires_on = int_member(o, "expiresOn");
		json_object_object_get_ex(o, "warnings", &warn);
		if (!ksm_secrets_set_app(s, ksm_json_str(o, "appName"),
					 ksm_json_str(o, "appType")) ||
		    !ksm_secrets_set_warnings(s, warn))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	if (o) {
		ksm_json_wipe(o);
		json_object_put(o);
	}
	if (st != KSM_OK)
		ksm_secrets_free(s);
	else
		*out = s;
	return st;
}
