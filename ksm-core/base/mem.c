/* SPDX-License-Identifier: MIT */
/*
 * mem.c - wiping, secret strings, constant-time comparison. libc only: the
 * keys helper's cached path links it without OpenSSL.
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

void ksm_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void ksm_free_wiped(void *p, size_t n)
{
	if (!p)
		return;
	ksm_wipe(p, n);
	free(p);
}

void ksm_free_secret(char *s)
{
	if (s)
		ksm_free_wiped(s, strlen(s));
}

void ksm_no_core_dumps(void)
{
	struct rlimit none = {0, 0};

	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

void ksm_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		ksm_free_secret(v[i]);
	free(v);
}

char *ksm_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *ksm_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

bool ksm_strv_push(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return false;
	*v = p;
	p[(*n)++] = s;
	return true;
}

bool ksm_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char acc = 0;

	/* Every byte is looked at, whatever the first difference. */
	for (size_t i = 0; i < n; i++)
		acc |= x[i] ^ y[i];
	return acc == 0;
}

bool ksm_secret_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	return la == lb && ksm_ct_equal(a, b, la);
}
