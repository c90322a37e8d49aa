/* SPDX-License-Identifier: MIT */
/*
 * jval_parse.c - the JSON parser of compact values (jval.h): decrypted
 * record data, outside input. One pass, recursion bounded by
 * KSM_JV_MAX_DEPTH, strings decoded straight into the document's string
 * bytes. Fuzzed against json-c by tests/fuzz/fuzz_jval.c.
 *
 * What it takes, and where it parts from json-c 0.16 in strict mode:
 *   - RFC 8259 values; whitespace is space, tab, LF and CR;
 *   - as json-c: raw control characters inside strings, a lone UTF-16
 *     surrogate escape read as U+FFFD, json-c's UTF-8 check (a lead byte
 *     and the right number of continuation bytes), keys cut at a NUL;
 *   - unlike json-c: numbers outside RFC 8259 ("1.", "-01", NaN,
 *     Infinity) are refused ("bad number", "bad literal"); JSON.stringify
 *     never writes them. An escaped surrogate pair is always its
 *     character (json-c 0.16 makes those of U+1D800-1DFFF, U+2D800-...
 *     U+FFFD), as JavaScript reads it.
 */
#include "jval.h"

#include <string.h>

struct jp {
	const unsigned char *start, *p, *end;
	struct ksm_jbuild b;
	const char *why; /* the first error */
	size_t at;
};

static bool fail(struct jp *j, const unsigned char *at, const char *why)
{
	if (!j->why) {
		j->why = why;
		j->at = (size_t)(at - j->start);
	}
	return false;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' ||
				 *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* The 4 hex digits at p (p + 4 <= end checked), or -1. */
static long hex4(const unsigned char *p)
{
	int a = ksm_hex_value(p[0]), b = ksm_hex_value(p[1]),
	    c = ksm_hex_value(p[2]), d = ksm_hex_value(p[3]);

	if ((a | b | c | d) < 0)
		return -1;
	return (long)a << 12 | (long)b << 8 | (long)c << 4 | (long)d;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* "\uXXXX" at p (after the backslash and u), surrogate pairs joined; *p
 * moved past what was read. The code point, or -1. */
static long unicode_escape(struct jp *j, const unsigned char **pp)
{
	const unsigned char *p = *pp;
	long cp, lo;

	if (j->end - p < 4 || (cp = hex4(p)) < 0)
		return -1;
	p += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		cp = 0xfffd; /* a low surrogate alone */
	} else if (cp >= 0xd800 && cp <= 0xdbff) {
		if (j->end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
		    (lo = hex4(p + 2)) >= 0xdc00 && lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			p += 6;
		} else {
			cp = 0xfffd; /* the next escape is read on its own */
		}
	}
	*pp = p;
	return cp;
}

/* Continuation bytes json-c wants after lead byte c: 1-3, or -1. */
static int utf8_tail(unsigned char c)
{
	if ((c & 0xe0) == 0xc0)
		return 1;
	if ((c & 0xf0) == 0xe0)
		return 2;
	if ((c & 0xf8) == 0xf0)
		return 3;
	return -1;
}

static bool parse_string(struct jp *j, bool key)
{
	const unsigned char *p = j->p + 1, *end = j->end;
	size_t o;
	char *out;

	/* Decoded, a string is never longer than its text. */
	if (!ksm_jbuild_reserve(&j->b, (size_t)(end - p) + 1))
		return false;
	out = j->b.str;
	o = j->b.sn;
	for (;;) {
		const unsigned char *q = p;

		while (q < end && *q != '"' && *q != '\\' && *q < 0x80)
			q++;
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
		p = q;
		if (p == end)
			return fail(j, p, "text ends early");
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			int t = utf8_tail(*p);

			if (t < 0 || end - p <= t)
				return fail(j, p, "invalid UTF-8");
			for (int i = 1; i <= t; i++)
				if ((p[i] & 0xc0) != 0x80)
					return fail(j, p + i, "invalid UTF-8");
			memcpy(out + o, p, (size_t)t + 1);
			o += (size_t)t + 1;
			p += t + 1;
			continue;
		}
		/* A backslash. */
		if (end - p < 2)
			return fail(j, p, "text ends early");
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			out[o++] = (char)p[1];
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u': {
			const unsigned char *u = p + 2;
			long cp = unicode_escape(j, &u);

			if (cp < 0)
				return fail(j, p, "invalid \\u escape");
			o += put_utf8(out + o, (unsigned long)cp);
			p = u;
			continue;
		}
		default:
			return fail(j, p, "invalid escape");
		}
		p += 2;
	}
	out[o] = '\0';
	{
		size_t n = o - j->b.sn;
		ksm_jv v = {.type = KSM_JV_STR, .u.off = j->b.sn};

		if (key) /* json-c's keys are C strings */
			n = strlen(out + j->b.sn);
		if (n > UINT32_MAX)
			return fail(j, j->p, "string too long");
		v.len = (uint32_t)n;
		j->b.sn = o + 1;
		j->p = p + 1;
		return ksm_jbuild_push(&j->b, v);
	}
}

static bool digits(struct jp *j, const unsigned char **pp)
{
	const unsigned char *p = *pp;

	if (p == j->end || *p < '0' || *p > '9')
		return false;
	while (p < j->end && *p >= '0' && *p <= '9')
		p++;
	*pp = p;
	return true;
}

static bool parse_number(struct jp *j)
{
	const unsigned char *s = j->p, *p = s;

	if (*p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++;
	else if (!digits(j, &p))
		return fail(j, s, "bad number");
	if (p < j->end && *p == '.') {
		p++;
		if (!digits(j, &p))
			return fail(j, s, "bad number");
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (!digits(j, &p))
			return fail(j, s, "bad number");
	}
	/* "01", "1.", "1x": not one number. */
	if (p < j->end &&
	    ((*p >= '0' && *p <= '9') || *p == '.' ||
	     (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return fail(j, s, "bad number");
	j->p = p;
	return ksm_jbuild_scalar(&j->b, KSM_JV_NUM, (const char *)s,
				 (size_t)(p - s));
}

static bool literal(struct jp *j, const char *word, enum ksm_jtype t)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return fail(j, j->p, "bad literal");
	j->p += n;
	return ksm_jbuild_scalar(&j->b, t, NULL, 0);
}

static bool parse_value(struct jp *j, unsigned depth);

/* An array or object at j->p ('[' or '{'). */
static bool parse_container(struct jp *j, unsigned depth)
{
	bool obj = *j->p == '{';
	unsigned char close = obj ? '}' : ']';
	size_t mark = j->b.n;

	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return ksm_jbuild_close(&j->b, mark,
					obj ? KSM_JV_OBJ : KSM_JV_ARR);
	}
	for (;;) {
		if (obj) {
			if (j->p == j->end)
				return fail(j, j->p, "text ends early");
			if (*j->p != '"')
				return fail(j, j->p,
					    "a quoted member name expected");
			if (!parse_string(j, true))
				return false;
			skip_ws(j);
			if (j->p == j->end)
				return fail(j, j->p, "text ends early");
			if (*j->p != ':')
				return fail(j, j->p, "':' expected");
			j->p++;
		}
		if (!parse_value(j, depth + 1))
			return false;
		skip_ws(j);
		if (j->p == j->end)
			return fail(j, j->p, "text ends early");
		if (*j->p == close)
			break;
		if (*j->p != ',')
			return fail(j, j->p,
				    obj ? "',' or '}' expected"
					: "',' or ']' expected");
		j->p++;
		skip_ws(j);
	}
	j->p++;
	return ksm_jbuild_close(&j->b, mark, obj ? KSM_JV_OBJ : KSM_JV_ARR);
}

static bool parse_value(struct jp *j, unsigned depth)
{
	skip_ws(j);
	if (j->p == j->end)
		return fail(j, j->p, "text ends early");
	/* As json-c: any value inside 64 containers, not only a container. */
	if (depth >= KSM_JV_MAX_DEPTH)
		return fail(j, j->p, "nesting too deep");
	switch (*j->p) {
	case '{':
	case '[':
		return parse_container(j, depth);
	case '"':
		return parse_string(j, false);
	case 't':
		return literal(j, "true", KSM_JV_TRUE);
	case 'f':
		return literal(j, "false", KSM_JV_FALSE);
	case 'n':
		return literal(j, "null", KSM_JV_NULL);
	case 'N':
	case 'I':
		return fail(j, j->p,
			    "bad literal (NaN and Infinity are not "
			    "JSON)");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return parse_number(j);
		return fail(j, j->p, "unexpected character");
	}
}

ksm_status ksm_jdoc_parse(const char *text, size_t len, ksm_jdoc **out,
			  ksm_error *err)
{
	struct jp j = {0};
	const char *nul;
	ksm_status st;

	*out = NULL;
	if (!text)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "JSON parse: no input");
	nul = memchr(text, '\0', len);
	if (nul)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "JSON text contains a NUL byte at offset "
				     "%zu",
				     (size_t)(nul - text));
	j.start = j.p = (const unsigned char *)text;
	j.end = j.start + len;
	ksm_jbuild_init(&j.b, len + 1);
	if (parse_value(&j, 0)) {
		skip_ws(&j);
		if (j.p != j.end)
			fail(&j, j.p, "unexpected data after the value");
	}
	if (j.b.nomem) {
		ksm_jbuild_clear(&j.b);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	if (j.why) {
		ksm_jbuild_clear(&j.b);
		if (!strcmp(j.why, "text ends early"))
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "malformed JSON: text ends early "
					     "(%zu bytes)",
					     len);
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "malformed JSON near offset %zu: %s", j.at,
				     j.why);
	}
	st = ksm_jbuild_finish(&j.b, out);
	if (st != KSM_OK)
		return ksm_set_error(err, st, "out of memory");
	return KSM_OK;
}
