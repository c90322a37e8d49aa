/* SPDX-License-Identifier: MIT */
/*
 * fuzz_template.c - libFuzzer target: the templates of "ksmctl
 * interpolate" (tools/ksmctl_template.c, which build.sh compiles into the
 * fuzzing library): ksmctl_tpl_parse, with ksm_notation_scan under it,
 * then ksmctl_tpl_render and every transform.
 *
 * The first byte chooses what the vault "answers" for every reference
 * (a value, nothing, an empty value, a fatal refusal); the rest is the
 * template.
 *
 * Invariants: no crash, leak or sanitizer report; a refused template has
 * a message naming a line and leaves nothing allocated; references are
 * in order, inside the text, start with "keeper://" (or "${keeper://",
 * then end with '}'), are never on a comment line, and carry the
 * notation exactly as written; a render that succeeds is exactly the
 * text around the references plus each one's transformed value or
 * default, and fails exactly when some reference has neither.
 */
#include "../../tools/ksmctl_template.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char value[] = "v@l:ue \t|}\n";

/* Is the line holding byte at a comment line (first non-blank '#')? */
static bool on_comment(const char *s, size_t at)
{
	size_t b = at;

	while (b > 0 && s[b - 1] != '\n')
		b--;
	while (b < at && (s[b] == ' ' || s[b] == '\t'))
		b++;
	return s[b] == '#' && b < at;
}

static size_t lines_before(const char *s, size_t at)
{
	size_t n = 1;

	for (size_t i = 0; i < at; i++)
		n += s[i] == '\n';
	return n;
}

/* The length a reference's text becomes (SIZE_MAX: neither value nor
 * default); aborts where a transform misbehaves. */
static size_t made_len(const struct ksmctl_tpl_ref *r,
		       const struct ksmctl_tpl_value *v)
{
	enum ksmctl_tpl_pick pick = ksmctl_tpl_pick(r, v);
	const char *d = pick == KSMCTL_PICK_DEFAULT ? r->def : v->data;
	size_t len = pick == KSMCTL_PICK_DEFAULT ? r->def_len : v->len;
	char *cur = NULL;

	if (pick == KSMCTL_PICK_NONE)
		return SIZE_MAX;
	for (size_t i = 0; i < r->n_xf; i++) {
		char *next;
		size_t nlen;

		if (ksmctl_xform_apply(r->xf[i], d, len, &next, &nlen, NULL) !=
		    KSM_OK)
			abort();
		/* Values and defaults hold no NUL, nor does what they make. */
		if (nlen != strlen(next))
			abort();
		free(cur);
		cur = next;
		d = next;
		len = nlen;
	}
	free(cur);
	return len;
}

static void check_refs(const char *text, size_t size,
		       const struct ksmctl_tpl *t)
{
	size_t prev_end = 0;

	for (size_t i = 0; i < t->n_refs; i++) {
		const struct ksmctl_tpl_ref *r = &t->refs[i];
		bool braced = text[r->start] == '$';
		size_t at = r->start + (braced ? 2 : 0);

		if (r->start < prev_end || r->end <= r->start ||
		    r->end > size || on_comment(text, r->start) ||
		    r->line != lines_before(text, r->start) ||
		    strncasecmp(text + at, "keeper://", 9) != 0 ||
		    strncmp(text + at, r->notation, strlen(r->notation)) != 0 ||
		    (braced &&
		     (text[r->start + 1] != '{' || text[r->end - 1] != '}')) ||
		    !r->parsed.record || r->n_xf > KSMCTL_XFORMS_MAX ||
		    (r->has_default && !r->def) ||
		    (r->def && strlen(r->def) != r->def_len))
			abort();
		prev_end = r->end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ksmctl_tpl t;
	struct ksmctl_tpl_value *vals;
	ksm_error err = {0};
	char *text, *out = NULL;
	size_t want, out_len = 0, pos = 0;
	unsigned mode;
	ksm_status st;

	if (size < 1 || size > 8192)
		return 0;
	mode = data[0] % 4;
	data++;
	size--;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = ksmctl_tpl_parse(text, size, &t, &err);
	if (st != KSM_OK) {
		if (t.refs || t.n_refs ||
		    (st != KSM_ERR_NOMEM && strncmp(err.message, "line ", 5)))
			abort();
		free(text);
		return 0;
	}
	check_refs(text, size, &t);
	vals = calloc(t.n_refs + 1, sizeof(*vals));
	if (!vals)
		abort();
	want = size;
	for (size_t i = 0; i < t.n_refs; i++) {
		size_t m;

		vals[i].why = "missing";
		vals[i].fatal = mode == 3;
		if (mode == 0 || (mode == 2 && i % 2)) {
			vals[i].data = value;
			vals[i].len = sizeof(value) - 1;
		} else if (mode == 2) {
			vals[i].data = "";
		}
		m = made_len(&t.refs[i], &vals[i]);
		if (m == SIZE_MAX)
			want = SIZE_MAX;
		else if (want != SIZE_MAX)
			want += m - (t.refs[i].end - t.refs[i].start);
	}
	st = ksmctl_tpl_render(text, size, &t, vals, &out, &out_len, &err);
	if ((st == KSM_OK) != (want != SIZE_MAX) ||
	    (st == KSM_OK && out_len != want))
		abort();
	/* Around the references, the text is as it was. */
	for (size_t i = 0; st == KSM_OK && i <= t.n_refs; i++) {
		size_t from = i ? t.refs[i - 1].end : 0,
		       to = i < t.n_refs ? t.refs[i].start : size;

		if (memcmp(out + pos, text + from, to - from) != 0)
			abort();
		pos += to - from;
		if (i < t.n_refs)
			pos += made_len(&t.refs[i], &vals[i]);
	}
	free(out);
	free(vals);
	ksmctl_tpl_free(&t);
	free(text);
	return 0;
}
