/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conf.c - libFuzzer target: ksm.conf parsing and durations, and
 * the proxy URL and no_proxy list it accepts (proxy.c).
 */
#include "base.h"
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_duration(const char *s)
{
	unsigned secs = 12345;

	if (ksm_parse_duration(s, &secs) != KSM_OK && secs != 12345)
		abort(); /* a failure must not touch the output */
}

/* An accepted proxy parses again, and its display form (what messages
 * show) holds neither user nor password; every no_proxy entry is valid,
 * matches its own host and "*" matches anything. */
static void check_proxy(const ksm_settings *conf)
{
	ksm_proxy_url p;
	char want[sizeof(p.display)];

	if (conf->proxy) {
		if (ksm_proxy_parse(conf->proxy, &p) != KSM_OK || !p.port)
			abort();
		snprintf(want, sizeof(want), "%s://%s:%u",
			 p.https ? "https" : "http", p.host, p.port);
		if (strcmp(want, p.display) != 0 || strchr(p.host, '@'))
			abort();
		(void)ksm_no_proxy_match(conf->no_proxy, conf->n_no_proxy,
					 p.host);
		ksm_proxy_url_clear(&p);
	}
	for (size_t i = 0; i < conf->n_no_proxy; i++) {
		const char *item = conf->no_proxy[i];

		if (!ksm_no_proxy_item_ok(item))
			abort();
		if (item[0] != '[' && item[0] != '.' && !strchr(item, ':') &&
		    strcmp(item, "*") &&
		    !ksm_no_proxy_match(conf->no_proxy, conf->n_no_proxy, item))
			abort();
		if (!strcmp(item, "*") &&
		    !ksm_no_proxy_match(conf->no_proxy, conf->n_no_proxy, "x"))
			abort();
	}
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
		check_proxy(conf);
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
