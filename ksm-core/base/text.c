/* SPDX-License-Identifier: MIT */
/*
 * text.c - the one place that says which bytes of outside text are safe in
 * a passwd line, a log line or a terminal. libc only.
 */
#include "text.h"

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
