/* SPDX-License-Identifier: MIT */
/*
 * base64.c - RFC 4648 base64: standard with padding, URL-safe without, and a
 * decoder that accepts both alphabets with or without padding, as the
 * official SDKs' configs need (docs/protocol.md §1.2).
 */
#include "base64.h"
#include "error.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

static const char std_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ksm_b64_encoded_len(size_t n, bool url)
{
	return url ? (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0) : ((n + 2) / 3) * 4;
}

char *ksm_b64_encode(const uint8_t *data, size_t n, bool url)
{
	const char *a = url ? url_alpha : std_alpha;
	char *out = malloc(ksm_b64_encoded_len(n, url) + 1);
	size_t i, o = 0;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 |
			     (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = a[v >> 6 & 63];
		out[o++] = a[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)data[i] << 16;
		bool two = i + 1 < n;

		if (two)
			v |= (uint32_t)data[i + 1] << 8;
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (two)
			out[o++] = a[v >> 6 & 63];
		else if (!url)
			out[o++] = '=';
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* Both alphabets; -1 for anything else. A table: responses are megabytes. */
static const signed char b64_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63, 52, 53, 54, 55, 56, 57,
	58, 59, 60, 61, -1, -1, -1, -1, -1, -1, -1, 0,	1,  2,	3,  4,	5,  6,
	7,  8,	9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, -1, -1, -1, -1, 63, -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
	37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1,
};

/* The value of c, or -1 (the table's sign bit) for a character of neither
 * alphabet. */
static int b64_value(unsigned char c)
{
	return b64_values[c];
}

ksm_status ksm_b64_decode(const char *s, size_t slen, uint8_t **out,
			  size_t *outlen)
{
	const unsigned char *in = (const unsigned char *)s;
	uint8_t *buf;
	size_t n = slen, o = 0, i = 0, full;
	uint32_t acc = 0;
	int bad = 0;

	*out = NULL;
	*outlen = 0;
	/* Up to two '=' at the very end; nowhere else. */
	while (n > 0 && slen - n < 2 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return KSM_ERR_INVALID;
	buf = malloc(n / 4 * 3 + 3 + 1);
	if (!buf)
		return KSM_ERR_NOMEM;
	/* Four characters to three bytes, no branch but the loop's: a bad
	 * character makes bad negative. */
	full = n / 4 * 4;
	for (; i < full; i += 4) {
		int a = b64_value(in[i]), b = b64_value(in[i + 1]),
		    c = b64_value(in[i + 2]), d = b64_value(in[i + 3]);

		bad |= a | b | c | d;
		acc = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		      (uint32_t)d;
		buf[o] = (uint8_t)(acc >> 16);
		buf[o + 1] = (uint8_t)(acc >> 8);
		buf[o + 2] = (uint8_t)acc;
		o += 3;
	}
	/* Two or three characters left: one or two bytes (their unused low
	 * bits are ignored, as before). */
	if (i < n) {
		int a = b64_value(in[i]), b = b64_value(in[i + 1]),
		    c = n - i == 3 ? b64_value(in[i + 2]) : 0;

		bad |= a | b | c;
		acc = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		buf[o++] = (uint8_t)(acc >> 16);
		if (n - i == 3)
			buf[o++] = (uint8_t)(acc >> 8);
	}
	if (bad < 0) {
		ksm_free_wiped(buf, o);
		return KSM_ERR_INVALID;
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return KSM_OK;
}

ksm_status ksm_b64_decode_exact(const char *s, uint8_t *buf, size_t n)
{
	uint8_t *tmp;
	size_t len;
	ksm_status st;

	if (!s)
		return KSM_ERR_INVALID;
	st = ksm_b64_decode(s, strlen(s), &tmp, &len);
	if (st != KSM_OK)
		return st;
	if (len != n) {
		ksm_free_wiped(tmp, len);
		return KSM_ERR_INVALID;
	}
	memcpy(buf, tmp, n);
	ksm_free_wiped(tmp, len);
	return KSM_OK;
}
