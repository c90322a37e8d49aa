/* SPDX-License-Identifier: MIT */
/*
 * fuzz_server_error.c - libFuzzer target: the mapping of a non-200 answer
 * (HTTP status + JSON error body) to a ksm_status and message.
 *
 * Input: 2 bytes of HTTP status (big endian), then the body.
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Server text reaches logs: only printable ASCII may come out. */
static void check_printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort(); /* not terminated */
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_http_response r = {0};
	ksm_error err;
	ksm_status st, st2;

	if (size < 2)
		return 0;
	r.status = (long)data[0] << 8 | data[1];
	r.len = size - 2;
	r.body = malloc(r.len + 1);
	if (!r.body)
		return 0;
	memcpy(r.body, data + 2, r.len);
	r.body[r.len] = '\0';

	memset(&err, 0x5a, sizeof(err)); /* must be fully overwritten */
	st = ksm_map_http_error("get_secret", &r, &err);
	st2 = ksm_map_http_error("get_secret", &r, NULL);
	if (st == KSM_OK || st != st2 || err.code != st ||
	    err.http_status != r.status)
		abort();
	check_printable(err.message, sizeof(err.message));
	check_printable(err.server_code, sizeof(err.server_code));
	if (!err.message[0])
		abort();
	/* A 5xx is retryable whatever the body says. */
	if (r.status >= 500 && st != KSM_ERR_HTTP)
		abort();
	/* No server code: a plain HTTP error. */
	if (!err.server_code[0] && st != KSM_ERR_HTTP)
		abort();
	(void)ksm_status_name(st);
	free(r.body);
	return 0;
}
