/* SPDX-License-Identifier: MIT */
/*
 * json.c - bounded JSON parsing and the small json-c helpers the protocol
 * client and the record model share.
 */
#include "json.h"

#include <string.h>

/* Deep enough for every record type (passkey nests 3 levels) and for the
 * get_secret envelope; shallow enough that hostile input cannot hurt. */
#define KSM_JSON_MAX_DEPTH 64
/* Texts other than whole answers (those have max_response_size). */
#define KSM_JSON_MAX_LEN (64u << 20)
/* json-c takes an int length: bigger texts go in pieces of this size. */
#define KSM_JSON_CHUNK ((size_t)1 << 30)

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The tokener's scratch buffer holds copies of every string it parsed
 * (secrets included). json-c 0.16/0.17 still expose the struct, so wipe it
 * before freeing; newer versions may hide it, then we cannot.
 */
static void tokener_free_wiped(struct json_tokener *tok)
{
	if (!tok)
		return;
#if JSON_C_MAJOR_VERSION == 0 && JSON_C_MINOR_VERSION <= 17
	if (tok->pb && tok->pb->buf && tok->pb->size > 0)
		ksm_wipe(tok->pb->buf, (size_t)tok->pb->size);
#endif
	json_tokener_free(tok);
}

/* Feed text to tok in pieces json-c's int length can hold; *end: where
 * the value ended (an offset into text). */
static json_object *parse_pieces(struct json_tokener *tok, const char *text,
				 size_t len, size_t *end)
{
	json_object *obj = NULL;
	size_t at = 0;

	do {
		size_t n =
			len - at < KSM_JSON_CHUNK ? len - at : KSM_JSON_CHUNK;

		obj = json_tokener_parse_ex(tok, text + at, (int)n);
		*end = at + json_tokener_get_parse_end(tok);
		at += n;
	} while (!obj && json_tokener_get_error(tok) == json_tokener_continue &&
		 at < len);
	return obj;
}

ksm_status ksm_json_parse(const char *text, size_t len, json_object **out,
			  ksm_error *err)
{
	return ksm_json_parse_max(text, len, KSM_JSON_MAX_LEN, out, err);
}

ksm_status ksm_json_parse_max(const char *text, size_t len, size_t max,
			      json_object **out, ksm_error *err)
{
	struct json_tokener *tok = NULL;
	json_object *obj = NULL;
	enum json_tokener_error jerr;
	ksm_status st = KSM_OK;
	size_t end;

	if (out)
		*out = NULL;
	if (!text || !out)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "JSON parse: no input");
	if (len > max)
		return ksm_set_error(
			err, KSM_ERR_INVALID,
			"JSON text too large (%zu bytes, limit %zu)", len, max);
	if (memchr(text, '\0', len))
		return ksm_set_error(
			err, KSM_ERR_INVALID,
			"JSON text contains a NUL byte at offset %zu",
			(size_t)((const char *)memchr(text, '\0', len) - text));

	tok = json_tokener_new_ex(KSM_JSON_MAX_DEPTH);
	if (!tok)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	obj = parse_pieces(tok, text, len, &end);
	jerr = json_tokener_get_error(tok);
	if (!obj && jerr == json_tokener_continue && end == len) {
		/* A bare number needs to see the end of the input. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (!obj) {
		if (jerr == json_tokener_continue)
			st = ksm_set_error(err, KSM_ERR_INVALID,
					   "malformed JSON: text ends early "
					   "(%zu bytes)",
					   len);
		else
			st = ksm_set_error(err, KSM_ERR_INVALID,
					   "malformed JSON near offset %zu: %s",
					   end, json_tokener_error_desc(jerr));
		goto out;
	}
	/* The real server pads record plaintext with spaces: allow only
	 * whitespace after the value. */
	for (; end < len; end++) {
		if (!is_json_space(text[end])) {
			st = ksm_set_error(err, KSM_ERR_INVALID,
					   "malformed JSON: unexpected data "
					   "after the value at offset %zu",
					   end);
			goto out;
		}
	}
	*out = obj;
	obj = NULL;
out:
	json_object_put(obj);
	tokener_free_wiped(tok);
	return st;
}

const char *ksm_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !key || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void ksm_json_shrink(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			ksm_json_shrink(json_object_array_get_idx(o, i));
		(void)json_object_array_shrink(o, 0);
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			ksm_json_shrink(v);
		}
		break;
	}
	default:
		break;
	}
}

void ksm_json_wipe(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		ksm_wipe((char *)json_object_get_string(o),
			 (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			ksm_json_wipe(json_object_array_get_idx(o, i));
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			ksm_json_wipe(v);
		}
		break;
	}
	default:
		break;
	}
}

bool ksm_json_add_str(json_object *o, const char *key, const char *val)
{
	json_object *v = json_object_new_string(val);

	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

char *ksm_json_dup(json_object *v)
{
	const char *s;
	char *copy;

	if (!v)
		return ksm_strdup("null");
	s = json_object_to_json_string_ext(v, KSM_JSON_FLAGS);
	if (!s)
		return NULL;
	copy = ksm_strdup(s);
	/* json-c renders into a buffer owned by v: wipe that copy. */
	ksm_wipe((char *)s, strlen(s));
	return copy;
}

char *ksm_json_text(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		return ksm_strndup(json_object_get_string(v),
				   (size_t)json_object_get_string_len(v));
	return ksm_json_dup(v);
}
