/* SPDX-License-Identifier: MIT */
/*
 * jval.c - compact JSON values: building a document, reading it, writing
 * it as compact JSON (jval.h). The parser is jval_parse.c.
 */
#include "jval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value set after parsing (ksm_jdoc_set_str, ksm_jdoc_append_str). */
struct ksm_jextra {
	struct ksm_jextra *next;
	size_t size; /* bytes after the header */
};

struct ksm_jdoc {
	ksm_jv root;
	size_t size; /* of the whole allocation */
	struct ksm_jextra *extra;
	/* the nodes, then the string bytes */
};

/* -------------------------------------------------------------- building */

void ksm_jbuild_init(struct ksm_jbuild *b, size_t str_hint)
{
	memset(b, 0, sizeof(*b));
	b->scap = str_hint;
	b->str = str_hint ? malloc(str_hint) : NULL;
	b->nomem = str_hint && !b->str;
}

void ksm_jbuild_clear(struct ksm_jbuild *b)
{
	/* All of it: a parse that failed inside a string (a password) has
	 * decoded bytes past sn. */
	ksm_free_wiped(b->str, b->scap);
	free(b->stk);
	free(b->nodes);
	memset(b, 0, sizeof(*b));
}

/* Grow *p (elements of size sz, *cap of them) to hold need; old copies of
 * secret bytes (wipe_used of them) are wiped. */
static bool grow(struct ksm_jbuild *b, void **p, size_t *cap, size_t need,
		 size_t sz, size_t wipe_used)
{
	size_t ncap = *cap ? *cap : 16;
	void *np;

	if (b->nomem)
		return false;
	if (need <= *cap)
		return true;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / sz)
			goto fail;
		ncap *= 2;
	}
	np = malloc(ncap * sz);
	if (!np)
		goto fail;
	if (*p) {
		memcpy(np, *p, *cap * sz);
		ksm_wipe(*p, wipe_used);
		free(*p);
	}
	*p = np;
	*cap = ncap;
	return true;
fail:
	b->nomem = true;
	return false;
}

bool ksm_jbuild_reserve(struct ksm_jbuild *b, size_t n)
{
	if (n > SIZE_MAX - b->sn) {
		b->nomem = true;
		return false;
	}
	return grow(b, (void **)&b->str, &b->scap, b->sn + n, 1, b->sn);
}

bool ksm_jbuild_push(struct ksm_jbuild *b, ksm_jv v)
{
	if (!grow(b, (void **)&b->stk, &b->cap, b->n + 1, sizeof(ksm_jv), 0))
		return false;
	b->stk[b->n++] = v;
	return true;
}

bool ksm_jbuild_scalar(struct ksm_jbuild *b, enum ksm_jtype t, const char *s,
		       size_t n)
{
	ksm_jv v = {.type = t};

	if (t == KSM_JV_STR || t == KSM_JV_NUM) {
		if (n > UINT32_MAX || !ksm_jbuild_reserve(b, n + 1)) {
			b->nomem = true;
			return false;
		}
		memcpy(b->str + b->sn, s, n);
		b->str[b->sn + n] = '\0';
		v.len = (uint32_t)n;
		v.u.off = b->sn;
		b->sn += n + 1;
	}
	return ksm_jbuild_push(b, v);
}

static const char *bstr(const struct ksm_jbuild *b, const ksm_jv *v)
{
	return b->str + v->u.off;
}

static bool key_eq(const struct ksm_jbuild *b, const ksm_jv *x, const ksm_jv *y)
{
	return x->len == y->len && memcmp(bstr(b, x), bstr(b, y), x->len) == 0;
}

struct key_at {
	const char *s;
	uint32_t len;
	uint32_t i;
};

static int by_key_then_place(const void *x, const void *y)
{
	const struct key_at *a = x, *b = y;
	int c;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	c = memcmp(a->s, b->s, a->len);
	return c ? c : (a->i < b->i ? -1 : a->i > b->i);
}

/* Pairs m[0..*n/2) with repeated keys: the first place keeps the last
 * value (json-c's json_object_object_add), the others go. Sorted beyond a
 * few members: a hostile object of 100,000 keys stays O(n log n). */
static bool dedupe(struct ksm_jbuild *b, ksm_jv *m, size_t *n)
{
	size_t pairs = *n / 2, w = 0;
	struct key_at *k;
	bool *gone;

	if (pairs < 2)
		return true;
	if (pairs <= 16) {
		for (size_t j = 0; j < pairs; j++) {
			size_t i = 0;

			while (i < w && !key_eq(b, &m[2 * i], &m[2 * j]))
				i++;
			if (i < w) {
				m[2 * i + 1] = m[2 * j + 1];
				continue;
			}
			m[2 * w] = m[2 * j];
			m[2 * w + 1] = m[2 * j + 1];
			w++;
		}
		*n = 2 * w;
		return true;
	}
	k = malloc(pairs * sizeof(*k));
	gone = calloc(pairs, sizeof(*gone));
	if (!k || !gone || pairs > UINT32_MAX) {
		free(k);
		free(gone);
		b->nomem = true;
		return false;
	}
	for (size_t i = 0; i < pairs; i++)
		k[i] = (struct key_at){bstr(b, &m[2 * i]), m[2 * i].len,
				       (uint32_t)i};
	qsort(k, pairs, sizeof(*k), by_key_then_place);
	for (size_t g = 0; g < pairs;) {
		size_t e = g + 1;

		while (e < pairs && k[e].len == k[g].len &&
		       !memcmp(k[e].s, k[g].s, k[g].len))
			e++;
		if (e - g > 1)
			m[2 * k[g].i + 1] = m[2 * k[e - 1].i + 1];
		for (size_t i = g + 1; i < e; i++)
			gone[k[i].i] = true;
		g = e;
	}
	for (size_t j = 0; j < pairs; j++) {
		if (gone[j])
			continue;
		m[2 * w] = m[2 * j];
		m[2 * w + 1] = m[2 * j + 1];
		w++;
	}
	*n = 2 * w;
	free(k);
	free(gone);
	return true;
}

bool ksm_jbuild_close(struct ksm_jbuild *b, size_t mark, enum ksm_jtype t)
{
	size_t k = b->n - mark, off = b->nn;
	ksm_jv v = {.type = t};

	if (b->nomem)
		return false;
	if (t == KSM_JV_OBJ && k >= 4 && !dedupe(b, b->stk + mark, &k))
		return false;
	if ((t == KSM_JV_OBJ ? k / 2 : k) > UINT32_MAX ||
	    !grow(b, (void **)&b->nodes, &b->ncap, b->nn + k, sizeof(ksm_jv),
		  0)) {
		b->nomem = true;
		return false;
	}
	if (k)
		memcpy(b->nodes + b->nn, b->stk + mark, k * sizeof(ksm_jv));
	b->nn += k;
	b->n = mark;
	v.len = (uint32_t)(t == KSM_JV_OBJ ? k / 2 : k);
	v.u.off = off;
	return ksm_jbuild_push(b, v);
}

static void fix(ksm_jv *v, ksm_jv *nodes, char *str)
{
	if (v->type == KSM_JV_STR || v->type == KSM_JV_NUM)
		v->u.s = str + v->u.off;
	else if (v->type == KSM_JV_ARR || v->type == KSM_JV_OBJ)
		v->u.v = nodes + v->u.off;
}

ksm_status ksm_jbuild_finish(struct ksm_jbuild *b, ksm_jdoc **out)
{
	size_t size;
	ksm_jdoc *d = NULL;
	ksm_jv *nodes;
	char *str;

	*out = NULL;
	if (b->nomem || b->n != 1)
		goto out;
	size = sizeof(*d) + b->nn * sizeof(ksm_jv) + b->sn;
	d = malloc(size);
	if (!d)
		goto out;
	nodes = (ksm_jv *)(d + 1);
	str = (char *)(nodes + b->nn);
	if (b->nn)
		memcpy(nodes, b->nodes, b->nn * sizeof(ksm_jv));
	if (b->sn)
		memcpy(str, b->str, b->sn);
	d->root = b->stk[0];
	d->size = size;
	d->extra = NULL;
	fix(&d->root, nodes, str);
	for (size_t i = 0; i < b->nn; i++)
		fix(&nodes[i], nodes, str);
	*out = d;
out:
	ksm_jbuild_clear(b);
	return *out ? KSM_OK : KSM_ERR_NOMEM;
}

/* ------------------------------------------------------------- documents */

void ksm_jdoc_free(ksm_jdoc *d)
{
	struct ksm_jextra *e, *next;

	if (!d)
		return;
	for (e = d->extra; e; e = next) {
		next = e->next;
		ksm_free_wiped(e, sizeof(*e) + e->size);
	}
	ksm_free_wiped(d, d->size);
}

const ksm_jv *ksm_jdoc_root(const ksm_jdoc *d)
{
	return d ? &d->root : NULL;
}

size_t ksm_jdoc_size(const ksm_jdoc *d)
{
	size_t n = d ? d->size : 0;

	for (const struct ksm_jextra *e = d ? d->extra : NULL; e; e = e->next)
		n += sizeof(*e) + e->size;
	return n;
}

static void *extra_new(ksm_jdoc *d, size_t size)
{
	struct ksm_jextra *e = malloc(sizeof(*e) + size);

	if (!e)
		return NULL;
	e->size = size;
	e->next = d->extra;
	d->extra = e;
	return e + 1;
}

static void wipe_value(ksm_jv *v)
{
	if (v->type == KSM_JV_STR || v->type == KSM_JV_NUM)
		ksm_wipe(v->u.s, v->len);
	else if (v->type == KSM_JV_ARR)
		for (size_t i = 0; i < v->len; i++)
			wipe_value(&v->u.v[i]);
	else if (v->type == KSM_JV_OBJ)
		for (size_t i = 0; i < 2 * (size_t)v->len; i++)
			wipe_value(&v->u.v[i]);
}

bool ksm_jdoc_set_str(ksm_jdoc *d, ksm_jv *slot, const char *s)
{
	size_t n = strlen(s);
	char *p;

	if (n > UINT32_MAX || !(p = extra_new(d, n + 1)))
		return false;
	memcpy(p, s, n + 1);
	wipe_value(slot);
	*slot = (ksm_jv){.type = KSM_JV_STR, .len = (uint32_t)n, .u.s = p};
	return true;
}

bool ksm_jdoc_append_str(ksm_jdoc *d, ksm_jv *arr, const char *s)
{
	size_t n = strlen(s), k = arr->len;
	ksm_jv *items;

	if (arr->type != KSM_JV_ARR || n > UINT32_MAX || k >= UINT32_MAX ||
	    !(items = extra_new(d, (k + 1) * sizeof(ksm_jv) + n + 1)))
		return false;
	if (k)
		memcpy(items, arr->u.v, k * sizeof(ksm_jv));
	memcpy((char *)(items + k + 1), s, n + 1);
	items[k] = (ksm_jv){.type = KSM_JV_STR,
			    .len = (uint32_t)n,
			    .u.s = (char *)(items + k + 1)};
	arr->u.v = items;
	arr->len = (uint32_t)(k + 1);
	return true;
}

/* -------------------------------------------------------------- reading */

bool ksm_jv_is(const ksm_jv *v, enum ksm_jtype t)
{
	return v && v->type == (uint32_t)t;
}

ksm_jv *ksm_jv_get(const ksm_jv *v, const char *key)
{
	if (!ksm_jv_is(v, KSM_JV_OBJ) || !key)
		return NULL;
	for (size_t i = 0; i < v->len; i++)
		if (!strcmp(v->u.v[2 * i].u.s, key))
			return &v->u.v[2 * i + 1];
	return NULL;
}

const char *ksm_jv_str(const ksm_jv *v, const char *key)
{
	const ksm_jv *m = ksm_jv_get(v, key);

	return ksm_jv_is(m, KSM_JV_STR) ? m->u.s : NULL;
}

size_t ksm_jv_count(const ksm_jv *v)
{
	return ksm_jv_is(v, KSM_JV_ARR) ? v->len : 0;
}

ksm_jv *ksm_jv_at(const ksm_jv *v, size_t i)
{
	return i < ksm_jv_count(v) ? &v->u.v[i] : NULL;
}

bool ksm_jv_has_nul(const ksm_jv *v)
{
	if (ksm_jv_is(v, KSM_JV_STR))
		return memchr(v->u.s, '\0', v->len) != NULL;
	if (ksm_jv_is(v, KSM_JV_ARR)) {
		for (size_t i = 0; i < v->len; i++)
			if (ksm_jv_has_nul(&v->u.v[i]))
				return true;
	} else if (ksm_jv_is(v, KSM_JV_OBJ)) {
		for (size_t i = 0; i < v->len; i++)
			if (ksm_jv_has_nul(&v->u.v[2 * i + 1]))
				return true;
	}
	return false;
}

/* -------------------------------------------------------------- writing */

bool ksm_jv_write_raw(const char *s, size_t n, char **buf, size_t *len,
		      size_t *cap)
{
	if (n >= *cap - *len || !*buf) {
		size_t ncap = *cap ? *cap : 256;
		char *p;

		while (ncap - *len <= n) {
			if (ncap > SIZE_MAX / 2)
				goto fail;
			ncap *= 2;
		}
		p = malloc(ncap);
		if (!p)
			goto fail;
		if (*buf) {
			memcpy(p, *buf, *len);
			ksm_free_wiped(*buf, *len);
		}
		*buf = p;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
fail:
	ksm_free_wiped(*buf, *len);
	*buf = NULL;
	*len = *cap = 0;
	return false;
}

bool ksm_jv_write_str(const char *s, size_t n, char **buf, size_t *len,
		      size_t *cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	if (!ksm_jv_write_raw("\"", 1, buf, len, cap))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = {'\\', 0};
		size_t el = 2;

		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (run && !ksm_jv_write_raw(s + i - run, run, buf, len, cap))
			return false;
		run = 0;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		if (!ksm_jv_write_raw(esc, el, buf, len, cap))
			return false;
	}
	if (run && !ksm_jv_write_raw(s + n - run, run, buf, len, cap))
		return false;
	return ksm_jv_write_raw("\"", 1, buf, len, cap);
}

/* A number as json-c writes it: its own text, but an integer as the
 * int64 (or uint64) json-c read it as, saturated as json-c saturates. */
static bool write_num(const ksm_jv *v, char **buf, size_t *len, size_t *cap)
{
	const char *s = v->u.s;
	char tmp[32];
	char *end;
	int n;

	if (strpbrk(s, ".eE"))
		return ksm_jv_write_raw(s, v->len, buf, len, cap);
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno == 0) {
		n = snprintf(tmp, sizeof(tmp), "%lld", x);
	} else if (s[0] != '-') {
		errno = 0;
		unsigned long long u = strtoull(s, &end, 10);
		n = snprintf(tmp, sizeof(tmp), "%llu",
			     errno ? 18446744073709551615ull : u);
	} else {
		n = snprintf(tmp, sizeof(tmp), "%lld", (long long)INT64_MIN);
	}
	return ksm_jv_write_raw(tmp, (size_t)n, buf, len, cap);
}

bool ksm_jv_write(const ksm_jv *v, char **buf, size_t *len, size_t *cap)
{
	bool ok = true;

	if (!v)
		return ksm_jv_write_raw("null", 4, buf, len, cap);
	switch (v->type) {
	case KSM_JV_FALSE:
		return ksm_jv_write_raw("false", 5, buf, len, cap);
	case KSM_JV_TRUE:
		return ksm_jv_write_raw("true", 4, buf, len, cap);
	case KSM_JV_NUM:
		return write_num(v, buf, len, cap);
	case KSM_JV_STR:
		return ksm_jv_write_str(v->u.s, v->len, buf, len, cap);
	case KSM_JV_ARR:
		ok = ksm_jv_write_raw("[", 1, buf, len, cap);
		for (size_t i = 0; ok && i < v->len; i++)
			ok = (!i || ksm_jv_write_raw(",", 1, buf, len, cap)) &&
			     ksm_jv_write(&v->u.v[i], buf, len, cap);
		return ok && ksm_jv_write_raw("]", 1, buf, len, cap);
	case KSM_JV_OBJ:
		ok = ksm_jv_write_raw("{", 1, buf, len, cap);
		for (size_t i = 0; ok && i < v->len; i++) {
			const ksm_jv *k = &v->u.v[2 * i];

			ok = (!i || ksm_jv_write_raw(",", 1, buf, len, cap)) &&
			     ksm_jv_write_str(k->u.s, strlen(k->u.s), buf, len,
					      cap) &&
			     ksm_jv_write_raw(":", 1, buf, len, cap) &&
			     ksm_jv_write(&v->u.v[2 * i + 1], buf, len, cap);
		}
		return ok && ksm_jv_write_raw("}", 1, buf, len, cap);
	default:
		return ksm_jv_write_raw("null", 4, buf, len, cap);
	}
}

char *ksm_jv_dup(const ksm_jv *v)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!ksm_jv_write(v, &buf, &len, &cap))
		return NULL;
	return buf;
}

char *ksm_jv_text(const ksm_jv *v)
{
	if (ksm_jv_is(v, KSM_JV_STR))
		return ksm_strndup(v->u.s, v->len);
	return ksm_jv_dup(v);
}
