/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config_import.c - libFuzzer target: pre-initialized client configs
 * as "ksmctl init --config-file" reads them (ksm_client_config_import: the
 * SDKs' JSON, base64 of it, the ksm CLI's keeper.ini and base64 of it),
 * and making a client from what imports (no network: ksm_http_request is
 * wrapped, see nonet.c).
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_client_config *cfg = NULL, *again = NULL;
	const char *format = NULL, *format2 = NULL, *host;
	ksm_client *c = NULL;
	ksm_error err;
	char *json = NULL, *json2 = NULL, *h2 = NULL;
	ksm_status st;

	st = ksm_client_config_import((const char *)data, size, &cfg, &format,
				      &err);
	if (st != KSM_OK) {
		if (cfg || format || !err.message[0])
			abort();
		return 0;
	}
	if (!cfg || !format)
		abort();
	/* A bound device's keys, and a host name that is its own spec. */
	host = ksm_client_config_get(cfg, KSM_CFG_HOSTNAME);
	if (!host || !ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID) ||
	    !ksm_client_config_get(cfg, KSM_CFG_PRIVATE_KEY) ||
	    !ksm_client_config_get(cfg, KSM_CFG_APP_KEY))
		abort();
	if (ksm_host_from_spec(host, &h2, &err) != KSM_OK ||
	    strcmp(h2, host) != 0)
		abort();
	free(h2);

	/* What it imported, written as client.json, imports to itself. */
	json = ksm_client_config_to_json(cfg);
	if (!json ||
	    ksm_client_config_import(json, strlen(json), &again, &format2,
				     &err) != KSM_OK ||
	    strcmp(format2, "JSON") != 0)
		abort();
	json2 = ksm_client_config_to_json(again);
	if (!json2 || strcmp(json, json2) != 0)
		abort();
	ksm_client_config_free(again);

	/* Takes cfg, also on failure. */
	st = ksm_client_new(cfg, NULL, &c, &err);
	if (st == KSM_OK) {
		if (!c || !ksm_client_is_bound(c))
			abort();
		ksm_client_free(c);
	} else if (c || !err.message[0]) {
		abort();
	}
	ksm_free_secret(json);
	ksm_free_secret(json2);
	return 0;
}
