/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_exec.c - "ksmctl exec -- CMD": run CMD with keeper:// values in
 * the environment replaced, fetching all records with one request.
 */
#include "ksmctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

extern char **environ;

static bool is_notation(const char *v)
{
	return strncasecmp(v, "keeper://", 9) == 0;
}

int cmd_exec(struct ksmctl *k, int argc, char **argv)
{
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	int first = 1, rc = EXIT_OK;
	bool any = false;

	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc)
		return ksmctl_usage_error(k, "usage: exec -- CMD [ARGS]");
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');

		if (eq && is_notation(eq + 1))
			any = true;
	}
	if (any) {
		rc = ksmctl_client(k, &c);
		if (rc != EXIT_OK)
			return rc;
		if (ksmctl_get_secrets(k, c, NULL, "read", &s, &err) !=
		    KSM_OK) {
			rc = ksmctl_fail(k, &err);
			goto out;
		}
	}
	for (char **e = environ; any && *e; e++) {
		const char *eq = strchr(*e, '=');
		ksm_notation n;
		char **v = NULL, *name;
		size_t cnt = 0;

		if (!eq || !is_notation(eq + 1))
			continue;
		name = strndup(*e, (size_t)(eq - *e));
		if (!name || ksm_notation_parse(eq + 1, &n, &err) != KSM_OK) {
			fprintf(stderr, "ksmctl: $%s: ", name ? name : "?");
			rc = ksmctl_fail(k, &err);
			free(name);
			goto out;
		}
		if (ksmctl_resolve_parsed(k, c, s, &n, eq + 1, &v, &cnt,
					  &err) != KSM_OK ||
		    cnt == 0) {
			if (cnt == 0 && err.code == KSM_OK)
				snprintf(err.message, sizeof(err.message),
					 "no value");
			fprintf(stderr, "ksmctl: $%s: ", name);
			rc = ksmctl_fail(k, &err);
			ksm_notation_clear(&n);
			free(name);
			goto out;
		}
		/* setenv copies; the environment is the child's anyway. */
		if (setenv(name, v[0], 1) != 0)
			rc = EXIT_FAIL;
		ksm_strv_free(v, cnt);
		ksm_notation_clear(&n);
		free(name);
		if (rc != EXIT_OK)
			goto out;
		/* environ may have moved: start over. */
		e = environ - 1;
	}
	ksm_secrets_free(s);
	s = NULL;
	ksm_client_free(c);
	c = NULL;
	execvp(argv[first], argv + first);
	fprintf(stderr, "ksmctl: cannot run %s: %s\n", argv[first],
		strerror(errno));
	return errno == ENOENT ? 127 : 126;
out:
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
