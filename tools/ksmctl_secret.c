/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_secret.c - "secret list", "secret get", "secret download" and
 * "notation" ("secret notation", and "secret totp" for ksmctl_totp.c's
 * "totp", as Keeper's CLI names them).
 */
#include "base.h"
#include "ksmctl.h"

#include <getopt.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

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

		fputs("  ", stdout);
		ksmctl_put_text(stdout, ksm_field_type(f));
		if (label) {
			fputs(" (", stdout);
			ksmctl_put_text(stdout, label);
			putchar(')');
		}
		putchar(':');
		for (size_t j = 0; j < n; j++) {
			char *v = ksm_field_value_text(f, j);

			putchar(' ');
			ksmctl_put_text(stdout, hide ? MASK : v);
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

/* The folder --folder names: a UID as it is, else the one folder of that
 * name (one more request). */
static int folder_uid(struct ksmctl *k, ksm_client *c, const char *arg,
		      char **uid)
{
	struct ksmctl_folder *f = NULL;
	ksm_error err = {0};
	size_t n = 0, found = 0, used = 0;
	char shown[200], list[512] = "";
	int rc = EXIT_OK;

	*uid = NULL;
	if (ksmctl_is_uid(arg)) {
		*uid = strdup(arg);
		return *uid ? EXIT_OK : EXIT_FAIL;
	}
	if (ksmctl_get_folders(k, c, &f, &n, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	for (size_t i = 0; i < n; i++) {
		int w;

		if (!f[i].name || strcmp(f[i].name, arg) != 0)
			continue;
		w = snprintf(list + used, sizeof(list) - used, "%s%s",
			     found++ ? ", " : "", f[i].uid);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
		if (!*uid && !(*uid = strdup(f[i].uid)))
			rc = EXIT_FAIL;
	}
	ksm_text_sanitize(shown, sizeof(shown), arg, NULL);
	if (found == 0) {
		fprintf(stderr, "ksmctl: no folder is named \"%s\"\n", shown);
		rc = EXIT_NOT_FOUND;
	} else if (found > 1) {
		fprintf(stderr,
			"ksmctl: %zu folders are named \"%s\": %s; give the "
			"UID of one\n",
			found, shown, list);
		rc = EXIT_USAGE;
	}
	if (rc != EXIT_OK) {
		free(*uid);
		*uid = NULL;
	}
	ksmctl_folders_free(f, n);
	return rc;
}

struct list_filter {
	const char *folder; /* UID or name, or NULL */
	const char *title;  /* extended regular expression, or NULL */
};

static int secret_list(struct ksmctl *k, ksm_client *c, bool json,
		       const struct list_filter *lf)
{
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	char *folder = NULL;
	regex_t re;
	bool have_re = false;
	size_t shown = 0;
	int rc = EXIT_OK;

	if (lf->title) {
		int e = regcomp(&re, lf->title,
				REG_EXTENDED | REG_ICASE | REG_NOSUB);

		if (e != 0) {
			char msg[200];

			regerror(e, &re, msg, sizeof(msg));
			return ksmctl_usage_error(k, "secret list --title: %s",
						  msg);
		}
		have_re = true;
	}
	if (lf->folder &&
	    (rc = folder_uid(k, c, lf->folder, &folder)) != EXIT_OK)
		goto out;
	if (ksmctl_get_secrets(k, c, NULL, "read", &s, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	if (json)
		putchar('[');
	for (size_t i = 0; i < ksm_secrets_count(s); i++) {
		const ksm_record *r = ksm_secrets_record(s, i);

		if ((folder && !ksmctl_folder_holds(r, folder)) ||
		    (have_re && regexec(&re, ksm_record_title(r), 0, NULL, 0)))
			continue;
		if (json) {
			printf("%s", shown++ ? "," : "");
			print_record_json(r, false, false);
		} else {
			char *type = ksm_text_display(ksm_record_type(r), 64);

			printf("%s  %-16s  ", ksm_record_uid(r),
			       type ? type : "?");
			ksmctl_put_text(stdout, ksm_record_title(r));
			putchar('\n');
			free(type);
		}
	}
	if (json)
		puts("]");
	if (ksm_secrets_bad_count(s))
		fprintf(stderr,
			"ksmctl: %zu record(s) could not be decrypted "
			"and are not shown\n",
			ksm_secrets_bad_count(s));
out:
	if (have_re)
		regfree(&re);
	free(folder);
	ksm_secrets_free(s);
	return rc;
}

/* The values of one field: one a line, as JSON, or (raw) the first one
 * alone, exactly. */
static int print_field_values(const ksm_record *r, const char *name, bool json,
			      bool raw)
{
	const ksm_field *f = NULL;
	ksm_status st = ksm_record_find_field(r, KSM_ANY, name, &f);

	if (st != KSM_OK) {
		fprintf(stderr, "ksmctl: record %s: %s field '%s'\n",
			ksm_record_uid(r),
			st == KSM_ERR_AMBIGUOUS ? "more than one" : "no", name);
		return ksmctl_exit_code(st);
	}
	if (raw) {
		char *v = ksm_field_value_count(f) ? ksm_field_value_text(f, 0)
						   : NULL;

		if (!v) {
			fprintf(stderr,
				"ksmctl: record %s: field '%s' has "
				"no value\n",
				ksm_record_uid(r), name);
			return EXIT_NOT_FOUND;
		}
		fputs(v, stdout);
		ksm_free_secret(v);
		return EXIT_OK;
	}
	if (json)
		putchar('[');
	for (size_t j = 0; j < ksm_field_value_count(f); j++) {
		char *v = json ? ksm_field_value_json(f, j)
			       : ksm_field_value_text(f, j);

		if (json)
			printf("%s%s", j ? "," : "", v ? v : "null");
		else
			puts(v ? v : "");
		ksm_free_secret(v);
	}
	if (json)
		puts("]");
	return EXIT_OK;
}

static void print_record_text(const ksm_record *r, bool unmask)
{
	ksmctl_put_text(stdout, ksm_record_title(r));
	printf("\n  uid: %s\n  type: ", ksm_record_uid(r));
	ksmctl_put_text(stdout, ksm_record_type(r));
	putchar('\n');
	print_fields_text(r, KSM_FIELDS, unmask);
	print_fields_text(r, KSM_CUSTOM, unmask);
	if (*ksm_record_notes(r)) {
		fputs("  notes: ", stdout);
		ksmctl_put_text(stdout, ksm_record_notes(r));
		putchar('\n');
	}
	for (size_t i = 0; i < ksm_record_file_count(r); i++) {
		fputs("  file: ", stdout);
		ksmctl_put_text(stdout,
				ksm_file_name(ksm_record_file_at(r, i)));
		printf(" (%lld bytes)\n",
		       (long long)ksm_file_size(ksm_record_file_at(r, i)));
	}
}

struct get_opts {
	const char *field;
	bool json, unmask, raw;
};

static int secret_get(struct ksmctl *k, ksm_client *c, const char *const *args,
		      size_t n, const struct get_opts *g)
{
	const ksm_record **r = calloc(n + 1, sizeof(*r));
	ksm_secrets *s = NULL;
	int rc = r ? ksmctl_find_records(k, c, args, n, &s, r) : EXIT_FAIL;

	if (rc == EXIT_OK && g->json && !g->field && n > 1)
		putchar('[');
	for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
		if (g->field) {
			rc = print_field_values(r[i], g->field, g->json,
						g->raw);
		} else if (g->json) {
			printf("%s", i ? "," : "");
			print_record_json(r[i], g->unmask, true);
			if (n == 1)
				putchar('\n');
		} else {
			printf("%s", i ? "\n" : "");
			print_record_text(r[i], g->unmask);
		}
	}
	if (rc == EXIT_OK && g->json && !g->field && n > 1)
		puts("]");
	ksm_secrets_free(s);
	free(r);
	return rc;
}

/* "keeper://RECORD/file/NAME" with the notation's escapes. */
static char *file_notation(const char *record, const char *file)
{
	size_t n = 9 + 2 * strlen(record) + 6 + 2 * strlen(file) + 1;
	char *out = malloc(n), *o = out;
	const char *parts[2] = {record, file};

	if (!out)
		return NULL;
	o += sprintf(o, "keeper://");
	for (int p = 0; p < 2; p++) {
		for (const char *q = parts[p]; *q; q++) {
			if (strchr("/[]\\", *q))
				*o++ = '\\';
			*o++ = *q;
		}
		if (p == 0)
			o += sprintf(o, "/file/");
	}
	*o = '\0';
	return out;
}

/* secret download UID (--name NAME | --file-uid F) -o PATH [--mode M]:
 * one request and the download, written atomically (0600). */
static int secret_download(struct ksmctl *k, const char *record,
			   const char *file, const char *path, unsigned mode)
{
	struct ksmctl_resolved *res = NULL;
	char *text = file_notation(record, file);
	ksm_error err = {0};
	int rc = text ? ksmctl_resolve_run(k, (const char *const *)&text, 1,
					   true, &res)
		      : EXIT_FAIL;

	if (rc == EXIT_OK && res->err.code != KSM_OK)
		rc = ksmctl_fail(k, &res->err);
	else if (rc == EXIT_OK && res->count != 1)
		rc = ksmctl_fail(k, &(ksm_error){.code = KSM_ERR_NOT_FOUND,
						 .message = "no file"});
	if (rc == EXIT_OK &&
	    ksmctl_write_file(path, res->values[0], res->lens[0], mode, NULL,
			      &err) != KSM_OK)
		rc = ksmctl_fail(k, &err);
	ksmctl_resolved_clear(res, 1);
	free(res);
	free(text);
	return rc;
}

int cmd_secret(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"unmask", no_argument, NULL, 'u'},
		{"raw", no_argument, NULL, 'r'},
		{"field", required_argument, NULL, 'f'},
		{"folder", required_argument, NULL, 'F'},
		{"title", required_argument, NULL, 't'},
		{"name", required_argument, NULL, 'N'},
		{"file-uid", required_argument, NULL, 'U'},
		{"output", required_argument, NULL, 'o'},
		{"mode", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	static const char *const takes[] = {
		"--field", "-f",	 "--folder", "--title", "-t", "--name",
		"-o",	   "--file-uid", "--output", "--mode",	NULL,
	};
	const char *args[KSMCTL_ARGS_MAX], *sub, *name = NULL, *file_uid = NULL,
						 *output = NULL;
	struct ksmctl_uids dash;
	struct list_filter lf = {0};
	struct get_opts g = {0};
	unsigned mode = 0600;
	ksm_client *c = NULL;
	size_t n;
	int opt, rc;

	if (argc < 2)
		return ksmctl_usage_error(
			k, "secret: expected list, get, download, notation "
			   "or totp");
	sub = argv[1];
	argc--;
	argv++;
	/* Keeper's CLI names: "ksm secret notation", "ksm secret totp". */
	if (!strcmp(sub, "notation"))
		return cmd_notation(k, argc, argv);
	if (!strcmp(sub, "totp"))
		return cmd_totp(k, argc, argv);
	ksmctl_hide_uids(argc, argv, takes, &dash);
	while ((opt = getopt_long(argc, argv, "jf:t:o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			g.json = true;
			break;
		case 'u':
			g.unmask = true;
			break;
		case 'r':
			g.raw = true;
			break;
		case 'f':
			g.field = optarg;
			break;
		case 'F':
			lf.folder = optarg;
			break;
		case 't':
			lf.title = optarg;
			break;
		case 'N':
			name = optarg;
			break;
		case 'U':
			file_uid = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'm':
			if (!ksmctl_parse_mode(optarg, &mode))
				return ksmctl_usage_error(
					k, "secret: --mode takes an octal mode "
					   "up to 0777");
			break;
		default:
			return ksmctl_usage_error(k, "secret: bad option");
		}
	}
	if (argc - optind > KSMCTL_ARGS_MAX)
		return ksmctl_usage_error(k, "secret: too many arguments");
	n = ksmctl_args(argc, argv, optind, &dash, args);
	if (!strcmp(sub, "list")) {
		if (n || g.field || g.unmask || g.raw || name || file_uid ||
		    output)
			return ksmctl_usage_error(
				k, "usage: secret list [--folder UID_OR_NAME] "
				   "[--title REGEX] [--json]");
	} else if (!strcmp(sub, "get")) {
		if (!n || lf.folder || lf.title || name || file_uid || output)
			return ksmctl_usage_error(
				k, "usage: secret get UID_OR_TITLE... [--field "
				   "F [--raw]] [--json] [--unmask]");
		if (g.raw && (!g.field || n != 1 || g.json))
			return ksmctl_usage_error(
				k, "secret get: --raw prints one value: one "
				   "record, --field, no --json");
	} else if (!strcmp(sub, "download")) {
		if (n != 1 || !output || !name == !file_uid || g.field ||
		    g.json || g.unmask || g.raw || lf.folder || lf.title)
			return ksmctl_usage_error(
				k, "usage: secret download UID (--name NAME | "
				   "--file-uid F) -o PATH [--mode M]");
		return secret_download(k, args[0], name ? name : file_uid,
				       output, mode);
	} else {
		return ksmctl_usage_error(k, "secret: unknown subcommand '%s'",
					  sub);
	}
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	rc = !strcmp(sub, "list") ? secret_list(k, c, g.json, &lf)
				  : secret_get(k, c, args, n, &g);
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
