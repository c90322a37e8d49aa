/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_interpolate.c - "ksmctl interpolate": config templates with Keeper
 * notations made into files (ksmctl(8), "interpolate" and "Templates").
 *
 * Every template is read and parsed first, then every notation of all of
 * them is resolved with one vault request (through ksmd when it runs),
 * then every output is made in memory; only when all of them are whole is
 * anything written, each file atomically. A notation that does not
 * resolve (and has no default) fails the run with nothing written.
 */
#include "ksmctl.h"
#include "ksmctl_template.h"

#include "fileio.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Templates are config files; anything bigger is a mistake. */
#define TEMPLATE_MAX (10u << 20)

struct input {
	const char *path; /* "-": standard input */
	char *text;
	size_t len;
	struct stat st;
	struct ksmctl_tpl tpl;
	size_t *which; /* per reference: its notation in the run's list */
	char *out;     /* made (secret) */
	size_t out_len;
};

struct opts {
	const char *output, *suffix;
	bool in_place, dry_run;
	unsigned mode;
};

static ksm_status read_stdin(struct input *in, ksm_error *err)
{
	size_t cap = 0;

	for (;;) {
		size_t got;

		if (in->len == cap) {
			char *p;

			if (cap > TEMPLATE_MAX)
				return ksm_set_error(
					err, KSM_ERR_IO,
					"standard input: more than "
					"%u bytes",
					TEMPLATE_MAX);
			cap = cap ? cap * 2 : 65536;
			p = realloc(in->text, cap + 1);
			if (!p)
				return ksm_set_error(err, KSM_ERR_NOMEM,
						     "out of memory");
			in->text = p;
		}
		got = fread(in->text + in->len, 1, cap - in->len, stdin);
		in->len += got;
		if (got == 0)
			break;
	}
	if (ferror(stdin))
		return ksm_set_error(err, KSM_ERR_IO,
				     "cannot read standard input: %s",
				     strerror(errno));
	in->text[in->len] = '\0';
	return KSM_OK;
}

static ksm_status read_input(struct input *in, const struct opts *o,
			     ksm_error *err)
{
	if (!strcmp(in->path, "-"))
		return read_stdin(in, err);
	/* -w replaces the file: a link would be replaced, not its target. */
	if (o->in_place && lstat(in->path, &in->st) == 0 &&
	    S_ISLNK(in->st.st_mode))
		return ksm_set_error(err, KSM_ERR_IO,
				     "%s is a symbolic link: name the file it "
				     "points to",
				     in->path);
	return ksm_read_file(in->path, TEMPLATE_MAX, &in->text, &in->len,
			     &in->st, err);
}

/* What the vault gave for a reference, as the template needs it. */
static struct ksmctl_tpl_value value_of(const struct ksmctl_tpl_ref *ref,
					const struct ksmctl_resolved *r)
{
	struct ksmctl_tpl_value v = {0};

	if (r->err.code != KSM_OK) {
		v.why = r->err.message;
		v.code = r->err.code;
		/* Only "there is no such thing" lets a default stand in. */
		v.fatal = r->err.code != KSM_ERR_NOT_FOUND;
	} else if (r->count == 0) {
		v.why = "no value";
		v.code = KSM_ERR_NOT_FOUND;
	} else if (ref->parsed.index1_all && r->count > 1) {
		v.why = "gives several values: choose one with [N]";
		v.code = KSM_ERR_AMBIGUOUS;
		v.fatal = true;
	} else {
		/* Without an index: the first value, as Keeper's CLI. */
		v.data = r->values[0];
		v.len = r->lens[0];
	}
	return v;
}

static void report(const struct input *in, const struct ksmctl_tpl_ref *ref,
		   const struct ksmctl_tpl_value *v)
{
	enum ksmctl_tpl_pick pick = ksmctl_tpl_pick(ref, v);
	char note[160];

	ksm_text_sanitize(note, sizeof(note), ref->notation, NULL);
	printf("%s:%zu: %s: ", in->path, ref->line, note);
	if (pick == KSMCTL_PICK_VALUE)
		printf("ok (%zu bytes)\n", v->len);
	else if (pick == KSMCTL_PICK_DEFAULT)
		printf("default (%s)\n", v->data ? "empty value" : v->why);
	else
		printf("error: %s\n", v->why);
}

/* Make in->out; the first failure is printed and its exit code kept. */
static int render(struct input *in, const struct ksmctl_resolved *res,
		  const struct opts *o)
{
	struct ksmctl_tpl_value *vals =
		calloc(in->tpl.n_refs + 1, sizeof(*vals));
	ksm_error err = {0};
	int rc = EXIT_OK;

	if (!vals) {
		fprintf(stderr, "ksmctl: out of memory\n");
		return EXIT_FAIL;
	}
	for (size_t j = 0; j < in->tpl.n_refs; j++) {
		vals[j] = value_of(&in->tpl.refs[j], &res[in->which[j]]);
		if (o->dry_run)
			report(in, &in->tpl.refs[j], &vals[j]);
	}
	if (ksmctl_tpl_render(in->text, in->len, &in->tpl, vals, &in->out,
			      &in->out_len, &err) != KSM_OK) {
		if (!o->dry_run)
			fprintf(stderr, "ksmctl: %s: %s\n", in->path,
				err.message);
		rc = ksmctl_exit_code(err.code);
	}
	free(vals);
	return rc;
}

static int write_outputs(struct ksmctl *k, struct input *ins, size_t n,
			 const struct opts *o)
{
	ksm_error err = {0};
	char *all = NULL, *bak = NULL;
	size_t total = 0;
	int rc = EXIT_OK;

	if (o->in_place) {
		for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
			struct input *in = &ins[i];

			if (*o->suffix &&
			    (asprintf(&bak, "%s%s", in->path, o->suffix) < 0 ||
			     ksmctl_write_file(bak, in->text, in->len,
					       in->st.st_mode & 0777, &in->st,
					       &err) != KSM_OK))
				rc = bak ? ksmctl_fail(k, &err) : EXIT_FAIL;
			if (rc == EXIT_OK &&
			    ksmctl_write_file(in->path, in->out, in->out_len,
					      o->mode, &in->st, &err) != KSM_OK)
				rc = ksmctl_fail(k, &err);
			free(bak);
			bak = NULL;
		}
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		total += ins[i].out_len;
	all = malloc(total + 1);
	if (!all) {
		fprintf(stderr, "ksmctl: out of memory\n");
		return EXIT_FAIL;
	}
	total = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(all + total, ins[i].out, ins[i].out_len);
		total += ins[i].out_len;
	}
	if (ksmctl_write_file(o->output ? o->output : "-", all, total, o->mode,
			      NULL, &err) != KSM_OK)
		rc = ksmctl_fail(k, &err);
	ksm_free_wiped(all, total);
	return rc;
}

static int parse_opts(struct ksmctl *k, int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"in-place", no_argument, NULL, 'w'},
		{"backup-suffix", required_argument, NULL, 'b'},
		{"dry-run", no_argument, NULL, 'n'},
		{"mode", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	*o = (struct opts){.suffix = NULL, .mode = 0600};
	while ((opt = getopt_long(argc, argv, "o:wb:n", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o->output = optarg;
			break;
		case 'w':
			o->in_place = true;
			break;
		case 'b':
			o->suffix = optarg;
			break;
		case 'n':
			o->dry_run = true;
			break;
		case 'm':
			if (!ksmctl_parse_mode(optarg, &o->mode))
				return ksmctl_usage_error(
					k,
					"interpolate: --mode takes an octal "
					"mode up to 0777, not '%s'",
					optarg);
			break;
		default:
			return ksmctl_usage_error(k, "interpolate: bad option");
		}
	}
	if (o->output && o->in_place)
		return ksmctl_usage_error(k, "interpolate: -o and -w exclude "
					     "each other");
	if (o->suffix && !o->in_place)
		return ksmctl_usage_error(k, "interpolate: -b goes with -w");
	if (!o->suffix)
		o->suffix = ".bak";
	for (int i = optind; i < argc && o->in_place; i++)
		if (!strcmp(argv[i], "-"))
			return ksmctl_usage_error(
				k, "interpolate: -w cannot rewrite standard "
				   "input");
	if (o->in_place && optind == argc)
		return ksmctl_usage_error(k, "interpolate: -w needs FILEs");
	return EXIT_OK;
}

int cmd_interpolate(struct ksmctl *k, int argc, char **argv)
{
	struct opts o;
	struct input *ins = NULL;
	struct ksmctl_resolved *res = NULL;
	char **texts = NULL;
	size_t n, n_texts = 0;
	ksm_error err = {0};
	int rc = parse_opts(k, argc, argv, &o);

	if (rc != EXIT_OK)
		return rc;
	n = optind < argc ? (size_t)(argc - optind) : 1;
	ins = calloc(n, sizeof(*ins));
	if (!ins)
		return EXIT_FAIL;
	for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
		struct input *in = &ins[i];

		in->path = optind < argc ? argv[optind + (int)i] : "-";
		if (read_input(in, &o, &err) != KSM_OK ||
		    ksmctl_tpl_parse(in->text, in->len, &in->tpl, &err) !=
			    KSM_OK) {
			fprintf(stderr, "ksmctl: %s: %s\n", in->path,
				err.message);
			rc = ksmctl_exit_code(err.code);
			break;
		}
		in->which = calloc(in->tpl.n_refs + 1, sizeof(*in->which));
		if (!in->which)
			rc = EXIT_FAIL;
		for (size_t j = 0; rc == EXIT_OK && j < in->tpl.n_refs; j++) {
			in->which[j] = ksmctl_strv_index(
				&texts, &n_texts, in->tpl.refs[j].notation);
			if (in->which[j] == (size_t)-1)
				rc = EXIT_FAIL;
		}
	}
	/* All notations of all files: one vault request. */
	if (rc == EXIT_OK && n_texts)
		rc = ksmctl_resolve_run(k, (const char *const *)texts, n_texts,
					true, &res);
	/* A dry run reports on every file; a real one stops at a failure. */
	for (size_t i = 0, stop = rc != EXIT_OK; i < n && !stop; i++) {
		int r = render(&ins[i], res, &o);

		if (r != EXIT_OK && rc == EXIT_OK)
			rc = r;
		stop = r != EXIT_OK && !o.dry_run;
	}
	if (rc == EXIT_OK && !o.dry_run)
		rc = write_outputs(k, ins, n, &o);
	ksmctl_resolved_clear(res, n_texts);
	free(res);
	ksm_strv_free(texts, n_texts);
	for (size_t i = 0; i < n; i++) {
		if (ins[i].out)
			ksm_free_wiped(ins[i].out, ins[i].out_len);
		free(ins[i].text);
		free(ins[i].which);
		ksmctl_tpl_free(&ins[i].tpl);
	}
	free(ins);
	return rc;
}
