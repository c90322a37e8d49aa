/* SPDX-License-Identifier: MIT */
/*
 * secrets_json.c - a get_secret result set as JSON text and back: how ksmd
 * hands records to ksmctl (docs/ksmd-protocol.md, "records"). The text is
 * secret (record data, file keys); the record keys are not in it, so a
 * set read back can be looked at but not written to the vault.
 */
#include "get_secrets.h"
#include "links.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- writing */

/*
 * Written straight into one buffer (no json-c tree of the whole set: at
 * 100,000 records that tree was gigabytes). The same JSON json-c wrote,
 * member for member.
 */
struct out {
	char *buf;
	size_t len, cap;
	bool ok;
};

static void raw(struct out *o, const char *s)
{
	o->ok = o->ok &&
		ksm_jv_write_raw(s, strlen(s), &o->buf, &o->len, &o->cap);
}

static void str(struct out *o, const char *s, size_t n)
{
	o->ok = o->ok && ksm_jv_write_str(s, n, &o->buf, &o->len, &o->cap);
}

/* ,"key": (first: no comma) */
static void key(struct out *o, const char *k, bool first)
{
	if (!first)
		raw(o, ",");
	str(o, k, strlen(k));
	raw(o, ":");
}

static void member_str(struct out *o, const char *k, const char *v)
{
	if (!v)
		return;
	key(o, k, false);
	str(o, v, strlen(v));
}

/* ,"key":["v0","v1",...] */
static void member_strs(struct out *o, const char *k, char *const *v, size_t n)
{
	key(o, k, false);
	raw(o, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			raw(o, ",");
		str(o, v[i], strlen(v[i]));
	}
	raw(o, "]");
}

static void member_int(struct out *o, const char *k, int64_t v)
{
	char n[32];

	snprintf(n, sizeof(n), "%" PRId64, v);
	key(o, k, false);
	raw(o, n);
}

static void file_json(struct out *o, const struct ksm_file *f)
{
	char *k = ksm_b64_encode(f->key, sizeof(f->key), false);

	o->ok = o->ok && k;
	raw(o, "{");
	key(o, "uid", true);
	str(o, f->uid ? f->uid : "", f->uid ? strlen(f->uid) : 0);
	member_str(o, "key", k);
	member_str(o, "name", f->name);
	member_str(o, "title", f->title);
	member_str(o, "type", f->mime_type);
	member_int(o, "size", f->size);
	member_int(o, "lastModified", f->last_modified);
	member_str(o, "url", f->url);
	member_str(o, "thumbnailUrl", f->thumbnail_url);
	raw(o, "}");
	ksm_free_secret(k);
}

/* tmp: a scratch buffer for the record data (kept across records). */
static void record_json(struct out *o, const ksm_record *r, struct out *tmp)
{
	raw(o, "{");
	key(o, "uid", true);
	str(o, r->uid, strlen(r->uid));
	member_str(o, "folderUid", r->folder_uid);
	member_str(o, "innerFolderUid", r->inner_folder_uid);
	member_int(o, "revision", r->revision);
	key(o, "editable", false);
	raw(o, r->editable ? "true" : "false");
	/* The data as a string (docs/ksmd-protocol.md, "records"). */
	tmp->len = 0;
	tmp->ok = ksm_jv_write(ksm_jdoc_root(r->data), &tmp->buf, &tmp->len,
			       &tmp->cap);
	o->ok = o->ok && tmp->ok;
	key(o, "data", false);
	if (tmp->ok)
		str(o, tmp->buf, tmp->len);
	if (o->ok && tmp->buf)
		ksm_wipe(tmp->buf, tmp->len);
	if (r->n_links) {
		json_object *links = ksm_links_json(r->links, r->n_links);
		char *t = links ? ksm_json_dup(links) : NULL;

		o->ok = o->ok && t;
		key(o, "links", false);
		if (t)
			raw(o, t);
		ksm_free_secret(t);
		if (links) {
			ksm_json_wipe(links);
			json_object_put(links);
		}
	}
	key(o, "files", false);
	raw(o, "[");
	for (size_t i = 0; i < r->n_files; i++) {
		if (i)
			raw(o, ",");
		file_json(o, &r->files[i]);
	}
	raw(o, "]}");
}

char *ksm_secrets_to_json(const ksm_secrets *s)
{
	struct out o = {.ok = true}, tmp = {.ok = true};

	raw(&o, "{");
	key(&o, "records", true);
	raw(&o, "[");
	for (size_t i = 0; o.ok && i < s->n; i++) {
		if (i)
			raw(&o, ",");
		record_json(&o, s->records[i], &tmp);
	}
	raw(&o, "]");
	key(&o, "unreadable", false);
	raw(&o, "[");
	for (size_t i = 0; i < s->n_unreadable; i++) {
		const struct ksm_unreadable *u = &s->unreadable[i];

		raw(&o, i ? ",{" : "{");
		key(&o, "uid", true);
		/* No UID: "?", as reading it back names it. */
		str(&o, u->uid ? u->uid : "?", u->uid ? strlen(u->uid) : 1);
		member_str(&o, "folderUid", u->folder_uid);
		member_str(&o, "innerFolderUid", u->inner_folder_uid);
		member_str(&o, "reason", u->reason);
		raw(&o, "}");
	}
	raw(&o, "]");
	member_int(&o, "bad", (int64_t)s->bad);
	member_int(&o, "expiresOn", s->expires_on);
	member_str(&o, "appName", s->app_name);
	member_str(&o, "appType", s->app_type);
	member_strs(&o, "warnings", s->warnings, s->n_warnings);
	member_strs(&o, "folders", s->folders, s->n_folders);
	raw(&o, "}");
	ksm_free_wiped(tmp.buf, tmp.cap);
	if (!o.ok) {
		ksm_free_wiped(o.buf, o.cap);
		return NULL;
	}
	return o.buf;
}

/* ------------------------------------------------------------- reading */

static char *dup_member(const ksm_jv *o, const char *key)
{
	const char *v = ksm_jv_str(o, key);

	return v ? ksm_strdup(v) : NULL;
}

/* As json-c's get_int64 read the members before: a number (its integer
 * part), else 0. */
static int64_t int_member(const ksm_jv *o, const char *key)
{
	const ksm_jv *v = ksm_jv_get(o, key);

	if (!ksm_jv_is(v, KSM_JV_NUM))
		return 0;
	if (strpbrk(v->u.s, ".eE")) {
		double d = strtod(v->u.s, NULL);

		return d >= 9.2e18    ? INT64_MAX
		       : d <= -9.2e18 ? INT64_MIN
				      : (int64_t)d;
	}
	return (int64_t)strtoll(v->u.s, NULL, 10);
}

/* A value of the set in json-c's form (links, warnings: small). */
static json_object *as_jsonc(const ksm_jv *v)
{
	char *t = ksm_jv_dup(v);
	json_object *o = NULL;

	if (t)
		(void)ksm_json_parse(t, strlen(t), &o, NULL);
	ksm_free_secret(t);
	return o;
}

static ksm_status file_from(const ksm_jv *jf, struct ksm_file *f)
{
	const char *key = ksm_jv_str(jf, "key");

	if (!ksm_jv_str(jf, "uid") || !key ||
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

static ksm_status record_from(const ksm_jv *jr, ksm_record **out,
			      ksm_error *err)
{
	const char *uid = ksm_jv_str(jr, "uid");
	const ksm_jv *data = ksm_jv_get(jr, "data"), *files, *e;
	ksm_record *r = NULL;
	ksm_status st;

	if (!uid || !ksm_jv_is(data, KSM_JV_STR))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "records from ksmd: a record without uid "
				     "or data");
	/* strlen: the data as json-c gave it (a C string). */
	st = ksm_record_parse(uid, data->u.s, strlen(data->u.s), &r, err);
	if (st != KSM_OK)
		return st;
	r->folder_uid = dup_member(jr, "folderUid");
	r->inner_folder_uid = dup_member(jr, "innerFolderUid");
	r->revision = int_member(jr, "revision");
	r->editable = ksm_jv_is(ksm_jv_get(jr, "editable"), KSM_JV_TRUE);
	if ((e = ksm_jv_get(jr, "links"))) {
		json_object *links = as_jsonc(e);

		if (!ksm_links_from_json(links, &r->links, &r->n_links))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		ksm_json_wipe(links);
		json_object_put(links);
	}
	files = ksm_jv_get(jr, "files");
	if (st == KSM_OK && ksm_jv_count(files) > 0) {
		size_t n = ksm_jv_count(files);

		r->files = calloc(n, sizeof(*r->files));
		if (!r->files)
			st = KSM_ERR_NOMEM;
		for (size_t i = 0; st == KSM_OK && i < n; i++) {
			st = file_from(ksm_jv_at(files, i), &r->files[i]);
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

static ksm_status unreadable_from(ksm_secrets *s, const ksm_jv *arr)
{
	size_t n = ksm_jv_count(arr);

	if (n == 0)
		return KSM_OK;
	s->unreadable = calloc(n, sizeof(*s->unreadable));
	if (!s->unreadable)
		return KSM_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const ksm_jv *e = ksm_jv_at(arr, i);
		struct ksm_unreadable *u = &s->unreadable[i];
		const char *uid = ksm_jv_str(e, "uid"),
			   *reason = ksm_jv_str(e, "reason");

		u->uid = ksm_strdup(uid ? uid : "?");
		u->folder_uid = dup_member(e, "folderUid");
		u->inner_folder_uid = dup_member(e, "innerFolderUid");
		u->reason = ksm_strdup(reason ? reason : "unreadable");
		s->n_unreadable = i + 1;
		if (!u->uid || !u->reason)
			return KSM_ERR_NOMEM;
	}
	return KSM_OK;
}

/* "folders": the shared folder UIDs (strings; anything else is skipped). */
static ksm_status folders_from(ksm_secrets *s, const ksm_jv *o)
{
	const ksm_jv *arr = ksm_jv_get(o, "folders");

	for (size_t i = 0; i < ksm_jv_count(arr); i++) {
		const ksm_jv *f = ksm_jv_at(arr, i);

		if (ksm_jv_is(f, KSM_JV_STR) &&
		    !ksm_secrets_add_folder(s, f->u.s))
			return KSM_ERR_NOMEM;
	}
	return KSM_OK;
}

ksm_status ksm_secrets_from_json(const char *text, size_t len,
				 ksm_secrets **out, ksm_error *err)
{
	ksm_jdoc *doc = NULL;
	const ksm_jv *o = NULL, *recs = NULL;
	json_object *warn = NULL;
	ksm_secrets *s = calloc(1, sizeof(*s));
	ksm_status st;

	*out = NULL;
	if (!s)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	/* Bounded by the IPC answer's cap (docs/ksmd-protocol.md §2.2); the
	 * compact parser: no json-c tree of the whole set. */
	st = text ? ksm_jdoc_parse(text, len, &doc, err)
		  : ksm_set_error(err, KSM_ERR_INVALID, "JSON parse: no input");
	if (st == KSM_OK) {
		o = ksm_jdoc_root(doc);
		recs = ksm_jv_get(o, "records");
		if (!ksm_jv_is(o, KSM_JV_OBJ) || !ksm_jv_is(recs, KSM_JV_ARR))
			st = ksm_set_error(err, KSM_ERR_PROTOCOL,
					   "records from ksmd: not a record "
					   "set");
	}
	for (size_t i = 0; st == KSM_OK && i < ksm_jv_count(recs); i++) {
		ksm_record *r = NULL;

		st = record_from(ksm_jv_at(recs, i), &r, err);
		if (st == KSM_OK && !ksm_secrets_push(s, r)) {
			ksm_record_free(r);
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		}
	}
	if (st == KSM_OK) {
		if (unreadable_from(s, ksm_jv_get(o, "unreadable")) != KSM_OK ||
		    folders_from(s, o) != KSM_OK || !ksm_secrets_index(s))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		s->bad = (size_t)int_member(o, "bad");
		s->expires_on = int_member(o, "expiresOn");
		if (ksm_jv_get(o, "warnings"))
			warn = as_jsonc(ksm_jv_get(o, "warnings"));
		if (!ksm_secrets_set_app(s, ksm_jv_str(o, "appName"),
					 ksm_jv_str(o, "appType")) ||
		    !ksm_secrets_set_warnings(s, warn))
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		json_object_put(warn);
	}
	ksm_jdoc_free(doc);
	if (st != KSM_OK)
		ksm_secrets_free(s);
	else
		*out = s;
	return st;
}
