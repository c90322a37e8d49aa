/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_folder.c - "ksmctl folder list": the folders shared with the
 * application (shared folders and their subfolders), with their parents
 * and how many records each holds itself, for account_folders and for
 * "secret list --folder". Two requests: get_folders and get_secret.
 */
#include "ksmctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Records directly in folder uid, as Keeper's CLI counts them: in that
 * subfolder, or in that shared folder and no subfolder of it. */
bool ksmctl_folder_holds(const ksm_record *r, const char *uid)
{
	const char *inner = ksm_record_inner_folder_uid(r),
		   *shared = ksm_record_folder_uid(r);

	return inner ? !strcmp(inner, uid) : shared && !strcmp(shared, uid);
}

static void print_json(const struct ksmctl_folder *f, size_t n,
		       const size_t *counts)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		printf("%s{\"uid\":", i ? "," : "");
		ksmctl_json_string(stdout, f[i].uid);
		printf(",\"name\":");
		if (f[i].name)
			ksmctl_json_string(stdout, f[i].name);
		else
			fputs("null", stdout);
		printf(",\"parent\":");
		if (f[i].parent)
			ksmctl_json_string(stdout, f[i].parent);
		else
			fputs("null", stdout);
		printf(",\"records\":%zu}", counts[i]);
	}
	puts("]");
}

static int folder_list(struct ksmctl *k, bool json)
{
	struct ksmctl_folder *f = NULL;
	ksm_secrets *s = NULL;
	ksm_client *c = NULL;
	ksm_error err = {0};
	size_t n = 0, *counts = NULL;
	int rc = ksmctl_client(k, &c);

	if (rc != EXIT_OK)
		return rc;
	if (ksmctl_get_folders(k, c, &f, &n, &err) != KSM_OK ||
	    ksmctl_get_secrets(k, c, NULL, "read", &s, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	counts = calloc(n + 1, sizeof(*counts));
	if (!counts) {
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < ksm_secrets_count(s); j++)
			counts[i] += ksmctl_folder_holds(
				ksm_secrets_record(s, j), f[i].uid);
	if (json) {
		print_json(f, n, counts);
	} else {
		for (size_t i = 0; i < n; i++) {
			printf("%s  %-22s  %5zu  ", f[i].uid,
			       f[i].parent ? f[i].parent : "-", counts[i]);
			ksmctl_put_text(stdout, f[i].name ? f[i].name
							  : "(name not "
							    "readable)");
			putchar('\n');
		}
	}
out:
	free(counts);
	ksm_secrets_free(s);
	ksmctl_folders_free(f, n);
	ksm_client_free(c);
	return rc;
}

int cmd_folder(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	int opt;

	if (argc < 2 || strcmp(argv[1], "list") != 0)
		return ksmctl_usage_error(k, "folder: expected 'list'");
	argc--;
	argv++;
	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ksmctl_usage_error(k, "folder list: bad option");
		json = true;
	}
	if (optind != argc)
		return ksmctl_usage_error(k, "usage: folder list [--json]");
	return folder_list(k, json);
}
