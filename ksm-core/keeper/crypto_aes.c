/* SPDX-License-Identifier: MIT */
/*
 * crypto_aes.c - AES-256-GCM and AES-256-CBC in the SDKs' layouts.
 */
#include "crypto.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

ksm_status ksm_random(uint8_t *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? KSM_OK : KSM_ERR_CRYPTO;
}

ksm_status ksm_gcm_encrypt(const uint8_t key[32], const uint8_t *iv,
			   const uint8_t *pt, size_t n, uint8_t **out,
			   size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *buf;
	int len = 0, fin = 0;
	ksm_status st = KSM_ERR_CRYPTO;

	*out = NULL;
	if (n > INT32_MAX - 64)
		return KSM_ERR_INVALID;
	buf = malloc(KSM_GCM_IV_LEN + n + KSM_GCM_TAG_LEN);
	if (!buf)
		return KSM_ERR_NOMEM;
	if (iv)
		memcpy(buf, iv, KSM_GCM_IV_LEN);
	else if (ksm_random(buf, KSM_GCM_IV_LEN) != KSM_OK)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, KSM_GCM_IV_LEN,
				NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + KSM_GCM_IV_LEN, &len, pt, (int)n) !=
		    1 ||
	    EVP_EncryptFinal_ex(ctx, buf + KSM_GCM_IV_LEN + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, KSM_GCM_TAG_LEN,
				buf + KSM_GCM_IV_LEN + len + fin) != 1)
		goto out;
	*outlen = KSM_GCM_IV_LEN + (size_t)len + (size_t)fin + KSM_GCM_TAG_LEN;
	*out = buf;
	buf = NULL;
	st = KSM_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	ksm_free_wiped(buf, KSM_GCM_IV_LEN + n + KSM_GCM_TAG_LEN);
	return st;
}

EVP_CIPHER_CTX *ksm_gcm_ctx_new(void)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx && (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL,
				       NULL) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
					KSM_GCM_IV_LEN, NULL) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

void ksm_gcm_ctx_free(EVP_CIPHER_CTX *ctx)
{
	EVP_CIPHER_CTX_free(ctx);
}

ksm_status ksm_gcm_decrypt_with(EVP_CIPHER_CTX *reuse, const uint8_t key[32],
				const uint8_t *in, size_t n, uint8_t **out,
				size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = reuse;
	uint8_t *buf = NULL, tag[KSM_GCM_TAG_LEN];
	size_t ctlen;
	int len = 0, fin = 0;
	ksm_status st = KSM_ERR_CRYPTO;

	*out = NULL;
	if (n < KSM_GCM_IV_LEN + KSM_GCM_TAG_LEN || n > INT32_MAX)
		return KSM_ERR_CRYPTO;
	ctlen = n - KSM_GCM_IV_LEN - KSM_GCM_TAG_LEN;
	memcpy(tag, in + n - KSM_GCM_TAG_LEN, KSM_GCM_TAG_LEN);
	buf = malloc(ctlen + 1);
	if (!buf)
		return KSM_ERR_NOMEM;
	if (!ctx)
		ctx = ksm_gcm_ctx_new();
	/* The cipher and IV length are set once (ksm_gcm_ctx_new); each
	 * message sets only its key and IV. */
	if (!ctx || EVP_DecryptInit_ex(ctx, NULL, NULL, key, in) != 1 ||
	    EVP_DecryptUpdate(ctx, buf, &len, in + KSM_GCM_IV_LEN,
			      (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, KSM_GCM_TAG_LEN,
				tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, buf + len, &fin) != 1)
		goto out;
	buf[len + fin] = '\0'; /* convenient for JSON plaintexts */
	*outlen = (size_t)len + (size_t)fin;
	*out = buf;
	buf = NULL;
	st = KSM_OK;
out:
	if (ctx != reuse)
		EVP_CIPHER_CTX_free(ctx);
	ksm_free_wiped(buf, ctlen + 1);
	return st;
}

ksm_status ksm_gcm_decrypt(const uint8_t key[32], const uint8_t *in, size_t n,
			   uint8_t **out, size_t *outlen)
{
	return ksm_gcm_decrypt_with(NULL, key, in, n, out, outlen);
}

static ksm_status cbc_run(bool enc, const uint8_t key[32], const uint8_t *iv,
			  const uint8_t *in, size_t n, uint8_t *out,
			  size_t *outlen)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len = 0, fin = 0;
	ksm_status st = KSM_ERR_CRYPTO;

	if (!ctx ||
	    EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv,
			      enc ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + len, &fin) != 1)
		goto out;
	*outlen = (size_t)len + (size_t)fin;
	st = KSM_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return st;
}

ksm_status ksm_cbc_encrypt(const uint8_t key[32], const uint8_t *iv,
			   const uint8_t *pt, size_t n, uint8_t **out,
			   size_t *outlen)
{
	size_t cap = KSM_CBC_IV_LEN + n + 16, len;
	uint8_t *buf;
	ksm_status st;

	*out = NULL;
	if (n > INT32_MAX - 64)
		return KSM_ERR_INVALID;
	buf = malloc(cap);
	if (!buf)
		return KSM_ERR_NOMEM;
	if (iv)
		memcpy(buf, iv, KSM_CBC_IV_LEN);
	else if (ksm_random(buf, KSM_CBC_IV_LEN) != KSM_OK) {
		free(buf);
		return KSM_ERR_CRYPTO;
	}
	st = cbc_run(true, key, buf, pt, n, buf + KSM_CBC_IV_LEN, &len);
	if (st != KSM_OK) {
		ksm_free_wiped(buf, cap);
		return st;
	}
	*out = buf;
	*outlen = KSM_CBC_IV_LEN + len;
	return KSM_OK;
}

ksm_status ksm_cbc_decrypt(const uint8_t key[32], const uint8_t *in, size_t n,
			   uint8_t **out, size_t *outlen)
{
	uint8_t *buf;
	size_t len;
	ksm_status st;

	*out = NULL;
	if (n < 2 * KSM_CBC_IV_LEN || n % 16 || n > INT32_MAX)
		return KSM_ERR_CRYPTO;
	buf = malloc(n);
	if (!buf)
		return KSM_ERR_NOMEM;
	st = cbc_run(false, key, in, in + KSM_CBC_IV_LEN, n - KSM_CBC_IV_LEN,
		     buf, &len);
	if (st != KSM_OK) {
		ksm_free_wiped(buf, n);
		return st;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return KSM_OK;
}

ksm_status ksm_gcm_open_b64_with(EVP_CIPHER_CTX *ctx, const uint8_t key[32],
				 const char *b64, uint8_t **pt, size_t *ptlen)
{
	uint8_t *ct = NULL;
	size_t ctlen = 0;
	ksm_status st;

	*pt = NULL;
	if (!b64 || ksm_b64_decode(b64, strlen(b64), &ct, &ctlen) != KSM_OK)
		return KSM_ERR_PROTOCOL;
	st = ksm_gcm_decrypt_with(ctx, key, ct, ctlen, pt, ptlen);
	free(ct);
	return st;
}

ksm_status ksm_gcm_open_b64(const uint8_t key[32], const char *b64,
			    uint8_t **pt, size_t *ptlen)
{
	return ksm_gcm_open_b64_with(NULL, key, b64, pt, ptlen);
}

ksm_status ksm_unwrap_key_b64_with(EVP_CIPHER_CTX *ctx, const uint8_t wrap[32],
				   const char *b64, uint8_t key[32])
{
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	ksm_status st = ksm_gcm_open_b64_with(ctx, wrap, b64, &pt, &ptlen);

	if (st != KSM_OK)
		return st;
	if (ptlen != 32) {
		ksm_free_wiped(pt, ptlen);
		return KSM_ERR_PROTOCOL;
	}
	memcpy(key, pt, 32);
	ksm_free_wiped(pt, ptlen);
	return KSM_OK;
}

ksm_status ksm_unwrap_key_b64(const uint8_t wrap[32], const char *b64,
			      uint8_t key[32])
{
	return ksm_unwrap_key_b64_with(NULL, wrap, b64, key);
}
