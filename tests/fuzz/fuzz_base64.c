/* SPDX-License-Identifier: MIT */
/*
 * fuzz_base64.c - libFuzzer target: the base64 decoder every key, token,
 * config value and ciphertext from outside goes through (ksm_b64_decode,
 * ksm_b64_decode_exact), and the encoder.
 *
 * Invariants (abort on violation): the decoder accepts exactly the texts
 * made of either alphabet with at most two '=' at the end and a length
 * that is not 1 mod 4 (reference below), gives (length * 3) / 4 bytes,
 * NUL-terminated, and what it gives encodes (both alphabets) and decodes
 * back to the same bytes; decode_exact agrees with decode; any bytes
 * survive encode then decode.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' ||
	       c == '_';
}

/* How many characters carry data, or -1 if the text is refused. */
static long reference(const char *s, size_t n)
{
	size_t pad = 0;

	while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	n -= pad;
	for (size_t i = 0; i < n; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	return n % 4 == 1 ? -1 : (long)n;
}

static void round_trip(const uint8_t *bytes, size_t n)
{
	for (int url = 0; url < 2; url++) {
		char *e = ksm_b64_encode(bytes, n, url);
		uint8_t *d = NULL;
		size_t dlen = 0;

		if (!e)
			abort();
		if (strlen(e) != ksm_b64_encoded_len(n, url) ||
		    ksm_b64_decode(e, strlen(e), &d, &dlen) != KSM_OK ||
		    dlen != n || (n && memcmp(d, bytes, n) != 0))
			abort();
		free(d);
		free(e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint8_t *out = (uint8_t *)1, exact[32];
	size_t outlen = 1;
	long chars;
	ksm_status st;
	char *z;

	if (size > 65536)
		return 0;
	chars = reference(s, size);
	st = ksm_b64_decode(s, size, &out, &outlen);
	if ((st == KSM_OK) != (chars >= 0))
		abort();
	if (st != KSM_OK) {
		if (out || outlen)
			abort();
	} else {
		if (outlen != (size_t)chars * 3 / 4 || out[outlen] != '\0')
			abort();
		round_trip(out, outlen);
	}
	/* decode_exact reads a C string: the input up to its first NUL. */
	z = malloc(size + 1);
	if (!z)
		abort();
	memcpy(z, data, size);
	z[size] = '\0';
	{
		uint8_t *d = NULL;
		size_t dlen = 0;
		bool whole =
			ksm_b64_decode(z, strlen(z), &d, &dlen) == KSM_OK &&
			dlen == sizeof(exact);

		if ((ksm_b64_decode_exact(z, exact, sizeof(exact)) == KSM_OK) !=
			    whole ||
		    (whole && memcmp(exact, d, sizeof(exact)) != 0))
			abort();
		free(d);
	}
	free(z);
	if (st == KSM_OK)
		free(out);
	round_trip(data, size);
	return 0;
}
