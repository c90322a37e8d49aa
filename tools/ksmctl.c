/* SPDX-License-Identifier: MIT */
/*
 * ksmctl.c - the ksm-unix admin CLI: option parsing, dispatch, exit codes.
 */
#include "ksmctl.h"
#include "proxy.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
	"Usage: ksmctl [--conf PATH] COMMAND [ARGS]\n"
	"\n"
	"Keeper Secrets Manager on this host (ksm-unix " KSM_VERSION ").\n"
	"\n"
	"Commands:\n"
	"  init [--token-file FILE | --token - | --config-file FILE | --config "
	"-]\n"
	"       [--host REGION|URL|HOST[:PORT]] [--server-key ID:B64U] "
	"[--force]\n"
	"       [--check]\n"
	"                          bind this host with a one-time access token "
	"(from\n"
	"                          FILE, standard input or a prompt, or "
	"KSM_TOKEN;\n"
	"                          never on the command line), or install a\n"
	"                          pre-initialized config (JSON, base64, "
	"keeper.ini,\n"
	"                          'ksm profile export'), and write the "
	"client\n"
	"                          config (client_config in ksm.conf) for "
	"ksmd's user;\n"
	"                          --check proves it with one request\n"
	"  secret list [--json]    records shared with the application\n"
	"  secret get UID [--field TYPE_OR_LABEL] [--json] [--unmask]\n"
	"                          one record; secret values masked unless "
	"--unmask;\n"
	"                          --field prints that field's values as they "
	"are\n"
	"  notation NOTATION       resolve "
	"keeper://UID_OR_TITLE/field/TYPE[..]\n"
	"  totp UID                current one-time code of the record's "
	"oneTimeCode\n"
	"  exec -- CMD [ARGS]      run CMD with environment values that start "
	"with\n"
	"                          keeper:// replaced by what they name\n"
	"  status [--json] [--local] [--prometheus[=PATH]]\n"
	"                          config, server, clock, latency, device "
	"expiry,\n"
	"                          snapshot age and last sync result "
	"(--local: no\n"
	"                          server request; --prometheus: "
	"node_exporter\n"
	"                          metrics, no request); exit 7: a warning\n"
	"  check [--json]          the host doctor: ksm.conf, client config, "
	"ksmd,\n"
	"                          snapshot, sshd, nsswitch.conf, PAM, the "
	"timer,\n"
	"                          clock and device expiry; each failure "
	"names its\n"
	"                          fix; exit 0 only when every check passes\n"
	"  sync                    turn the vault's records into accounts and "
	"write\n"
	"                          the snapshot (atomically; a failure keeps "
	"the old)\n"
	"  users                   accounts in the snapshot, and refused "
	"records\n"
	"  unenroll [--dry-run] [--yes]\n"
	"                          undo the enrollment: pam_ksm out of PAM, "
	"our sshd\n"
	"                          drop-in, ksm out of nsswitch.conf, the "
	"timers and\n"
	"                          ksmd stopped, then the device key, "
	"snapshot and\n"
	"                          verifiers removed; names the device to "
	"remove\n"
	"                          in Keeper\n"
	"\n"
	"Options:\n"
	"  --conf PATH             ksm.conf to use (default " KSM_DEFAULT_CONF
	")\n"
	"  -h, --help              this text\n"
	"  --version               print the version\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  other failure (local I/O, protocol or server error)\n"
	"  2  usage error\n"
	"  3  not bound: client config missing, invalid or unsafe\n"
	"  4  network: server unreachable, timeout, TLS failure, throttled, "
	"HTTP 5xx\n"
	"  5  access denied: device revoked, token used, key or version "
	"refused\n"
	"  6  not found: record, field or file\n"
	"  7  status: a warning (snapshot older than snapshot_warn_age, "
	"records\n"
	"     refused, device access expiring within 7 days, clock off "
	"by > 30 s)\n";

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

static const char check_help[] =
	"\nChecks (each: ok, FAIL with the command that fixes it, or skip):\n"
	"  conf           ksm.conf parses\n"
	"  client_config  owned by ksmd_user, mode 0600, bound\n"
	"  ksmd           answers a ping on ksmd_socket, same version\n"
	"  snapshot       valid, root's, not group/other writable, readable "
	"by all,\n"
	"                 younger than snapshot_warn_age\n"
	"  sshd           sshd -T: our AuthorizedKeysCommand and keys_user "
	"win\n"
	"  nsswitch       passwd and group name ksm after files\n"
	"  pam            pam_ksm in sshd's auth and account; every pam_ksm "
	"line of\n"
	"                 /etc/pam.d lets non-vault users through when "
	"ksm.conf,"
	"\n"
	"                 ksmd or the snapshot is broken\n"
	"  timer          ksm-sync.timer enabled and active (skip without "
	"systemd)\n"
	"  clock          within 30 s of the server's (ksmd's latest answer, "
	"or the\n"
	"                 last sync)\n"
	"  device         the device's access does not expire within 7 days\n"
	"Exit codes: 0 every check passed, 1 a check failed, 2 usage.\n";

static const char unenroll_help[] =
	"\nIn this order, each step only when there is something to undo:\n"
	"  pam-auth-update --disable ksm, and the pam_ksm lines added by "
	"hand taken\n"
	"  out of /etc/pam.d (refused when the rest of a file would change "
	"meaning);\n"
	"  our sshd drop-ins removed (sshd -t before and after; put back "
	"when it\n"
	"  fails), sshd reloaded; ksm-nsswitch disable; ksm-sync.timer,\n"
	"  ksm-metrics.timer and ksmd.socket disabled, ksmd stopped; "
	"client_config,\n"
	"  the snapshot and its .status, private_store and its .lock, the "
	"metrics\n"
	"  file removed. Everything is planned first: a step that cannot be "
	"done\n"
	"  safely refuses the run before anything changes. Without --yes it "
	"asks on\n"
	"  a terminal and refuses elsewhere; --dry-run prints the plan.\n"
	"Exit codes: 0 done (or nothing to undo), 1 refused or a step "
	"failed, 2 usage\n"
	"or not confirmed.\n";

static const char status_help[] =
	"\nExit status: 3, 4, 5 the server check failed (5: the vault "
	"refused this\n"
	"device); 1 a problem (snapshot unusable or older than "
	"keys_max_stale, last\n"
	"sync failed, device access expired); 7 a warning (see below); 0 "
	"all well.\n";

static const struct {
	const char *name;
	int (*run)(struct ksmctl *, int, char **);
	const char *more; /* its --help after the usage lines, or NULL */
	bool own_conf;	  /* runs (and reports) with a ksm.conf that fails */
} commands[] = {
	{"init", cmd_init, NULL, false},
	{"secret", cmd_secret, NULL, false},
	{"notation", cmd_notation, NULL, false},
	{"totp", cmd_totp, NULL, false},
	{"exec", cmd_exec, NULL, false},
	{"status", cmd_status, status_help, false},
	{"check", cmd_check, check_help, true},
	{"sync", cmd_sync, NULL, false},
	{"users", cmd_users, NULL, false},
	{"unenroll", cmd_unenroll, unenroll_help, false},
};

/*
 * "ksmctl CMD --help": the command's lines of the usage text (those that
 * start with "  CMD" and the deeper indented ones after them), its own
 * text, and the exit codes.
 */
static void command_help(const char *name, const char *more)
{
	const char *p = strstr(usage_text, "Commands:\n"), *codes;
	size_t n = strlen(name);
	bool in = false;

	printf("Usage: ksmctl [--conf PATH] %s ...\n\n", name);
	for (p = p ? strchr(p, '\n') + 1 : usage_text; *p && *p != '\n';) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);

		if (!strncmp(p, "  ", 2) && p[2] != ' ')
			in = !strncmp(p + 2, name, n) &&
			     (p[2 + n] == ' ' || p[2 + n] == '\n');
		if (in)
			fwrite(p, 1, len, stdout);
		p += len;
	}
	if (more)
		fputs(more, stdout);
	if ((!more || !strstr(more, "Exit codes:")) &&
	    (codes = strstr(usage_text, "\nExit codes:")))
		fputs(codes, stdout);
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
	int opt, rc = EXIT_USAGE;

	/* '+': stop at the command; its own options follow it. */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			k.conf_path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (argc - optind == 2 &&
		    (!strcmp(argv[optind + 1], "--help") ||
		     !strcmp(argv[optind + 1], "-h"))) {
			command_help(commands[i].name, commands[i].more);
			return EXIT_OK;
		}
		if (ksm_settings_load(k.conf_path, &k.conf, &err) != KSM_OK) {
			if (!commands[i].own_conf)
				return ksmctl_fail(&k, &err);
			/* The doctor reports it and checks the rest. */
			if (ksm_settings_parse("", 0, "defaults", &k.conf,
					       NULL) != KSM_OK)
				return ksmctl_fail(&k, &err);
			k.conf_error = &err;
		}
		warn_proxy_password(&k);
		/* The command sees argv[0] = its name, getopt restarts. */
		argc -= optind;
		argv += optind;
		optind = 0;
		rc = commands[i].run(&k, argc, argv);
		ksm_settings_free(k.conf);
		return rc;
	}
	return ksmctl_usage_error(&k, "unknown command '%s'", argv[optind]);
}
