/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_init.c - "ksmctl init": bind the host with a one-time token, or
 * install a pre-initialized config (ksmctl_init_config.c), and with
 * --check prove the binding with one request.
 *
 * The binding happens in memory; the config is written (atomically, 0600)
 * only once the server has answered with the app key, so a failed attempt
 * leaves no half-bound file behind.
 */
#include "ksmctl.h"
#include "local_files.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* The first line of f, trimmed, as a secret string; NULL if none. */
static char *first_line(FILE *f)
{
	char buf[1024];
	size_t n;
	char *s = NULL;

	if (fgets(buf, sizeof(buf), f)) {
		n = strcspn(buf, "\r\n");
		while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			n--;
		buf[n] = '\0';
		s = n ? strdup(buf) : NULL;
	}
	ksm_wipe(buf, sizeof(buf));
	return s;
}

/* On a terminal: a prompt without echo. */
static char *prompt_token(void)
{
	struct termios old, quiet;
	char *s;

	fputs("One-time access token: ", stderr);
	if (tcgetattr(STDIN_FILENO, &old) != 0)
		return first_line(stdin);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	s = first_line(stdin);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return s;
}

/* --token-file, --token - (stdin or a prompt), or KSM_TOKEN. */
static int read_token(const char *arg, const char *file, char **out)
{
	const char *env = getenv("KSM_TOKEN");
	FILE *f;

	*out = NULL;
	if (file) {
		f = fopen(file, "re");
		if (!f) {
			fprintf(stderr, "ksmctl: cannot read %s: %s\n", file,
				strerror(errno));
			return EXIT_USAGE;
		}
		*out = first_line(f);
		fclose(f);
	} else if (arg) {
		*out = isatty(STDIN_FILENO) ? prompt_token()
					    : first_line(stdin);
	} else if (env && *env) {
		*out = strdup(env);
	}
	if (!*out) {
		fprintf(stderr,
			"ksmctl: init needs the one-time access token: "
			"--token-file PATH, --token - (standard input or a "
			"prompt) or KSM_TOKEN\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The credential belongs to ksmd's user (root can read it anyway). */
void ksmctl_ksmd_owner(const ksm_settings *conf, const char *path, uid_t *uid,
		       gid_t *gid)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (geteuid() != 0 || !conf->ksmd_user ||
	    !strcmp(conf->ksmd_user, "root"))
		return;
	if (!ksm_passwd_file_user(NULL, conf->ksmd_user, uid, gid)) {
		*uid = (uid_t)-1;
		*gid = (gid_t)-1;
		fprintf(stderr,
			"ksmctl: no local user %s (ksmd_user): %s stays "
			"root's; ksmd cannot read it until you chown it\n",
			conf->ksmd_user, path);
	}
}

/*
 * The shipped units know the default paths only: ksm-sync.service runs
 * while SYSCONFDIR_KSM/client.json exists (ConditionPathExists=) and may
 * write /var/lib/ksm alone, ksmd.service /var/lib/ksmd. A ksm.conf that
 * moves them would make the timer skip every sync without a word, or the
 * writes fail: say so now, with the drop-in that fixes it.
 */
#define UNIT_CLIENT_CONFIG SYSCONFDIR_KSM "/client.json"

void ksmctl_unit_notes(const ksm_settings *conf)
{
	/* The directory each unit may write, and what ksm.conf puts there. */
	const struct {
		const char *unit, *dir, *option, *path;
	} writes[] = {
		{"ksm-sync", "/var/lib/ksm/", "snapshot", conf->snapshot},
		{"ksmd", "/var/lib/ksmd/", "private_store",
		 conf->private_store},
	};

	if (strcmp(conf->client_config, UNIT_CLIENT_CONFIG) != 0)
		fprintf(stderr,
			"ksmctl: note: ksm-sync.service syncs only while %s "
			"exists (ConditionPathExists=); for client_config = %s "
			"add a drop-in ('systemctl edit ksm-sync': [Unit], "
			"'ConditionPathExists=' to clear it, then "
			"'ConditionPathExists=%s'), or the timer does "
			"nothing\n",
			UNIT_CLIENT_CONFIG, conf->client_config,
			conf->client_config);
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (strncmp(writes[i].path, writes[i].dir,
			    strlen(writes[i].dir)) != 0)
			fprintf(stderr,
				"ksmctl: note: %s.service may write only in "
				"%s; for %s = %s add its directory to "
				"ReadWritePaths= ('systemctl edit %s')\n",
				writes[i].unit, writes[i].dir, writes[i].option,
				writes[i].path, writes[i].unit);
}

bool ksmctl_already_bound(const char *path)
{
	ksm_client_config *cfg = NULL;
	bool bound;

	if (ksm_client_config_load_file(path, KSM_CLIENT_CONFIG_ALLOW_INSECURE,
					&cfg, NULL) != KSM_OK)
		return false;
	bound = ksm_client_config_get(cfg, KSM_CFG_APP_KEY) != NULL;
	ksm_client_config_free(cfg);
	return bound;
}

/* The token path: bind in memory (through ksmd when it runs), then write. */
static int init_token(struct ksmctl *k, const struct ksmctl_init_args *a)
{
	const char *path = k->conf->client_config;
	char *token = NULL;
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	ksm_status st;
	size_t records = 0;
	uid_t owner;
	gid_t group;
	int rc;

	rc = read_token(a->token_arg, a->token_file, &token);
	if (rc != EXIT_OK)
		return rc;
	if (!a->force && ksmctl_already_bound(path)) {
		ksmctl_refuse_rebind(path);
		ksm_free_secret(token);
		return EXIT_USAGE;
	}
	/* A token that does not parse is a typo, not a refusal: usage (2). */
	st = ksm_client_config_from_token(token, a->host, a->server_key, &cfg,
					  &err);
	if (st != KSM_OK) {
		ksm_free_secret(token);
		ksmctl_fail(k, &err);
		return err.code == KSM_ERR_TOKEN ? EXIT_USAGE
						 : ksmctl_exit_code(err.code);
	}
	/* Through ksmd when it runs: it makes the binding request. */
	if (ksmctl_ksmd_running(k)) {
		ksm_client_config_free(cfg);
		cfg = NULL;
		st = ksmctl_bind_via_ksmd(k, token, a->host, a->server_key,
					  &cfg, &records, &err);
	}
	ksm_free_secret(token);
	if (st == KSM_OK &&
	    ksm_client_from_config(k->conf, cfg, &c, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	if (st == KSM_OK && !ksm_client_is_bound(c) &&
	    (st = ksm_get_secrets(c, NULL, k->conf->timeout_sync_ms, &s,
				  &err)) == KSM_OK)
		records = ksm_secrets_count(s);
	if (st != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		if (err.code == KSM_ERR_ACCESS_DENIED ||
		    err.code == KSM_ERR_TOKEN)
			fprintf(stderr,
				"ksmctl: if you did not use this token "
				"yourself, someone else may have: check the "
				"application's device list in Keeper and "
				"remove devices you do not know\n");
		goto out;
	}
	ksmctl_ensure_parent_dir(path);
	ksmctl_ksmd_owner(k->conf, path, &owner, &group);
	if (ksm_client_config_save_file_owned(ksm_client_get_config(c), path,
					      owner, group, &err) != KSM_OK) {
		fprintf(stderr, "ksmctl: the token is now used up; fix the "
				"problem below and bind with a new token\n");
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	printf("bound to %s; %zu record(s) visible; config written to %s\n",
	       ksm_client_config_get(ksm_client_get_config(c),
				     KSM_CFG_HOSTNAME),
	       records, path);
	ksmctl_unit_notes(k->conf);
	rc = EXIT_OK;
out:
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}

void ksmctl_refuse_rebind(const char *path)
{
	fprintf(stderr,
		"ksmctl: %s already holds a bound device; use --force to "
		"replace it (the old device stays registered in Keeper until "
		"you remove it there)\n",
		path);
}

int cmd_init(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"token", required_argument, NULL, 't'},
		{"token-file", required_argument, NULL, 'T'},
		{"config", required_argument, NULL, 'C'},
		{"config-file", required_argument, NULL, 'F'},
		{"host", required_argument, NULL, 'H'},
		{"server-key", required_argument, NULL, 'k'},
		{"force", no_argument, NULL, 'f'},
		{"check", no_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	struct ksmctl_init_args a = {0};
	const char *config_arg = NULL;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "t:H:k:f", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			a.token_arg = optarg;
			break;
		case 'T':
			a.token_file = optarg;
			break;
		case 'C':
			config_arg = optarg;
			break;
		case 'F':
			a.config_file = optarg;
			break;
		case 'H':
			a.host = optarg;
			break;
		case 'k':
			a.server_key = optarg;
			break;
		case 'f':
			a.force = true;
			break;
		case 'c':
			a.check = true;
			break;
		default:
			return ksmctl_usage_error(k, "init: bad option");
		}
	}
	if (a.token_arg && strcmp(a.token_arg, "-") != 0)
		return ksmctl_usage_error(
			k, "init: a token on the command line is visible to "
			   "every local user (ps, /proc): use --token-file "
			   "PATH, --token - (standard input or a prompt) or "
			   "the KSM_TOKEN environment variable");
	if (config_arg && strcmp(config_arg, "-") != 0)
		return ksmctl_usage_error(
			k, "init: a config on the command line is visible to "
			   "every local user (ps, /proc): use --config-file "
			   "PATH or --config - (standard input)");
	a.config_stdin = config_arg != NULL;
	if (optind < argc)
		return ksmctl_usage_error(k, "init: unexpected '%s'",
					  argv[optind]);
	if ((a.config_stdin || a.config_file) &&
	    (a.token_arg || a.token_file || (a.config_stdin && a.config_file)))
		return ksmctl_usage_error(
			k, "init: give one of --token-file, --token -, "
			   "--config-file and --config -");
	if (a.config_stdin || a.config_file)
		rc = ksmctl_init_config(k, &a);
	else if (a.check && !a.token_arg && !a.token_file &&
		 !getenv("KSM_TOKEN"))
		return ksmctl_init_check(k); /* the binding in place */
	else
		rc = init_token(k, &a);
	if (rc == EXIT_OK && a.check)
		rc = ksmctl_init_check(k);
	return rc;
}
