/* SPDX-License-Identifier: MIT */
/*
 * fuzz_private_key.c - libFuzzer target: the private keys of the vault
 * (a pamUser's privatePEMKey) turned into authorized_keys lines:
 * ksm_ssh_key_from_private (privkey_openssh.c's parser of the OpenSSH
 * format, the PEM and PKCS#8 paths through OpenSSL with their algorithm
 * and KDF-cost checks), then ksm_ssh_key_parse on what comes out.
 *
 * Input byte 0: bit 0 gives the test keys' passphrase, bit 1 a wrong one
 * before it; the rest is the key text (up to the first NUL).
 *
 * Invariants (abort on violation): a refusal has a message and no line,
 * and never quotes the key (no run of 24 base64 characters of the input); a
 * line is "TYPE BASE64", printable ASCII, whose base64 decodes to a blob that
 * names TYPE first; what ksm_ssh_key_parse accepts of it has a SHA256
 * fingerprint.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/vectors/keys/PASSPHRASE */
#define PASSPHRASE "vector-pass-1"

/* Does msg hold 24 base64 characters in a row that the input has too? */
static bool quotes(const char *msg, const char *text)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/=-_";

	for (const char *p = msg; strlen(p) >= 24; p++)
		if (strspn(p, b64) >= 24 && memmem(text, strlen(text), p, 24))
			return true;
	return false;
}

static void check_line(const char *line)
{
	const char *sp = strchr(line, ' ');
	uint8_t *blob = NULL;
	size_t n = 0, tlen;
	char *canon = NULL, *fp = NULL;

	if (!sp || sp == line || strchr(sp + 1, ' '))
		abort();
	for (const char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();
	tlen = (size_t)(sp - line);
	if (ksm_b64_decode(sp + 1, strlen(sp + 1), &blob, &n) != KSM_OK ||
	    n < 4 + tlen ||
	    ((size_t)blob[0] << 24 | (size_t)blob[1] << 16 |
	     (size_t)blob[2] << 8 | blob[3]) != tlen ||
	    memcmp(blob + 4, line, tlen) != 0)
		abort();
	free(blob);
	if (ksm_ssh_key_parse(line, &canon, &fp, NULL) == KSM_OK &&
	    strncmp(fp, "SHA256:", 7) != 0)
		abort();
	free(canon);
	free(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pass[2];
	size_t npass = 0;
	char *text, *line = NULL;
	ksm_error err = {0};

	if (size < 1)
		return 0;
	if (data[0] & 2)
		pass[npass++] = "not the passphrase";
	if (data[0] & 1)
		pass[npass++] = PASSPHRASE;
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (ksm_ssh_key_from_private(text, pass, npass, &line, &err) ==
	    KSM_OK) {
		if (!line)
			abort();
		check_line(line);
	} else if (line || !err.message[0] || quotes(err.message, text)) {
		abort();
	}
	free(line);
	free(text);
	return 0;
}
