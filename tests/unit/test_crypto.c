/* SPDX-License-Identifier: MIT */
/*
 * test_crypto.c - known answers for the protocol's primitives
 * (docs/protocol.md) and base64 leniency.
 */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static void hex2bin(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static char *b64(const uint8_t *d, size_t n)
{
	char *s = ksm_b64_encode(d, n, false);

	assert_non_null(s);
	return s;
}

static void test_gcm_known_answer(void **state)
{
	uint8_t key[32] = {0}, iv[12] = {0}, *out, *back;
	size_t len, blen;
	uint8_t want[12 + 13 + 16];

	hex2bin("000000000000000000000000"
		"86c22c51224c4b39683ca9b79b"
		"78563133d02b038a3292b65dd5010530",
		want, sizeof(want));
	assert_int_equal(ksm_gcm_encrypt(key, iv,
					 (const uint8_t *)"Hello, World!", 13,
					 &out, &len),
			 KSM_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, len);
	assert_int_equal(ksm_gcm_decrypt(key, out, len, &back, &blen), KSM_OK);
	assert_int_equal(blen, 13);
	assert_memory_equal(back, "Hello, World!", 13);
	free(back);
	/* A flipped tag bit must fail. */
	out[len - 1] ^= 1;
	assert_int_equal(ksm_gcm_decrypt(key, out, len, &back, &blen),
			 KSM_ERR_CRYPTO);
	assert_int_equal(ksm_gcm_decrypt(key, out, 20, &back, &blen),
			 KSM_ERR_CRYPTO);
	free(out);
}

static void test_cbc_round_trip(void **state)
{
	uint8_t key[32], *ct, *pt;
	size_t ctlen, ptlen;
	const char *msg = "{\"name\": \"folder\"}";

	memset(key, 7, sizeof(key));
	assert_int_equal(ksm_cbc_encrypt(key, NULL, (const uint8_t *)msg,
					 strlen(msg), &ct, &ctlen),
			 KSM_OK);
	assert_int_equal(ctlen, 16 + 32);
	assert_int_equal(ksm_cbc_decrypt(key, ct, ctlen, &pt, &ptlen), KSM_OK);
	assert_string_equal((char *)pt, msg);
	free(pt);
	key[0] ^= 1; /* wrong key: padding check fails (almost surely) */
	assert_int_equal(ksm_cbc_decrypt(key, ct, 17, &pt, &ptlen),
			 KSM_ERR_CRYPTO);
	free(ct);
}

static void test_client_id(void **state)
{
	uint8_t *tok, mac[64];
	size_t n;
	char *s;
	const char *t = "YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c";
	const char *m = "KEEPER_SECRETS_MANAGER_CLIENT_ID";

	assert_int_equal(ksm_b64_decode(t, strlen(t), &tok, &n), KSM_OK);
	assert_int_equal(n, 32);
	assert_int_equal(
		ksm_hmac_sha512(tok, n, (const uint8_t *)m, strlen(m), mac),
		KSM_OK);
	s = b64(mac, 64);
	assert_string_equal(s,
			    "6FSaAYix6NY+3gFbC4h3yVRgKDl1prYLTowsYcd2vWipj27jp"
			    "jtaYgTz1N+XKOQgtt42RMa7GBg7sIZfnwlWVQ==");
	free(s);
	free(tok);
}

static void test_pkcs8_fixed_key(void **state)
{
	uint8_t scalar[32], der[138], pub[65], want_pub[65];
	EVP_PKEY *k, *k2;
	char *s;

	hex2bin("1E9068E4A7BF4D773A4623B2AA45A24EB3D56A927F5A84C17FC77CE17A7336"
		"1D",
		scalar, 32);
	hex2bin("04729d155afcf6ae8298796329887fc66ae225b6ded44a6637e37eef810737"
		"fd226fd5c90acea256af53459991306f0cdf24712aa75288128c258c664a98"
		"2"
		"39202",
		want_pub, 65);
	assert_int_equal(ksm_p256_from_scalar(scalar, &k), KSM_OK);
	assert_int_equal(ksm_p256_public(k, pub), KSM_OK);
	assert_memory_equal(pub, want_pub, 65);
	assert_int_equal(ksm_p256_to_pkcs8(k, der), KSM_OK);
	s = b64(der, sizeof(der));
	assert_string_equal(
		s, "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgHpBo5Ke/"
		   "TXc6RiOy"
		   "qkWiTrPVapJ/WoTBf8d84XpzNh2hRANCAARynRVa/"
		   "Paugph5YymIf8Zq4iW23tR"
		   "KZjfjfu+BBzf9Im/VyQrOolavU0WZkTBvDN8kcSqnUogSjCWMZkqYI5IC");
	free(s);
	/* And back. */
	assert_int_equal(ksm_p256_from_pkcs8(der, sizeof(der), &k2), KSM_OK);
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
}

static void test_pkcs8_generated_layout(void **state)
{
	uint8_t der[138], pub[65];
	EVP_PKEY *k;

	for (int i = 0; i < 20; i++) {
		assert_int_equal(ksm_p256_generate(&k), KSM_OK);
		assert_int_equal(ksm_p256_to_pkcs8(k, der), KSM_OK);
		assert_int_equal(ksm_p256_public(k, pub), KSM_OK);
		assert_memory_equal(der + 73, pub, 65);
		assert_int_equal(der[0], 0x30);
		assert_int_equal(der[68], 0xa1);
		EVP_PKEY_free(k);
	}
	/* Garbage is refused, not crashed on. */
	memset(der, 0x41, sizeof(der));
	assert_int_equal(ksm_p256_from_pkcs8(der, sizeof(der), &k),
			 KSM_ERR_INVALID);
}

static void test_ecies_known_answer(void **state)
{
	uint8_t rs[32], es[32], iv[12] = {0}, pt[32], rpub[65], *out, *back;
	size_t len, blen;
	EVP_PKEY *r, *e;
	char *s;

	hex2bin("1E9068E4A7BF4D773A4623B2AA45A24EB3D56A927F5A84C17FC77CE17A7336"
		"1D",
		rs, 32);
	hex2bin("9ddc3bac086e26de52c6cb1f28f9cfd19ddc3bac086e26de52c6cb1f28f9cf"
		"d1",
		es, 32);
	for (int i = 0; i < 32; i++)
		pt[i] = (uint8_t)i;
	assert_int_equal(ksm_p256_from_scalar(rs, &r), KSM_OK);
	assert_int_equal(ksm_p256_from_scalar(es, &e), KSM_OK);
	assert_int_equal(ksm_p256_public(r, rpub), KSM_OK);
	assert_int_equal(ksm_ecies_encrypt(rpub, e, iv, pt, 32, &out, &len),
			 KSM_OK);
	assert_int_equal(len, 125);
	s = b64(out, len);
	assert_string_equal(
		s, "BALBE2jXmNpXGRhAzxaMx99JbGBPg7KJ5D3VXla4B6ZkoqtXb59Xo2jbUZC"
		   "KEWzo"
		   "Xylti9F9h/"
		   "xnyLbCxcp5BbkAAAAAAAAAAAAAAACxsrwuDz7kh4Q36z3zs65aZ8vk"
		   "mDGDbneiru5FeQo/PrDJDWQZjNdaltqRk/glsOA=");
	free(s);
	assert_int_equal(ksm_ecies_decrypt(r, out, len, &back, &blen), KSM_OK);
	assert_int_equal(blen, 32);
	assert_memory_equal(back, pt, 32);
	free(back);
	free(out);
	/* An off-curve point is refused. */
	rpub[64] ^= 1;
	assert_int_equal(
		ksm_ecies_encrypt(rpub, NULL, NULL, pt, 32, &out, &len),
		KSM_ERR_INVALID);
	EVP_PKEY_free(r);
	EVP_PKEY_free(e);
}

static void test_ecdsa(void **state)
{
	EVP_PKEY *k;
	uint8_t *sig;
	size_t siglen;
	const uint8_t msg[] = "transmission key || body";

	assert_int_equal(ksm_p256_generate(&k), KSM_OK);
	assert_int_equal(ksm_ecdsa_sign(k, msg, sizeof(msg), &sig, &siglen),
			 KSM_OK);
	assert_true(siglen >= 68 && siglen <= 72);
	assert_int_equal(sig[0], 0x30); /* DER SEQUENCE */
	assert_int_equal(ksm_ecdsa_verify(k, msg, sizeof(msg), sig, siglen),
			 KSM_OK);
	assert_int_equal(ksm_ecdsa_verify(k, msg, sizeof(msg) - 1, sig, siglen),
			 KSM_ERR_CRYPTO);
	free(sig);
	EVP_PKEY_free(k);
}

static void test_base64_leniency(void **state)
{
	static const struct {
		const char *in, *want;
	} ok[] = {
		{"aGk=", "hi"}, {"aGk", "hi"},	     {"aGk==", "hi"},
		{"", ""},	{"_-8", "\xff\xef"}, {"/+8=", "\xff\xef"},
		{"a", NULL},	{"a=b=", NULL},	     {"aG k", NULL},
	};
	uint8_t *out;
	size_t n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ksm_status st =
			ksm_b64_decode(ok[i].in, strlen(ok[i].in), &out, &n);

		if (!ok[i].want) {
			assert_int_not_equal(st, KSM_OK);
			continue;
		}
		assert_int_equal(st, KSM_OK);
		assert_int_equal(n, strlen(ok[i].want));
		assert_memory_equal(out, ok[i].want, n);
		free(out);
	}
	/* Encoders: both forms. */
	char *s = ksm_b64_encode((const uint8_t *)"\xff\xef", 2, true);
	assert_string_equal(s, "_-8");
	free(s);
	s = ksm_b64_encode((const uint8_t *)"\xff\xef", 2, false);
	assert_string_equal(s, "/+8=");
	free(s);
	for (size_t len = 0; len < 10; len++) {
		s = ksm_b64_encode((const uint8_t *)"0123456789", len, true);
		assert_int_equal(ksm_b64_encoded_len(len, true), strlen(s));
		free(s);
	}
}

static void test_secret_equal(void **state)
{
	assert_true(ksm_secret_equal("abc", "abc"));
	assert_false(ksm_secret_equal("abc", "abd"));
	assert_false(ksm_secret_equal("abc", "abcd"));
	assert_false(ksm_secret_equal(NULL, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_known_answer),
		cmocka_unit_test(test_cbc_round_trip),
		cmocka_unit_test(test_client_id),
		cmocka_unit_test(test_pkcs8_fixed_key),
		cmocka_unit_test(test_pkcs8_generated_layout),
		cmocka_unit_test(test_ecies_known_answer),
		cmocka_unit_test(test_ecdsa),
		cmocka_unit_test(test_base64_leniency),
		cmocka_unit_test(test_secret_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
