/* SPDX-License-Identifier: MIT */
/*
 * record.c - the record model: bounded JSON parsing, record shape checks,
 * and the public record, field and file accessors of ksm.h.
 *
 * A ksm_field is the field's own object node inside the record's compact
 * data (jval.h); the public type is opaque and only ever cast back here.
 */
#include "record.h"
#include "links.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One record may not be big. */
#define KSM_RECORD_MAX_LEN (1u << 20)

/* -------------------------------------------------------- record parsing */

static ksm_status check_field(const ksm_jv *f, const char *section, size_t i,
			      ksm_error *err)
{
	const ksm_jv *v;

	if (!ksm_jv_is(f, KSM_JV_OBJ))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] is not an object", section,
				     i);
	if (!ksm_jv_str(f, "type"))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] has no string \"type\"",
				     section, i);
	if (!ksm_jv_is(ksm_jv_get(f, "value"), KSM_JV_ARR))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] \"value\" is not an array",
				     section, i);
	v = ksm_jv_get(f, "label");
	if (v && !ksm_jv_is(v, KSM_JV_NULL) && !ksm_jv_is(v, KSM_JV_STR))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] \"label\" is not a string",
				     section, i);
	return KSM_OK;
}

/* "fields"/"custom": absent or null (treated as empty, as Python does), or
 * an array of field objects. */
static ksm_status check_section(const ksm_jv *data, const char *key,
				ksm_error *err)
{
	const ksm_jv *arr = ksm_jv_get(data, key);
	ksm_status st;

	if (!arr || ksm_jv_is(arr, KSM_JV_NULL))
		return KSM_OK;
	if (!ksm_jv_is(arr, KSM_JV_ARR))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record \"%s\" is not an array", key);
	for (size_t i = 0; i < arr->len; i++) {
		st = check_field(ksm_jv_at(arr, i), key, i, err);
		if (st != KSM_OK)
			return st;
	}
	return KSM_OK;
}

static ksm_status check_record(const ksm_jv *data, ksm_error *err)
{
	static const char *const strs[] = {"type", "title", "notes"};
	const ksm_jv *v;
	ksm_status st;

	if (!ksm_jv_is(data, KSM_JV_OBJ))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record data is not a JSON object");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = ksm_jv_get(data, strs[i]);
		if (v && !ksm_jv_is(v, KSM_JV_NULL) &&
		    !ksm_jv_is(v, KSM_JV_STR))
			return ksm_set_error(err, KSM_ERR_PROTOCOL,
					     "record \"%s\" is not a string",
					     strs[i]);
	}
	st = check_section(data, "fields", err);
	if (st == KSM_OK)
		st = check_section(data, "custom", err);
	return st;
}

/* Check data and make it r's (taken, also on failure). */
static ksm_status record_take(const char *uid, ksm_jdoc *data, ksm_record **out,
			      ksm_error *err)
{
	ksm_record *r = NULL;
	ksm_status st = check_record(ksm_jdoc_root(data), err);

	if (st != KSM_OK) {
		if (err) {
			err->code = st;
			ksm_error_prefix(err, "record %s", uid ? uid : "?");
		}
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->uid = ksm_strdup(uid ? uid : ""))) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	r->data = data;
	data = NULL;
	*out = r;
	r = NULL;
out:
	ksm_jdoc_free(data);
	ksm_record_free(r);
	return st;
}

ksm_status ksm_record_parse(const char *uid, const char *json, size_t len,
			    ksm_record **out, ksm_error *err)
{
	ksm_jdoc *data = NULL;
	ksm_status st;

	if (out)
		*out = NULL;
	if (!json || !out)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "record parse: no input");
	if (len > KSM_RECORD_MAX_LEN)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s: data too large (%zu bytes, "
				     "limit %u)",
				     uid ? uid : "?", len, KSM_RECORD_MAX_LEN);
	st = ksm_jdoc_parse(json, len, &data, err);
	if (st == KSM_ERR_INVALID)
		st = KSM_ERR_PROTOCOL;
	if (st != KSM_OK) {
		if (err) {
			err->code = st;
			ksm_error_prefix(err, "record %s", uid ? uid : "?");
		}
		return st;
	}
	return record_take(uid, data, out, err);
}

ksm_status ksm_record_from_jsonc(const char *uid, json_object *o,
				 ksm_record **out, ksm_error *err)
{
	ksm_jdoc *data = NULL;

	*out = NULL;
	if (ksm_jdoc_from_jsonc(o, &data) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	return record_take(uid, data, out, err);
}

bool ksm_record_uid_valid(const char *uid)
{
	size_t n = strlen(uid);

	return n > 0 && n <= 64 &&
	       strspn(uid,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") == n;
}

void ksm_file_clear(struct ksm_file *f)
{
	if (!f)
		return;
	free(f->uid);
	free(f->name);
	free(f->title);
	free(f->mime_type);
	/* Download URLs are bearer capabilities: wipe them too. */
	ksm_free_secret(f->url);
	ksm_free_secret(f->thumbnail_url);
	ksm_wipe(f, sizeof(*f));
}

void ksm_record_free(ksm_record *r)
{
	if (!r)
		return;
	free(r->uid);
	free(r->folder_uid);
	free(r->inner_folder_uid);
	ksm_jdoc_free(r->data);
	for (size_t i = 0; i < r->n_files; i++)
		ksm_file_clear(&r->files[i]);
	free(r->files);
	ksm_links_free(r->links, r->n_links);
	ksm_wipe(r, sizeof(*r));
	free(r);
}

/* ------------------------------------------------------ record accessors */

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

const char *ksm_record_uid(const ksm_record *r)
{
	return r ? str_or_empty(r->uid) : "";
}

static const ksm_jv *data_root(const ksm_record *r)
{
	return r ? ksm_jdoc_root(r->data) : NULL;
}

const char *ksm_record_title(const ksm_record *r)
{
	return str_or_empty(ksm_jv_str(data_root(r), "title"));
}

const char *ksm_record_type(const ksm_record *r)
{
	return str_or_empty(ksm_jv_str(data_root(r), "type"));
}

const char *ksm_record_notes(const ksm_record *r)
{
	return str_or_empty(ksm_jv_str(data_root(r), "notes"));
}

bool ksm_record_has_nul(const ksm_record *r)
{
	return ksm_jv_has_nul(data_root(r));
}

int64_t ksm_record_revision(const ksm_record *r)
{
	return r ? r->revision : 0;
}

bool ksm_record_is_editable(const ksm_record *r)
{
	return r && r->editable;
}

const char *ksm_record_folder_uid(const ksm_record *r)
{
	return r ? r->folder_uid : NULL;
}

const char *ksm_record_inner_folder_uid(const ksm_record *r)
{
	return r ? r->inner_folder_uid : NULL;
}

/* The "fields" (KSM_FIELDS) or "custom" (KSM_CUSTOM) array, or NULL. */
static ksm_jv *section_array(const ksm_record *r, ksm_section which)
{
	ksm_jv *arr = ksm_jv_get(data_root(r),
				 which == KSM_CUSTOM ? "custom" : "fields");

	return ksm_jv_is(arr, KSM_JV_ARR) ? arr : NULL;
}

static size_t section_len(const ksm_record *r, ksm_section which)
{
	return ksm_jv_count(section_array(r, which));
}

size_t ksm_record_field_count(const ksm_record *r, ksm_section where)
{
	size_t n = 0;

	if (where & KSM_FIELDS)
		n += section_len(r, KSM_FIELDS);
	if (where & KSM_CUSTOM)
		n += section_len(r, KSM_CUSTOM);
	return n;
}

const ksm_field *ksm_record_field_at(const ksm_record *r, ksm_section where,
				     size_t i)
{
	size_t nf;

	if (where & KSM_FIELDS) {
		nf = section_len(r, KSM_FIELDS);
		if (i < nf)
			return (const ksm_field *)ksm_jv_at(
				section_array(r, KSM_FIELDS), i);
		i -= nf;
	}
	if (where & KSM_CUSTOM)
		return (const ksm_field *)ksm_jv_at(
			section_array(r, KSM_CUSTOM), i);
	return NULL;
}

static const ksm_jv *field_obj(const ksm_field *f)
{
	return (const ksm_jv *)f;
}

/* Exact (case-sensitive) match on type or label, as notation does. */
static bool field_matches(const ksm_field *f, const char *name)
{
	const char *type = ksm_jv_str(field_obj(f), "type");
	const char *label = ksm_jv_str(field_obj(f), "label");

	return (type && strcmp(type, name) == 0) ||
	       (label && strcmp(label, name) == 0);
}

ksm_status ksm_record_find_field(const ksm_record *r, ksm_section where,
				 const char *name, const ksm_field **out)
{
	const ksm_field *found = NULL, *f;
	size_t i, n;

	if (out)
		*out = NULL;
	if (!r || !name || !out || !(where & KSM_ANY))
		return KSM_ERR_INVALID;
	n = ksm_record_field_count(r, where);
	for (i = 0; i < n; i++) {
		f = ksm_record_field_at(r, where, i);
		if (!field_matches(f, name))
			continue;
		if (found)
			return KSM_ERR_AMBIGUOUS;
		found = f;
	}
	if (!found)
		return KSM_ERR_NOT_FOUND;
	*out = found;
	return KSM_OK;
}

char *ksm_record_first_value(const ksm_record *r, const char *name)
{
	size_t i, n;
	const ksm_field *f;

	if (!r || !name)
		return NULL;
	n = ksm_record_field_count(r, KSM_ANY);
	for (i = 0; i < n; i++) {
		f = ksm_record_field_at(r, KSM_ANY, i);
		if (field_matches(f, name))
			return ksm_field_value_text(f, 0);
	}
	return NULL;
}

/* ------------------------------------------------------- field accessors */

const char *ksm_field_type(const ksm_field *f)
{
	return str_or_empty(ksm_jv_str(field_obj(f), "type"));
}

const char *ksm_field_label(const ksm_field *f)
{
	return ksm_jv_str(field_obj(f), "label");
}

static ksm_jv *field_values(const ksm_field *f)
{
	ksm_jv *arr = ksm_jv_get(field_obj(f), "value");

	return ksm_jv_is(arr, KSM_JV_ARR) ? arr : NULL;
}

size_t ksm_field_value_count(const ksm_field *f)
{
	return ksm_jv_count(field_values(f));
}

char *ksm_field_value_text(const ksm_field *f, size_t i)
{
	const ksm_jv *v = ksm_jv_at(field_values(f), i);

	return v ? ksm_jv_text(v) : NULL;
}

char *ksm_field_value_json(const ksm_field *f, size_t i)
{
	const ksm_jv *v = ksm_jv_at(field_values(f), i);

	return v ? ksm_jv_dup(v) : NULL;
}

char *ksm_field_values_json(const ksm_field *f)
{
	const ksm_jv *v = ksm_jv_get(field_obj(f), "value");

	return v ? ksm_jv_dup(v) : NULL;
}

char *ksm_field_value_property(const ksm_field *f, size_t i, const char *prop)
{
	const ksm_jv *v = ksm_jv_at(field_values(f), i), *p;

	if (!prop || !ksm_jv_is(v, KSM_JV_OBJ) || !(p = ksm_jv_get(v, prop)))
		return NULL;
	return ksm_jv_text(p);
}

ksm_status ksm_record_set_value(ksm_record *r, ksm_section where,
				const char *name, const char *value,
				ksm_error *err)
{
	const ksm_field *f;
	ksm_jv *arr;
	ksm_status st;
	bool ok;

	if (!r || !name || !value)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "set value: missing argument");
	st = ksm_record_find_field(r, where, name, &f);
	if (st == KSM_ERR_NOT_FOUND)
		return ksm_set_error(err, st, "record %s has no field '%s'",
				     ksm_record_uid(r), name);
	if (st == KSM_ERR_AMBIGUOUS)
		return ksm_set_error(err, st,
				     "record %s has several fields '%s'",
				     ksm_record_uid(r), name);
	if (st != KSM_OK)
		return ksm_set_error(err, st, "set value: bad arguments");
	/* A parsed record's fields all have a "value" array. */
	arr = field_values(f);
	if (!arr)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "record %s: field '%s' has no value array",
				     ksm_record_uid(r), name);
	/* set_str wipes the old value. */
	ok = arr->len ? ksm_jdoc_set_str(r->data, &arr->u.v[0], value)
		      : ksm_jdoc_append_str(r->data, arr, value);
	return ok ? KSM_OK : ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

char *ksm_record_data_json(const ksm_record *r)
{
	const ksm_jv *d = data_root(r);

	return d ? ksm_jv_dup(d) : NULL;
}

/* ------------------------------------------------------- file accessors */

size_t ksm_record_file_count(const ksm_record *r)
{
	return r ? r->n_files : 0;
}

const ksm_file *ksm_record_file_at(const ksm_record *r, size_t i)
{
	return r && i < r->n_files ? &r->files[i] : NULL;
}

const char *ksm_file_uid(const ksm_file *f)
{
	return f ? str_or_empty(f->uid) : "";
}

const char *ksm_file_name(const ksm_file *f)
{
	return f ? str_or_empty(f->name) : "";
}

const char *ksm_file_title(const ksm_file *f)
{
	return f ? str_or_empty(f->title) : "";
}

const char *ksm_file_mime_type(const ksm_file *f)
{
	return f ? str_or_empty(f->mime_type) : "";
}

int64_t ksm_file_size(const ksm_file *f)
{
	return f ? f->size : 0;
}
