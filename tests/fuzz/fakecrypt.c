/* SPDX-License-Identifier: MIT */
/*
 * fakecrypt.c - linked into fuzz_private_store: build.sh links it with
 * -Wl,--wrap=crypt_r -Wl,--wrap=crypt_gensalt_rn, so the offline store's
 * verifiers are made and checked by this cheap stand-in instead of
 * libxcrypt. A verifier string comes from the fuzzed file: with the real
 * crypt_r, "$2b$31$..." would cost hours, and the store's own logic (JSON,
 * counters, merge) is what the target is about.
 *
 * Settings "$fake$SALT$" (SALT: up to 16 of [./0-9A-Za-z]) hash to
 * "$fake$SALT$HEX" (FNV-1a of SALT and the phrase, 16 hex digits); any
 * other setting fails as libxcrypt does for an unknown method ("*0").
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>

char *__wrap_crypt_r(const char *phrase, const char *setting,
		     struct crypt_data *data);
char *__wrap_crypt_gensalt_rn(const char *prefix, unsigned long count,
			      const char *rbytes, int nrbytes, char *output,
			      int output_size);

static const char salt_chars[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

char *__wrap_crypt_gensalt_rn(const char *prefix, unsigned long count,
			      const char *rbytes, int nrbytes, char *output,
			      int output_size)
{
	static unsigned long n;

	(void)prefix;
	(void)count;
	(void)rbytes;
	(void)nrbytes;
	if (output_size < 32)
		return NULL;
	snprintf(output, (size_t)output_size, "$fake$%lu$", ++n);
	return output;
}

char *__wrap_crypt_r(const char *phrase, const char *setting,
		     struct crypt_data *data)
{
	size_t n = 0;
	unsigned long long h = 1469598103934665603ULL;

	strcpy(data->output, "*0");
	if (!phrase || !setting || strncmp(setting, "$fake$", 6) != 0)
		return data->output;
	while (n < 16 && setting[6 + n] && strchr(salt_chars, setting[6 + n]))
		n++;
	if (n == 0 || setting[6 + n] != '$')
		return data->output;
	for (size_t i = 0; i < 6 + n; i++)
		h = (h ^ (unsigned char)setting[i]) * 1099511628211ULL;
	for (const char *p = phrase; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(data->output, sizeof(data->output), "%.*s%016llx",
		 (int)(7 + n), setting, h);
	return data->output;
}
