/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - libFuzzer target: ksm.conf parsing and durations.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_duration(const char *s)
{
	unsigned secs = 12345;

	if (ksm_parse_duration(s, &secs) != KSM_OK && secs != 12345)
		abort(); /* a failure must not touch the output */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_settings *conf = NULL;
	ksm_error err;
	char *text;
	ksm_status st;

	if (size > 65536)
		return 0;
	st = ksm_settings_parse((const char *)data, size, "fuzz.conf", &conf,
				&err);
	if (st != KSM_OK) {
		if (conf || !err.message[0])
			abort();
	} else {
		if (!conf || !conf->client_config || !conf->client_version ||
		    !conf->snapshot || !conf->private_store ||
		    !conf->home_template || !conf->default_shell)
			abort();
		if (conf->uid_min > conf->uid_max ||
		    conf->gid_min > conf->gid_max || !conf->uid_min ||
		    !conf->gid_min)
			abort();
		if (conf->derived_uid_min > conf->derived_uid_max ||
		    conf->derived_gid_min > conf->derived_gid_max ||
		    !conf->derived_uid_min || !conf->derived_gid_min ||
		    conf->max_drop_percent > 100)
			abort();
		if (conf->n_account_folders && !conf->account_folders)
			abort();
		/* Folder UIDs only: 1-64 of the URL-safe base64 alphabet. */
		for (size_t i = 0; i < conf->n_account_folders; i++)
			if (!conf->account_folders[i] ||
			    !conf->account_folders[i][0] ||
			    strlen(conf->account_folders[i]) > 64 ||
			    strspn(conf->account_folders[i],
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				   "opqrstuvwxyz0123456789-_") !=
				    strlen(conf->account_folders[i]))
				abort();
		for (size_t i = 0; i < conf->n_session_secrets; i++)
			if (!conf->session_secrets[i].name ||
			    !conf->session_secrets[i].notation)
				abort();
		if (!conf->timeout_auth_ms || !conf->timeout_keys_ms ||
		    !conf->timeout_sync_ms)
			abort();
		ksm_settings_free(conf);
	}

	/* The whole input, and each line, as a duration. */
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_duration(text);
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_duration(line);
	}
	free(text);
	return 0;
}
