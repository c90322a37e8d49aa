/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ssh_key.c - libFuzzer target: authorized_keys lines from the vault.
 *
 * Input byte 0 selects what the rest is:
 *   0, 1  one line for ksm_ssh_key_parse (up to the first NUL);
 *   2     a pasted authorized_keys (several lines, CRLF allowed) as the
 *         value of a custom field "ssh_public_key" of a login record, through
 *         ksm_account_from_record (the line splitting in collect_keys);
 *   3     the same text as a keyPair field's publicKey (never split).
 *
 * Invariants (abort on violation): an accepted line starts with a known key
 * type (no options such as command="..."), has no control characters, is
 * not longer than the input, parses again to itself with the same
 * fingerprint, and its blob names its type; the fingerprint is "SHA256:"
 * and 43 base64 characters. Accounts carry only keys that pass the same
 * check, no fingerprint twice, at most one key per input line (keyPair: at
 * most one in all), fingerprints[i] belonging to keys[i].
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ksm_settings *conf;
/* FUZZ_VERBOSE=1: say what each input gave (to check the seeds). */
static bool verbose;

/*
 * The key types ksm-core/accounts/sshkey.c accepts, restated here on
 * purpose: an independent oracle, so that a type added to (or dropped
 * from) the product's list fails this target until it is changed here too.
 */
static const char *const types[] = {
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

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return ksm_settings_parse("", 0, "fuzz", &conf, NULL) == KSM_OK ? 0 : 1;
}

/* The canonical line's type, or abort. */
static size_t check_type(const char *canon)
{
	size_t tlen = strcspn(canon, " ");

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == tlen &&
		    strncmp(types[i], canon, tlen) == 0)
			return tlen;
	abort();
}

static void check_key(const char *canon, const char *fp, size_t maxlen)
{
	char *c2 = NULL, *f2 = NULL;
	const char *b64;
	size_t tlen = check_type(canon), blen;
	uint8_t *blob = NULL;
	size_t bloblen = 0;

	if (strlen(canon) > maxlen || canon[tlen] != ' ')
		abort();
	for (const char *p = canon; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (strncmp(fp, "SHA256:", 7) != 0 || strlen(fp) != 7 + 43 ||
	    strspn(fp + 7,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789+/") != 43)
		abort();
	/* Canonical form is a fixed point. */
	if (ksm_ssh_key_parse(canon, &c2, &f2, NULL) != KSM_OK ||
	    strcmp(c2, canon) != 0 || strcmp(f2, fp) != 0)
		abort();
	/* The blob is length-prefixed and names the same type. */
	b64 = canon + tlen + 1;
	blen = strcspn(b64, " ");
	if (ksm_b64_decode(b64, blen, &blob, &bloblen) != KSM_OK ||
	    bloblen < 4 + tlen ||
	    ((size_t)blob[0] << 24 | (size_t)blob[1] << 16 |
	     (size_t)blob[2] << 8 | blob[3]) != tlen ||
	    memcmp(blob + 4, canon, tlen) != 0)
		abort();
	free(blob);
	free(c2);
	free(f2);
}

static void fuzz_line(const char *line)
{
	char *canon = (char *)1, *fp = (char *)1;
	ksm_error err;

	if (ksm_ssh_key_parse(line, &canon, &fp, &err) != KSM_OK) {
		if (verbose)
			fprintf(stderr, "fuzz_ssh_key: refused: %s\n",
				err.message);
		if (canon || fp || !err.message[0])
			abort();
		return;
	}
	check_key(canon, fp, strlen(line));
	if (verbose)
		fprintf(stderr, "fuzz_ssh_key: accepted %s\n", fp);
	free(canon);
	free(fp);
}

/*
 * A login record carrying text as a custom ssh_public_key or a keyPair,
 * built as a json-c object (not parsed from text: the bytes of the input
 * reach the key rules unchanged, whatever their encoding).
 */
static ksm_record *make_record(const char *text, bool pair)
{
	json_object *o = json_object_new_object(), *fields, *custom, *f, *v;
	ksm_record *r = NULL;

	if (!o)
		return NULL;
	json_object_object_add(o, "type", json_object_new_string("login"));
	json_object_object_add(o, "title", json_object_new_string("Alice"));
	fields = json_object_new_array();
	custom = json_object_new_array();
	json_object_object_add(o, "fields", fields);
	json_object_object_add(o, "custom", custom);
	f = json_object_new_object();
	json_object_object_add(f, "type", json_object_new_string("login"));
	v = json_object_new_array();
	json_object_array_add(v, json_object_new_string("alice"));
	json_object_object_add(f, "value", v);
	json_object_array_add(fields, f);
	f = json_object_new_object();
	v = json_object_new_array();
	if (pair) {
		json_object *kp = json_object_new_object();

		json_object_object_add(f, "type",
				       json_object_new_string("keyPair"));
		json_object_object_add(kp, "publicKey",
				       json_object_new_string(text));
		json_object_object_add(kp, "privateKey",
				       json_object_new_string("not used"));
		json_object_array_add(v, kp);
		json_object_object_add(f, "value", v);
		json_object_array_add(fields, f);
	} else {
		json_object_object_add(f, "type",
				       json_object_new_string("multiline"));
		json_object_object_add(
			f, "label", json_object_new_string("ssh_public_key"));
		json_object_array_add(v, json_object_new_string(text));
		json_object_object_add(f, "value", v);
		json_object_array_add(custom, f);
	}
	if (ksm_record_from_jsonc("FuzzRecord000000000000", o, &r, NULL) !=
	    KSM_OK)
		r = NULL;
	json_object_put(o);
	return r;
}

static void fuzz_paste(const char *text, bool pair)
{
	ksm_record *r = make_record(text, pair);
	ksm_account a;
	ksm_accounts dropped = {0};
	ksm_error err;
	size_t lines = 1;

	if (!r)
		return;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if (ksm_account_from_record(r, conf, &a, &dropped, &err) == KSM_OK) {
		if (verbose)
			fprintf(stderr,
				"fuzz_ssh_key: %zu key(s), %zu dropped\n",
				a.n_keys, dropped.n_refusals);
		if (a.n_keys > (pair ? 1 : lines))
			abort();
		for (size_t i = 0; i < a.n_keys; i++) {
			char *c = NULL, *f = NULL;

			check_key(a.keys[i], a.fingerprints[i], strlen(text));
			if (ksm_ssh_key_parse(a.keys[i], &c, &f, NULL) !=
				    KSM_OK ||
			    strcmp(f, a.fingerprints[i]) != 0)
				abort();
			free(c);
			free(f);
			for (size_t j = 0; j < i; j++)
				if (!strcmp(a.fingerprints[i],
					    a.fingerprints[j]))
					abort();
		}
		for (size_t i = 0; i < dropped.n_refusals; i++)
			if (dropped.refusals[i].whole_account ||
			    !dropped.refusals[i].reason[0])
				abort();
		ksm_account_clear(&a);
	}
	for (size_t i = 0; i < dropped.n_refusals; i++) {
		free(dropped.refusals[i].record_uid);
		free(dropped.refusals[i].name);
		free(dropped.refusals[i].reason);
	}
	free(dropped.refusals);
	ksm_record_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] & 3) {
	case 0:
	case 1:
		fuzz_line(text);
		break;
	case 2:
		fuzz_paste(text, false);
		break;
	default:
		fuzz_paste(text, true);
	}
	free(text);
	return 0;
}
