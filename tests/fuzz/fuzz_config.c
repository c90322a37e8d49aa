/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer target: client config text (client.json, or
 * KSM_CONFIG: JSON or base64 of it), the JSON round trip, and making a
 * client from whatever loads (must fail cleanly for junk; no network:
 * ksm_http_request is wrapped, see nonet.c).
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	KSM_CFG_HOSTNAME,
	KSM_CFG_CLIENT_ID,
	KSM_CFG_PRIVATE_KEY,
	KSM_CFG_APP_KEY,
	KSM_CFG_APP_OWNER_PUBLIC_KEY,
	KSM_CFG_SERVER_PUBLIC_KEY_ID,
	KSM_CFG_SERVER_PUBLIC_KEY,
	KSM_CFG_CLIENT_KEY,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_client_config *cfg = NULL, *again = NULL;
	ksm_client *c = NULL;
	ksm_error err;
	char *text, *json = NULL, *json2 = NULL;
	ksm_status st;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	st = ksm_client_config_load_string(text, &cfg, &err);
	if (st != KSM_OK) {
		if (cfg || !err.message[0])
			abort();
		goto out;
	}
	if (!cfg)
		abort();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		(void)ksm_client_config_get(cfg, keys[i]);

	/* What we write must load again to the same config. */
	json = ksm_client_config_to_json(cfg);
	if (!json)
		abort();
	if (ksm_client_config_load_string(json, &again, &err) != KSM_OK)
		abort();
	json2 = ksm_client_config_to_json(again);
	if (!json2 || strcmp(json, json2) != 0)
		abort();
	ksm_client_config_free(again);

	/* Takes cfg, also on failure. */
	st = ksm_client_new(cfg, NULL, &c, &err);
	if (st == KSM_OK) {
		json_object *p;

		if (!c || ksm_client_get_config(c) != cfg)
			abort();
		/* Bound iff appKey is present (and then valid). */
		if (ksm_client_is_bound(c) !=
		    (ksm_client_config_get(cfg, KSM_CFG_APP_KEY) != NULL))
			abort();
		p = ksm_payload_new(c);
		json_object_put(p);
		ksm_client_free(c);
	} else if (c || !err.message[0]) {
		abort();
	}
out:
	ksm_free_secret(json);
	ksm_free_secret(json2);
	free(text);
	return 0;
}
