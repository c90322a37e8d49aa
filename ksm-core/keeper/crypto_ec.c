/* SPDX-License-Identifier: MIT */
/*
 * crypto_ec.c - P-256 keys in the SDKs' encodings, ECDSA, ECIES, hashes.
 */
#include "crypto.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

/* The fixed start of the SDKs' PKCS#8 encoding (docs/protocol.md §3.1). */
static const uint8_t pkcs8_prefix[36] = {
	0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
	0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t pkcs8_mid[5] = {0xa1, 0x44, 0x03, 0x42, 0x00};

ksm_status ksm_sha256(const uint8_t *data, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	return EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) == 1
		       ? KSM_OK
		       : KSM_ERR_CRYPTO;
}

ksm_status ksm_hmac_sha512(const uint8_t *key, size_t klen, const uint8_t *msg,
			   size_t mlen, uint8_t out[64])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t len = 0;
	ksm_status st = KSM_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA512", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!mac || !(ctx = EVP_MAC_CTX_new(mac)) ||
	    EVP_MAC_init(ctx, key, klen, params) != 1 ||
	    EVP_MAC_update(ctx, msg, mlen) != 1 ||
	    EVP_MAC_final(ctx, out, &len, 64) != 1 || len != 64)
		goto out;
	st = KSM_OK;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return st;
}

ksm_status ksm_p256_generate(EVP_PKEY **out)
{
	*out = EVP_EC_gen("P-256");
	return *out ? KSM_OK : KSM_ERR_CRYPTO;
}

/* Build a key from parts: point (65) always, scalar optional. */
static ksm_status p256_from_parts(const uint8_t point[65],
				  const uint8_t *scalar, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *priv = NULL;
	ksm_status st = KSM_ERR_CRYPTO;

	*out = NULL;
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      point, 65))
		goto out;
	if (scalar) {
		priv = BN_secure_new();
		if (!priv || !BN_bin2bn(scalar, 32, priv) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY,
					    priv))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out,
			      scalar ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) != 1)
		goto out;
	st = KSM_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	return st;
}

ksm_status ksm_p256_from_public(const uint8_t point[65], EVP_PKEY **out)
{
	EVP_PKEY_CTX *check = NULL;
	ksm_status st;

	if (point[0] != 0x04)
		return KSM_ERR_INVALID;
	st = p256_from_parts(point, NULL, out);
	if (st != KSM_OK)
		return KSM_ERR_INVALID;
	/* Refuse points not on the curve (invalid-curve attacks on ECDH). */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
	if (!check || EVP_PKEY_public_check(check) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		st = KSM_ERR_INVALID;
	}
	EVP_PKEY_CTX_free(check);
	return st;
}

ksm_status ksm_p256_from_scalar(const uint8_t scalar[32], EVP_PKEY **out)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *pt = NULL;
	BIGNUM *k = BN_secure_new();
	uint8_t point[65];
	ksm_status st = KSM_ERR_CRYPTO;

	*out = NULL;
	if (!grp || !k || !BN_bin2bn(scalar, 32, k) ||
	    !(pt = EC_POINT_new(grp)) ||
	    !EC_POINT_mul(grp, pt, k, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, point,
			       sizeof(point), NULL) != sizeof(point))
		goto out;
	st = p256_from_parts(point, scalar, out);
out:
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_clear_free(k);
	return st;
}

ksm_status ksm_p256_public(EVP_PKEY *key, uint8_t point[65])
{
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point,
					    65, &len) != 1 ||
	    len != 65 || point[0] != 0x04)
		return KSM_ERR_CRYPTO;
	return KSM_OK;
}

/*
 * Emit the exact 138-byte layout the JS SDK slices by offset, rather than
 * trusting an encoder's choices: prefix, scalar, marker, public point.
 */
ksm_status ksm_p256_to_pkcs8(EVP_PKEY *key, uint8_t der[138])
{
	BIGNUM *priv = NULL;
	ksm_status st = KSM_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) != 1 ||
	    BN_bn2binpad(priv, der + 36, 32) != 32)
		goto out;
	memcpy(der, pkcs8_prefix, sizeof(pkcs8_prefix));
	memcpy(der + 68, pkcs8_mid, sizeof(pkcs8_mid));
	st = ksm_p256_public(key, der + 73);
out:
	BN_clear_free(priv);
	if (st != KSM_OK)
		ksm_wipe(der, 138);
	return st;
}

ksm_status ksm_p256_from_pkcs8(const uint8_t *der, size_t n, EVP_PKEY **out)
{
	const uint8_t *p = der;
	EVP_PKEY *key;

	*out = NULL;
	/* Our own layout: take the scalar and recompute the public point. */
	if (n == KSM_PKCS8_LEN && memcmp(der, pkcs8_prefix, 36) == 0 &&
	    memcmp(der + 68, pkcs8_mid, 5) == 0)
		return ksm_p256_from_scalar(der + 36, out);
	/* Anything else OpenSSL parses as a P-256 private key. */
	key = d2i_AutoPrivateKey(NULL, &p, (long)n);
	if (!key)
		return KSM_ERR_INVALID;
	if (!EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256) {
		EVP_PKEY_free(key);
		return KSM_ERR_INVALID;
	}
	*out = key;
	return KSM_OK;
}

ksm_status ksm_ecdsa_sign(EVP_PKEY *key, const uint8_t *data, size_t n,
			  uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = 0;
	ksm_status st = KSM_ERR_CRYPTO;

	*sig = NULL;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &len, data, n) != 1)
		goto out;
	*sig = malloc(len);
	if (!*sig) {
		st = KSM_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, *sig, &len, data, n) != 1) {
		free(*sig);
		*sig = NULL;
		goto out;
	}
	*siglen = len;
	st = KSM_OK;
out:
	EVP_MD_CTX_free(md);
	return st;
}

ksm_status ksm_ecdsa_verify(EVP_PKEY *pub, const uint8_t *data, size_t n,
			    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ksm_status st = KSM_ERR_CRYPTO;

	if (md &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, data, n) == 1)
		st = KSM_OK;
	EVP_MD_CTX_free(md);
	return st;
}

/* K = SHA-256(x coordinate of ECDH(priv, peer)). */
static ksm_status ecdh_kdf(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t key[32])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	uint8_t z[32];
	size_t zlen = sizeof(z);
	ksm_status st = KSM_ERR_CRYPTO;

	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zlen) != 1 || zlen != 32)
		goto out;
	st = ksm_sha256(z, zlen, key);
out:
	ksm_wipe(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	return st;
}

ksm_status ksm_ecies_encrypt(const uint8_t recipient[65], EVP_PKEY *eph,
			     const uint8_t *iv, const uint8_t *pt, size_t n,
			     uint8_t **out, size_t *outlen)
{
	EVP_PKEY *peer = NULL, *own = NULL;
	uint8_t key[32], *ct = NULL, *buf = NULL;
	size_t ctlen = 0;
	ksm_status st;

	*out = NULL;
	st = ksm_p256_from_public(recipient, &peer);
	if (st != KSM_OK)
		goto out;
	if (!eph) {
		st = ksm_p256_generate(&own);
		if (st != KSM_OK)
			goto out;
		eph = own;
	}
	st = ecdh_kdf(eph, peer, key);
	if (st != KSM_OK)
		goto out;
	st = ksm_gcm_encrypt(key, iv, pt, n, &ct, &ctlen);
	if (st != KSM_OK)
		goto out;
	buf = malloc(KSM_P256_POINT_LEN + ctlen);
	if (!buf) {
		st = KSM_ERR_NOMEM;
		goto out;
	}
	st = ksm_p256_public(eph, buf);
	if (st != KSM_OK)
		goto out;
	memcpy(buf + KSM_P256_POINT_LEN, ct, ctlen);
	*out = buf;
	*outlen = KSM_P256_POINT_LEN + ctlen;
	buf = NULL;
out:
	ksm_wipe(key, sizeof(key));
	free(ct);
	free(buf);
	EVP_PKEY_free(own);
	EVP_PKEY_free(peer);
	return st;
}

ksm_status ksm_ecies_decrypt(EVP_PKEY *priv, const uint8_t *in, size_t n,
			     uint8_t **out, size_t *outlen)
{
	EVP_PKEY *peer = NULL;
	uint8_t key[32];
	ksm_status st;

	*out = NULL;
	if (n < KSM_ECIES_OVERHEAD)
		return KSM_ERR_CRYPTO;
	st = ksm_p256_from_public(in, &peer);
	if (st != KSM_OK)
		return KSM_ERR_CRYPTO;
	st = ecdh_kdf(priv, peer, key);
	if (st == KSM_OK)
		st = ksm_gcm_decrypt(key, in + KSM_P256_POINT_LEN,
				     n - KSM_P256_POINT_LEN, out, outlen);
	ksm_wipe(key, sizeof(key));
	EVP_PKEY_free(peer);
	return st;
}
