/* SPDX-License-Identifier: MIT */
/*
 * test_privkey.c - SSH keys from rotated private keys, and the labels the
 * account rules read:
 *  - ksm_ssh_key_from_private against the test keys of tests/vectors/keys
 *    (every format ssh-keygen and openssl write; the public halves and
 *    fingerprints there come from ssh-keygen and Python, not libksm);
 *  - a pamUser holding only privatePEMKey (either label spelling) becomes
 *    an account with that key; conflicts, passphrases, keys_from_private_key;
 *  - labels compared ignoring case, spaces and punctuation, and two fields
 *    of one label with different values refusing the record.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "get_secrets.h"
#include "json.h"

#define VEC SRCDIR "/tests/vectors/keys/"

static ksm_settings *conf;
static ksm_local_db *local;
static char pass[64];

/* A vector file's content (NUL-terminated), or fail. */
static char *slurp(const char *name)
{
	char path[512], *buf = malloc(1 << 16);
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), VEC "%s", name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The first line of a vector file. */
static char *first_line(const char *name)
{
	char *s = slurp(name);

	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static const char *const good[] = {
	"ed25519-openssh",
	"ed25519-openssh-enc",
	"rsa-openssh",
	"rsa-openssh-enc",
	"ecdsa256-openssh",
	"ecdsa384-openssh",
	"ecdsa521-openssh-enc",
	"rsa-pkcs1",
	"rsa-pkcs1-enc",
	"ecdsa256-sec1",
	"ecdsa384-sec1-enc",
	"ecdsa521-sec1-nopub",
	"rsa-pkcs8",
	"rsa-pkcs8-enc",
	"ecdsa256-pkcs8",
	"ecdsa521-pkcs8-enc",
	"ed25519-pkcs8",
	"ed25519-pkcs8-enc",
};

/* Every format gives the public key ssh-keygen (or Python) derived, and
 * the fingerprint sshd prints for %f. */
static void test_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		char name[64], *key, *pub, *fp, *line = NULL, *canon = NULL,
						*gotfp = NULL;
		const char *phrases[2] = {"wrong passphrase", pass};
		ksm_error err = {0};

		snprintf(name, sizeof(name), "%s.key", good[i]);
		key = slurp(name);
		snprintf(name, sizeof(name), "%s.pub", good[i]);
		pub = first_line(name);
		snprintf(name, sizeof(name), "%s.fp", good[i]);
		fp = first_line(name);
		/* A wrong passphrase first: the next one is tried. */
		if (ksm_ssh_key_from_private(key, phrases, 2, &line, &err) !=
		    KSM_OK)
			fail_msg("%s: %s", good[i], err.message);
		if (strcmp(line, pub) != 0)
			fail_msg("%s: got '%s', want '%s'", good[i], line, pub);
		assert_int_equal(ksm_ssh_key_parse(line, &canon, &gotfp, &err),
				 KSM_OK);
		if (strcmp(gotfp, fp) != 0)
			fail_msg("%s: fingerprint %s, want %s", good[i], gotfp,
				 fp);
		free(line);
		free(canon);
		free(gotfp);
		free(key);
		free(pub);
		free(fp);
	}
}

/* OpenSSH keys carry the public key in clear: no passphrase needed even
 * when encrypted; encrypted PEM keys need the right one. */
static void test_passphrases(void **state)
{
	static const char *const openssh_enc[] = {"ed25519-openssh-enc.key",
						  "rsa-openssh-enc.key",
						  "ecdsa521-openssh-enc.key"};
	static const char *const pem_enc[] = {
		"rsa-pkcs1-enc.key", "ecdsa384-sec1-enc.key",
		"rsa-pkcs8-enc.key", "ecdsa521-pkcs8-enc.key",
		"ed25519-pkcs8-enc.key"};
	const char *wrong[1] = {"not it"};

	for (size_t i = 0; i < sizeof(openssh_enc) / sizeof(*openssh_enc);
	     i++) {
		char *key = slurp(openssh_enc[i]), *line = NULL;

		assert_int_equal(
			ksm_ssh_key_from_private(key, NULL, 0, &line, NULL),
			KSM_OK);
		free(line);
		free(key);
	}
	for (size_t i = 0; i < sizeof(pem_enc) / sizeof(*pem_enc); i++) {
		char *key = slurp(pem_enc[i]), *line = NULL;
		ksm_error err = {0};

		assert_int_equal(
			ksm_ssh_key_from_private(key, NULL, 0, &line, &err),
			KSM_ERR_INVALID);
		assert_null(line);
		assert_non_null(strstr(err.message, "no passphrase"));
		assert_int_equal(
			ksm_ssh_key_from_private(key, wrong, 1, &line, &err),
			KSM_ERR_INVALID);
		assert_non_null(strstr(err.message, "does not decrypt"));
		/* The reason never quotes the key. */
		assert_null(strstr(err.message, "-----"));
		free(key);
	}
}

/* Keys SSH cannot use and text that is no key: refused with a reason. */
static void test_refused(void **state)
{
	static const struct {
		const char *file, *text, *reason;
	} cases[] = {
		{"bad-dsa.key", NULL, "not a key type"},
		{"bad-ed448.key", NULL, "not a key type"},
		{"bad-secp256k1.key", NULL, "curve"},
		/* 2,000,000 PBKDF2 rounds: not run, even with the passphrase.
		 */
		{"bad-pbkdf2-rounds.key", NULL, "more costly"},
		{NULL, "ssh-ed25519 AAAA", "not a private key"},
		{NULL, "", "not a private key"},
		{NULL,
		 "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
		 "\n-----END OPENSSH PRIVATE KEY-----\n",
		 "truncated"},
		{NULL,
		 "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n"
		 "-----END OPENSSH PRIVATE KEY-----\n",
		 "does not decode"},
		{NULL, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
		 "armour lines are missing"},
		{NULL,
		 "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE "
		 "KEY-----\n",
		 "does not decode"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *text = cases[i].file ? slurp(cases[i].file)
					   : strdup(cases[i].text),
		     *line = NULL;
		const char *phrases[1] = {pass};
		ksm_error err = {0};

		if (ksm_ssh_key_from_private(text, phrases, 1, &line, &err) !=
			    KSM_ERR_INVALID ||
		    !strstr(err.message, cases[i].reason))
			fail_msg("case %zu: '%s', want '%s'", i, err.message,
				 cases[i].reason);
		assert_null(line);
		free(text);
	}
}

/* Damage anywhere in an OpenSSH key is refused, never read past. */
static void test_openssh_damage(void **state)
{
	char *key = slurp("ed25519-openssh.key"), *body, *line = NULL;
	size_t n;

	/* Cut the base64 at every length: refused or (never) accepted, no
	 * out-of-bounds read (the sanitizer build runs this too). */
	body = strstr(key, "\n") + 1;
	n = strstr(body, "-----END") - body;
	for (size_t cut = 0; cut < n; cut += 3) {
		char *t;

		assert_true(
			asprintf(&t,
				 "-----BEGIN OPENSSH PRIVATE KEY-----\n"
				 "%.*s\n-----END OPENSSH PRIVATE KEY-----\n",
				 (int)cut, body) > 0);
		if (ksm_ssh_key_from_private(t, NULL, 0, &line, NULL) ==
		    KSM_OK) {
			free(line);
			line = NULL;
		}
		free(t);
	}
	/* CRLF line ends (a key pasted from Windows) are fine. */
	{
		char crlf[8192], *pub = first_line("ed25519-openssh.pub");
		size_t o = 0;

		for (const char *p = key; *p && o + 2 < sizeof(crlf); p++) {
			if (*p == '\n')
				crlf[o++] = '\r';
			crlf[o++] = *p;
		}
		crlf[o] = '\0';
		assert_int_equal(
			ksm_ssh_key_from_private(crlf, NULL, 0, &line, NULL),
			KSM_OK);
		assert_string_equal(line, pub);
		free(line);
		free(pub);
	}
	free(key);
}

/* ------------------------------------------------------------ accounts */

/* JSON string of text (keys have newlines). */
static char *jstr(const char *text)
{
	json_object *s = json_object_new_string(text);
	char *out = strdup(json_object_to_json_string_ext(
		s, JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(s);
	return out;
}

/*
 * A pamUser as KeeperPAM leaves it: login, password, and the key in a
 * secret field labelled label (in "fields"), plus extra custom fields.
 */
static ksm_record *pam_user(const char *uid, const char *login,
			    const char *label, const char *keyfile,
			    const char *password, const char *custom)
{
	char *key = keyfile ? slurp(keyfile) : strdup(""), *jkey = jstr(key);
	char *json = NULL;
	ksm_record *r = NULL;

	assert_true(
		asprintf(&json,
			 "{\"type\":\"pamUser\",\"title\":\"%s\",\"fields\":"
			 "[{\"type\":\"login\",\"value\":[\"%s\"]},"
			 "{\"type\":\"password\",\"value\":[\"%s\"]},"
			 "{\"type\":\"secret\",\"label\":\"%s\","
			 "\"value\":[%s]}],\"custom\":[%s]}",
			 login, login, password ? password : "", label, jkey,
			 custom ? custom : "") > 0);
	assert_int_equal(ksm_record_parse(uid, json, strlen(json), &r, NULL),
			 KSM_OK);
	free(json);
	free(jkey);
	free(key);
	return r;
}

static ksm_accounts *build(ksm_record **rs, size_t n, const ksm_settings *c)
{
	ksm_secrets *s = ksm_secrets_wrap(rs, n);
	ksm_accounts *as = NULL;

	assert_non_null(s);
	assert_int_equal(ksm_accounts_build(s, c, local, &as, NULL), KSM_OK);
	ksm_secrets_free(s);
	return as;
}

static const ksm_account *account(const ksm_accounts *as, const char *name)
{
	for (size_t i = 0; i < as->n_accounts; i++)
		if (!strcmp(as->accounts[i].name, name))
			return &as->accounts[i];
	return NULL;
}

static const ksm_refusal *refusal(const ksm_accounts *as, const char *uid)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (!strcmp(as->refusals[i].record_uid, uid))
			return &as->refusals[i];
	return NULL;
}

/* The account's one key is the vector's public key and fingerprint. */
static void has_key(const ksm_account *a, const char *vector)
{
	char name[64], *pub, *fp;

	assert_non_null(a);
	assert_int_equal(a->n_keys, 1);
	snprintf(name, sizeof(name), "%s.pub", vector);
	pub = first_line(name);
	snprintf(name, sizeof(name), "%s.fp", vector);
	fp = first_line(name);
	assert_string_equal(a->keys[0], pub);
	assert_string_equal(a->fingerprints[0], fp);
	free(pub);
	free(fp);
}

/* clang-format off */
#define C(label, value) \
	"{\"type\":\"text\",\"label\":\"" label "\",\"value\":[\"" value "\"]}"
/* clang-format on */

static void test_account_from_private_key(void **state)
{
	char *pkey = slurp("ed25519-pkcs8.key"), *jkey = jstr(pkey);
	char custom[4096];
	ksm_record *rs[8];
	ksm_accounts *as;

	/* The same key under both spellings: one key, no refusal. */
	snprintf(custom, sizeof(custom),
		 "{\"type\":\"secret\",\"label\":\"Private PEM Key\","
		 "\"value\":[%s]}",
		 jkey);
	rs[0] = pam_user("CamelRec00000000000000", "camel", "privatePEMKey",
			 "ed25519-openssh.key", "pw", NULL);
	rs[1] = pam_user("HumanRec00000000000000", "human", "Private PEM Key",
			 "rsa-pkcs1.key", "pw", NULL);
	rs[2] = pam_user("BothRec000000000000000", "both", "privatePEMKey",
			 "ed25519-pkcs8.key", "pw", custom);
	/* Two different keys: the record is refused. */
	rs[3] = pam_user("TwoKeysRec000000000000", "twokeys", "privatePEMKey",
			 "rsa-pkcs8.key", "pw", custom);
	/* Encrypted PEM: the passphrase field, or the password. */
	rs[4] = pam_user("PhraseRec0000000000000", "phrase", "privatePEMKey",
			 "ecdsa521-pkcs8-enc.key", "not the passphrase",
			 C("Private Key Passphrase", "vector-pass-1"));
	rs[5] = pam_user("PwRec00000000000000000", "pwphrase",
			 "private_pem_key", "rsa-pkcs1-enc.key",
			 "vector-pass-1", NULL);
	rs[6] = pam_user("NoPhraseRec00000000000", "nophrase", "privatePEMKey",
			 "rsa-pkcs8-enc.key", NULL, NULL);
	/* An empty privatePEMKey (the template's, never rotated): nothing. */
	rs[7] = pam_user("EmptyRec00000000000000", "empty", "privatePEMKey",
			 NULL, "pw", NULL);
	as = build(rs, 8, conf);
	has_key(account(as, "camel"), "ed25519-openssh");
	has_key(account(as, "human"), "rsa-pkcs1");
	has_key(account(as, "both"), "ed25519-pkcs8");
	assert_null(refusal(as, "BothRec000000000000000"));
	assert_null(account(as, "twokeys"));
	assert_non_null(refusal(as, "TwoKeysRec000000000000"));
	assert_true(refusal(as, "TwoKeysRec000000000000")->whole_account);
	assert_non_null(strstr(refusal(as, "TwoKeysRec000000000000")->reason,
			       "privatePEMKey' appears more than once"));
	has_key(account(as, "phrase"), "ecdsa521-pkcs8-enc");
	has_key(account(as, "pwphrase"), "rsa-pkcs1-enc");
	/* No passphrase: the account stays, the key is dropped, said why. */
	assert_non_null(account(as, "nophrase"));
	assert_int_equal(account(as, "nophrase")->n_keys, 0);
	assert_false(refusal(as, "NoPhraseRec00000000000")->whole_account);
	assert_non_null(strstr(refusal(as, "NoPhraseRec00000000000")->reason,
			       "Private Key Passphrase"));
	assert_non_null(account(as, "empty"));
	assert_int_equal(account(as, "empty")->n_keys, 0);
	assert_null(refusal(as, "EmptyRec00000000000000"));
	/* No refusal line quotes a key. */
	for (size_t i = 0; i < as->n_refusals; i++)
		assert_null(strstr(as->refusals[i].reason, "PRIVATE"));
	ksm_accounts_free(as);
	free(jkey);
	free(pkey);
}

/* keys_from_private_key = no: the field is not read at all. */
static void test_keys_from_private_key_off(void **state)
{
	static const char text[] = "uid_range = 250000-259999\n"
				   "gid_range = 250000-259999\n"
				   "keys_from_private_key = no\n";
	ksm_settings *off = NULL;
	ksm_record *rs[1];
	ksm_accounts *as;

	assert_int_equal(
		ksm_settings_parse(text, strlen(text), "t", &off, NULL),
		KSM_OK);
	assert_false(off->keys_from_private_key);
	assert_true(conf->keys_from_private_key); /* the default */
	rs[0] = pam_user("OffRec0000000000000000", "off", "privatePEMKey",
			 "ed25519-openssh.key", "pw", NULL);
	as = build(rs, 1, off);
	assert_non_null(account(as, "off"));
	assert_int_equal(account(as, "off")->n_keys, 0);
	assert_int_equal(as->n_refusals, 0);
	ksm_accounts_free(as);
	ksm_settings_free(off);
}

/* A login's checks read the account without its keys: the same name and
 * ids, and the encrypted privatePEMKey (a KDF) is not touched. */
static void test_identity_without_keys(void **state)
{
	ksm_record *r =
		pam_user("IdRec00000000000000000", "ident", "privatePEMKey",
			 "rsa-pkcs1-enc.key", "vector-pass-1", NULL);
	ksm_account full, id;
	ksm_error err = {0};

	(void)state;
	assert_int_equal(ksm_account_from_record(r, conf, &full, NULL, &err),
			 KSM_OK);
	has_key(&full, "rsa-pkcs1-enc");
	assert_int_equal(ksm_account_identity_from_record(r, conf, &id, &err),
			 KSM_OK);
	assert_string_equal(id.name, "ident");
	assert_int_equal(id.uid, full.uid);
	assert_int_equal(id.gid, full.gid);
	assert_true(id.has_password);
	assert_int_equal(id.n_keys, 0);
	ksm_account_clear(&full);
	ksm_account_clear(&id);
	ksm_record_free(r);
}

/* ksm-unix's own labels and Keeper's compare ignoring case, spaces and
 * punctuation; the same label twice with different values is refused. */
static void test_label_matching(void **state)
{
	ksm_record *rs[6];
	ksm_accounts *as;
	const ksm_account *a;
	char *pub = first_line("ed25519-openssh.pub"), custom[1024];

	snprintf(custom, sizeof(custom),
		 C("UID", "251700") "," C("Home", "/srv/spelled") "," C(
			 "Valid Until", "2030-01-01") "," C("GROUPS",
							    "sudo") "," C("SSH "
									  "Publ"
									  "ic "
									  "Key",
									  "%s"),
		 pub);
	rs[0] = pam_user("SpelledRec000000000000", "spelled", "x", NULL, "pw",
			 custom);
	rs[1] = pam_user("DiffRec000000000000000", "diff", "x", NULL, "pw",
			 C("uid", "251701") "," C("U-I-D", "251702"));
	rs[2] = pam_user("SameRec000000000000000", "same", "x", NULL, "pw",
			 C("uid", "251703") "," C("UID", "251703"));
	rs[3] = pam_user("ShellRec00000000000000", "shells", "x", NULL, "pw",
			 C("shell", "/bin/sh") "," C("Shell", "/bin/zsh"));
	rs[4] = pam_user("LoginRec00000000000000", "logins", "x", NULL, "pw",
			 C("Login", "other"));
	rs[5] = pam_user("LoginSameRec0000000000", "loginsame", "x", NULL, "pw",
			 C("LOGIN", "loginsame"));
	as = build(rs, 6, conf);
	a = account(as, "spelled");
	assert_non_null(a);
	assert_int_equal(a->uid, 251700);
	assert_string_equal(a->home, "/srv/spelled");
	assert_int_equal(a->valid_until, 1893456000);
	assert_int_equal(a->n_groups, 1);
	assert_int_equal(a->n_keys, 1);
	assert_string_equal(a->keys[0], pub);
	assert_null(account(as, "diff"));
	assert_non_null(strstr(refusal(as, "DiffRec000000000000000")->reason,
			       "custom field 'uid' appears more than once, "
			       "with different values"));
	assert_non_null(account(as, "same"));
	assert_int_equal(account(as, "same")->uid, 251703);
	assert_null(account(as, "shells"));
	assert_non_null(strstr(refusal(as, "ShellRec00000000000000")->reason,
			       "'shell'"));
	assert_null(account(as, "logins"));
	assert_non_null(strstr(refusal(as, "LoginRec00000000000000")->reason,
			       "'login' appears more than once"));
	assert_non_null(account(as, "loginsame"));
	ksm_accounts_free(as);
	free(pub);
}

static int setup(void **state)
{
	static const char text[] = "uid_range = 250000-259999\n"
				   "gid_range = 250000-259999\n";
	char *p = first_line("PASSPHRASE");

	snprintf(pass, sizeof(pass), "%s", p);
	free(p);
	/* No local users but root: the vault names are all free. */
	if (ksm_local_db_load("/dev/null", "/dev/null", &local, NULL) != KSM_OK)
		return -1;
	return ksm_settings_parse(text, strlen(text), "t", &conf, NULL) ==
			       KSM_OK
		       ? 0
		       : -1;
}

static int teardown(void **state)
{
	ksm_settings_free(conf);
	ksm_local_db_free(local);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_passphrases),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_openssh_damage),
		cmocka_unit_test(test_account_from_private_key),
		cmocka_unit_test(test_keys_from_private_key_off),
		cmocka_unit_test(test_identity_without_keys),
		cmocka_unit_test(test_label_matching),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
