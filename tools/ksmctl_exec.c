/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_exec.c - "ksmctl exec [--inline] -- CMD": run CMD with keeper://
 * values in the environment replaced (and, with --inline, notations in
 * its arguments), all of them with one vault request.
 *
 * As Keeper's "ksm exec": a variable NAME whose value is a notation gets
 * the notation's first value, and _NAME gets "_" and the notation (a copy
 * that no later exec resolves again); with --inline, an argument from its
 * first "keeper://" to its end is a notation, replaced by its value.
 */
#include "ksmctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

#define PREFIX "keeper://"

struct use {
	char *name;  /* the variable, or NULL for argument arg */
	int arg;     /* with name NULL */
	size_t text; /* the notation: its index in the run's list */
};

/* Where a notation starts in an argument, or NULL. */
static const char *inline_notation(const char *a)
{
	return strcasestr(a, PREFIX);
}

/* What one use becomes: the first value; NULL (printed why) if none. */
static const char *value_for(const struct ksmctl *k, const struct use *u,
			     const char *const *argv,
			     const struct ksmctl_resolved *r, int *rc)
{
	ksm_error none = {.code = KSM_ERR_NOT_FOUND, .message = "no value"};
	const ksm_error *e = r->err.code != KSM_OK ? &r->err
			     : r->count == 0	   ? &none
						   : NULL;

	if (!e && strlen(r->values[0]) != r->lens[0]) {
		none.code = KSM_ERR_INVALID;
		snprintf(none.message, sizeof(none.message),
			 "the value holds a NUL byte");
		e = &none;
	}
	if (!e)
		return r->values[0];
	if (u->name)
		fprintf(stderr, "ksmctl: $%s: ", u->name);
	else
		fprintf(stderr, "ksmctl: argument %d (%.40s...): ", u->arg,
			argv[u->arg]);
	*rc = ksmctl_fail(k, e);
	return NULL;
}

static int add_use(struct use **uses, size_t *n, size_t *cap,
		   const struct use *u)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct use *nu = realloc(*uses, ncap * sizeof(*nu));

		if (!nu)
			return EXIT_FAIL;
		*uses = nu;
		*cap = ncap;
	}
	(*uses)[(*n)++] = *u;
	return EXIT_OK;
}

/* The notations of the environment and (inline) of the arguments. */
static int collect(char **argv, int first, bool inl, struct use **uses,
		   size_t *n_uses, char ***texts, size_t *n_texts)
{
	size_t cap = 0;

	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		struct use u = {0};

		if (!eq || strncasecmp(eq + 1, PREFIX, strlen(PREFIX)) != 0)
			continue;
		u.name = strndup(*e, (size_t)(eq - *e));
		u.text = ksmctl_strv_index(texts, n_texts, eq + 1);
		if (!u.name || u.text == (size_t)-1 ||
		    add_use(uses, n_uses, &cap, &u) != EXIT_OK) {
			free(u.name);
			return EXIT_FAIL;
		}
	}
	for (int i = first; inl && argv[i]; i++) {
		const char *text = inline_notation(argv[i]);
		struct use u = {.arg = i};

		if (!text)
			continue;
		u.text = ksmctl_strv_index(texts, n_texts, text);
		if (u.text == (size_t)-1 ||
		    add_use(uses, n_uses, &cap, &u) != EXIT_OK)
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Put the values in place: the environment, and argv (copies). */
static int apply(const struct ksmctl *k, char **argv, const struct use *uses,
		 size_t n, const struct ksmctl_resolved *res)
{
	int rc = EXIT_OK;

	for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
		const struct use *u = &uses[i];
		const char *v = value_for(k, u, (const char *const *)argv,
					  &res[u->text], &rc);
		char *copy = NULL, *was = NULL;

		if (!v)
			break;
		if (u->name) {
			/* _NAME: the notation behind NAME, as ksm exec. */
			if (asprintf(&copy, "_%s", u->name) < 0 ||
			    asprintf(&was, "_%s", getenv(u->name)) < 0 ||
			    setenv(copy, was, 1) != 0 ||
			    setenv(u->name, v, 1) != 0)
				rc = EXIT_FAIL;
		} else {
			const char *at = inline_notation(argv[u->arg]);
			int pre = (int)(at - argv[u->arg]);

			if (asprintf(&copy, "%.*s%s", pre, argv[u->arg], v) <
			    0) {
				copy = NULL;
				rc = EXIT_FAIL;
			} else {
				argv[u->arg] = copy; /* the child's now */
				copy = NULL;
			}
		}
		free(copy);
		free(was);
	}
	return rc;
}

int cmd_exec(struct ksmctl *k, int argc, char **argv)
{
	struct ksmctl_resolved *res = NULL;
	struct use *uses = NULL;
	char **texts = NULL;
	size_t n_uses = 0, n_texts = 0;
	int first = 1, rc;
	bool inl = false;

	for (; first < argc; first++) {
		if (!strcmp(argv[first], "--inline")) {
			inl = true;
		} else {
			if (!strcmp(argv[first], "--"))
				first++;
			break;
		}
	}
	if (first >= argc)
		return ksmctl_usage_error(
			k, "usage: exec [--inline] -- CMD [ARGS]");
	rc = collect(argv, first, inl, &uses, &n_uses, &texts, &n_texts);
	/* Files as notation prints them: unpadded base64url. */
	if (rc == EXIT_OK && n_texts)
		rc = ksmctl_resolve_run(k, (const char *const *)texts, n_texts,
					false, &res);
	if (rc == EXIT_OK && n_texts)
		rc = apply(k, argv, uses, n_uses, res);
	ksmctl_resolved_clear(res, n_texts);
	free(res);
	ksm_strv_free(texts, n_texts);
	for (size_t i = 0; i < n_uses; i++)
		free(uses[i].name);
	free(uses);
	if (rc != EXIT_OK)
		return rc;
	execvp(argv[first], argv + first);
	fprintf(stderr, "ksmctl: cannot run %s: %s\n", argv[first],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
