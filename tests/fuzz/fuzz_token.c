/* SPDX-License-Identifier: MIT */
/*
 * fuzz_token.c - libFuzzer target: one-time token parsing and the unbound
 * config made from a token (and a client from that config; no network,
 * ksm_http_request is wrapped, see nonet.c).
 *
 * Input: TOKEN [NUL HOST [NUL SERVER_KEY]]; a part that is absent is
 * passed as NULL.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *parts[3] = {NULL, NULL, NULL}, *host = NULL;
	uint8_t key[32], ckey[32];
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_error err;
	ksm_status st, st2;
	size_t n = 0;

	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; n < 3;) {
		parts[n++] = p;
		p = memchr(p, '\0', size - (size_t)(p - buf));
		if (!p || p == buf + size)
			break;
		p++;
	}

	st = ksm_token_parse(parts[0], parts[1], &host, key, &err);
	if (st == KSM_OK) {
		if (!host || !host[0])
			abort();
		/* An explicit host always wins, as --host spells it (a region
		 * code or URL stands for the host it names). */
		if (parts[1] && parts[1][0]) {
			char *want = NULL;
			ksm_error e2 = {0};

			if (ksm_host_from_spec(parts[1], &want, &e2) !=
				    KSM_OK ||
			    strcmp(host, want) != 0)
				abort();
			free(want);
		}
	} else if (host || !err.message[0]) {
		abort();
	}

	st2 = ksm_client_config_from_token(parts[0], parts[1], parts[2], &cfg,
					   &err);
	if (st2 != KSM_OK) {
		if (cfg || !err.message[0])
			abort();
		/* Same token, same host, no server key: same verdict. */
		if (st == KSM_OK && !parts[2])
			abort();
		goto out;
	}
	if (!cfg)
		abort();
	if (!ksm_client_config_get(cfg, KSM_CFG_HOSTNAME) ||
	    !ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID) ||
	    !ksm_client_config_get(cfg, KSM_CFG_PRIVATE_KEY) ||
	    !ksm_client_config_get(cfg, KSM_CFG_SERVER_PUBLIC_KEY_ID) ||
	    ksm_client_config_get(cfg, KSM_CFG_APP_KEY))
		abort();
	if (ksm_b64_decode_exact(ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY),
				 ckey, 32) != KSM_OK)
		abort();
	/* Where the plain parser agreed, both saw the same token. */
	if (st == KSM_OK &&
	    (memcmp(key, ckey, 32) != 0 ||
	     strcmp(host, ksm_client_config_get(cfg, KSM_CFG_HOSTNAME)) != 0))
		abort();
	/* A fresh config always makes an unbound client. */
	if (ksm_client_new(cfg, NULL, &c, &err) != KSM_OK || !c ||
	    ksm_client_is_bound(c))
		abort();
	ksm_client_free(c);
out:
	ksm_wipe(key, sizeof(key));
	ksm_wipe(ckey, sizeof(ckey));
	free(host);
	free(buf);
	return 0;
}
