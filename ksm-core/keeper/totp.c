/* SPDX-License-Identifier: MIT */
/*
 * totp.c - RFC 6238 TOTP from otpauth:// URLs (docs/protocol.md §15).
 *
 * Parsing follows the official SDKs (PY utils.get_totp_code): query keys
 * are case-sensitive, empty values fall back to the defaults, the last
 * occurrence of a key wins, the base32 secret is case-insensitive with
 * optional padding. Unlike the SDKs we refuse non-numeric digits/period
 * instead of silently using the defaults, and allow 6 to 10 digits.
 */
#include "base.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OTPAUTH_PREFIX	   "otpauth://"
#define OTPAUTH_PREFIX_LEN (sizeof(OTPAUTH_PREFIX) - 1)
#define TOTP_MAX_PERIOD	   1000000000u

/* ---------------------------------------------------------------- base32 */

static int b32_value(unsigned char c)
{
	c = (unsigned char)toupper(c);
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* RFC 4648 base32, case-insensitive, trailing '=' optional. */
static ksm_status b32_decode(const char *s, size_t n, uint8_t **out,
			     size_t *outlen, ksm_error *err)
{
	uint8_t *buf;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	*outlen = 0;
	while (n > 0 && s[n - 1] == '=')
		n--;
	/* 1, 3 or 6 symbols past a full block cannot encode whole bytes. */
	if (n == 0 || n % 8 == 1 || n % 8 == 3 || n % 8 == 6)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "TOTP secret: base32 of invalid length");
	buf = malloc(n * 5 / 8 + 1);
	if (!buf)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int v = b32_value((unsigned char)s[i]);

		if (v < 0) {
			ksm_free_wiped(buf, o);
			acc = 0;
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "TOTP secret: invalid base32 "
					     "character at offset %zu",
					     i);
		}
		acc = acc << 5 | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	acc = 0;
	*out = buf;
	*outlen = o;
	return KSM_OK;
}

/* ------------------------------------------------------------ URL parts */

/* Form-decode s[0..n) ("+" is a space, %XX) into out (n+1 bytes). */
static bool form_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return false;
			hi = ksm_hex_value((unsigned char)s[i + 1]);
			lo = ksm_hex_value((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return true;
}

/* Decimal without sign or spaces, at most max; false otherwise. */
static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

/* Parse state: the secret text is kept (secret) until the end. */
struct totp_params {
	char *secret;
	size_t secret_len;
	ksm_totp_alg alg;
	unsigned digits, period;
};

static ksm_status set_param(struct totp_params *p, const char *key, char *val,
			    size_t vlen, ksm_error *err)
{
	if (vlen == 0)
		return KSM_OK; /* blank values keep the default */
	if (strcmp(key, "secret") == 0) {
		char *copy = ksm_strndup(val, vlen);

		if (!copy)
			return ksm_set_error(err, KSM_ERR_NOMEM,
					     "out of memory");
		ksm_free_wiped(p->secret, p->secret_len);
		p->secret = copy;
		p->secret_len = vlen;
	} else if (strcmp(key, "algorithm") == 0) {
		if (strcasecmp(val, "SHA1") == 0)
			p->alg = KSM_TOTP_SHA1;
		else if (strcasecmp(val, "SHA256") == 0)
			p->alg = KSM_TOTP_SHA256;
		else if (strcasecmp(val, "SHA512") == 0)
			p->alg = KSM_TOTP_SHA512;
		else
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "TOTP algorithm '%.16s' is not "
					     "supported (SHA1, SHA256, SHA512)",
					     val);
	} else if (strcmp(key, "digits") == 0) {
		if (!parse_uint(val, 1000, &p->digits))
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "TOTP digits '%.16s' is not a "
					     "number from 6 to 10",
					     val);
		if (p->digits == 0)
			p->digits = 6;
		if (p->digits < 6 || p->digits > 10)
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "TOTP digits must be 6 to 10, "
					     "not %u",
					     p->digits);
	} else if (strcmp(key, "period") == 0) {
		if (!parse_uint(val, TOTP_MAX_PERIOD, &p->period))
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "TOTP period '%.16s' is not a "
					     "number of seconds",
					     val);
		if (p->period == 0)
			p->period = 30;
	}
	/* issuer, counter, image, ...: not needed for TOTP codes. */
	return KSM_OK;
}

/* key=value&key=value... (up to '#'); each pair form-decoded. */
static ksm_status parse_query(const char *q, struct totp_params *p,
			      ksm_error *err)
{
	size_t qlen = strcspn(q, "#");
	char *buf = malloc(qlen + 2);
	ksm_status st = KSM_OK;
	size_t i = 0;

	if (!buf)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	while (i < qlen && st == KSM_OK) {
		size_t end = i, eq, klen, vlen;

		while (end < qlen && q[end] != '&')
			end++;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		/* A pair without '=' has no value: ignored, as in parse_qsl. */
		if (eq < end) {
			char *key = buf, *val;

			if (!form_decode(q + i, eq - i, key, &klen)) {
				st = ksm_set_error(err, KSM_ERR_INVALID,
						   "otpauth URL: bad "
						   "%%-encoding in the query");
				break;
			}
			val = buf + klen + 1;
			if (!form_decode(q + eq + 1, end - eq - 1, val,
					 &vlen)) {
				st = ksm_set_error(err, KSM_ERR_INVALID,
						   "otpauth URL: bad "
						   "%%-encoding in the query");
				break;
			}
			st = set_param(p, key, val, vlen, err);
		}
		i = end + 1;
	}
	ksm_free_wiped(buf, qlen + 2);
	return st;
}

ksm_status ksm_totp_parse(const char *url, ksm_totp *out, ksm_error *err)
{
	struct totp_params p = {NULL, 0, KSM_TOTP_SHA1, 6, 30};
	const char *type, *q;
	size_t tlen;
	ksm_status st;

	if (!out)
		return ksm_set_error(err, KSM_ERR_INVALID, "TOTP: no output");
	memset(out, 0, sizeof(*out));
	if (!url)
		return ksm_set_error(err, KSM_ERR_INVALID, "TOTP: no URL");
	if (strncasecmp(url, OTPAUTH_PREFIX, OTPAUTH_PREFIX_LEN) != 0)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "not an otpauth:// URL");
	type = url + OTPAUTH_PREFIX_LEN;
	tlen = strcspn(type, "/?#");
	if (tlen == 4 && strncasecmp(type, "hotp", 4) == 0)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "otpauth URL: HOTP is not supported, "
				     "only TOTP");
	if (tlen != 4 || strncasecmp(type, "totp", 4) != 0)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "otpauth URL: expected otpauth://totp/");
	q = strchr(type, '?');
	if (q && (!strchr(type, '#') || q < strchr(type, '#'))) {
		st = parse_query(q + 1, &p, err);
		if (st != KSM_OK)
			goto out;
	}
	if (!p.secret) {
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "otpauth URL has no secret");
		goto out;
	}
	st = b32_decode(p.secret, p.secret_len, &out->secret, &out->secret_len,
			err);
	if (st != KSM_OK)
		goto out;
	out->alg = p.alg;
	out->digits = p.digits;
	out->period = p.period;
out:
	ksm_free_wiped(p.secret, p.secret_len);
	if (st != KSM_OK)
		ksm_totp_clear(out);
	return st;
}

/* ------------------------------------------------------------- the codes */

static const EVP_MD *totp_md(ksm_totp_alg alg)
{
	switch (alg) {
	case KSM_TOTP_SHA1:
		return EVP_sha1();
	case KSM_TOTP_SHA256:
		return EVP_sha256();
	case KSM_TOTP_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

static bool totp_valid(const ksm_totp *t)
{
	return t && t->secret && t->secret_len > 0 &&
	       t->secret_len <= INT_MAX && totp_md(t->alg) && t->digits >= 6 &&
	       t->digits <= 10 && t->period > 0;
}

/* RFC 4226 HOTP value for one counter, as t->digits digits + NUL. */
static bool hotp(const ksm_totp *t, uint64_t counter, char code[16])
{
	uint8_t msg[8], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, off;
	uint64_t bin, mod = 1;
	bool ok = false;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (!HMAC(totp_md(t->alg), t->secret, (int)t->secret_len, msg,
		  sizeof(msg), md, &mdlen) ||
	    mdlen < 20)
		goto out;
	off = md[mdlen - 1] & 0x0f;
	bin = ((uint64_t)(md[off] & 0x7f) << 24) |
	      ((uint64_t)md[off + 1] << 16) | ((uint64_t)md[off + 2] << 8) |
	      md[off + 3];
	for (unsigned i = 0; i < t->digits; i++)
		mod *= 10;
	snprintf(code, 16, "%0*llu", (int)t->digits,
		 (unsigned long long)(bin % mod));
	bin = 0;
	ok = true;
out:
	ksm_wipe(md, sizeof(md));
	return ok;
}

ksm_status ksm_totp_code(const ksm_totp *t, time_t now, char code[16],
			 unsigned *time_left, ksm_error *err)
{
	if (!code)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "TOTP: no output buffer");
	code[0] = '\0';
	if (!totp_valid(t))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "TOTP: invalid parameters");
	if (now < 0)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "TOTP: time before 1970");
	if (!hotp(t, (uint64_t)now / t->period, code))
		return ksm_set_error(err, KSM_ERR_CRYPTO,
				     "TOTP: HMAC computation failed");
	if (time_left)
		*time_left = t->period - (unsigned)((uint64_t)now % t->period);
	return KSM_OK;
}

bool ksm_totp_verify(const ksm_totp *t, time_t now, const char *code)
{
	char cand[16];
	uint64_t step;
	unsigned match = 0, failed = 0;
	size_t len;

	if (!code || !totp_valid(t) || now < 0)
		return false;
	len = strlen(code);
	if (len != t->digits)
		return false;
	step = (uint64_t)now / t->period;
	/* Check all of step-1, step, step+1 without stopping at a match, so
	 * the time taken does not tell which one matched. */
	for (int d = -1; d <= 1; d++) {
		if (d < 0 && step == 0)
			continue;
		if (!hotp(t, step + (uint64_t)(int64_t)d, cand)) {
			failed = 1;
			continue;
		}
		match |= (unsigned)(CRYPTO_memcmp(cand, code, len) == 0);
	}
	ksm_wipe(cand, sizeof(cand));
	return match && !failed;
}

void ksm_totp_clear(ksm_totp *t)
{
	if (!t)
		return;
	ksm_free_wiped(t->secret, t->secret_len);
	memset(t, 0, sizeof(*t));
}
