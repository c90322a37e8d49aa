/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_records.c - the records an admin's arguments name, as "secret
 * get" and "totp" take them: record UIDs or exact titles, several at once,
 * found with one read (only the UIDs when there is no title, else every
 * record). A title must name one record; when it names more, the error
 * lists them.
 */
#include "base.h"
#include "ksmctl.h"

#include <stdlib.h>
#include <string.h>

bool ksmctl_is_uid(const char *s)
{
	return s && strlen(s) == 22 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789-_") == 22;
}

/* What stands in argv for a UID taken out (getopt keeps the order of
 * the arguments that are not options, so the k-th hole is the k-th UID). */
static char hole[] = "";

void ksmctl_hide_uids(int argc, char **argv, const char *const *takes,
		      struct ksmctl_uids *u)
{
	u->n = 0;
	for (int i = 1; i < argc && u->n < KSMCTL_ARGS_MAX; i++) {
		bool value = false;

		/* The value of an option that takes one is not a UID. */
		for (size_t t = 0; takes && takes[t]; t++)
			value = value || !strcmp(argv[i - 1], takes[t]);
		if (argv[i][0] != '-' || !ksmctl_is_uid(argv[i]) || value)
			continue;
		u->v[u->n++] = argv[i];
		argv[i] = hole;
	}
}

size_t ksmctl_args(int argc, char **argv, int first,
		   const struct ksmctl_uids *u, const char **out)
{
	size_t n = 0, k = 0;

	for (int i = first; i < argc && n < KSMCTL_ARGS_MAX; i++)
		out[n++] = argv[i] == hole && k < u->n ? u->v[k++] : argv[i];
	return n;
}

/* "UID (type), UID (type)" of the records titled title, for the error. */
static void list_matches(const ksm_secrets *s, const char *title, char *buf,
			 size_t cap, size_t *count)
{
	size_t used = 0;

	*count = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ksm_secrets_count(s); i++) {
		const ksm_record *r = ksm_secrets_record(s, i);
		bool seen = false;
		int w;

		if (strcmp(ksm_record_title(r), title) != 0)
			continue;
		/* The same record twice (shared directly and in a folder). */
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(ksm_record_uid(ksm_secrets_record(s, j)),
				       ksm_record_uid(r)) &&
			       !strcmp(ksm_record_title(
					       ksm_secrets_record(s, j)),
				       title);
		if (seen)
			continue;
		w = snprintf(buf + used, cap - used, "%s%s (%s)",
			     (*count)++ ? ", " : "", ksm_record_uid(r),
			     ksm_record_type(r));
		if (w > 0 && (size_t)w < cap - used)
			used += (size_t)w;
	}
}

static const ksm_record *by_title(const ksm_secrets *s, const char *title)
{
	for (size_t i = 0; i < ksm_secrets_count(s); i++)
		if (!strcmp(ksm_record_title(ksm_secrets_record(s, i)), title))
			return ksm_secrets_record(s, i);
	return NULL;
}

int ksmctl_find_records(const struct ksmctl *k, ksm_client *c,
			const char *const *args, size_t n, ksm_secrets **s,
			const ksm_record **out)
{
	ksm_query q = {.record_uids = args, .n_record_uids = n};
	ksm_error err = {0};
	bool all_uids = true;
	int rc = EXIT_OK;

	for (size_t i = 0; i < n; i++)
		all_uids = all_uids && ksmctl_is_uid(args[i]);
	if (ksmctl_get_secrets(k, c, all_uids ? &q : NULL, "read", s, &err) !=
	    KSM_OK)
		return ksmctl_fail(k, &err);
	for (size_t i = 0; i < n; i++) {
		char list[512], shown[200], clean[512];
		size_t matches = 0;

		out[i] = ksmctl_is_uid(args[i]) ? ksm_secrets_find(*s, args[i])
						: NULL;
		if (out[i])
			continue;
		list_matches(*s, args[i], list, sizeof(list), &matches);
		ksm_text_sanitize(shown, sizeof(shown), args[i], NULL);
		if (matches == 1) {
			out[i] = by_title(*s, args[i]);
			continue;
		}
		if (matches == 0) {
			fprintf(stderr,
				"ksmctl: no record with UID or title \"%s\" "
				"is shared with this application\n",
				shown);
			if (rc == EXIT_OK)
				rc = EXIT_NOT_FOUND;
		} else {
			ksm_text_sanitize(clean, sizeof(clean), list, NULL);
			fprintf(stderr,
				"ksmctl: %zu records are titled \"%s\": %s; "
				"give the UID of one\n",
				matches, shown, clean);
			if (rc == EXIT_OK)
				rc = EXIT_USAGE;
		}
	}
	return rc;
}
