/* SPDX-License-Identifier: MIT */
/*
 * notation.c - Keeper notation: parsing and selection within one record.
 *
 *   [keeper://]RECORD/SELECTOR[/PARAM][INDEX1][INDEX2]
 *
 * Same acceptance as the official SDKs' parser (docs/protocol.md §14.1),
 * with two deliberate differences: an empty PARAM ("UID/field/[0]") is
 * refused as missing, and "\\" right before a closing ']' is a plain
 * escaped backslash (the SDKs refuse it by accident). Resolution against
 * the server (ksm_notation_resolve*) lives with the client code.
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOTATION_PREFIX	    "keeper://"
#define NOTATION_PREFIX_LEN (sizeof(NOTATION_PREFIX) - 1)

/* Cursor over the notation text; err is where parse errors go. */
struct cursor {
	const char *s;
	size_t n, pos;
	ksm_error *err;
};

static ksm_status syntax(struct cursor *c, const char *what)
{
	return ksm_set_error(c->err, KSM_ERR_NOTATION,
			     "notation: %s at position %zu", what, c->pos);
}

static bool is_escapable(char ch)
{
	return ch == '/' || ch == '[' || ch == ']' || ch == '\\';
}

/*
 * Append one character to *buf (sized for the whole text, so it never
 * overflows) handling "\x" escapes. Returns false on a bad escape.
 */
static ksm_status take_char(struct cursor *c, char *buf, size_t *len)
{
	char ch = c->s[c->pos];

	if (ch != '\\') {
		buf[(*len)++] = ch;
		c->pos++;
		return KSM_OK;
	}
	if (c->pos + 1 >= c->n)
		return syntax(c, "incomplete escape sequence '\\' at the end");
	if (!is_escapable(c->s[c->pos + 1]))
		return ksm_set_error(c->err, KSM_ERR_NOTATION,
				     "notation: invalid escape sequence at "
				     "position %zu (only \\/ \\[ \\] \\\\ are "
				     "allowed)",
				     c->pos);
	buf[(*len)++] = c->s[c->pos + 1];
	c->pos += 2;
	return KSM_OK;
}

/*
 * Read escaped text up to (not including) an unescaped stop character or
 * the end; *stopped tells whether a stop character was seen.
 */
static ksm_status read_text(struct cursor *c, char stop, char **out,
			    bool *stopped)
{
	char *buf = malloc(c->n - c->pos + 1);
	size_t len = 0;
	ksm_status st = KSM_OK;

	*out = NULL;
	*stopped = false;
	if (!buf)
		return ksm_set_error(c->err, KSM_ERR_NOMEM, "out of memory");
	while (c->pos < c->n) {
		if (c->s[c->pos] == stop) {
			*stopped = true;
			break;
		}
		st = take_char(c, buf, &len);
		if (st != KSM_OK) {
			free(buf);
			return st;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return KSM_OK;
}

/* "[...]" at the cursor: escapes allowed, no unescaped '[' inside. */
static ksm_status read_index(struct cursor *c, char **out)
{
	size_t start = c->pos, len = 0;
	char *buf;
	ksm_status st = KSM_OK;

	*out = NULL;
	if (c->s[c->pos] != '[')
		return syntax(c, "expected '[' (an index)");
	buf = malloc(c->n - c->pos + 1);
	if (!buf)
		return ksm_set_error(c->err, KSM_ERR_NOMEM, "out of memory");
	c->pos++;
	for (;;) {
		if (c->pos >= c->n) {
			c->pos = start;
			st = syntax(c, "index not closed with ']'");
			goto out;
		}
		if (c->s[c->pos] == ']') {
			c->pos++;
			break;
		}
		if (c->s[c->pos] == '[') {
			st = syntax(c,
				    "'[' inside an index (escape it as \\[)");
			goto out;
		}
		st = take_char(c, buf, &len);
		if (st != KSM_OK)
			goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	free(buf);
	return st;
}

struct selector_name {
	const char *name;
	ksm_selector sel;
};

static const struct selector_name selectors[] = {
	{"type", KSM_SEL_TYPE},	  {"title", KSM_SEL_TITLE},
	{"notes", KSM_SEL_NOTES}, {"file", KSM_SEL_FILE},
	{"field", KSM_SEL_FIELD}, {"custom_field", KSM_SEL_CUSTOM_FIELD},
};

/* Selector name up to '/' or the end (no escapes), case-insensitive. */
static ksm_status read_selector(struct cursor *c, ksm_selector *sel)
{
	size_t start = c->pos, len;

	while (c->pos < c->n && c->s[c->pos] != '/')
		c->pos++;
	len = c->pos - start;
	for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]); i++) {
		if (strlen(selectors[i].name) == len &&
		    strncasecmp(c->s + start, selectors[i].name, len) == 0) {
			*sel = selectors[i].sel;
			return KSM_OK;
		}
	}
	return ksm_set_error(c->err, KSM_ERR_NOTATION,
			     "notation: unknown selector '%.*s' at position "
			     "%zu; expected type, title, notes, field, "
			     "custom_field or file",
			     (int)(len > 32 ? 32 : len), c->s + start, start);
}

/* "", or decimal digits that fit a size_t. */
static ksm_status parse_index1(struct cursor *c, size_t at, const char *tok,
			       ksm_notation *out)
{
	size_t v = 0;

	out->has_index1 = true;
	if (!*tok) {
		out->index1_all = true;
		return KSM_OK;
	}
	for (const char *p = tok; *p; p++) {
		if (*p < '0' || *p > '9') {
			c->pos = at;
			return syntax(c, "first index must be a number or "
					 "empty: [n] or []");
		}
		if (v > (SIZE_MAX - 9) / 10) {
			c->pos = at;
			return syntax(c, "index too large");
		}
		v = v * 10 + (size_t)(*p - '0');
	}
	out->index1 = v;
	return KSM_OK;
}

/* PARAM[INDEX1][INDEX2] of field/custom_field, cursor after "field/". */
static ksm_status parse_field_param(struct cursor *c, ksm_notation *out)
{
	char *idx = NULL;
	size_t at;
	bool stopped;
	ksm_status st;

	st = read_text(c, '[', &out->param, &stopped);
	if (st != KSM_OK)
		return st;
	if (!*out->param)
		return syntax(c, "field selector needs a field type or label");
	if (!stopped)
		return KSM_OK;
	at = c->pos;
	st = read_index(c, &idx);
	if (st == KSM_OK)
		st = parse_index1(c, at, idx, out);
	free(idx);
	if (st != KSM_OK || c->pos >= c->n)
		return st;
	if (c->s[c->pos] != '[')
		return syntax(c, "unexpected text after the first index");
	st = read_index(c, &out->index2);
	if (st != KSM_OK)
		return st;
	/* "[n][]" means the whole value, like no property at all. */
	if (!*out->index2) {
		free(out->index2);
		out->index2 = NULL;
	}
	if (c->pos < c->n)
		return syntax(c, "extra characters after the last index");
	return KSM_OK;
}

static ksm_status parse_plain(const char *s, size_t n, ksm_notation *out,
			      ksm_error *err)
{
	struct cursor c = {.s = s, .n = n, .pos = 0, .err = err};
	bool stopped;
	ksm_status st;

	if (n >= NOTATION_PREFIX_LEN &&
	    strncasecmp(s, NOTATION_PREFIX, NOTATION_PREFIX_LEN) == 0)
		c.pos = NOTATION_PREFIX_LEN;
	if (c.pos >= n)
		return syntax(&c, "missing record UID or title");
	st = read_text(&c, '/', &out->record, &stopped);
	if (st != KSM_OK)
		return st;
	if (!stopped)
		return syntax(&c, "missing '/' and selector after the record");
	c.pos++;
	if (c.pos >= n)
		return syntax(&c, "missing selector");
	st = read_selector(&c, &out->selector);
	if (st != KSM_OK)
		return st;

	switch (out->selector) {
	case KSM_SEL_TYPE:
	case KSM_SEL_TITLE:
	case KSM_SEL_NOTES:
		/* A lone trailing '/' is tolerated, as in the SDKs. */
		if (c.pos + 1 < n) {
			c.pos++;
			return syntax(&c, "selectors type, title and notes "
					  "take no parameter");
		}
		return KSM_OK;
	case KSM_SEL_FILE:
		if (c.pos >= n)
			return syntax(&c, "file selector needs a file name");
		c.pos++;
		st = read_text(&c, '[', &out->param, &stopped);
		if (st != KSM_OK)
			return st;
		if (!*out->param)
			return syntax(&c, "file selector needs a file name");
		if (stopped)
			return syntax(&c, "file selector takes no index "
					  "(escape '[' in names as \\[)");
		return KSM_OK;
	case KSM_SEL_FIELD:
	case KSM_SEL_CUSTOM_FIELD:
		if (c.pos >= n)
			return syntax(&c, "field selector needs a field type "
					  "or label");
		c.pos++;
		return parse_field_param(&c, out);
	}
	return syntax(&c, "internal error: selector");
}

/* Minimal UTF-8 well-formedness check (no overlongs, no surrogates). */
static bool valid_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = p[i];
		size_t k;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			k = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			k = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 2 &&
		     (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += k + 1;
	}
	return true;
}

ksm_status ksm_notation_parse(const char *text, ksm_notation *out,
			      ksm_error *err)
{
	uint8_t *dec = NULL;
	size_t len;
	ksm_status st;

	if (!out)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "notation: no output");
	memset(out, 0, sizeof(*out));
	if (!text || !*text)
		return ksm_set_error(err, KSM_ERR_NOTATION,
				     "notation: empty notation");
	/* '/' is not in the base64url alphabet: no '/' means encoded. */
	if (!strchr(text, '/')) {
		st = ksm_b64_decode(text, strlen(text), &dec, &len);
		if (st == KSM_ERR_NOMEM)
			return ksm_set_error(err, st, "out of memory");
		if (st != KSM_OK || len == 0 || memchr(dec, '\0', len) ||
		    !valid_utf8(dec, len)) {
			st = ksm_set_error(err, KSM_ERR_NOTATION,
					   "notation: neither a keeper:// URI "
					   "nor base64url of one");
			goto out;
		}
		st = parse_plain((const char *)dec, len, out, err);
	} else {
		st = parse_plain(text, strlen(text), out, err);
	}
out:
	if (dec)
		ksm_free_wiped(dec, len);
	if (st != KSM_OK)
		ksm_notation_clear(out);
	return st;
}

/*
 * Where a notation written inside other text ends (templates, command
 * arguments): an escape ("\\x") never ends it, and the form says what does.
 * Bare: whitespace and the characters below (Keeper's interpolate stops at
 * most of them too: quotes, '#', ':', '|', '@'). Braced ("${keeper://...}"):
 * '}', '|', ":-" and the end of the line. A NUL byte ends both.
 */
static bool ends_notation(const char *s, size_t n, size_t i, ksm_scan_form form)
{
	char ch = s[i];

	if (ch == '\0')
		return true;
	if (form == KSM_SCAN_BRACED)
		return ch == '}' || ch == '|' || ch == '\n' || ch == '\r' ||
		       (ch == ':' && i + 1 < n && s[i + 1] == '-');
	return strchr(KSM_NOTATION_BARE_STOPS, ch) != NULL;
}

ksm_status ksm_notation_scan(const char *text, size_t len, ksm_scan_form form,
			     ksm_notation *out, size_t *used, ksm_error *err)
{
	size_t i = NOTATION_PREFIX_LEN;
	ksm_status st;

	if (used)
		*used = 0;
	if (!out || !used || !text)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "notation: no output");
	memset(out, 0, sizeof(*out));
	if (len < NOTATION_PREFIX_LEN ||
	    strncasecmp(text, NOTATION_PREFIX, NOTATION_PREFIX_LEN) != 0)
		return ksm_set_error(err, KSM_ERR_NOTATION,
				     "notation: does not start with keeper://");
	while (i < len && !ends_notation(text, len, i, form))
		i += text[i] == '\\' && i + 1 < len &&
				     !ends_notation(text, len, i + 1, form)
			     ? 2
			     : 1;
	st = parse_plain(text, i, out, err);
	if (st != KSM_OK) {
		ksm_notation_clear(out);
		return st;
	}
	*used = i;
	return KSM_OK;
}

void ksm_notation_clear(ksm_notation *n)
{
	if (!n)
		return;
	free(n->record);
	free(n->param);
	free(n->index2);
	memset(n, 0, sizeof(*n));
}

bool ksm_notation_record_is_uid(const ksm_notation *n)
{
	const char *p;
	size_t len = 0;

	if (!n || !n->record)
		return false;
	for (p = n->record; *p; p++, len++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	}
	return len == 22;
}

/* ------------------------------------------------------------ selection */

/* A growing list of secret strings. */
struct strv {
	char **v;
	size_t n;
};

static ksm_status strv_push(struct strv *sv, char *s, ksm_error *err)
{
	if (!s)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (!ksm_strv_push(&sv->v, &sv->n, s)) {
		ksm_free_secret(s);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	return KSM_OK;
}

static ksm_status select_meta(const ksm_notation *n, const ksm_record *r,
			      struct strv *sv, ksm_error *err)
{
	const char *key = n->selector == KSM_SEL_TYPE	 ? "type"
			  : n->selector == KSM_SEL_TITLE ? "title"
							 : "notes";
	const char *v = ksm_jv_str(ksm_jdoc_root(r->data), key);

	/* Absent means no value (the SDKs return an empty list too). */
	if (!v)
		return KSM_OK;
	return strv_push(sv, ksm_strdup(v), err);
}

/* The one field of the section whose type or label equals the param. */
static ksm_status find_unique_field(const ksm_notation *n, const ksm_record *r,
				    const ksm_field **f, ksm_error *err)
{
	ksm_section where =
		n->selector == KSM_SEL_FIELD ? KSM_FIELDS : KSM_CUSTOM;
	const char *sec = where == KSM_FIELDS ? "field" : "custom_field";
	ksm_status st = ksm_record_find_field(r, where, n->param, f);

	if (st == KSM_ERR_NOT_FOUND)
		return ksm_set_error(err, st,
				     "notation: record %s has no %s '%s'",
				     ksm_record_uid(r), sec, n->param);
	if (st == KSM_ERR_AMBIGUOUS)
		return ksm_set_error(err, st,
				     "notation: record %s has several %ss "
				     "matching '%s'",
				     ksm_record_uid(r), sec, n->param);
	if (st != KSM_OK)
		return ksm_set_error(err, st, "notation: bad arguments");
	return KSM_OK;
}

static ksm_status select_field(const ksm_notation *n, const ksm_record *r,
			       struct strv *sv, ksm_error *err)
{
	const ksm_field *f;
	size_t i, first = 0, last, count;
	ksm_status st;

	if (!n->param)
		return ksm_set_error(err, KSM_ERR_NOTATION,
				     "notation: field selector without a "
				     "field type or label");
	st = find_unique_field(n, r, &f, err);
	if (st != KSM_OK)
		return st;
	count = ksm_field_value_count(f);
	last = count;
	if (n->has_index1 && !n->index1_all) {
		if (n->index1 >= count)
			return ksm_set_error(err, KSM_ERR_NOT_FOUND,
					     "notation: field index out of "
					     "bounds: %zu >= %zu for field "
					     "'%s'",
					     n->index1, count, n->param);
		first = n->index1;
		last = first + 1;
	}
	for (i = first; i < last; i++) {
		char *v;

		if (!n->index2) {
			st = strv_push(sv, ksm_field_value_text(f, i), err);
			if (st != KSM_OK)
				return st;
			continue;
		}
		/* Values without that property are skipped, not an error:
		 * e.g. name[][middle] where some names have no middle. */
		v = ksm_field_value_property(f, i, n->index2);
		if (v) {
			st = strv_push(sv, v, err);
			if (st != KSM_OK)
				return st;
		}
	}
	return KSM_OK;
}

ksm_status ksm_notation_select(const ksm_notation *n, const ksm_record *r,
			       char ***values, size_t *count, ksm_error *err)
{
	struct strv sv = {NULL, 0};
	ksm_status st;

	if (values)
		*values = NULL;
	if (count)
		*count = 0;
	if (!n || !r || !values || !count)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "notation select: missing argument");
	switch (n->selector) {
	case KSM_SEL_TYPE:
	case KSM_SEL_TITLE:
	case KSM_SEL_NOTES:
		st = select_meta(n, r, &sv, err);
		break;
	case KSM_SEL_FIELD:
	case KSM_SEL_CUSTOM_FIELD:
		st = select_field(n, r, &sv, err);
		break;
	case KSM_SEL_FILE:
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "notation select: file selectors need "
				   "ksm_notation_find_file and a download");
		break;
	default:
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "notation select: bad selector");
		break;
	}
	if (st != KSM_OK) {
		ksm_strv_free(sv.v, sv.n);
		return st;
	}
	*values = sv.v;
	*count = sv.n;
	return KSM_OK;
}

static bool file_matches(const ksm_file *f, const char *want)
{
	return (f->name && strcmp(f->name, want) == 0) ||
	       (f->title && strcmp(f->title, want) == 0) ||
	       (f->uid && strcmp(f->uid, want) == 0);
}

ksm_status ksm_notation_find_file(const ksm_notation *n, const ksm_record *r,
				  const ksm_file **out, ksm_error *err)
{
	const ksm_file *found = NULL;

	if (out)
		*out = NULL;
	if (!n || !r || !out || n->selector != KSM_SEL_FILE || !n->param)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "notation: not a file notation");
	if (r->n_files == 0)
		return ksm_set_error(err, KSM_ERR_NOT_FOUND,
				     "notation: record %s has no file "
				     "attachments",
				     ksm_record_uid(r));
	for (size_t i = 0; i < r->n_files; i++) {
		if (!file_matches(&r->files[i], n->param))
			continue;
		if (found)
			return ksm_set_error(err, KSM_ERR_AMBIGUOUS,
					     "notation: record %s has several "
					     "files matching '%s'",
					     ksm_record_uid(r), n->param);
		found = &r->files[i];
	}
	if (!found)
		return ksm_set_error(err, KSM_ERR_NOT_FOUND,
				     "notation: record %s has no file matching "
				     "'%s'",
				     ksm_record_uid(r), n->param);
	*out = found;
	return KSM_OK;
}
