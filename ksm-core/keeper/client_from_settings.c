/* SPDX-License-Identifier: MIT */
/*
 * client_from_settings.c - a client set up as ksm.conf says: its client
 * config, CA, client version and proxy (with the password of
 * proxy_password_file).
 */
#include "base.h"
#include "fileio.h"
#include "local_files.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PASSWORD_FILE_MAX 4096

/*
 * proxy_password_file: its first line. Like client.json it must belong to
 * root, to this process's user or to owner (ksmd's user), and nobody else
 * may have any access to it.
 */
static ksm_status read_proxy_password(const char *path, uid_t owner, char **out,
				      ksm_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ksm_status ret;

	*out = NULL;
	ret = ksm_read_file(path, PASSWORD_FILE_MAX, &text, &len, &st, err);
	if (ret != KSM_OK)
		return ksm_set_error(
			err, KSM_ERR_CONFIG,
			"proxy_password_file %s cannot be read "
			"(%s): it must exist and be readable by "
			"ksmd's user (chown ksmd: %s; chmod 600 %s)",
			path, ksm_status_name(ret), path, path);
	if ((st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != owner) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO))) {
		ret = ksm_set_error(err, KSM_ERR_CONFIG_PERM,
				    "proxy_password_file %s is owned by uid %u "
				    "with mode %04o; it holds the proxy's "
				    "password: run 'chown ksmd: %s; chmod 600 "
				    "%s'",
				    path, (unsigned)st.st_uid,
				    (unsigned)(st.st_mode & 07777), path, path);
		goto out;
	}
	len = strcspn(text, "\r\n");
	text[len] = '\0';
	*out = text;
	text = NULL;
out:
	if (text)
		ksm_free_wiped(text, len);
	return ret;
}

/* opt from conf; *password (secret) holds what opt->proxy_password points
 * at: free it with ksm_free_secret after the client is made. */
static ksm_status options_from_settings(const ksm_settings *conf, uid_t owner,
					ksm_client_options *opt,
					char **password, ksm_error *err)
{
	memset(opt, 0, sizeof(*opt));
	*password = NULL;
	opt->ca_file = conf->ca_file;
	opt->client_version = conf->client_version;
	opt->proxy = conf->proxy;
	opt->proxy_ca_file = conf->proxy_ca_file;
	opt->no_proxy = conf->no_proxy;
	opt->n_no_proxy = conf->n_no_proxy;
	opt->max_response_size = conf->max_response_size;
	if (conf->proxy && conf->proxy_password_file) {
		ksm_status st = read_proxy_password(conf->proxy_password_file,
						    owner, password, err);

		if (st != KSM_OK)
			return st;
		opt->proxy_password = *password;
	}
	return KSM_OK;
}

static uid_t ksmd_uid(const ksm_settings *conf)
{
	uid_t owner = (uid_t)-1;

	ksm_passwd_file_user(NULL, conf->ksmd_user, &owner, NULL);
	return owner;
}

ksm_status ksm_client_from_config(const ksm_settings *conf,
				  ksm_client_config *cfg, ksm_client **out,
				  ksm_error *err)
{
	ksm_client_options opt;
	char *password = NULL;
	ksm_status st;

	*out = NULL;
	st = options_from_settings(conf, ksmd_uid(conf), &opt, &password, err);
	if (st != KSM_OK) {
		ksm_client_config_free(cfg);
		return st;
	}
	st = ksm_client_new(cfg, &opt, out, err);
	ksm_free_secret(password);
	return st;
}

ksm_status ksm_client_from_settings(const ksm_settings *conf, ksm_client **out,
				    ksm_error *err)
{
	const char *env = secure_getenv("KSM_CONFIG");
	/* ksmd's user owns the credential (ksmctl init gives it). */
	uid_t owner = ksmd_uid(conf);
	ksm_client_options opt;
	ksm_client_config *cfg = NULL;
	char *password = NULL;
	ksm_status st;

	*out = NULL;
	st = options_from_settings(conf, owner, &opt, &password, err);
	if (st != KSM_OK)
		return st;
	opt.config_path = conf->client_config;
	/* KSM_CONFIG (as the SDKs accept) wins and is never written back. */
	if (env && *env) {
		opt.config_path = NULL;
		st = ksm_client_config_load_string(env, &cfg, err);
	} else {
		st = ksm_client_config_load_owned(
			conf->client_config,
			conf->insecure_client_config
				? KSM_CLIENT_CONFIG_ALLOW_INSECURE
				: 0,
			owner, &cfg, err);
	}
	if (st == KSM_OK)
		st = ksm_client_new(cfg, &opt, out, err);
	ksm_free_secret(password);
	return st;
}
