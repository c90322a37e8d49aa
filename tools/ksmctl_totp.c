/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_totp.c - "totp" (and "secret totp"): the current one-time code
 * of each record named, by UID or title, from its oneTimeCode (or otp)
 * field; all records with one read.
 */
#include "ksmctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct code {
	char code[16];
	unsigned left;
};

/* The code of r now; the error printed. */
static int code_of(const struct ksmctl *k, const ksm_record *r, time_t now,
		   struct code *out)
{
	char *url = ksm_record_first_value(r, "oneTimeCode");
	ksm_totp t = {0};
	ksm_error err = {0};
	int rc = EXIT_OK;

	if (!url)
		url = ksm_record_first_value(r, "otp");
	if (!url) {
		fprintf(stderr, "ksmctl: record %s has no oneTimeCode field\n",
			ksm_record_uid(r));
		return EXIT_NOT_FOUND;
	}
	if (ksm_totp_parse(url, &t, &err) != KSM_OK ||
	    ksm_totp_code(&t, now, out->code, &out->left, &err) != KSM_OK) {
		fprintf(stderr, "ksmctl: record %s: ", ksm_record_uid(r));
		rc = ksmctl_fail(k, &err);
	}
	ksm_totp_clear(&t);
	ksm_free_secret(url);
	return rc;
}

static void print_json(const ksm_record *r, const struct code *c)
{
	printf("{\"uid\":");
	ksmctl_json_string(stdout, ksm_record_uid(r));
	printf(",\"title\":");
	ksmctl_json_string(stdout, ksm_record_title(r));
	printf(",\"code\":");
	ksmctl_json_string(stdout, c->code);
	printf(",\"left\":%u}", c->left);
}

int cmd_totp(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	const char *args[KSMCTL_ARGS_MAX];
	struct ksmctl_uids dash;
	const ksm_record **r = NULL;
	struct code *codes = NULL;
	ksm_secrets *s = NULL;
	ksm_client *c = NULL;
	time_t now = time(NULL);
	bool json = false;
	size_t n;
	int opt, rc;

	ksmctl_hide_uids(argc, argv, NULL, &dash);
	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ksmctl_usage_error(k, "totp: bad option");
		json = true;
	}
	n = ksmctl_args(argc, argv, optind, &dash, args);
	if (!n || argc - optind > KSMCTL_ARGS_MAX)
		return ksmctl_usage_error(
			k, "usage: totp UID_OR_TITLE... [--json]");
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	r = calloc(n, sizeof(*r));
	codes = calloc(n, sizeof(*codes));
	rc = r && codes ? ksmctl_find_records(k, c, args, n, &s, r) : EXIT_FAIL;
	/* All of them or nothing, for scripts. */
	for (size_t i = 0; rc == EXIT_OK && i < n; i++)
		rc = code_of(k, r[i], now, &codes[i]);
	if (rc == EXIT_OK && json && n > 1)
		putchar('[');
	for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
		if (json) {
			printf("%s", i ? "," : "");
			print_json(r[i], &codes[i]);
		} else if (n > 1) {
			printf("%s  %s (%u s left)\n", ksm_record_uid(r[i]),
			       codes[i].code, codes[i].left);
		} else {
			printf("%s (%u s left)\n", codes[i].code,
			       codes[i].left);
		}
	}
	if (rc == EXIT_OK && json)
		puts(n > 1 ? "]" : "");
	if (codes)
		ksm_wipe(codes, n * sizeof(*codes));
	free(codes);
	free(r);
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
