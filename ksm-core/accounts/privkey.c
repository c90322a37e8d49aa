/* SPDX-License-Identifier: MIT */
/*
 * privkey.c - the public half of a private key from the vault, as an
 * authorized_keys line: KeeperPAM rotates SSH keys in a pamUser's
 * privatePEMKey and writes no public key anywhere (docs/design.md,
 * "Records to POSIX accounts").
 *
 *  - OpenSSH format: the public key is in the file in clear, whatever the
 *    cipher (privkey_openssh.c); no passphrase needed.
 *  - PEM (PKCS#1 RSA, SEC1 EC, PKCS#8, encrypted or not): OpenSSL decodes
 *    it, with the passphrases given (never a prompt), and the SSH wire
 *    blob is built from the public parameters: RSA, ECDSA P-256/384/521,
 *    Ed25519. What costs the host more than a parse is checked first: the
 *    PKCS#8 algorithm (no DSA or DH, whose public key OpenSSL computes)
 *    and the passphrase KDF's cost.
 *
 * The private key is outside data and a secret: lengths are checked, the
 * buffers this file owns are wiped, and no message quotes the key.
 */
#include "crypto.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

#define MAX_KEY_TEXT (64u << 10)
/* The costliest passphrase KDF run: OpenSSL and ssh-keygen use 2048. */
#define KDF_MAX_ITER 1000000L
/* RSA 16384, the largest key ssh-keygen makes, needs a little over 2 KiB. */
#define MAX_BLOB 4096

struct blob {
	uint8_t b[MAX_BLOB];
	size_t n;
	bool overflow;
};

static void put(struct blob *w, const void *p, size_t n)
{
	if (w->overflow || n > sizeof(w->b) - w->n) {
		w->overflow = true;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put_u32(struct blob *w, size_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};

	put(w, b, 4);
}

static void put_string(struct blob *w, const void *p, size_t n)
{
	put_u32(w, n);
	put(w, p, n);
}

/* RFC 4251 mpint of a non-negative number: big-endian, a 0 byte in front
 * when the top bit is set. */
static bool put_mpint(struct blob *w, const BIGNUM *bn)
{
	uint8_t buf[MAX_BLOB];
	int n = BN_num_bytes(bn);

	if (n < 0 || (size_t)n + 1 > sizeof(buf))
		return false;
	buf[0] = 0;
	BN_bn2bin(bn, buf + 1);
	if (n > 0 && (buf[1] & 0x80))
		put_string(w, buf, (size_t)n + 1);
	else
		put_string(w, buf + 1, (size_t)n);
	return true;
}

static bool rsa_blob(EVP_PKEY *k, struct blob *w)
{
	BIGNUM *n = NULL, *e = NULL;
	bool ok = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) &&
		  EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);

	if (ok) {
		put_string(w, "ssh-rsa", 7);
		ok = put_mpint(w, e) && put_mpint(w, n);
	}
	BN_free(n);
	BN_free(e);
	return ok;
}

static bool ec_blob(EVP_PKEY *k, struct blob *w, const char **why)
{
	static const struct {
		const char *group, *ssh;
		size_t len;
	} curves[] = {{"prime256v1", "nistp256", 32},
		      {"secp384r1", "nistp384", 48},
		      {"secp521r1", "nistp521", 66}};
	uint8_t point[1 + 2 * 66];
	char group[64], type[32];
	BIGNUM *x = NULL, *y = NULL;
	size_t c;
	bool ok = false;

	if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, sizeof(group), NULL))
		return false;
	for (c = 0; c < sizeof(curves) / sizeof(*curves); c++)
		if (!strcmp(group, curves[c].group))
			break;
	if (c == sizeof(curves) / sizeof(*curves)) {
		*why = "an ECDSA key on a curve SSH does not use (P-256, "
		       "P-384 and P-521 are)";
		return false;
	}
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
	    BN_bn2binpad(x, point + 1, (int)curves[c].len) > 0 &&
	    BN_bn2binpad(y, point + 1 + curves[c].len, (int)curves[c].len) >
		    0) {
		point[0] = 0x04; /* uncompressed, as SSH has it */
		snprintf(type, sizeof(type), "ecdsa-sha2-%s", curves[c].ssh);
		put_string(w, type, strlen(type));
		put_string(w, curves[c].ssh, strlen(curves[c].ssh));
		put_string(w, point, 1 + 2 * curves[c].len);
		ok = true;
	}
	BN_free(x);
	BN_free(y);
	return ok;
}

static bool ed25519_blob(EVP_PKEY *k, struct blob *w)
{
	uint8_t pub[32];
	size_t n = sizeof(pub);

	if (!EVP_PKEY_get_raw_public_key(k, pub, &n) || n != sizeof(pub))
		return false;
	put_string(w, "ssh-ed25519", 11);
	put_string(w, pub, n);
	return true;
}

/* "type base64" of a wire blob (its first string names the type: short
 * printable ASCII without blanks, or the blob is refused). */
static ksm_status blob_line(const uint8_t *b, size_t n, char **line,
			    ksm_error *err)
{
	uint32_t tlen = 0;
	char *b64;

	if (n >= 4)
		tlen = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		       (uint32_t)b[2] << 8 | b[3];
	if (n < 4 || tlen == 0 || tlen > 64 || tlen > n - 4)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "the public key in the private key is "
				     "damaged");
	for (size_t i = 0; i < tlen; i++)
		if (b[4 + i] <= 0x20 || b[4 + i] >= 0x7f)
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "the public key in the private "
					     "key has no valid type");
	b64 = ksm_b64_encode(b, n, false);
	if (!b64 || asprintf(line, "%.*s %s", (int)tlen, (const char *)b + 4,
			     b64) < 0) {
		*line = NULL;
		free(b64);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	free(b64);
	return KSM_OK;
}

/* OpenSSL's passphrase callback: the one given, never a prompt. */
static int give_passphrase(char *buf, int size, int rwflag, void *u)
{
	const char *p = u;
	size_t n = p ? strlen(p) : 0;

	(void)rwflag;
	if (!p || n > (size_t)size)
		return -1;
	memcpy(buf, p, n);
	return (int)n;
}

/* The PEM label of the first BEGIN line ("RSA PRIVATE KEY"), or NULL. */
static bool pem_label(const char *text, char *label, size_t cap)
{
	const char *b = strstr(text, "-----BEGIN "), *e;

	if (!b)
		return false;
	b += strlen("-----BEGIN ");
	e = strstr(b, "-----");
	if (!e || (size_t)(e - b) >= cap || memchr(b, '\n', (size_t)(e - b)))
		return false;
	memcpy(label, b, (size_t)(e - b));
	label[e - b] = '\0';
	return true;
}

/* A PKCS#8 key of an algorithm SSH logins use, as a key; NULL otherwise
 * (checked before OpenSSL decodes it: a DSA or DH key would make it
 * compute a public key of any size the text holds). */
static EVP_PKEY *p8_key(const PKCS8_PRIV_KEY_INFO *p8, const char **why)
{
	const ASN1_OBJECT *oid = NULL;
	const X509_ALGOR *alg = NULL;
	int nid;

	if (!p8 || !PKCS8_pkey_get0(&oid, NULL, NULL, &alg, p8))
		return NULL;
	nid = OBJ_obj2nid(oid);
	if (nid != NID_rsaEncryption && nid != NID_X9_62_id_ecPublicKey &&
	    nid != NID_ED25519) {
		*why = "not a key type SSH logins use (RSA, ECDSA P-256/384/"
		       "521 and Ed25519 are)";
		return NULL;
	}
	return EVP_PKCS82PKEY(p8);
}

/* An ASN.1 INTEGER in [1, max], else 0. */
static long bounded(const ASN1_INTEGER *v, long max)
{
	long n = v ? ASN1_INTEGER_get(v) : 0;

	return n >= 1 && n <= max ? n : 0;
}

/* scrypt's memory is 128 * N * r * p bytes: at most 64 MiB. */
static bool scrypt_bounded(const SCRYPT_PARAMS *sc)
{
	long n = bounded(sc->costParameter, 1L << 20),
	     r = bounded(sc->blockSize, 32),
	     p = bounded(sc->parallelizationParameter, 16);

	return n && r && p && n * r * p <= (1L << 19);
}

/*
 * Is the passphrase KDF of an encrypted PKCS#8 key cheap enough to run?
 * Its cost is in the (vault-edited) key itself: an iteration count of
 * 2^31 would hold every sync and the keys helper's live path for minutes.
 */
static bool kdf_bounded(const X509_SIG *sig)
{
	const X509_ALGOR *alg = NULL, *kdf;
	const ASN1_OBJECT *oid = NULL;
	const void *pval = NULL;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *k = NULL;
	SCRYPT_PARAMS *sc = NULL;
	PBEPARAM *pbe = NULL;
	int ptype = 0;
	bool ok = false;

	X509_SIG_get0(sig, &alg, NULL);
	X509_ALGOR_get0(&oid, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE)
		return false;
	if (OBJ_obj2nid(oid) != NID_pbes2) {
		/* PKCS#5 v1.5 and PKCS#12 schemes: salt and a count. */
		pbe = ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBEPARAM));
		ok = pbe && bounded(pbe->iter, KDF_MAX_ITER);
		PBEPARAM_free(pbe);
		return ok;
	}
	pbe2 = ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBE2PARAM));
	kdf = pbe2 ? pbe2->keyfunc : NULL;
	if (kdf) {
		X509_ALGOR_get0(&oid, &ptype, &pval, kdf);
		if (ptype != V_ASN1_SEQUENCE) {
			ok = false;
		} else if (OBJ_obj2nid(oid) == NID_id_pbkdf2) {
			k = ASN1_item_unpack(pval, ASN1_ITEM_rptr(PBKDF2PARAM));
			ok = k && bounded(k->iter, KDF_MAX_ITER);
		} else if (OBJ_obj2nid(oid) == NID_id_scrypt) {
			sc = ASN1_item_unpack(pval,
					      ASN1_ITEM_rptr(SCRYPT_PARAMS));
			ok = sc && scrypt_bounded(sc);
		}
	}
	PBKDF2PARAM_free(k);
	SCRYPT_PARAMS_free(sc);
	PBE2PARAM_free(pbe2);
	return ok;
}

static BIO *text_bio(const char *text)
{
	return BIO_new_mem_buf(text, (int)strlen(text));
}

/* The DER of the first PEM block, which must be labelled label, in
 * OpenSSL's secure heap (free it with OPENSSL_secure_clear_free: the plain
 * PKCS#8 one is the key itself). */
static bool pem_der(const char *text, const char *label, unsigned char **der,
		    long *len)
{
	BIO *bio = text_bio(text);
	char *name = NULL, *header = NULL;
	bool ok;

	*der = NULL;
	*len = 0;
	ok = bio && PEM_read_bio_ex(bio, &name, &header, der, len,
				    PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE);
	if (ok && strcmp(name, label) != 0) {
		OPENSSL_secure_clear_free(*der, (size_t)*len);
		*der = NULL;
		*len = 0;
		ok = false;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return ok;
}

/* PKCS#8, plain or encrypted (trying each passphrase); *why on failure. */
static EVP_PKEY *read_pkcs8(const char *text, bool encrypted,
			    const char *const *pass, size_t npass,
			    const char **why)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *sig = NULL;
	EVP_PKEY *k = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long len = 0;

	if (!pem_der(text, encrypted ? "ENCRYPTED PRIVATE KEY" : "PRIVATE KEY",
		     &der, &len))
		return NULL;
	p = der;
	if (!encrypted) {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
		k = p8_key(p8, why);
		goto out;
	}
	sig = d2i_X509_SIG(NULL, &p, len);
	if (!sig)
		goto out;
	if (!kdf_bounded(sig)) {
		*why = "the private key is encrypted with a passphrase scheme "
		       "this host does not run (unknown, or more costly than "
		       "1,000,000 PBKDF2 rounds)";
		goto out;
	}
	*why = npass ? "the private key is encrypted and the passphrase does "
		       "not decrypt it"
		     : "the private key is encrypted and no passphrase for it "
		       "was given";
	for (size_t i = 0; !p8 && i < npass; i++)
		p8 = PKCS8_decrypt(sig, pass[i], (int)strlen(pass[i]));
	if (p8) {
		*why = "the PEM private key does not decode";
		k = p8_key(p8, why);
	}
out:
	PKCS8_PRIV_KEY_INFO_free(p8); /* clears the key it held */
	X509_SIG_free(sig);
	OPENSSL_secure_clear_free(der, (size_t)len);
	return k;
}

/* PKCS#1 RSA or SEC1 EC, plain or with the (cheap) legacy encryption. */
static EVP_PKEY *read_traditional(const char *text, bool encrypted,
				  const char *const *pass, size_t npass,
				  const char **why)
{
	EVP_PKEY *k = NULL;

	if (encrypted)
		*why = npass ? "the private key is encrypted and the "
			       "passphrase does not decrypt it"
			     : "the private key is encrypted and no passphrase "
			       "for it was given";
	for (size_t i = 0; !k && i < (encrypted ? npass : 1); i++) {
		BIO *bio = text_bio(text);

		if (bio)
			k = PEM_read_bio_PrivateKey(bio, NULL, give_passphrase,
						    encrypted ? (void *)pass[i]
							      : NULL);
		BIO_free(bio);
	}
	return k;
}

static ksm_status from_pem(const char *text, const char *const *pass,
			   size_t npass, char **line, ksm_error *err)
{
	const char *why = "the PEM private key does not decode";
	struct blob w = {.n = 0};
	EVP_PKEY *k = NULL;
	char label[64];
	bool encrypted, ok = false;
	ksm_status st;

	if (!pem_label(text, label, sizeof(label)))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "not a private key in OpenSSH or PEM "
				     "format");
	/* PKCS#8 says it in its label, the traditional formats in a header. */
	encrypted = !strcmp(label, "ENCRYPTED PRIVATE KEY");
	if (encrypted || !strcmp(label, "PRIVATE KEY"))
		k = read_pkcs8(text, encrypted, pass, npass, &why);
	else if (!strcmp(label, "RSA PRIVATE KEY") ||
		 !strcmp(label, "EC PRIVATE KEY"))
		k = read_traditional(
			text, strstr(text, "Proc-Type: 4,ENCRYPTED") != NULL,
			pass, npass, &why);
	else
		why = "not a key type SSH logins use (RSA, ECDSA P-256/384/521 "
		      "and Ed25519 are)";
	/* Failed tries leave reasons on OpenSSL's queue: not ours to keep. */
	ERR_clear_error();
	if (k) {
		switch (EVP_PKEY_get_base_id(k)) {
		case EVP_PKEY_RSA:
			ok = rsa_blob(k, &w);
			break;
		case EVP_PKEY_EC:
			ok = ec_blob(k, &w, &why);
			break;
		case EVP_PKEY_ED25519:
			ok = ed25519_blob(k, &w);
			break;
		default:
			why = "not a key type SSH logins use (RSA, ECDSA "
			      "P-256/384/521 and Ed25519 are)";
		}
		EVP_PKEY_free(k);
		ERR_clear_error();
	}
	if (!ok || w.overflow)
		return ksm_set_error(err, KSM_ERR_INVALID, "%s",
				     w.overflow ? "the public key is too large"
						: why);
	st = blob_line(w.b, w.n, line, err);
	ksm_wipe(&w, sizeof(w));
	return st;
}

ksm_status ksm_ssh_key_from_private(const char *text,
				    const char *const *passphrases,
				    size_t n_passphrases, char **line,
				    ksm_error *err)
{
	uint8_t *blob = NULL;
	size_t n = 0;
	ksm_status st;

	*line = NULL;
	if (!text || strlen(text) > MAX_KEY_TEXT)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "the private key is missing or longer "
				     "than 64 KiB");
	if (strstr(text, "-----BEGIN OPENSSH PRIVATE KEY-----")) {
		st = ksm_openssh_private_public(text, &blob, &n, err);
		if (st == KSM_OK)
			st = blob_line(blob, n, line, err);
		free(blob); /* public */
		return st;
	}
	return from_pem(text, passphrases, n_passphrases, line, err);
}
