/* SPDX-License-Identifier: MIT */
/*
 * fuzz_jval.c - libFuzzer target: the compact JSON parser every decrypted
 * record goes through (ksm_jdoc_parse, jval_parse.c), its serializer and
 * accessors, with json-c (ksm_json_parse, what parsed records before) as
 * the oracle.
 *
 * Invariants (abort on violation):
 *   - what it accepts, json-c accepts, and both write it as the same
 *     compact JSON (KSM_JSON_FLAGS); that text parses again to itself;
 *     the json-c tree converted (ksm_jdoc_from_jsonc) writes the same too;
 *   - member lookups find every key of every object, counts and items
 *     agree, has_nul agrees with json-c's string lengths;
 *   - (a bare null, which ksm_json_parse refuses as json-c's NULL
 *     object, is the one value only ours takes);
 *   - (json-c 0.16 reads an escaped surrogate pair of U+1D800-1DFFF,
 *     U+2D800-... as U+FFFD, a bug: such texts are compared with
 *     themselves only, the character kept as JavaScript keeps it);
 *   - what it refuses has a message; json-c may accept it only for a
 *     number or literal that RFC 8259 does not allow (json-c takes "1.",
 *     "-01", NaN, Infinity), checked at the offset the message names.
 */
#include "json.h"
#include "jval.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool jc_has_nul(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) !=
		       (size_t)json_object_get_string_len(o);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (jc_has_nul(json_object_array_get_idx(o, i)))
				return true;
		return false;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (jc_has_nul(v))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

/* Every object's keys are unique and found; items are where they are. */
static void walk(const ksm_jv *v, unsigned depth)
{
	if (depth > KSM_JV_MAX_DEPTH)
		abort();
	if (ksm_jv_is(v, KSM_JV_ARR)) {
		if (ksm_jv_count(v) != v->len || ksm_jv_at(v, v->len))
			abort();
		for (size_t i = 0; i < v->len; i++) {
			if (ksm_jv_at(v, i) != &v->u.v[i])
				abort();
			walk(&v->u.v[i], depth + 1);
		}
	} else if (ksm_jv_is(v, KSM_JV_OBJ)) {
		if (ksm_jv_count(v) != 0)
			abort();
		for (size_t i = 0; i < v->len; i++) {
			const ksm_jv *k = &v->u.v[2 * i];

			if (!ksm_jv_is(k, KSM_JV_STR) ||
			    strlen(k->u.s) != k->len ||
			    ksm_jv_get(v, k->u.s) != &v->u.v[2 * i + 1])
				abort();
			walk(&v->u.v[2 * i + 1], depth + 1);
		}
	} else if (ksm_jv_is(v, KSM_JV_STR) || ksm_jv_is(v, KSM_JV_NUM)) {
		if (v->u.s[v->len] != '\0')
			abort();
	}
}

static long hex4(const char *p)
{
	char b[5];
	char *end;
	long v;

	memcpy(b, p, 4);
	b[4] = '\0';
	v = strtol(b, &end, 16);
	return *end || b[0] == '-' || b[0] == '+' || b[0] == ' ' ? -1 : v;
}

/*
 * Does the text hold an escaped surrogate pair that json-c 0.16 reads as
 * U+FFFD? It does so for every code point whose low 16 bits look like a
 * surrogate (U+1D800-1DFFF, U+2D800-...): a json-c bug; ours reads the
 * character, as JavaScript does. Then json-c is no oracle for the text.
 */
static bool jsonc_pair_bug(const char *t, size_t n)
{
	for (size_t i = 0; i + 12 <= n; i++) {
		long hi, lo, cp;

		if (t[i] != '\\' || t[i + 1] != 'u' || t[i + 6] != '\\' ||
		    t[i + 7] != 'u')
			continue;
		hi = hex4(t + i + 2);
		lo = hex4(t + i + 8);
		if (hi < 0xd800 || hi > 0xdbff || lo < 0xdc00 || lo > 0xdfff)
			continue;
		cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
		if ((cp & 0xf800) == 0xd800)
			return true;
	}
	return false;
}

static bool starts_with(const char *s, size_t n, const char *w)
{
	return n >= strlen(w) && !memcmp(s, w, strlen(w));
}

/* Is there an RFC 8259 number at s, ending where a number may end? */
static bool rfc_number_at(const char *s, size_t n)
{
	static regex_t re;
	static bool ready;
	char buf[400];
	regmatch_t m;
	size_t len = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
	char after;

	if (!ready) {
		if (regcomp(&re,
			    "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?",
			    REG_EXTENDED) != 0)
			abort();
		ready = true;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (regexec(&re, buf, 1, &m, 0) != 0 || m.rm_eo == 0)
		return false;
	after = buf[m.rm_eo];
	return !strchr("0123456789.", after) &&
	       !((after >= 'a' && after <= 'z') ||
		 (after >= 'A' && after <= 'Z')) &&
	       (size_t)m.rm_eo < len + 1;
}

static void check_refusal(const char *text, size_t size, const ksm_error *err)
{
	const char *m = strstr(err->message, "near offset ");
	size_t at;

	if (!m)
		abort();
	at = strtoul(m + strlen("near offset "), NULL, 10);
	if (at >= size)
		abort();
	if (strstr(err->message, "bad number")) {
		if (rfc_number_at(text + at, size - at))
			abort();
		return;
	}
	if (strstr(err->message, "bad literal")) {
		if (starts_with(text + at, size - at, "true") ||
		    starts_with(text + at, size - at, "false") ||
		    starts_with(text + at, size - at, "null"))
			abort();
		return;
	}
	abort(); /* json-c took it: only numbers and literals may differ */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	ksm_jdoc *d = NULL, *d2 = NULL, *d3 = NULL;
	json_object *jo = NULL;
	ksm_error err = {0}, jerr = {0};
	ksm_status st, jst;
	char *ours, *theirs, *again, *conv;

	if (size > 65536)
		return 0;
	st = ksm_jdoc_parse(text, size, &d, &err);
	jst = ksm_json_parse_max(text, size, SIZE_MAX, &jo, &jerr);
	if (st != KSM_OK) {
		if (d || !err.message[0] || st != KSM_ERR_INVALID)
			abort();
		if (jst == KSM_OK)
			check_refusal(text, size, &err);
		json_object_put(jo);
		return 0;
	}
	/* ksm_json_parse refuses a bare null (json-c's NULL object). */
	if (jst != KSM_OK && ksm_jv_is(ksm_jdoc_root(d), KSM_JV_NULL)) {
		ksm_jdoc_free(d);
		return 0;
	}
	if (jst != KSM_OK)
		abort();
	walk(ksm_jdoc_root(d), 0);
	if (ksm_jv_has_nul(ksm_jdoc_root(d)) != jc_has_nul(jo))
		abort();
	ours = ksm_jv_dup(ksm_jdoc_root(d));
	theirs = ksm_json_dup(jo);
	if (!ours || !theirs)
		abort();
	if (jsonc_pair_bug(text, size)) {
		/* ours against itself only */
		free(theirs);
		theirs = ksm_strdup(ours);
		json_object_put(jo);
		jo = NULL;
		if (ksm_json_parse(ours, strlen(ours), &jo, NULL) != KSM_OK)
			abort();
	}
	if (strcmp(ours, theirs) != 0)
		abort();
	if (ksm_jdoc_parse(ours, strlen(ours), &d2, NULL) != KSM_OK)
		abort();
	again = ksm_jv_dup(ksm_jdoc_root(d2));
	if (!again || strcmp(again, ours) != 0)
		abort();
	if (ksm_jdoc_from_jsonc(jo, &d3) != KSM_OK)
		abort();
	conv = ksm_jv_dup(ksm_jdoc_root(d3));
	if (!conv || strcmp(conv, ours) != 0)
		abort();
	free(ours);
	free(theirs);
	free(again);
	free(conv);
	ksm_jdoc_free(d);
	ksm_jdoc_free(d2);
	ksm_jdoc_free(d3);
	json_object_put(jo);
	return 0;
}
