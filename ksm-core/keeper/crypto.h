/* SPDX-License-Identifier: MIT */
/*
 * crypto.h - the primitives the KSM protocol uses, on OpenSSL 3 (internal).
 *
 * Layouts (docs/protocol.md §4):
 *   GCM:   IV(12) || ciphertext || tag(16), no AAD
 *   CBC:   IV(16) || ciphertext, PKCS#7
 *   ECIES: ephemeral point(65) || GCM(SHA-256(ECDH x), plaintext)
 * Output buffers are malloc'd; callers wipe plaintexts with ksm_free_wiped.
 */
#ifndef KSM_CRYPTO_H
#define KSM_CRYPTO_H

#include "base.h"

#include <openssl/evp.h>

#define KSM_AES_KEY_LEN	    32
#define KSM_GCM_IV_LEN	    12
#define KSM_GCM_TAG_LEN	    16
#define KSM_CBC_IV_LEN	    16
#define KSM_P256_POINT_LEN  65
#define KSM_P256_SCALAR_LEN 32
#define KSM_PKCS8_LEN	    138
#define KSM_ECIES_OVERHEAD                                                     \
	(KSM_P256_POINT_LEN + KSM_GCM_IV_LEN + KSM_GCM_TAG_LEN)

KSM_HIDDEN ksm_status ksm_random(uint8_t *buf, size_t n);

/* iv NULL: a random one. */
KSM_HIDDEN ksm_status ksm_gcm_encrypt(const uint8_t key[32], const uint8_t *iv,
				      const uint8_t *pt, size_t n,
				      uint8_t **out, size_t *outlen);
KSM_HIDDEN ksm_status ksm_gcm_decrypt(const uint8_t key[32], const uint8_t *in,
				      size_t n, uint8_t **out, size_t *outlen);
/*
 * A GCM decryption context to reuse across many messages (one get_secret
 * answer's thousands of keys and records): the _with functions take one
 * (NULL: a context of their own for the call). Not for two threads at once.
 */
KSM_HIDDEN EVP_CIPHER_CTX *ksm_gcm_ctx_new(void);
KSM_HIDDEN void ksm_gcm_ctx_free(EVP_CIPHER_CTX *ctx);
KSM_HIDDEN ksm_status ksm_gcm_decrypt_with(EVP_CIPHER_CTX *ctx,
					   const uint8_t key[32],
					   const uint8_t *in, size_t n,
					   uint8_t **out, size_t *outlen);
KSM_HIDDEN ksm_status ksm_cbc_encrypt(const uint8_t key[32], const uint8_t *iv,
				      const uint8_t *pt, size_t n,
				      uint8_t **out, size_t *outlen);
KSM_HIDDEN ksm_status ksm_cbc_decrypt(const uint8_t key[32], const uint8_t *in,
				      size_t n, uint8_t **out, size_t *outlen);

/* Base64-decode then GCM-decrypt (KSM_ERR_PROTOCOL for bad base64). */
KSM_HIDDEN ksm_status ksm_gcm_open_b64(const uint8_t key[32], const char *b64,
				       uint8_t **pt, size_t *ptlen);
/* GCM-decrypt exactly 32 bytes of key material from base64 text. */
KSM_HIDDEN ksm_status ksm_unwrap_key_b64(const uint8_t wrap[32],
					 const char *b64, uint8_t key[32]);
KSM_HIDDEN ksm_status ksm_gcm_open_b64_with(EVP_CIPHER_CTX *ctx,
					    const uint8_t key[32],
					    const char *b64, uint8_t **pt,
					    size_t *ptlen);
KSM_HIDDEN ksm_status ksm_unwrap_key_b64_with(EVP_CIPHER_CTX *ctx,
					      const uint8_t wrap[32],
					      const char *b64, uint8_t key[32]);

KSM_HIDDEN ksm_status ksm_hmac_sha512(const uint8_t *key, size_t klen,
				      const uint8_t *msg, size_t mlen,
				      uint8_t out[64]);
KSM_HIDDEN ksm_status ksm_sha256(const uint8_t *data, size_t n,
				 uint8_t out[32]);

/* P-256 keys. */
KSM_HIDDEN ksm_status ksm_p256_generate(EVP_PKEY **out);
KSM_HIDDEN ksm_status ksm_p256_from_scalar(const uint8_t scalar[32],
					   EVP_PKEY **out);
KSM_HIDDEN ksm_status ksm_p256_from_public(const uint8_t point[65],
					   EVP_PKEY **out);
/* The SDKs' 138-byte PKCS#8 PrivateKeyInfo (docs/protocol.md §3.1). */
KSM_HIDDEN ksm_status ksm_p256_to_pkcs8(EVP_PKEY *key, uint8_t der[138]);
KSM_HIDDEN ksm_status ksm_p256_from_pkcs8(const uint8_t *der, size_t n,
					  EVP_PKEY **out);
KSM_HIDDEN ksm_status ksm_p256_public(EVP_PKEY *key, uint8_t point[65]);

/* ECDSA-SHA256, DER signature. */
KSM_HIDDEN ksm_status ksm_ecdsa_sign(EVP_PKEY *key, const uint8_t *data,
				     size_t n, uint8_t **sig, size_t *siglen);
KSM_HIDDEN ksm_status ksm_ecdsa_verify(EVP_PKEY *pub, const uint8_t *data,
				       size_t n, const uint8_t *sig,
				       size_t siglen);

/* eph and iv NULL in production (fresh ones); fixed for known answers. */
KSM_HIDDEN ksm_status ksm_ecies_encrypt(const uint8_t recipient[65],
					EVP_PKEY *eph, const uint8_t *iv,
					const uint8_t *pt, size_t n,
					uint8_t **out, size_t *outlen);
KSM_HIDDEN ksm_status ksm_ecies_decrypt(EVP_PKEY *priv, const uint8_t *in,
					size_t n, uint8_t **out,
					size_t *outlen);

#endif
