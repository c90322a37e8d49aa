/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_init.c - "ksmctl init": bind the host with a one-time token.
 *
 * The binding happens in memory; the config is written (atomically, 0600)
 * only once the server has answered with the app key, so a failed attempt
 * leaves no half-bound file behind.
 */
#include "ksmctl.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>

static bool already_bound(const char *path)
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

int cmd_init(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"token", required_argument, NULL, 't'},
		{"host", required_argument, NULL, 'H'},
		{"server-key", required_argument, NULL, 'k'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	const char *token = NULL, *host = NULL, *server_key = NULL;
	const char *path = k->conf->client_config;
	bool force = false;
	ksm_client_options copt = {
		.ca_file = k->conf->ca_file,
		.client_version = k->conf->client_version,
	};
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "t:H:k:f", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			token = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'k':
			server_key = optarg;
			break;
		case 'f':
			force = true;
			break;
		default:
			return ksmctl_usage_error(k, "init: bad option");
		}
	}
	if (!token)
		return ksmctl_usage_error(k, "init: --token TOKEN is required");
	if (optind < argc)
		return ksmctl_usage_error(k, "init: unexpected '%s'",
					  argv[optind]);
	if (!force && already_bound(path)) {
		fprintf(stderr,
			"ksmctl: %s already holds a bound device; use --force "
			"to "
			"replace it (the old device stays registered in Keeper "
			"until you remove it there)\n",
			path);
		return EXIT_USAGE;
	}
	/* A token that does not parse is a typo, not a refusal: usage (2). */
	if (ksm_client_config_from_token(token, host, server_key, &cfg, &err) !=
	    KSM_OK) {
		ksmctl_fail(k, &err);
		return err.code == KSM_ERR_TOKEN ? EXIT_USAGE
						 : ksmctl_exit_code(err.code);
	}
	if (ksm_client_new(cfg, &copt, &c, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	if (ksm_get_secrets(c, NULL, k->conf->timeout_sync_ms, &s, &err) !=
	    KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	ksmctl_ensure_parent_dir(path);
	if (ksm_client_config_save_file(ksm_client_get_config(c), path, &err) !=
	    KSM_OK) {
		fprintf(stderr, "ksmctl: the token is now used up; fix the "
				"problem below and bind with a new token\n");
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	printf("bound to %s; %zu record(s) visible; config written to %s\n",
	       ksm_client_config_get(ksm_client_get_config(c),
				     KSM_CFG_HOSTNAME),
	       ksm_secrets_count(s), path);
	rc = EXIT_OK;
out:
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
