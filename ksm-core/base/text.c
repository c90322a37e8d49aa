/* SPDX-License-Identifier: MIT */
/*
 * text.c - the one place that says which bytes of outside text are safe in
 * a passwd line, a log line or a terminal. libc only.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

bool ksm_text_clean(const char *s, size_t max, const char *forbidden)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (is_control((unsigned char)*s) || strchr(forbidden, *s))
			return false;
	return max == 0 || n <= max;
}

void ksm_text_sanitize(char *dst, size_t cap, const char *src,
		       const char *allowed)
{
	size_t i = 0;

	if (cap == 0)
		return;
	for (; src && *src && i + 1 < cap; src++) {
		unsigned char c = (unsigned char)*src;
		bool ok = allowed ? strchr(allowed, c) != NULL
				  : c >= 0x20 && c < 0x7f;

		dst[i++] = ok ? (char)c : '?';
	}
	dst[i] = '\0';
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4   ? 4
		     : p[0] >= 0xe0		    ? 3
		     : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
						    : 0;

	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

char *ksm_text_display(const char *v, size_t max)
{
	const unsigned char *in = (const unsigned char *)v;
	size_t n = strlen(v), o = 0;
	char *out = malloc(max + 1);

	for (size_t i = 0; out && i < n && o < max;) {
		size_t len = in[i] < 0x80 ? 1 : utf8_len(in + i, n - i);

		if (len > 1 && o + len > max)
			break;
		/* C1 controls (U+0080..U+009F): a terminal may obey them. */
		if (len == 2 && in[i] == 0xc2 && in[i + 1] < 0xa0) {
			out[o++] = '?';
			i += 2;
			continue;
		}
		if (len <= 1) {
			out[o++] = len == 0 || in[i] < 0x20 || in[i] == 0x7f
					   ? '?'
					   : (char)in[i];
			i++;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	if (out)
		out[o] = '\0';
	return out;
}

int ksm_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
