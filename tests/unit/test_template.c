/* SPDX-License-Identifier: MIT */
/*
 * test_template.c - the templates of "ksmctl interpolate"
 * (tools/ksmctl_template.c): where notations are found and where they
 * end, defaults, transforms with known answers, comment lines, the line
 * numbers of errors, and the text made around them.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/ksmctl_template.h"

#define UID "AbCdEfGhIjKlMnOpQrStUv"

static struct ksmctl_tpl parse_ok(const char *text)
{
	struct ksmctl_tpl t;
	ksm_error err = {0};

	if (ksmctl_tpl_parse(text, strlen(text), &t, &err) != KSM_OK)
		fail_msg("parse '%s': %s", text, err.message);
	return t;
}

static void parse_bad(const char *text, const char *msg_part)
{
	struct ksmctl_tpl t;
	ksm_error err = {0};

	if (ksmctl_tpl_parse(text, strlen(text), &t, &err) == KSM_OK)
		fail_msg("parse '%s' should have failed", text);
	assert_int_equal(err.code, KSM_ERR_NOTATION);
	assert_null(t.refs);
	if (!strstr(err.message, msg_part))
		fail_msg("parse '%s': '%s' lacks '%s'", text, err.message,
			 msg_part);
}

/* Render text with every reference given value (NULL: missing). */
static char *render(const char *text, const char *value, ksm_status *st,
		    ksm_error *err)
{
	struct ksmctl_tpl t = parse_ok(text);
	struct ksmctl_tpl_value v[8] = {0};
	char *out = NULL;
	size_t len = 0;

	assert_true(t.n_refs <= 8);
	for (size_t i = 0; i < t.n_refs; i++) {
		v[i].data = value;
		v[i].len = value ? strlen(value) : 0;
		v[i].why = "not there";
	}
	*st = ksmctl_tpl_render(text, strlen(text), &t, v, &out, &len, err);
	if (*st == KSM_OK)
		assert_int_equal(len, strlen(out));
	ksmctl_tpl_free(&t);
	return out;
}

static void render_is(const char *text, const char *value, const char *want)
{
	ksm_error err = {0};
	ksm_status st;
	char *out = render(text, value, &st, &err);

	if (st != KSM_OK)
		fail_msg("render '%s': %s", text, err.message);
	assert_string_equal(out, want);
	free(out);
}

static void test_forms(void **state)
{
	struct ksmctl_tpl t;

	(void)state;
	t = parse_ok("a=keeper://" UID "/field/password\n"
		     "# keeper://not/a notation at all\n"
		     "  # keeper://nor this\n"
		     "b=${keeper://My Title/custom_field/API key:-none|upper}"
		     " c=KEEPER://db/field/host:5432\n");
	assert_int_equal(t.n_refs, 3);
	assert_int_equal(t.refs[0].line, 1);
	assert_int_equal(t.refs[0].start, 2);
	assert_string_equal(t.refs[0].notation,
			    "keeper://" UID "/field/password");
	assert_false(t.refs[0].has_default);
	assert_int_equal(t.refs[1].line, 4);
	assert_string_equal(t.refs[1].parsed.record, "My Title");
	assert_string_equal(t.refs[1].parsed.param, "API key");
	assert_true(t.refs[1].has_default);
	assert_string_equal(t.refs[1].def, "none");
	assert_int_equal(t.refs[1].n_xf, 1);
	assert_int_equal(t.refs[1].xf[0], KSMCTL_XF_UPPER);
	assert_int_equal(t.refs[2].line, 4);
	assert_string_equal(t.refs[2].parsed.param, "host");
	ksmctl_tpl_free(&t);
	assert_null(t.refs);

	/* Nothing to do: no reference at all. */
	t = parse_ok("plain ${HOME} keeper:/ text\n");
	assert_int_equal(t.n_refs, 0);
	ksmctl_tpl_free(&t);
}

static void test_defaults(void **state)
{
	(void)state;
	/* A bare default goes on past ':' (a URL) and stops at a blank. */
	render_is("u=keeper://x/field/url:-http://localhost:3000/a b", NULL,
		  "u=http://localhost:3000/a b");
	render_is("u=keeper://x/field/url:-http://h:1/", "https://v",
		  "u=https://v");
	/* As ${VAR:-default}: an empty value takes the default too. */
	render_is("p=${keeper://x/field/p:-dflt}", "", "p=dflt");
	render_is("p=${keeper://x/field/p}", "", "p=");
	/* Braced defaults keep blanks; \} \| \\ are the characters. */
	render_is("p=${keeper://x/field/p:-a b\\}c\\|d\\\\e\\q}", NULL,
		  "p=a b}c|d\\e\\q");
	render_is("p=${keeper://x/field/p:-}.", NULL, "p=.");
	/* The default is transformed like a value. */
	render_is("p=${keeper://x/field/p:-a b|urlencode}", NULL, "p=a%20b");
	/* A notation inside a default is text. */
	render_is("p=${keeper://x/field/p:-keeper://y}", NULL, "p=keeper://y");
}

static void test_transforms(void **state)
{
	(void)state;
	render_is("${keeper://x/field/p|base64}", "Al1ce-pw!", "QWwxY2UtcHch");
	render_is("${keeper://x/field/p|base64}", "ab", "YWI=");
	render_is("${keeper://x/field/p|base64url}", "ab?>", "YWI_Pg");
	render_is("keeper://x/field/p|urlencode", "a b/c&d=\xc3\xa9~",
		  "a%20b/c%26d%3D%C3%A9~");
	render_is("keeper://x/field/p|urlencodeplus", "a b/c", "a+b%2Fc");
	render_is("keeper://x/field/p|upper", "aBc-\xc3\xa9", "ABC-\xc3\xa9");
	render_is("keeper://x/field/p|lower", "AbC", "abc");
	render_is("[keeper://x/field/p|trim]", " \t a b \r\n", "[a b]");
	render_is("keeper://x/field/p|sha256", "abc",
		  "ba7816bf8f01cfea414140de5dae2223"
		  "b00361a396177a9cb410ff61f20015ad");
	render_is("keeper://x/field/p|md5", "abc",
		  "900150983cd24fb0d6963f7d28e17f72");
	/* Left to right. */
	render_is("${keeper://x/field/p|trim|base64}", " ab\n", "YWI=");
	render_is("${keeper://x/field/p|sha256|upper}", "",
		  "E3B0C44298FC1C149AFBF4C8996FB924"
		  "27AE41E4649B934CA495991B7852B855");
}

static void test_text_around(void **state)
{
	(void)state;
	/* Several on a line, the rest kept byte for byte. */
	render_is("dsn=postgres://keeper://db/field/login:keeper://db/field/"
		  "password@h:5432/x;\n\n# keeper://z\nend",
		  "v", "dsn=postgres://v:v@h:5432/x;\n\n# keeper://z\nend");
	render_is("<pw>keeper://db/field/password</pw>", "s3", "<pw>s3</pw>");
	render_is("\"keeper://db/field/password\",", "s3", "\"s3\",");
	render_is("no newline at the end: ${keeper://db/notes}", "n",
		  "no newline at the end: n");
}

static void test_missing(void **state)
{
	ksm_error err = {0};
	ksm_status st;
	char *out;

	(void)state;
	out = render("a\nb keeper://db/field/nosuch\n", NULL, &st, &err);
	assert_null(out);
	assert_int_equal(st, KSM_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "line 2"));
	assert_non_null(strstr(err.message, "keeper://db/field/nosuch"));
	assert_non_null(strstr(err.message, "not there"));

	/* A fatal answer (ambiguous title, failed download) beats the
	 * default. */
	{
		const char *text = "${keeper://twin/field/p:-d}";
		struct ksmctl_tpl t = parse_ok(text);
		struct ksmctl_tpl_value v = {.why = "two records",
					     .code = KSM_ERR_AMBIGUOUS,
					     .fatal = true};
		size_t len;

		assert_int_equal(ksmctl_tpl_render(text, strlen(text), &t, &v,
						   &out, &len, &err),
				 KSM_ERR_AMBIGUOUS);
		assert_null(out);
		assert_int_equal(ksmctl_tpl_pick(&t.refs[0], &v),
				 KSMCTL_PICK_NONE);
		v.fatal = false;
		assert_int_equal(ksmctl_tpl_pick(&t.refs[0], &v),
				 KSMCTL_PICK_DEFAULT);
		ksmctl_tpl_free(&t);
	}
}

static void test_errors(void **state)
{
	(void)state;
	parse_bad("ok\nsee keeper://docs for more\n", "line 2: keeper://docs");
	parse_bad("p=keeper://My Title/field/password\n", "line 1");
	parse_bad("p=${keeper://db/field/password\n", "'}'");
	parse_bad("p=${keeper://db/field/password}x${keeper://db/bogus/x}",
		  "unknown selector");
	parse_bad("p=keeper://db/field/password|rot13\n", "unknown transform");
	parse_bad("p=keeper://db/field/password|\n", "unknown transform");
	parse_bad("p=${keeper://db/field/p|trim|trim|trim|trim|trim|trim|trim|"
		  "trim|trim}",
		  "too many transforms");
	parse_bad("p=${keeper://db/field/p:-x\n}", "'}'");
	parse_bad("p=keeper://db/field/a\\ b", "escape");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_transforms),
		cmocka_unit_test(test_text_around),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
