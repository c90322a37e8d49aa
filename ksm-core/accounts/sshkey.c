/* SPDX-License-Identifier: MIT */
/*
 * sshkey.c - validating public keys before they reach sshd.
 *
 * A vault value becomes an authorized_keys line only if it is exactly
 * "type base64 [comment]": a known key type, a blob that decodes and names
 * the same type, a comment without control characters, and no options
 * (an option such as command="..." smuggled through the vault would run
 * code as the user). sshd's %f fingerprints are SHA256 of the blob.
 */
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#define MAX_KEY_LINE 16384
#define MAX_COMMENT  1024

static const char *const key_types[] = {
	"ssh-ed25519",
	"ssh-rsa",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com",
	"ssh-ed25519-cert-v01@openssh.com",
	"ssh-rsa-cert-v01@openssh.com",
	"ecdsa-sha2-nistp256-cert-v01@openssh.com",
	"ecdsa-sha2-nistp384-cert-v01@openssh.com",
	"ecdsa-sha2-nistp521-cert-v01@openssh.com",
};

static bool known_type(const char *t, size_t n)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i]) == n &&
		    memcmp(key_types[i], t, n) == 0)
			return true;
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The blob starts with a uint32 length and the key type's name. */
static bool blob_names_type(const uint8_t *b, size_t n, const char *t,
			    size_t tlen)
{
	uint32_t len;

	if (n < 4)
		return false;
	len = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	      (uint32_t)b[2] << 8 | b[3];
	return len == tlen && n - 4 > len && memcmp(b + 4, t, tlen) == 0;
}

ksm_status ksm_ssh_key_parse(const char *line, char **canonical,
			     char **fingerprint, ksm_error *err)
{
	const char *p = line, *type, *b64, *comment = "";
	size_t tlen, blen, clen = 0, rawlen = 0;
	uint8_t *raw = NULL, digest[32];
	char *fp64 = NULL, *fp, *canon;
	ksm_status st = KSM_ERR_INVALID;

	*canonical = *fingerprint = NULL;
	if (strlen(line) > MAX_KEY_LINE)
		return ksm_set_error(err, st, "key longer than %d bytes",
				     MAX_KEY_LINE);
	for (const char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return ksm_set_error(err, st,
					     "key contains a newline or "
					     "control character");
	while (is_space(*p))
		p++;
	type = p;
	while (*p && !is_space(*p))
		p++;
	tlen = (size_t)(p - type);
	if (!known_type(type, tlen))
		return ksm_set_error(err, st,
				     "not a key of a known type (options "
				     "such as command= are not allowed): "
				     "'%.*s'",
				     (int)(tlen > 40 ? 40 : tlen), type);
	while (is_space(*p))
		p++;
	b64 = p;
	while (*p && !is_space(*p))
		p++;
	blen = (size_t)(p - b64);
	while (is_space(*p))
		p++;
	if (*p) {
		comment = p;
		clen = strlen(p);
		while (clen && is_space(comment[clen - 1]))
			clen--;
		if (clen > MAX_COMMENT)
			return ksm_set_error(err, st, "key comment too long");
		for (size_t i = 0; i < clen; i++)
			if (comment[i] == '\t' || comment[i] == 0x7f)
				return ksm_set_error(err, st,
						     "key comment has "
						     "control characters");
	}
	if (blen == 0 || ksm_b64_decode(b64, blen, &raw, &rawlen) != KSM_OK ||
	    !blob_names_type(raw, rawlen, type, tlen)) {
		st = ksm_set_error(err, st,
				   "the %.*s key data does not decode to "
				   "a %.*s key",
				   (int)tlen, type, (int)tlen, type);
		goto out;
	}
	if (ksm_sha256(raw, rawlen, digest) != KSM_OK ||
	    !(fp64 = ksm_b64_encode(digest, sizeof(digest), false))) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* sshd prints the fingerprint without base64 padding. */
	fp64[strcspn(fp64, "=")] = '\0';
	if (asprintf(&fp, "SHA256:%s", fp64) < 0)
		fp = NULL;
	if (asprintf(&canon, "%.*s %.*s%s%.*s", (int)tlen, type, (int)blen, b64,
		     clen ? " " : "", (int)clen, comment) < 0)
		canon = NULL;
	if (!fp || !canon) {
		free(fp);
		free(canon);
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	*fingerprint = fp;
	*canonical = canon;
	st = KSM_OK;
out:
	free(fp64);
	free(raw);
	return st;
}
