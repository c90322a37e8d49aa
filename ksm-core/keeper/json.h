/* SPDX-License-Identifier: MIT */
/*
 * json.h - bounded JSON parsing and json-c helpers (internal).
 */
#ifndef KSM_JSON_H
#define KSM_JSON_H

#include "base.h"

#include <json-c/json.h>

/* Compact output, and no "\/" for "/" (JSON.stringify never escapes it). */
#define KSM_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/*
 * Parse a JSON text of at most KSM_JSON_MAX_LEN bytes, refusing deep
 * nesting, NUL bytes and anything but whitespace after the value.
 */
KSM_HIDDEN ksm_status ksm_json_parse(const char *text, size_t len,
				     json_object **out, ksm_error *err);
/* The same with a cap of max bytes (SIZE_MAX: a text the caller bounded
 * already, such as an answer under max_response_size). */
KSM_HIDDEN ksm_status ksm_json_parse_max(const char *text, size_t len,
					 size_t max, json_object **out,
					 ksm_error *err);
/* Shrink every array of the tree to its length (json-c gives each room
 * for 32): a record's tree is kept for as long as the record. */
KSM_HIDDEN void ksm_json_shrink(json_object *o);
/* String member or NULL (also when not a string). */
KSM_HIDDEN const char *ksm_json_str(json_object *o, const char *key);
/* Add a string member; false on ENOMEM. */
KSM_HIDDEN bool ksm_json_add_str(json_object *o, const char *key,
				 const char *val);
/* Compact JSON of v ("null" for NULL) as a new secret string. */
KSM_HIDDEN char *ksm_json_dup(json_object *v);
/* Strings as they are, anything else as compact JSON. Secret. */
KSM_HIDDEN char *ksm_json_text(json_object *v);
/* Overwrite every string value in the tree (before freeing secrets). */
KSM_HIDDEN void ksm_json_wipe(json_object *o);

#endif
