/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_template.h - the templates of "ksmctl interpolate": where their
 * Keeper notations are, with their defaults and transforms, and the text
 * they make once the values are known (ksmctl(8), "Templates").
 *
 * A template is outside data (anyone who can write it): the parser is
 * fuzzed (tests/fuzz/fuzz_template.c). Notations themselves are parsed by
 * libksm (ksm_notation_scan); this file only finds where they are and
 * what follows them.
 */
#ifndef KSMCTL_TEMPLATE_H
#define KSMCTL_TEMPLATE_H

#include "ksm.h"

#include <stdbool.h>
#include <stddef.h>

/* Transforms, applied left to right after "|". */
enum ksmctl_xform {
	KSMCTL_XF_BASE64,	 /* standard alphabet, padded */
	KSMCTL_XF_BASE64URL,	 /* URL alphabet, unpadded */
	KSMCTL_XF_URLENCODE,	 /* %XX but A-Z a-z 0-9 _ . - ~ / */
	KSMCTL_XF_URLENCODEPLUS, /* the same, '/' too, space as '+' */
	KSMCTL_XF_UPPER,	 /* ASCII letters */
	KSMCTL_XF_LOWER,
	KSMCTL_XF_TRIM,	  /* ASCII whitespace at both ends */
	KSMCTL_XF_SHA256, /* lower-case hex digest */
	KSMCTL_XF_MD5,
};
#define KSMCTL_XFORMS_MAX 8

struct ksmctl_tpl_ref {
	size_t start, end; /* the bytes of the template it stands for */
	size_t line;	   /* 1-based */
	char *notation;	   /* as written, "keeper://..." (not secret) */
	ksm_notation parsed;
	bool has_default;
	char *def; /* the default, unescaped (":-" and nothing: "") */
	size_t def_len;
	enum ksmctl_xform xf[KSMCTL_XFORMS_MAX];
	size_t n_xf;
};

struct ksmctl_tpl {
	struct ksmctl_tpl_ref *refs; /* in the order of the text */
	size_t n_refs;
};

/*
 * Find every notation of text: "keeper://..." (bare) and
 * "${keeper://...}" (braced), each with an optional ":-DEFAULT" and
 * "|TRANSFORM"s; lines whose first non-blank character is '#' are left
 * alone. Fails (KSM_ERR_NOTATION, err naming the line) at the first
 * "keeper://" that is not a notation of that form.
 */
ksm_status ksmctl_tpl_parse(const char *text, size_t len, struct ksmctl_tpl *t,
			    ksm_error *err);
void ksmctl_tpl_free(struct ksmctl_tpl *t);

/* What the vault gave for one reference. */
struct ksmctl_tpl_value {
	const char *data; /* NULL: nothing (why says what) */
	size_t len;
	const char *why; /* with data NULL: the reason, for the error */
	ksm_status code; /* with data NULL: its status (0: not found) */
	bool fatal;	 /* with data NULL: no default may stand in */
};

/* What a reference becomes: its value, its default, or an error. */
enum ksmctl_tpl_pick {
	KSMCTL_PICK_VALUE,
	KSMCTL_PICK_DEFAULT,
	KSMCTL_PICK_NONE
};
enum ksmctl_tpl_pick ksmctl_tpl_pick(const struct ksmctl_tpl_ref *r,
				     const struct ksmctl_tpl_value *v);

/*
 * The text with each reference replaced: its value, or its default when
 * the value is missing (not fatal) or empty, then its transforms. The
 * first reference with neither fails the whole text (err names its line
 * and notation). *out is secret (wipe it); NUL-terminated, *len without.
 */
ksm_status ksmctl_tpl_render(const char *text, size_t len,
			     const struct ksmctl_tpl *t,
			     const struct ksmctl_tpl_value *values, char **out,
			     size_t *out_len, ksm_error *err);

/* One transform (*out secret, NUL-terminated, *out_len without). */
ksm_status ksmctl_xform_apply(enum ksmctl_xform xf, const char *in, size_t len,
			      char **out, size_t *out_len, ksm_error *err);
const char *ksmctl_xform_name(enum ksmctl_xform xf);

#endif
