/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_init_config.c - "ksmctl init --config-file PATH | --config -":
 * install a pre-initialized client config (the SDKs' JSON, base64 of it,
 * or the ksm CLI's keeper.ini, plain or base64 as "ksm profile export"
 * prints it), written as a binding is (0600, for ksmd's user); and
 * "ksmctl init --check", one request that proves the binding.
 */
#include "ksmctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_INPUT_MAX (64 * 1024)

/* All of f, at most CONFIG_INPUT_MAX bytes (secret). */
static int read_all(FILE *f, const char *what, char **out, size_t *len)
{
	char *buf = malloc(CONFIG_INPUT_MAX + 1);
	size_t n;

	*out = NULL;
	*len = 0;
	if (!buf) {
		fprintf(stderr, "ksmctl: out of memory\n");
		return EXIT_FAIL;
	}
	n = fread(buf, 1, CONFIG_INPUT_MAX + 1, f);
	if (ferror(f) || n > CONFIG_INPUT_MAX || n == 0) {
		fprintf(stderr, "ksmctl: %s: %s\n", what,
			ferror(f) ? strerror(errno)
			: n == 0  ? "empty"
				  : "larger than 64 KiB: not a client config");
		ksm_wipe(buf, CONFIG_INPUT_MAX + 1);
		free(buf);
		return EXIT_USAGE;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return EXIT_OK;
}

static void free_input(char *buf)
{
	if (buf) {
		ksm_wipe(buf, CONFIG_INPUT_MAX + 1);
		free(buf);
	}
}

/* The file, with a word when others may read it: it is a device key. */
static int read_input(const struct ksmctl_init_args *a, char **out, size_t *len)
{
	struct stat st;
	FILE *f;
	int rc;

	if (a->config_stdin) {
		if (isatty(STDIN_FILENO))
			fputs("Paste the client config, then Ctrl-D:\n",
			      stderr);
		return read_all(stdin, "standard input", out, len);
	}
	f = fopen(a->config_file, "re");
	if (!f) {
		fprintf(stderr, "ksmctl: cannot read %s: %s\n", a->config_file,
			strerror(errno));
		return EXIT_USAGE;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & S_IRWXO))
		fprintf(stderr,
			"ksmctl: warning: %s is readable by every local user "
			"and holds a device key: remove it once the host is "
			"enrolled\n",
			a->config_file);
	rc = read_all(f, a->config_file, out, len);
	fclose(f);
	return rc;
}

/* --host and --server-key over what the config says. */
static ksm_status apply_overrides(const struct ksmctl_init_args *a,
				  ksm_client_config *cfg, ksm_error *err)
{
	char *host = NULL;
	ksm_status st = KSM_OK;

	if (a->host) {
		st = ksm_host_from_spec(a->host, &host, err);
		if (st == KSM_OK)
			st = ksm_client_config_set(cfg, KSM_CFG_HOSTNAME, host,
						   err);
		free(host);
	}
	if (st == KSM_OK && a->server_key)
		st = ksm_client_config_set_server_key(cfg, a->server_key, err);
	return st;
}

int ksmctl_init_config(struct ksmctl *k, const struct ksmctl_init_args *a)
{
	const char *path = k->conf->client_config, *format = NULL;
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_error err = {0};
	char *text = NULL;
	size_t len = 0;
	uid_t owner;
	gid_t group;
	int rc;

	rc = read_input(a, &text, &len);
	if (rc != EXIT_OK)
		return rc;
	if (ksm_client_config_import(text, len, &cfg, &format, &err) !=
		    KSM_OK ||
	    apply_overrides(a, cfg, &err) != KSM_OK) {
		free_input(text);
		ksm_client_config_free(cfg);
		ksmctl_fail(k, &err);
		return EXIT_USAGE;
	}
	free_input(text);
	/* The same checks as any client of it: keys that load. */
	if (ksm_client_from_config(k->conf, cfg, &c, &err) != KSM_OK) {
		ksmctl_fail(k, &err);
		return EXIT_USAGE;
	}
	if (!a->force && ksmctl_already_bound(path)) {
		ksmctl_refuse_rebind(path);
		rc = EXIT_USAGE;
		goto out;
	}
	ksmctl_ensure_parent_dir(path);
	ksmctl_ksmd_owner(k->conf, path, &owner, &group);
	if (ksm_client_config_save_file_owned(ksm_client_get_config(c), path,
					      owner, group, &err) != KSM_OK) {
		rc = ksmctl_fail(k, &err);
		goto out;
	}
	printf("installed a client config (%s) for %s; written to %s%s\n",
	       format,
	       ksm_client_config_get(ksm_client_get_config(c),
				     KSM_CFG_HOSTNAME),
	       path,
	       a->check ? "" : " (not checked: 'ksmctl init --check' asks)");
	ksmctl_unit_notes(k->conf);
	rc = EXIT_OK;
out:
	ksm_client_free(c);
	return rc;
}

int ksmctl_init_check(struct ksmctl *k)
{
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	int rc;

	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK)
		return rc;
	if (c && !ksm_client_is_bound(c)) {
		fprintf(stderr,
			"ksmctl: check: %s holds a one-time token but is not "
			"bound yet: run 'ksmctl init'\n",
			k->conf->client_config);
		ksm_client_free(c);
		return EXIT_NOT_BOUND;
	}
	if (ksmctl_get_secrets(k, c, NULL, "read", &s, &err) != KSM_OK) {
		fprintf(stderr, "ksmctl: check failed: %s\n", err.message);
		rc = ksmctl_exit_code(err.code);
	} else {
		printf("check: the server answered%s; %zu record(s) "
		       "visible\n",
		       c ? "" : " (through ksmd)", ksm_secrets_count(s));
		rc = EXIT_OK;
	}
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
