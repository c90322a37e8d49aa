/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_secret.c - "secret list", "secret get", "notation" and "totp".
 */
#include "ksmctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MASK "********"

/* Field types whose values are hidden unless --unmask (as Keeper's CLI). */
static bool is_secret_type(const char *type)
{
	static const char *const hidden[] = {
		"password",	    "secret",	     "pinCode",
		"oneTimeCode",	    "otp",	     "keyPair",
		"paymentCard",	    "bankAccount",   "passkey",
		"securityQuestion", "licenseNumber", "accountNumber",
	};

	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (type && strcmp(type, hidden[i]) == 0)
			return true;
	return false;
}

static void print_fields_text(const ksm_record *r, ksm_section where,
			      bool unmask)
{
	for (size_t i = 0; i < ksm_record_field_count(r, where); i++) {
		const ksm_field *f = ksm_record_field_at(r, where, i);
		const char *label = ksm_field_label(f);
		bool hide = !unmask && is_secret_type(ksm_field_type(f));
		size_t n = ksm_field_value_count(f);

		printf("  %s%s%s%s:", ksm_field_type(f), label ? " (" : "",
		       label ? label : "", label ? ")" : "");
		for (size_t j = 0; j < n; j++) {
			char *v = ksm_field_value_text(f, j);

			printf(" %s", hide ? MASK : (v ? v : ""));
			ksm_free_secret(v);
		}
		putchar('\n');
	}
}

static void print_fields_json(const ksm_record *r, ksm_section where,
			      bool unmask)
{
	for (size_t i = 0; i < ksm_record_field_count(r, where); i++) {
		const ksm_field *f = ksm_record_field_at(r, where, i);
		bool hide = !unmask && is_secret_type(ksm_field_type(f));

		printf("%s{\"type\":", i ? "," : "");
		ksmctl_json_string(stdout, ksm_field_type(f));
		if (ksm_field_label(f)) {
			printf(",\"label\":");
			ksmctl_json_string(stdout, ksm_field_label(f));
		}
		printf(",\"value\":[");
		for (size_t j = 0; j < ksm_field_value_count(f); j++) {
			/* Values keep their JSON type (objects, booleans). */
			char *v = hide ? NULL : ksm_field_value_json(f, j);

			printf("%s", j ? "," : "");
			if (hide)
				ksmctl_json_string(stdout, MASK);
			else
				fputs(v ? v : "null", stdout);
			ksm_free_secret(v);
		}
		printf("]}");
	}
}

static void print_record_json(const ksm_record *r, bool unmask, bool full)
{
	printf("{\"uid\":");
	ksmctl_json_string(stdout, ksm_record_uid(r));
	printf(",\"title\":");
	ksmctl_json_string(stdout, ksm_record_title(r));
	printf(",\"type\":");
	ksmctl_json_string(stdout, ksm_record_type(r));
	printf(",\"revision\":%lld", (long long)ksm_record_revision(r));
	if (ksm_record_folder_uid(r)) {
		printf(",\"folder\":");
		ksmctl_json_string(stdout, ksm_record_folder_uid(r));
	}
	if (full) {
		printf(",\"notes\":");
		ksmctl_json_string(stdout, ksm_record_notes(r));
		printf(",\"fields\":[");
		print_fields_json(r, KSM_FIELDS, unmask);
		printf("],\"custom\":[");
		print_fields_json(r, KSM_CUSTOM, unmask);
		printf("],\"files\":[");
		for (size_t i = 0; i < ksm_record_file_count(r); i++) {
			const ksm_file *f = ksm_record_file_at(r, i);

			printf("%s{\"uid\":", i ? "," : "");
			ksmctl_json_string(stdout, ksm_file_uid(f));
			printf(",\"name\":");
			ksmctl_json_string(stdout, ksm_file_name(f));
			printf(",\"size\":%lld}", (long long)ksm_file_size(f));
		}
		printf("]");
	}
	printf("}");
}

static int secret_list(struct ksmctl *k, ksm_client *c, bool json)
{
	ksm_secrets *s = NULL;
	ksm_error err = {0};

	if (ksmctl_get_secrets(k, c, NULL, "read", &s, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	if (json)
		putchar('[');
	for (size_t i = 0; i < ksm_secrets_count(s); i++) {
		const ksm_record *r = ksm_secrets_record(s, i);

		if (json) {
			printf("%s", i ? "," : "");
			print_record_json(r, false, false);
		} else {
			printf("%s  %-16s  %s\n", ksm_record_uid(r),
			       ksm_record_type(r), ksm_record_title(r));
		}
	}
	if (json)
		puts("]");
	if (ksm_secrets_bad_count(s))
		fprintf(stderr,
			"ksmctl: %zu record(s) could not be decrypted "
			"and are not shown\n",
			ksm_secrets_bad_count(s));
	ksm_secrets_free(s);
	return EXIT_OK;
}

static int print_field_values(struct ksmctl *k, const ksm_record *r,
			      const char *name)
{
	const ksm_field *f = NULL;
	ksm_status st = ksm_record_find_field(r, KSM_ANY, name, &f);

	if (st != KSM_OK) {
		fprintf(stderr, "ksmctl: record %s: %s field '%s'\n",
			ksm_record_uid(r),
			st == KSM_ERR_AMBIGUOUS ? "more than one" : "no", name);
		return ksmctl_exit_code(st);
	}
	for (size_t j = 0; j < ksm_field_value_count(f); j++) {
		char *v = ksm_field_value_text(f, j);

		puts(v ? v : "");
		ksm_free_secret(v);
	}
	return EXIT_OK;
}

static int secret_get(struct ksmctl *k, ksm_client *c, const char *uid,
		      const char *field, bool json, bool unmask)
{
	ksm_query q = {.record_uids = &uid, .n_record_uids = 1};
	const ksm_record *r;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	int rc = EXIT_OK;

	if (ksmctl_get_secrets(k, c, &q, "read", &s, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	r = ksm_secrets_find(s, uid);
	if (!r) {
		fprintf(stderr,
			"ksmctl: no record %s is shared with this "
			"application\n",
			uid);
		rc = EXIT_NOT_FOUND;
	} else if (field) {
		rc = print_field_values(k, r, field);
	} else if (json) {
		print_record_json(r, unmask, true);
		putchar('\n');
	} else {
		printf("%s\n  uid: %s\n  type: %s\n", ksm_record_title(r),
		       ksm_record_uid(r), ksm_record_type(r));
		print_fields_text(r, KSM_FIELDS, unmask);
		print_fields_text(r, KSM_CUSTOM, unmask);
		if (*ksm_record_notes(r))
			printf("  notes: %s\n", ksm_record_notes(r));
		for (size_t i = 0; i < ksm_record_file_count(r); i++)
			printf("  file: %s (%lld bytes)\n",
			       ksm_file_name(ksm_record_file_at(r, i)),
			       (long long)ksm_file_size(
				       ksm_record_file_at(r, i)));
	}
	ksm_secrets_free(s);
	return rc;
}

/*
 * A record UID may start with '-' (1 in 32 do), which getopt would take
 * for an option: take any UID-shaped argument out of argv first.
 */
static const char *take_uid_arg(int *argc, char **argv)
{
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		size_t n = strspn(
			a,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789-_");

		if (strlen(a) == 22 && n == 22 && a[0] == '-' &&
		    strcmp(argv[i - 1], "--field") != 0) {
			memmove(&argv[i], &argv[i + 1],
				(size_t)(*argc - i) * sizeof(*argv));
			(*argc)--;
			return a;
		}
	}
	return NULL;
}

int cmd_secret(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"unmask", no_argument, NULL, 'u'},
		{"field", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *field = NULL, *sub, *uid;
	bool json = false, unmask = false;
	ksm_client *c = NULL;
	int opt, rc;

	if (argc < 2)
		return ksmctl_usage_error(k,
					  "secret: expected 'list' or 'get'");
	sub = argv[1];
	argc--;
	argv++;
	uid = take_uid_arg(&argc, argv);
	while ((opt = getopt_long(argc, argv, "jf:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'u':
			unmask = true;
			break;
		case 'f':
			field = optarg;
			break;
		default:
			return ksmctl_usage_error(k, "secret: bad option");
		}
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc || field || unmask)
			return ksmctl_usage_error(
				k, "usage: secret list [--json]");
	} else if (strcmp(sub, "get") == 0) {
		if (!uid && optind + 1 == argc)
			uid = argv[optind++];
		if (!uid || optind != argc)
			return ksmctl_usage_error(k, "usage: secret get UID "
						     "[--field F] [--json] "
						     "[--unmask]");
	} else {
		return ksmctl_usage_error(k, "secret: unknown subcommand '%s'",
					  sub);
	}
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	rc = strcmp(sub, "list") == 0
		     ? secret_list(k, c, json)
		     : secret_get(k, c, uid, field, json, unmask);
	ksm_client_free(c);
	return rc;
}

int cmd_notation(struct ksmctl *k, int argc, char **argv)
{
	ksm_client *c = NULL;
	ksm_error err = {0};
	char **v = NULL;
	size_t n = 0;
	int rc;

	if (argc != 2)
		return ksmctl_usage_error(k, "usage: notation NOTATION");
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	if (ksmctl_resolve(k, c, argv[1], &v, &n, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
	} else {
		for (size_t i = 0; i < n; i++)
			puts(v[i]);
		ksm_strv_free(v, n);
	}
	ksm_client_free(c);
	return rc;
}

int cmd_totp(struct ksmctl *k, int argc, char **argv)
{
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	ksm_totp t = {0};
	const ksm_record *r;
	const char *uid;
	char *url = NULL, code[16];
	unsigned left = 0;
	int rc;

	if (argc != 2)
		return ksmctl_usage_error(k, "usage: totp UID");
	uid = argv[1];
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	ksm_query q = {.record_uids = &uid, .n_record_uids = 1};
	if (ksmctl_get_secrets(k, c, &q, "read", &s, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	r = ksm_secrets_find(s, uid);
	if (r) {
		url = ksm_record_first_value(r, "oneTimeCode");
		if (!url)
			url = ksm_record_first_value(r, "otp");
	}
	if (!url) {
		fprintf(stderr, "ksmctl: record %s %s\n", uid,
			r ? "has no oneTimeCode field"
			  : "is not shared with "
			    "this application");
		rc = EXIT_NOT_FOUND;
		goto out;
	}
	if (ksm_totp_parse(url, &t, &err) != KSM_OK ||
	    ksm_totp_code(&t, time(NULL), code, &left, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	printf("%s (%u s left)\n", code, left);
	ksm_wipe(code, sizeof(code));
out:
	ksm_totp_clear(&t);
	ksm_free_secret(url);
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
