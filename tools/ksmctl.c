/* SPDX-License-Identifier: MIT */
/*
 * ksmctl.c - the ksm-unix admin CLI: option parsing, dispatch, exit codes.
 */
#include "ksmctl.h"
#include "mem.h"
#include "proxy.h"
#include "text.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int ksmctl_exit_code(ksm_status st)
{
	switch (st) {
	case KSM_OK:
		return EXIT_OK;
	case KSM_ERR_NOT_BOUND:
	case KSM_ERR_CONFIG:
	case KSM_ERR_CONFIG_PERM:
		return EXIT_NOT_BOUND;
	case KSM_ERR_NETWORK:
	case KSM_ERR_TIMEOUT:
	case KSM_ERR_TLS:
	case KSM_ERR_THROTTLED:
	case KSM_ERR_HTTP:
		return EXIT_NETWORK;
	case KSM_ERR_ACCESS_DENIED:
	case KSM_ERR_TOKEN:
	case KSM_ERR_KEY:
	case KSM_ERR_CLIENT_VERSION:
		return EXIT_DENIED;
	case KSM_ERR_NOT_FOUND:
		return EXIT_NOT_FOUND;
	case KSM_ERR_INVALID:
	case KSM_ERR_NOTATION:
	case KSM_ERR_AMBIGUOUS:
		return EXIT_USAGE;
	default:
		return EXIT_FAIL;
	}
}

int ksmctl_fail(const struct ksmctl *k, const ksm_error *err)
{
	fprintf(stderr, "%s: %s\n", k->prog,
		err->message[0] ? err->message : ksm_status_name(err->code));
	return ksmctl_exit_code(err->code);
}

int ksmctl_usage_error(const struct ksmctl *k, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", k->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (k->cmd)
		fprintf(stderr, "\nTry '%s %s --help'.\n", k->prog,
			k->cmd->name);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", k->prog);
	return EXIT_USAGE;
}

void ksmctl_ensure_parent_dir(const char *path)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			fprintf(stderr, "ksmctl: cannot create %s: %s\n", dir,
				strerror(errno));
	}
	free(dir);
}

void ksmctl_put_text(FILE *f, const char *s)
{
	char *shown = s ? ksm_text_display(s, strlen(s)) : NULL;

	if (shown)
		fputs(shown, f);
	ksm_free_secret(shown); /* it may be a value */
}

void ksmctl_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* ksm.conf is readable by every local user (the keys helper and ksmd
 * read it): it is no place for the proxy's password. */
static void warn_proxy_password(const struct ksmctl *k)
{
	unsigned mode;

	if (ksm_proxy_password_exposed(k->conf_path, k->conf, &mode))
		fprintf(stderr,
			"ksmctl: warning: %s holds the proxy's password and "
			"every local user may read it (mode %04o): put the "
			"password in proxy_password_file (0600, owned by %s) "
			"instead\n",
			k->conf_path ? k->conf_path : KSM_DEFAULT_CONF, mode,
			k->conf->ksmd_user);
}

const char *ksmctl_iso_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, cap, "%lld", (long long)t);
	return out;
}

void ksmctl_json_time(FILE *f, int64_t t)
{
	char buf[40];

	if (!t)
		fputs("null", f);
	else
		ksmctl_json_string(f, ksmctl_iso_time(t, buf, sizeof(buf)));
}

/* "CMD --help" or "CMD -h": anywhere before "--", but for exec (whose
 * arguments are another program's) only as its first argument. */
static bool wants_help(const struct ksmctl_command *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
		if (c->run == cmd_exec)
			break;
	}
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"conf", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ksmctl k = {.prog = "ksmctl"};
	ksm_error err = {0};
	int opt, rc;

	/* The vault's secrets and the device key pass through here. */
	ksm_no_core_dumps();
	/* '+': stop at the command; its own options follow it. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			k.conf_path = optarg;
			break;
		case 'h':
			ksmctl_print_help(stdout);
			return EXIT_OK;
		case 'V':
			puts("ksmctl (ksm-unix) " KSM_VERSION);
			return EXIT_OK;
		default:
			return ksmctl_usage_error(&k, "bad option");
		}
	}
	if (optind >= argc)
		return ksmctl_usage_error(&k, "no command given");
	k.cmd = ksmctl_command_find(argv[optind]);
	if (!k.cmd)
		return ksmctl_usage_error(&k, "unknown command '%s'",
					  argv[optind]);
	/* The command sees argv[0] = its name, getopt restarts. */
	argc -= optind;
	argv += optind;
	optind = 0;
	if (wants_help(k.cmd, argc, argv)) {
		ksmctl_print_usage(k.cmd, stdout);
		return EXIT_OK;
	}
	if (ksm_settings_load(k.conf_path, &k.conf, &err) != KSM_OK) {
		if (!k.cmd->own_conf)
			return ksmctl_fail(&k, &err);
		/* The doctor reports it and checks the rest. */
		if (ksm_settings_parse("", 0, "defaults", &k.conf, NULL) !=
		    KSM_OK)
			return ksmctl_fail(&k, &err);
		k.conf_error = &err;
	}
	warn_proxy_password(&k);
	rc = k.cmd->run(&k, argc, argv);
	ksm_settings_free(k.conf);
	return rc;
}
