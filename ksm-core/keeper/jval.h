/* SPDX-License-Identifier: MIT */
/*
 * jval.h - compact JSON values (internal): how a record's decrypted data
 * is held (docs/design.md, "Records in memory").
 *
 * A document is one allocation: a header, the nodes (16 bytes each) and
 * the strings they point to. A container's children are contiguous, an
 * object's as key, value, key, value; its keys are unique (a repeated key
 * keeps its first place and its last value, as json-c and JavaScript do).
 * Strings keep their length (a JSON "\u0000" inside a value stays) and a
 * NUL after it; keys end at a NUL (json-c's keys are C strings). Numbers
 * keep the text they were written as. Documents are secret: freeing wipes.
 *
 * The parser (jval_parse.c) takes RFC 8259 JSON with json-c's leniencies
 * that the previous json-c parse had (raw control characters in strings,
 * lone UTF-16 surrogates as U+FFFD, json-c's UTF-8 check) and refuses the
 * rest with "malformed JSON near offset N: what". The serializer writes
 * what json-c's compact form (KSM_JSON_FLAGS) writes for the same value.
 */
#ifndef KSM_JVAL_H
#define KSM_JVAL_H

#include "base.h"

/* A value inside this many containers is refused (json-c's depth 64 in
 * json.c: 64 nested empty arrays pass, a value in them does not). */
#define KSM_JV_MAX_DEPTH 64

enum ksm_jtype {
	KSM_JV_NULL,
	KSM_JV_FALSE,
	KSM_JV_TRUE,
	KSM_JV_NUM,
	KSM_JV_STR,
	KSM_JV_ARR,
	KSM_JV_OBJ,
};

typedef struct ksm_jv {
	uint32_t type; /* enum ksm_jtype */
	/* STR: bytes (without the NUL); NUM: bytes of its text; ARR: items;
	 * OBJ: members. */
	uint32_t len;
	union {
		char *s;	  /* STR, NUM: NUL-terminated */
		struct ksm_jv *v; /* ARR: len items; OBJ: 2 * len nodes */
		size_t off;	  /* while building */
	} u;
} ksm_jv;

typedef struct ksm_jdoc ksm_jdoc;

/*
 * Parse a JSON text of len bytes (whitespace after the value allowed, as
 * the server pads records). KSM_ERR_INVALID with the offset and reason on
 * bad input, KSM_ERR_NOMEM.
 */
KSM_HIDDEN ksm_status ksm_jdoc_parse(const char *text, size_t len,
				     ksm_jdoc **out, ksm_error *err);
/* Wipe and free (NULL is fine). */
KSM_HIDDEN void ksm_jdoc_free(ksm_jdoc *d);
KSM_HIDDEN const ksm_jv *ksm_jdoc_root(const ksm_jdoc *d);
/* Bytes the document holds (the allocation and its replaced values). */
KSM_HIDDEN size_t ksm_jdoc_size(const ksm_jdoc *d);
/*
 * Make the string s the value at slot (a node of d; a container there is
 * wiped and left out). The string is copied into an allocation d keeps.
 */
KSM_HIDDEN bool ksm_jdoc_set_str(ksm_jdoc *d, ksm_jv *slot, const char *s);
/* Append the string s to the array arr of d (a new item block). */
KSM_HIDDEN bool ksm_jdoc_append_str(ksm_jdoc *d, ksm_jv *arr, const char *s);

/* Member key of an object (NULL if v is not an object or has none). */
KSM_HIDDEN ksm_jv *ksm_jv_get(const ksm_jv *v, const char *key);
/* String member or NULL (also when not a string). */
KSM_HIDDEN const char *ksm_jv_str(const ksm_jv *v, const char *key);
KSM_HIDDEN bool ksm_jv_is(const ksm_jv *v, enum ksm_jtype t);
/* Items of an array (0 for anything else), and item i (NULL past it). */
KSM_HIDDEN size_t ksm_jv_count(const ksm_jv *v);
KSM_HIDDEN ksm_jv *ksm_jv_at(const ksm_jv *v, size_t i);
/* Does any string value (not key) hold a NUL byte? */
KSM_HIDDEN bool ksm_jv_has_nul(const ksm_jv *v);

/* Compact JSON of v ("null" for NULL) as a new secret string. */
KSM_HIDDEN char *ksm_jv_dup(const ksm_jv *v);
/* Strings as they are, anything else as compact JSON. Secret. */
KSM_HIDDEN char *ksm_jv_text(const ksm_jv *v);
/*
 * Append v's compact JSON to *buf (*len bytes used of *cap, grown by
 * doubling; a buffer given up is wiped first). false on ENOMEM (the
 * buffer is then wiped and freed).
 */
KSM_HIDDEN bool ksm_jv_write(const ksm_jv *v, char **buf, size_t *len,
			     size_t *cap);
/* Append n bytes of s as a JSON string literal, escaped as json-c does. */
KSM_HIDDEN bool ksm_jv_write_str(const char *s, size_t n, char **buf,
				 size_t *len, size_t *cap);
/* Append n raw bytes. */
KSM_HIDDEN bool ksm_jv_write_raw(const char *s, size_t n, char **buf,
				 size_t *len, size_t *cap);

/* A json-c tree as a document (jval_jsonc.c; tests and fuzzers). */
struct json_object;
KSM_HIDDEN ksm_status ksm_jdoc_from_jsonc(struct json_object *o,
					  ksm_jdoc **out);

/* ---------------------------------------------------------------- build */

/* Builds a document value by value (jval_parse.c; jval_jsonc.c converts
 * json-c trees with it). Scratch memory is wiped when given up. */
struct ksm_jbuild {
	ksm_jv *stk; /* open values, children of the open containers */
	size_t n, cap;
	ksm_jv *nodes; /* closed containers' children */
	size_t nn, ncap;
	char *str; /* string and number bytes */
	size_t sn, scap;
	bool nomem;
};

/* str_hint: string bytes to reserve (the parser's text length + 1). */
KSM_HIDDEN void ksm_jbuild_init(struct ksm_jbuild *b, size_t str_hint);
KSM_HIDDEN void ksm_jbuild_clear(struct ksm_jbuild *b);
/* A scalar: type NULL/FALSE/TRUE (s NULL), NUM or STR (n bytes of s). */
KSM_HIDDEN bool ksm_jbuild_scalar(struct ksm_jbuild *b, enum ksm_jtype t,
				  const char *s, size_t n);
/* Close the container whose children start at stack index mark. */
KSM_HIDDEN bool ksm_jbuild_close(struct ksm_jbuild *b, size_t mark,
				 enum ksm_jtype t);
/* The one value built, as a document (the builder is cleared). */
KSM_HIDDEN ksm_status ksm_jbuild_finish(struct ksm_jbuild *b, ksm_jdoc **out);
/* Room for n more string bytes at b->str + b->sn. */
KSM_HIDDEN bool ksm_jbuild_reserve(struct ksm_jbuild *b, size_t n);
/* Push a node whose string (u.off, len) is already in b->str. */
KSM_HIDDEN bool ksm_jbuild_push(struct ksm_jbuild *b, ksm_jv v);

#endif
