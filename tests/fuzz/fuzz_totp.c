/* SPDX-License-Identifier: MIT */
/*
 * fuzz_totp.c - libFuzzer target: otpauth:// URL parsing, code generation
 * and verification.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_totp t;
	ksm_error err;
	char *url, code[16];
	unsigned left;
	time_t now;

	if (size > 4096)
		return 0;
	url = malloc(size + 1);
	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (ksm_totp_parse(url, &t, &err) != KSM_OK) {
		if (t.secret || !err.message[0])
			abort();
		goto out;
	}
	if (!t.secret || t.digits < 6 || t.digits > 10 || t.period == 0)
		abort();
	/* The time is taken from the input so different steps are hit. */
	now = (time_t)(size * 7919u) + (size ? data[0] : 0) * 1000003;
	if (ksm_totp_code(&t, now, code, &left, &err) != KSM_OK)
		abort();
	if (strlen(code) != t.digits || left == 0 || left > t.period)
		abort();
	if (!ksm_totp_verify(&t, now, code))
		abort();
	ksm_totp_clear(&t);
out:
	ksm_wipe(url, size);
	free(url);
	return 0;
}
