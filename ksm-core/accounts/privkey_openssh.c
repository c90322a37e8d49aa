/* SPDX-License-Identifier: MIT */
/*
 * privkey_openssh.c - the public key of an OpenSSH-format private key
 * (PROTOCOL.key in OpenSSH's sources), which ssh-keygen writes by default
 * and which carries the public key in clear before the (possibly
 * encrypted) private section:
 *
 *   "openssh-key-v1\0" string cipher, string kdf, string kdfoptions,
 *   uint32 nkeys (1), string publickey, string private section
 *
 * Outside data (the vault): every length is checked before use, and the
 * decoded key is wiped. libc only; no passphrase is ever needed.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

#include "accounts.h"

#define BEGIN_MARK   "-----BEGIN OPENSSH PRIVATE KEY-----"
#define END_MARK     "-----END OPENSSH PRIVATE KEY-----"
#define MAGIC	     "openssh-key-v1"
#define MAX_KEY_TEXT (64u << 10)
#define MAX_NAME     64

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool get_u32(struct reader *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return true;
}

static bool get_string(struct reader *r, const uint8_t **s, size_t *n)
{
	uint32_t len;

	if (!get_u32(r, &len) || len > r->left)
		return false;
	*s = r->p;
	*n = len;
	r->p += len;
	r->left -= len;
	return true;
}

/* A cipher or kdf name: short printable ASCII. */
static bool name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static bool equals(const uint8_t *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* The base64 between the armour lines, without white space (malloc'd). */
static char *armoured_body(const char *text)
{
	const char *b = strstr(text, BEGIN_MARK), *e;
	char *out;
	size_t o = 0;

	if (!b)
		return NULL;
	b += strlen(BEGIN_MARK);
	e = strstr(b, END_MARK);
	if (!e)
		return NULL;
	out = malloc((size_t)(e - b) + 1);
	if (!out)
		return NULL;
	for (const char *p = b; p < e; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			out[o++] = *p;
	out[o] = '\0';
	return out;
}

/*
 * Without a cipher the private section is in clear: its two check words
 * agree and it starts with the same key type as the public key (what
 * ssh-add would notice at once of a damaged key).
 */
static bool clear_section_ok(const uint8_t *sec, size_t n, const uint8_t *pub,
			     size_t publen)
{
	struct reader r = {sec, n}, pr = {pub, publen};
	const uint8_t *t, *pt;
	size_t tn, ptn;
	uint32_t c1, c2;

	return n % 8 == 0 && get_u32(&r, &c1) && get_u32(&r, &c2) && c1 == c2 &&
	       get_string(&r, &t, &tn) && get_string(&pr, &pt, &ptn) &&
	       tn == ptn && memcmp(t, pt, tn) == 0;
}

ksm_status ksm_openssh_private_public(const char *text, uint8_t **blob,
				      size_t *len, ksm_error *err)
{
	const uint8_t *cipher, *kdf, *opts, *pub, *sec;
	size_t ncipher, nkdf, nopts, npub, nsec, rawlen = 0;
	uint8_t *raw = NULL;
	char *body = NULL;
	struct reader r;
	uint32_t nkeys;
	ksm_status st = KSM_ERR_INVALID;

	*blob = NULL;
	*len = 0;
	if (strlen(text) > MAX_KEY_TEXT)
		return ksm_set_error(err, st,
				     "the private key is longer than "
				     "64 KiB");
	body = armoured_body(text);
	if (!body) {
		st = ksm_set_error(err, st,
				   "not an OpenSSH private key (its armour "
				   "lines are missing)");
		goto out;
	}
	if (ksm_b64_decode(body, strlen(body), &raw, &rawlen) != KSM_OK ||
	    rawlen < sizeof(MAGIC) || memcmp(raw, MAGIC, sizeof(MAGIC)) != 0) {
		st = ksm_set_error(err, st,
				   "the OpenSSH private key does not decode "
				   "(bad base64 or no openssh-key-v1 header)");
		goto out;
	}
	r.p = raw + sizeof(MAGIC);
	r.left = rawlen - sizeof(MAGIC);
	if (!get_string(&r, &cipher, &ncipher) || !name_ok(cipher, ncipher) ||
	    !get_string(&r, &kdf, &nkdf) || !name_ok(kdf, nkdf) ||
	    !get_string(&r, &opts, &nopts) || !get_u32(&r, &nkeys)) {
		st = ksm_set_error(err, st,
				   "the OpenSSH private key is truncated or "
				   "damaged");
		goto out;
	}
	if (nkeys != 1) {
		st = ksm_set_error(err, st,
				   "the OpenSSH private key holds %u keys, "
				   "not 1",
				   nkeys);
		goto out;
	}
	if (!get_string(&r, &pub, &npub) || npub == 0 ||
	    !get_string(&r, &sec, &nsec) ||
	    (equals(cipher, ncipher, "none") &&
	     (!equals(kdf, nkdf, "none") ||
	      !clear_section_ok(sec, nsec, pub, npub)))) {
		st = ksm_set_error(err, st,
				   "the OpenSSH private key is truncated or "
				   "damaged");
		goto out;
	}
	*blob = malloc(npub);
	if (!*blob) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*blob, pub, npub);
	*len = npub;
	st = KSM_OK;
out:
	/* The private section may be in clear. */
	ksm_free_wiped(raw, rawlen);
	if (body)
		ksm_free_wiped(body, strlen(body));
	return st;
}
