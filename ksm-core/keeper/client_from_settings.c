/* SPDX-License-Identifier: MIT */
/*
 * client_from_settings.c - a client set up as ksm.conf says.
 */
#include "base.h"
#include "local_files.h"

#include <stdlib.h>

ksm_status ksm_client_from_settings(const ksm_settings *conf, ksm_client **out,
				    ksm_error *err)
{
	const char *env = secure_getenv("KSM_CONFIG");
	ksm_client_options opt = {
		.ca_file = conf->ca_file,
		.client_version = conf->client_version,
		.config_path = conf->client_config,
	};
	ksm_client_config *cfg = NULL;
	ksm_status st;

	*out = NULL;
	/* KSM_CONFIG (as the SDKs accept) wins and is never written back. */
	if (env && *env) {
		opt.config_path = NULL;
		st = ksm_client_config_load_string(env, &cfg, err);
	} else {
		/* ksmd's user owns the credential (ksmctl init gives it). */
		uid_t owner = (uid_t)-1;

		ksm_passwd_file_user(NULL, conf->ksmd_user, &owner, NULL);
		st = ksm_client_config_load_owned(
			conf->client_config,
			conf->insecure_client_config
				? KSM_CLIENT_CONFIG_ALLOW_INSECURE
				: 0,
			owner, &cfg, err);
	}
	if (st != KSM_OK)
		return st;
	return ksm_client_new(cfg, &opt, out, err);
}
