/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_template.c - finding the notations of an interpolate template
 * and making the text once their values are known (ksmctl_template.h).
 *
 *   bare:    keeper://NOTATION[:-DEFAULT][|TRANSFORM...]
 *   braced:  ${keeper://NOTATION[:-DEFAULT][|TRANSFORM...]}
 *
 * Where NOTATION ends is libksm's (ksm_notation_scan); a bare default ends
 * as a bare notation does, except at ':' (so "http://localhost:3000"
 * works); a braced one at '}' or '|' ("\}", "\|" and "\\" stand for the
 * character). Lines whose first non-blank character is '#' are comments,
 * left alone, as Keeper's interpolate does.
 */
#include "ksmctl_template.h"

#include "base.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PREFIX	   "keeper://"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* How much of a notation an error message quotes. */
#define QUOTE_MAX 120

static const char *const xform_names[] = {
	[KSMCTL_XF_BASE64] = "base64",
	[KSMCTL_XF_BASE64URL] = "base64url",
	[KSMCTL_XF_URLENCODE] = "urlencode",
	[KSMCTL_XF_URLENCODEPLUS] = "urlencodeplus",
	[KSMCTL_XF_UPPER] = "upper",
	[KSMCTL_XF_LOWER] = "lower",
	[KSMCTL_XF_TRIM] = "trim",
	[KSMCTL_XF_SHA256] = "sha256",
	[KSMCTL_XF_MD5] = "md5",
};
#define N_XFORMS (sizeof(xform_names) / sizeof(xform_names[0]))

const char *ksmctl_xform_name(enum ksmctl_xform xf)
{
	return (size_t)xf < N_XFORMS ? xform_names[xf] : "?";
}

/* ------------------------------------------------------------- parsing */

static bool at_prefix(const char *s, size_t n, size_t i)
{
	return n - i >= PREFIX_LEN &&
	       strncasecmp(s + i, PREFIX, PREFIX_LEN) == 0;
}

/* Up to QUOTE_MAX printable characters of s[0..n) for a message. */
static void quote(char out[QUOTE_MAX + 1], const char *s, size_t n)
{
	char raw[QUOTE_MAX + 1];

	n = n > QUOTE_MAX ? QUOTE_MAX : n;
	memcpy(raw, s, n);
	raw[n] = '\0';
	ksm_text_sanitize(out, QUOTE_MAX + 1, raw, NULL);
}

static ksm_status bad_as(ksm_error *err, ksm_status code, size_t line,
			 const char *what, const char *s, size_t n)
{
	char q[QUOTE_MAX + 1];

	quote(q, s, n);
	return ksm_set_error(err, code, "line %zu: %s: %s", line, q, what);
}

static ksm_status bad(ksm_error *err, size_t line, const char *what,
		      const char *s, size_t n)
{
	return bad_as(err, KSM_ERR_NOTATION, line, what, s, n);
}

/* The default after ":-", from s[*at]; *at moves past it. */
static ksm_status read_default(const char *s, size_t n, size_t *at, bool braced,
			       struct ksmctl_tpl_ref *r, ksm_error *err)
{
	size_t i = *at, k = 0;

	r->def = malloc(n - i + 1);
	if (!r->def)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	r->has_default = true;
	while (i < n) {
		char ch = s[i];

		if (braced) {
			if (ch == '}' || ch == '|' || ch == '\n' ||
			    ch == '\r' || ch == '\0')
				break;
			if (ch == '\\' && i + 1 < n && s[i + 1] &&
			    strchr("}|\\", s[i + 1]))
				ch = s[++i];
		} else if (ch != ':' && strchr(KSM_NOTATION_BARE_STOPS, ch)) {
			break;
		}
		r->def[k++] = ch;
		i++;
	}
	r->def[k] = '\0';
	r->def_len = k;
	*at = i;
	return KSM_OK;
}

/* "|name" transforms from s[*at]; *at moves past them. */
static ksm_status read_xforms(const char *s, size_t n, size_t *at, size_t line,
			      struct ksmctl_tpl_ref *r, ksm_error *err)
{
	size_t i = *at;

	while (i < n && s[i] == '|') {
		size_t start = ++i, x;

		while (i < n && ((s[i] >= 'a' && s[i] <= 'z') ||
				 (s[i] >= '0' && s[i] <= '9')))
			i++;
		for (x = 0; x < N_XFORMS; x++)
			if (strlen(xform_names[x]) == i - start &&
			    !strncmp(s + start, xform_names[x], i - start))
				break;
		if (x == N_XFORMS)
			return bad(err, line,
				   "unknown transform (known: base64, "
				   "base64url, urlencode, urlencodeplus, "
				   "upper, lower, trim, sha256, md5)",
				   s + start - 1, i - start + 1);
		if (r->n_xf == KSMCTL_XFORMS_MAX)
			return bad(err, line, "too many transforms",
				   s + start - 1, i - start + 1);
		r->xf[r->n_xf++] = (enum ksmctl_xform)x;
	}
	*at = i;
	return KSM_OK;
}

static void ref_clear(struct ksmctl_tpl_ref *r)
{
	free(r->notation);
	ksm_notation_clear(&r->parsed);
	free(r->def);
	memset(r, 0, sizeof(*r));
}

/* The reference that starts at s[start] ("${" when braced); *next gets
 * where the text goes on. */
static ksm_status take_ref(const char *s, size_t n, size_t start, size_t line,
			   bool braced, struct ksmctl_tpl_ref *r, size_t *next,
			   ksm_error *err)
{
	size_t p = braced ? start + 2 : start, used = 0, q;
	ksm_error nerr = {0};
	ksm_status st;

	memset(r, 0, sizeof(*r));
	r->start = start;
	r->line = line;
	st = ksm_notation_scan(s + p, n - p,
			       braced ? KSM_SCAN_BRACED : KSM_SCAN_BARE,
			       &r->parsed, &used, &nerr);
	if (st != KSM_OK) {
		size_t end = p + PREFIX_LEN;

		if (st == KSM_ERR_NOMEM)
			return ksm_set_error(err, st, "out of memory");
		/* Quote up to where the notation would have ended. */
		while (end < n &&
		       !strchr(braced ? "}\n" : KSM_NOTATION_BARE_STOPS,
			       s[end]))
			end++;
		return bad(err, line, nerr.message, s + p, end - p);
	}
	r->notation = ksm_strndup(s + p, used);
	if (!r->notation)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	q = p + used;
	if (n - q >= 2 && s[q] == ':' && s[q + 1] == '-') {
		q += 2;
		st = read_default(s, n, &q, braced, r, err);
		if (st != KSM_OK)
			return st;
	}
	st = read_xforms(s, n, &q, line, r, err);
	if (st != KSM_OK)
		return st;
	if (braced) {
		if (q >= n || s[q] != '}')
			return bad(err, line,
				   "'${' without its '}' on the same line",
				   s + start, q - start);
		q++;
	}
	r->end = q;
	*next = q;
	return KSM_OK;
}

static ksm_status push_ref(struct ksmctl_tpl *t, struct ksmctl_tpl_ref *r,
			   size_t *cap, ksm_error *err)
{
	if (t->n_refs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct ksmctl_tpl_ref *nr =
			realloc(t->refs, ncap * sizeof(*nr));

		if (!nr)
			return ksm_set_error(err, KSM_ERR_NOMEM,
					     "out of memory");
		t->refs = nr;
		*cap = ncap;
	}
	t->refs[t->n_refs++] = *r;
	memset(r, 0, sizeof(*r));
	return KSM_OK;
}

ksm_status ksmctl_tpl_parse(const char *text, size_t len, struct ksmctl_tpl *t,
			    ksm_error *err)
{
	struct ksmctl_tpl_ref r = {0};
	size_t i = 0, line = 1, cap = 0;
	bool line_start = true;
	ksm_status st = KSM_OK;

	memset(t, 0, sizeof(*t));
	while (i < len && st == KSM_OK) {
		if (line_start) {
			size_t j = i;

			line_start = false;
			while (j < len && (text[j] == ' ' || text[j] == '\t'))
				j++;
			if (j < len && text[j] == '#') {
				while (i < len && text[i] != '\n')
					i++;
				continue;
			}
		}
		if (text[i] == '\n') {
			line++;
			line_start = true;
			i++;
		} else if (text[i] == '$' && len - i > 2 &&
			   text[i + 1] == '{' && at_prefix(text, len, i + 2)) {
			st = take_ref(text, len, i, line, true, &r, &i, err);
			if (st == KSM_OK)
				st = push_ref(t, &r, &cap, err);
		} else if (at_prefix(text, len, i)) {
			st = take_ref(text, len, i, line, false, &r, &i, err);
			if (st == KSM_OK)
				st = push_ref(t, &r, &cap, err);
		} else {
			i++;
		}
	}
	ref_clear(&r);
	if (st != KSM_OK)
		ksmctl_tpl_free(t);
	return st;
}

void ksmctl_tpl_free(struct ksmctl_tpl *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_refs; i++)
		ref_clear(&t->refs[i]);
	free(t->refs);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------- transforms */

static ksm_status nomem(ksm_error *err)
{
	return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

static char *url_encode(const char *in, size_t len, bool plus, size_t *n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(len * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-' || ch == '~' || (ch == '/' && !plus)) {
			*o++ = (char)ch;
		} else if (ch == ' ' && plus) {
			*o++ = '+';
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	*n = (size_t)(o - out);
	return out;
}

static char *digest_hex(const char *in, size_t len, const EVP_MD *md, size_t *n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char *out;

	if (!md || EVP_Digest(in, len, d, &dlen, md, NULL) != 1)
		return NULL;
	out = malloc(dlen * 2 + 1);
	for (unsigned i = 0; out && i < dlen; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	if (out) {
		out[dlen * 2] = '\0';
		*n = dlen * 2;
	}
	ksm_wipe(d, sizeof(d));
	return out;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	       ch == '\v' || ch == '\f';
}

ksm_status ksmctl_xform_apply(enum ksmctl_xform xf, const char *in, size_t len,
			      char **out, size_t *out_len, ksm_error *err)
{
	size_t n = 0, a = 0;
	char *o = NULL;

	*out = NULL;
	*out_len = 0;
	switch (xf) {
	case KSMCTL_XF_BASE64:
	case KSMCTL_XF_BASE64URL:
		o = ksm_b64_encode((const uint8_t *)in, len,
				   xf == KSMCTL_XF_BASE64URL);
		n = o ? strlen(o) : 0;
		break;
	case KSMCTL_XF_URLENCODE:
	case KSMCTL_XF_URLENCODEPLUS:
		o = url_encode(in, len, xf == KSMCTL_XF_URLENCODEPLUS, &n);
		break;
	case KSMCTL_XF_UPPER:
	case KSMCTL_XF_LOWER:
		o = malloc(len + 1);
		for (size_t i = 0; o && i < len; i++) {
			char ch = in[i];

			if (xf == KSMCTL_XF_UPPER && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			else if (xf == KSMCTL_XF_LOWER && ch >= 'A' &&
				 ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			o[i] = ch;
		}
		if (o)
			o[len] = '\0';
		n = len;
		break;
	case KSMCTL_XF_TRIM:
		while (a < len && is_blank(in[a]))
			a++;
		n = len;
		while (n > a && is_blank(in[n - 1]))
			n--;
		n -= a;
		o = ksm_strndup(in + a, n);
		break;
	case KSMCTL_XF_SHA256:
	case KSMCTL_XF_MD5:
		o = digest_hex(
			in, len,
			xf == KSMCTL_XF_SHA256 ? EVP_sha256() : EVP_md5(), &n);
		if (!o)
			return ksm_set_error(err, KSM_ERR_CRYPTO,
					     "transform %s failed",
					     ksmctl_xform_name(xf));
		break;
	default:
		return ksm_set_error(err, KSM_ERR_INVALID, "no such transform");
	}
	if (!o)
		return nomem(err);
	*out = o;
	*out_len = n;
	return KSM_OK;
}

/* ------------------------------------------------------------ rendering */

/* A growing secret buffer: a move wipes what it leaves behind. */
struct buf {
	char *p;
	size_t len, cap;
};

static bool buf_add(struct buf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX - b->len - 1)
		return false;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
		p = malloc(cap);
		if (!p)
			return false;
		if (b->p) {
			memcpy(p, b->p, b->len);
			ksm_free_wiped(b->p, b->cap);
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

enum ksmctl_tpl_pick ksmctl_tpl_pick(const struct ksmctl_tpl_ref *r,
				     const struct ksmctl_tpl_value *v)
{
	if (!v->data && (v->fatal || !r->has_default))
		return KSMCTL_PICK_NONE;
	/* As the shell's ${VAR:-default}: missing or empty. */
	if (r->has_default && (!v->data || !v->len))
		return KSMCTL_PICK_DEFAULT;
	return KSMCTL_PICK_VALUE;
}

/* The value of r (or its default), transformed, appended to b. */
static ksm_status add_value(struct buf *b, const char *text,
			    const struct ksmctl_tpl_ref *r,
			    const struct ksmctl_tpl_value *v, ksm_error *err)
{
	enum ksmctl_tpl_pick pick = ksmctl_tpl_pick(r, v);
	const char *data = v->data;
	size_t len = v->len;
	char *cur = NULL;
	ksm_status st = KSM_OK;

	if (pick == KSMCTL_PICK_NONE)
		return bad_as(err, v->code ? v->code : KSM_ERR_NOT_FOUND,
			      r->line, v->why ? v->why : "no value",
			      text + r->start, r->end - r->start);
	if (pick == KSMCTL_PICK_DEFAULT) {
		data = r->def;
		len = r->def_len;
	}
	for (size_t i = 0; i < r->n_xf && st == KSM_OK; i++) {
		char *next = NULL;
		size_t nlen = 0;

		st = ksmctl_xform_apply(r->xf[i], data, len, &next, &nlen, err);
		if (cur)
			ksm_free_wiped(cur, len);
		cur = next;
		data = next;
		len = nlen;
	}
	if (st == KSM_OK && !buf_add(b, data, len))
		st = nomem(err);
	if (cur)
		ksm_free_wiped(cur, len);
	return st;
}

ksm_status ksmctl_tpl_render(const char *text, size_t len,
			     const struct ksmctl_tpl *t,
			     const struct ksmctl_tpl_value *values, char **out,
			     size_t *out_len, ksm_error *err)
{
	struct buf b = {0};
	size_t pos = 0;
	ksm_status st = KSM_OK;

	*out = NULL;
	*out_len = 0;
	for (size_t i = 0; i < t->n_refs && st == KSM_OK; i++) {
		const struct ksmctl_tpl_ref *r = &t->refs[i];

		if (!buf_add(&b, text + pos, r->start - pos))
			st = nomem(err);
		else
			st = add_value(&b, text, r, &values[i], err);
		pos = r->end;
	}
	if (st == KSM_OK && !buf_add(&b, text + pos, len - pos))
		st = nomem(err);
	if (st != KSM_OK) {
		if (b.p)
			ksm_free_wiped(b.p, b.cap);
		return st;
	}
	*out = b.p;
	*out_len = b.len;
	return KSM_OK;
}
