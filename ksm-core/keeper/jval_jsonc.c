/* SPDX-License-Identifier: MIT */
/*
 * jval_jsonc.c - a json-c tree as a compact document (jval.h): how tests
 * and fuzzers that build records as json-c objects (any bytes in their
 * strings) make them.
 */
#include "json.h"
#include "jval.h"

#include <stdio.h>
#include <string.h>

static bool add(struct ksm_jbuild *b, json_object *o, unsigned depth)
{
	size_t mark = b->n;
	const char *s;

	if (depth > KSM_JV_MAX_DEPTH)
		return false;
	switch (json_object_get_type(o)) {
	case json_type_null:
		return ksm_jbuild_scalar(b, KSM_JV_NULL, NULL, 0);
	case json_type_boolean:
		return ksm_jbuild_scalar(
			b,
			json_object_get_boolean(o) ? KSM_JV_TRUE : KSM_JV_FALSE,
			NULL, 0);
	case json_type_int:
	case json_type_double:
		s = json_object_to_json_string_ext(o, KSM_JSON_FLAGS);
		return s && ksm_jbuild_scalar(b, KSM_JV_NUM, s, strlen(s));
	case json_type_string:
		return ksm_jbuild_scalar(b, KSM_JV_STR,
					 json_object_get_string(o),
					 (size_t)json_object_get_string_len(o));
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (!add(b, json_object_array_get_idx(o, i), depth + 1))
				return false;
		return ksm_jbuild_close(b, mark, KSM_JV_ARR);
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			if (!ksm_jbuild_scalar(b, KSM_JV_STR, k, strlen(k)) ||
			    !add(b, v, depth + 1))
				return false;
		}
		return ksm_jbuild_close(b, mark, KSM_JV_OBJ);
	}
	}
	return false;
}

ksm_status ksm_jdoc_from_jsonc(struct json_object *o, ksm_jdoc **out)
{
	struct ksm_jbuild b;

	ksm_jbuild_init(&b, 0);
	if (!add(&b, o, 0)) {
		ksm_jbuild_clear(&b);
		*out = NULL;
		return KSM_ERR_NOMEM;
	}
	return ksm_jbuild_finish(&b, out);
}
