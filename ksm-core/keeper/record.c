/* SPDX-License-Identifier: MIT */
/*
 * record.c - the record model: bounded JSON parsing, record shape checks,
 * and the public record, field and file accessors of ksm.h.
 *
 * A ksm_field is the field's own json_object inside the record data; the
 * public type is opaque and only ever cast back here and in notation.c.
 */
#include "record.h"
#include "links.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One record may not be big. */
#define KSM_RECORD_MAX_LEN (1u << 20)

/* -------------------------------------------------------- record parsing */

static ksm_status check_field(json_object *f, const char *section, size_t i,
			      ksm_error *err)
{
	json_object *v;

	if (!json_object_is_type(f, json_type_object))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] is not an object", section,
				     i);
	if (!ksm_json_str(f, "type"))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] has no string \"type\"",
				     section, i);
	if (!json_object_object_get_ex(f, "value", &v) ||
	    !json_object_is_type(v, json_type_array))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] \"value\" is not an array",
				     section, i);
	if (json_object_object_get_ex(f, "label", &v) && v &&
	    !json_object_is_type(v, json_type_string))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record %s[%zu] \"label\" is not a string",
				     section, i);
	return KSM_OK;
}

/* "fields"/"custom": absent or null (treated as empty, as Python does), or
 * an array of field objects. */
static ksm_status check_section(json_object *data, const char *key,
				ksm_error *err)
{
	json_object *arr;
	size_t i, n;
	ksm_status st;

	if (!json_object_object_get_ex(data, key, &arr) || !arr)
		return KSM_OK;
	if (!json_object_is_type(arr, json_type_array))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record \"%s\" is not an array", key);
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		st = check_field(json_object_array_get_idx(arr, i), key, i,
				 err);
		if (st != KSM_OK)
			return st;
	}
	return KSM_OK;
}

static ksm_status check_record(json_object *data, ksm_error *err)
{
	static const char *const strs[] = {"type", "title", "notes"};
	json_object *v;
	ksm_status st;

	if (!json_object_is_type(data, json_type_object))
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "record data is not a JSON object");
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (json_object_object_get_ex(data, strs[i], &v) && v &&
		    !json_object_is_type(v, json_type_string))
			return ksm_set_error(err, KSM_ERR_PROTOCOL,
					     "record \"%s\" is not a string",
					     strs[i]);
	}
	st = check_section(data, "fields", err);
	if (st == KSM_OK)
		st = check_section(data, "custom", err);
	return st;
}

ksm_status ksm_record_parse(const char *uid, const char *json, size_t len,
			    ksm_record **out, ksm_error *err)
{
	ksm_record *r = NULL;
	json_object *data = NULL;
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
	st = ksm_json_parse(json, len, &data, err);
	if (st == KSM_ERR_INVALID)
		st = KSM_ERR_PROTOCOL;
	if (st == KSM_OK)
		st = check_record(data, err);
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
	ksm_json_shrink(data);
	r->data = data;
	data = NULL;
	*out = r;
	r = NULL;
out:
	if (data) {
		ksm_json_wipe(data);
		json_object_put(data);
	}
	ksm_record_free(r);
	return st;
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
	if (r->data) {
		ksm_json_wipe(r->data);
		json_object_put(r->data);
	}
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

const char *ksm_record_title(const ksm_record *r)
{
	return r ? str_or_empty(ksm_json_str(r->data, "title")) : "";
}

const char *ksm_record_type(const ksm_record *r)
{
	return r ? str_or_empty(ksm_json_str(r->data, "type")) : "";
}

const char *ksm_record_notes(const ksm_record *r)
{
	return r ? str_or_empty(ksm_json_str(r->data, "notes")) : "";
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
static json_object *section_array(const ksm_record *r, ksm_section which)
{
	json_object *arr;
	const char *key = which == KSM_CUSTOM ? "custom" : "fields";

	if (!r || !r->data || !json_object_object_get_ex(r->data, key, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	return arr;
}

static size_t section_len(const ksm_record *r, ksm_section which)
{
	json_object *arr = section_array(r, which);

	return arr ? json_object_array_length(arr) : 0;
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
			return (const ksm_field *)json_object_array_get_idx(
				section_array(r, KSM_FIELDS), i);
		i -= nf;
	}
	if ((where & KSM_CUSTOM) && i < section_len(r, KSM_CUSTOM))
		return (const ksm_field *)json_object_array_get_idx(
			section_array(r, KSM_CUSTOM), i);
	return NULL;
}

static json_object *field_obj(const ksm_field *f)
{
	return (json_object *)f;
}

/* Exact (case-sensitive) match on type or label, as notation does. */
static bool field_matches(const ksm_field *f, const char *name)
{
	const char *type = ksm_json_str(field_obj(f), "type");
	const char *label = ksm_json_str(field_obj(f), "label");

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
	return str_or_empty(ksm_json_str(field_obj(f), "type"));
}

const char *ksm_field_label(const ksm_field *f)
{
	return ksm_json_str(field_obj(f), "label");
}

static json_object *field_values(const ksm_field *f)
{
	json_object *arr;

	if (!f || !json_object_object_get_ex(field_obj(f), "value", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return NULL;
	return arr;
}

size_t ksm_field_value_count(const ksm_field *f)
{
	json_object *arr = field_values(f);

	return arr ? json_object_array_length(arr) : 0;
}

char *ksm_field_value_text(const ksm_field *f, size_t i)
{
	json_object *arr = field_values(f);

	if (!arr || i >= json_object_array_length(arr))
		return NULL;
	return ksm_json_text(json_object_array_get_idx(arr, i));
}

char *ksm_field_value_json(const ksm_field *f, size_t i)
{
	json_object *arr = field_values(f);

	if (!arr || i >= json_object_array_length(arr))
		return NULL;
	return ksm_json_dup(json_object_array_get_idx(arr, i));
}

char *ksm_field_value_property(const ksm_field *f, size_t i, const char *prop)
{
	json_object *arr = field_values(f), *v, *p;

	if (!arr || !prop || i >= json_object_array_length(arr))
		return NULL;
	v = json_object_array_get_idx(arr, i);
	if (!json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, prop, &p))
		return NULL;
	return ksm_json_text(p);
}

ksm_status ksm_record_set_value(ksm_record *r, ksm_section where,
				const char *name, const char *value,
				ksm_error *err)
{
	const ksm_field *f;
	json_object *arr, *nv, *old;
	ksm_status st;

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

	arr = field_values(f);
	if (!arr) {
		arr = json_object_new_array();
		if (!arr || json_object_object_add(field_obj(f), "value", arr))
			goto nomem;
	}
	nv = json_object_new_string(value);
	if (!nv)
		goto nomem;
	if (json_object_array_length(arr) == 0) {
		if (json_object_array_add(arr, nv)) {
			json_object_put(nv);
			goto nomem;
		}
		return KSM_OK;
	}
	/* put_idx frees the old value: wipe it first. */
	old = json_object_array_get_idx(arr, 0);
	ksm_json_wipe(old);
	if (json_object_array_put_idx(arr, 0, nv)) {
		json_object_put(nv);
		goto nomem;
	}
	return KSM_OK;
nomem:
	return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

char *ksm_record_data_json(const ksm_record *r)
{
	if (!r || !r->data)
		return NULL;
	return ksm_json_dup(r->data);
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
