/* SPDX-License-Identifier: MIT */
/*
 * fuzz_response.c - libFuzzer target: the parsers of a decrypted get_secret
 * answer (binding, the key chain app key -> folder key -> record key ->
 * record data / file key -> file metadata, the record parser) and every
 * public accessor and notation path on what comes out. No network: the
 * client is built in-process and ksm_http_request is wrapped (nonet.c).
 *
 * Input byte 0 is a set of flags, the rest is the payload:
 *   bit 0  clear: the payload is the decrypted get_secret JSON itself.
 *          set:   the payload is a record plaintext, optionally followed by
 *                 a NUL and a file-metadata plaintext; the harness encrypts
 *                 them with the fixed keys below and wraps them into a
 *                 well-formed get_secret answer, so the whole decryption
 *                 chain and the record parser are reached.
 *   bit 1  the client is unbound: the answer is a binding answer (wrapped
 *          mode adds an encryptedAppKey that opens with the token).
 *   bit 2  (wrapped) the record sits in a shared folder, not at top level.
 *   bit 3  (wrapped) the record appears twice, plus one record that does
 *          not decrypt.
 *
 * The keys are fixed so that tests/fuzz/make-seeds.py can build
 * raw-mode seeds that decrypt; keep the two in step.
 */
#include "client.h"
#include "get_secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HOST	   "fuzz.invalid"
#define RECORD_UID "AbCdEfGhIjKlMnOpQrStUv"
#define BAD_UID	   "BaDrEcOrDaBcDeFgHiJkLm"
#define FOLDER_UID "FoLdErUiDaBcDeFgHiJkLm"
#define FILE_UID   "FiLeUiDaBcDeFgHiJkLmNo"
#define OWNER_KEY  "BOwnerKeyNotCheckedByTheClient"

#define F_WRAPPED 1u
#define F_BINDING 2u
#define F_FOLDER  4u
#define F_TWICE	  8u

/* key[i] = base + i; the seed script uses the same bases. */
enum {
	TOKEN_BASE = 0x01,
	APP_BASE = 0x40,
	RECORD_BASE = 0x80,
	FOLDER_BASE = 0xa0,
	FILE_BASE = 0xc0,
	WRONG_BASE = 0xe0
};
static uint8_t token_key[32], app_key[32], record_key[32], folder_key[32],
	file_key[32], wrong_key[32];
static const uint8_t fixed_iv[KSM_GCM_IV_LEN] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

static char *g_client_id, *g_private_key, *g_client_key, *g_app_key;
static ksm_client *g_bound;
/* FUZZ_RESPONSE_VERBOSE=1: say what each input gave (to check seeds). */
static bool g_verbose;

/* Applied to each record with ksm_notation_select. */
static const char *const select_notations[] = {
	"x/type",
	"x/title",
	"x/notes",
	"x/field/login",
	"x/field/password[0]",
	"x/field/host[][hostName]",
	"x/field/keyPair[0][privateKey]",
	"x/custom_field/text[]",
	"x/custom_field/phone[1][number]",
};
/* ksm_notation_find_file (never downloads). */
static const char *const file_notations[] = {
	"x/file/id_rsa.pub",
	"x/file/" FILE_UID,
};
/* ksm_notation_resolve_in over the whole answer; no file selectors here,
 * those would download. */
static const char *const resolve_notations[] = {
	RECORD_UID "/field/login",
	"T/field/password",
	"keeper://" RECORD_UID "/custom_field/text[]",
	"RECoRD 2/title",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static ksm_notation sel_n[N(select_notations)], file_n[N(file_notations)],
	res_n[N(resolve_notations)];

static void die(const char *what, const ksm_error *err)
{
	fprintf(stderr, "fuzz_response: %s: %s\n", what,
		err ? err->message : "failed");
	abort();
}

static void fill_key(uint8_t key[32], uint8_t base)
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(base + i);
}

static char *xstrdup(const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (!d)
		abort();
	return d;
}

/* A client in-process: bound (appKey) or waiting for binding (clientKey). */
static ksm_client *make_client(bool bound)
{
	ksm_client_config *cfg = NULL;
	ksm_client *c = NULL;
	ksm_error err;

	if (ksm_client_config_new(&cfg, &err) != KSM_OK ||
	    ksm_client_config_set(cfg, KSM_CFG_HOSTNAME, HOST, &err) !=
		    KSM_OK ||
	    ksm_client_config_set(cfg, KSM_CFG_CLIENT_ID, g_client_id, &err) !=
		    KSM_OK ||
	    ksm_client_config_set(cfg, KSM_CFG_PRIVATE_KEY, g_private_key,
				  &err) != KSM_OK ||
	    ksm_client_config_set(
		    cfg, bound ? KSM_CFG_APP_KEY : KSM_CFG_CLIENT_KEY,
		    bound ? g_app_key : g_client_key, &err) != KSM_OK)
		die("config", &err);
	if (ksm_client_new(cfg, NULL, &c, &err) != KSM_OK)
		die("ksm_client_new", &err);
	if (ksm_client_is_bound(c) != bound)
		abort();
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ksm_client_config *cfg = NULL;
	ksm_error err;
	char token[128], *tok64;

	g_verbose = getenv("FUZZ_RESPONSE_VERBOSE") != NULL;
	fill_key(token_key, TOKEN_BASE);
	fill_key(app_key, APP_BASE);
	fill_key(record_key, RECORD_BASE);
	fill_key(folder_key, FOLDER_BASE);
	fill_key(file_key, FILE_BASE);
	fill_key(wrong_key, WRONG_BASE);
	tok64 = ksm_b64_encode(token_key, 32, true);
	if (!tok64)
		abort();
	snprintf(token, sizeof(token), "US:%s", tok64);
	free(tok64);
	if (ksm_client_config_from_token(token, HOST, NULL, &cfg, &err) !=
	    KSM_OK)
		die("ksm_client_config_from_token", &err);
	g_client_id = xstrdup(ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID));
	g_private_key =
		xstrdup(ksm_client_config_get(cfg, KSM_CFG_PRIVATE_KEY));
	g_client_key = xstrdup(ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY));
	ksm_client_config_free(cfg);
	g_app_key = ksm_b64_encode(app_key, 32, false);
	if (!g_app_key)
		abort();
	g_bound = make_client(true);

	for (size_t i = 0; i < N(select_notations); i++)
		if (ksm_notation_parse(select_notations[i], &sel_n[i], &err) !=
		    KSM_OK)
			die(select_notations[i], &err);
	for (size_t i = 0; i < N(file_notations); i++)
		if (ksm_notation_parse(file_notations[i], &file_n[i], &err) !=
			    KSM_OK ||
		    file_n[i].selector != KSM_SEL_FILE)
			die(file_notations[i], &err);
	for (size_t i = 0; i < N(resolve_notations); i++)
		if (ksm_notation_parse(resolve_notations[i], &res_n[i], &err) !=
			    KSM_OK ||
		    res_n[i].selector == KSM_SEL_FILE)
			die(resolve_notations[i], &err);
	return 0;
}

/* ------------------------------------------------------------- walking */

static void poke_field(const ksm_field *f)
{
	size_t n;

	if (!f)
		abort();
	n = ksm_field_value_count(f);
	(void)ksm_field_type(f);
	(void)ksm_field_label(f);
	for (size_t i = 0; i <= n && i < 8; i++) {
		char *t = ksm_field_value_text(f, i);

		if (i < n && !t)
			abort();
		ksm_free_secret(t);
		ksm_free_secret(ksm_field_value_property(f, i, "hostName"));
		ksm_free_secret(ksm_field_value_property(f, i, "privateKey"));
	}
}

/* Links: a valid recordUid, a printable path, data an object when any. */
static void walk_links(const ksm_record *r)
{
	size_t n = ksm_record_link_count(r);

	for (size_t i = 0; i < n; i++) {
		const ksm_link *l = ksm_record_link_at(r, i);
		const char *uid = ksm_link_record_uid(l), *path;
		char *d;

		if (!l || !uid || !*uid || strlen(uid) > 64 ||
		    strspn(uid,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
			   "vwxyz0123456789-_") != strlen(uid))
			abort();
		path = ksm_link_path(l);
		for (const char *p = path; p && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		d = ksm_link_data_json(l);
		if ((d && d[0] != '{') || (!d && ksm_link_encrypted(l)))
			abort();
		ksm_free_secret(d);
		(void)ksm_link_bool(l, "is_admin");
		ksm_free_secret(ksm_link_value(l, "rotation_settings.noop"));
	}
	if (ksm_record_link_at(r, n))
		abort();
}

static void walk_record(const ksm_record *r)
{
	const ksm_field *f;
	ksm_error err;
	size_t n;
	char **v;
	size_t count;

	if (!r || !ksm_record_uid(r))
		abort();
	(void)ksm_record_title(r);
	(void)ksm_record_type(r);
	(void)ksm_record_notes(r);
	(void)ksm_record_revision(r);
	(void)ksm_record_is_editable(r);
	(void)ksm_record_folder_uid(r);
	n = ksm_record_field_count(r, KSM_ANY);
	if (n != ksm_record_field_count(r, KSM_FIELDS) +
			 ksm_record_field_count(r, KSM_CUSTOM))
		abort();
	for (size_t i = 0; i < n && i < 64; i++)
		poke_field(ksm_record_field_at(r, KSM_ANY, i));
	if (ksm_record_field_at(r, KSM_ANY, n))
		abort();
	if (ksm_record_find_field(r, KSM_ANY, "login", &f) == KSM_OK)
		poke_field(f);
	if (ksm_record_find_field(r, KSM_CUSTOM, "text", &f) == KSM_OK)
		poke_field(f);
	ksm_free_secret(ksm_record_first_value(r, "password"));
	ksm_free_secret(ksm_record_data_json(r));

	n = ksm_record_file_count(r);
	for (size_t i = 0; i < n; i++) {
		const ksm_file *file = ksm_record_file_at(r, i);

		if (!file || !ksm_file_uid(file) || !ksm_file_name(file) ||
		    !ksm_file_title(file) || !ksm_file_mime_type(file))
			abort();
		(void)ksm_file_size(file);
	}
	if (ksm_record_file_at(r, n))
		abort();
	walk_links(r);

	for (size_t i = 0; i < N(sel_n); i++)
		if (ksm_notation_select(&sel_n[i], r, &v, &count, &err) ==
		    KSM_OK)
			ksm_strv_free(v, count);
	for (size_t i = 0; i < N(file_n); i++) {
		const ksm_file *file = NULL;

		if (ksm_notation_find_file(&file_n[i], r, &file, &err) ==
			    KSM_OK &&
		    !file)
			abort();
	}
}

/* The editable view of the record (as for ksm_update_secret). */
static void edit_record(ksm_secrets *s)
{
	ksm_record *r = ksm_secrets_edit(s, RECORD_UID);
	const ksm_field *f;
	ksm_error err;

	if (!r)
		return;
	if (r != ksm_secrets_find(s, RECORD_UID))
		abort();
	if (ksm_record_set_value(r, KSM_FIELDS, "password", "new-pw", &err) ==
	    KSM_OK) {
		char *v;

		if (ksm_record_find_field(r, KSM_FIELDS, "password", &f) !=
			    KSM_OK ||
		    !(v = ksm_field_value_text(f, 0)))
			abort();
		if (strcmp(v, "new-pw") != 0)
			abort();
		ksm_free_secret(v);
	}
	(void)ksm_record_set_value(r, KSM_CUSTOM, "text", "new", &err);
	walk_record(r);
}

static void walk_secrets(ksm_client *c, ksm_secrets *s)
{
	size_t n = ksm_secrets_count(s);
	ksm_error err;
	char **v;
	size_t count;

	for (size_t i = 0; i < n; i++) {
		const ksm_record *r = ksm_secrets_record(s, i);

		walk_record(r);
		if (!ksm_secrets_find(s, ksm_record_uid(r)))
			abort();
	}
	if (ksm_secrets_record(s, n))
		abort();
	(void)ksm_secrets_find(s, RECORD_UID);
	(void)ksm_secrets_bad_count(s);
	(void)ksm_secrets_expires_on(s);
	/* What may reach a log: no control characters. */
	for (const char *p = ksm_secrets_app_name(s); *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	for (size_t i = 0; i < ksm_secrets_warning_count(s); i++)
		for (const char *p = ksm_secrets_warning(s, i); *p; p++)
			if ((unsigned char)*p < 0x20 ||
			    (unsigned char)*p >= 0x7f)
				abort();
	for (size_t i = 0; i < N(res_n); i++)
		if (ksm_notation_resolve_in(c, s, &res_n[i], 0, &v, &count,
					    &err) == KSM_OK)
			ksm_strv_free(v, count);
	edit_record(s);
}

/* ------------------------------------------------------ wrapped answers */

/* GCM under key with the fixed IV, as standard base64. */
static char *seal_b64(const uint8_t key[32], const void *pt, size_t n)
{
	uint8_t *ct = NULL;
	size_t ctlen = 0;
	char *b64;

	if (ksm_gcm_encrypt(key, fixed_iv, pt, n, &ct, &ctlen) != KSM_OK)
		return NULL;
	b64 = ksm_b64_encode(ct, ctlen, false);
	free(ct);
	return b64;
}

/* Add key: seal_b64(...); false on failure. */
static bool add_sealed(json_object *o, const char *key, const uint8_t k[32],
		       const void *pt, size_t n)
{
	char *b64 = seal_b64(k, pt, n);
	bool ok = b64 && ksm_json_add_str(o, key, b64);

	free(b64);
	return ok;
}

static bool add_obj(json_object *o, const char *key, json_object *v)
{
	if (!v || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool push(json_object *a, json_object *v)
{
	if (!v || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

/* One records[] entry: the record key wrapped under wrap. */
static json_object *record_entry(const char *uid, const uint8_t wrap[32],
				 const char *rec, size_t rlen, const char *meta,
				 size_t mlen, bool has_file)
{
	json_object *jr = json_object_new_object(), *files, *jf;

	if (!jr || !ksm_json_add_str(jr, "recordUid", uid) ||
	    !add_sealed(jr, "recordKey", wrap, record_key, 32) ||
	    !add_sealed(jr, "data", record_key, rec, rlen) ||
	    !add_obj(jr, "revision", json_object_new_int64(7)) ||
	    !add_obj(jr, "isEditable", json_object_new_boolean(1)))
		goto fail;
	if (has_file) {
		files = json_object_new_array();
		if (!add_obj(jr, "files", files))
			goto fail;
		jf = json_object_new_object();
		if (!push(files, jf) ||
		    !ksm_json_add_str(jf, "fileUid", FILE_UID) ||
		    !add_sealed(jf, "fileKey", record_key, file_key, 32) ||
		    !add_sealed(jf, "data", file_key, meta, mlen) ||
		    !ksm_json_add_str(jf, "url", "https://" HOST "/file") ||
		    !ksm_json_add_str(jf, "thumbnailUrl",
				      "https://" HOST "/thumb"))
			goto fail;
	}
	return jr;
fail:
	json_object_put(jr);
	return NULL;
}

static json_object *wrapped_answer(unsigned flags, const char *rec, size_t rlen,
				   const char *meta, size_t mlen, bool has_file)
{
	json_object *resp = json_object_new_object(), *recs, *folders, *jf;
	const uint8_t *wrap = app_key;
	int copies = flags & F_TWICE ? 2 : 1;

	if (!resp ||
	    !add_obj(resp, "expiresOn", json_object_new_int64(1700000000000LL)))
		goto fail;
	if (flags & F_BINDING &&
	    (!add_sealed(resp, "encryptedAppKey", token_key, app_key, 32) ||
	     !ksm_json_add_str(resp, "appOwnerPublicKey", OWNER_KEY)))
		goto fail;
	recs = json_object_new_array();
	if (flags & F_FOLDER) {
		folders = json_object_new_array();
		jf = json_object_new_object();
		if (!add_obj(resp, "folders", folders) || !push(folders, jf) ||
		    !ksm_json_add_str(jf, "folderUid", FOLDER_UID) ||
		    !add_sealed(jf, "folderKey", app_key, folder_key, 32) ||
		    !add_obj(jf, "records", recs))
			goto fail;
		wrap = folder_key;
	} else if (!add_obj(resp, "records", recs)) {
		goto fail;
	}
	for (int i = 0; i < copies; i++)
		if (!push(recs, record_entry(RECORD_UID, wrap, rec, rlen, meta,
					     mlen, has_file)))
			goto fail;
	if (flags & F_TWICE &&
	    !push(recs, record_entry(BAD_UID, wrong_key, rec, rlen, meta, mlen,
				     has_file)))
		goto fail;
	return resp;
fail:
	json_object_put(resp);
	return NULL;
}

/* Would the chain accept this record (and file metadata)? */
static bool predict_ok(const char *rec, size_t rlen, const char *meta,
		       size_t mlen, bool has_file)
{
	ksm_record *r = NULL;
	json_object *o = NULL;
	bool ok;

	if (ksm_record_parse(RECORD_UID, rec, rlen, &r, NULL) != KSM_OK)
		return false;
	ksm_record_free(r);
	if (!has_file)
		return true;
	ok = ksm_json_parse(meta, mlen, &o, NULL) == KSM_OK &&
	     json_object_is_type(o, json_type_object);
	json_object_put(o);
	return ok;
}

/* --------------------------------------------------------------- entry */

static void check_bound_after(const ksm_client *c)
{
	const ksm_client_config *cfg = ksm_client_get_config(c);
	const char *k = ksm_client_config_get(cfg, KSM_CFG_APP_KEY);

	if (!ksm_client_is_bound(c) || !k || strcmp(k, g_app_key) != 0 ||
	    ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags;
	const char *payload;
	size_t plen;
	json_object *resp = NULL;
	ksm_client *c;
	ksm_secrets *s = NULL;
	ksm_error err;
	ksm_status st;

	if (size < 1 || size > (1u << 16))
		return 0;
	flags = data[0];
	payload = (const char *)data + 1;
	plen = size - 1;
	c = flags & F_BINDING ? make_client(false) : g_bound;

	if (!(flags & F_WRAPPED)) {
		/* What decrypt_response hands on: a JSON object only. */
		if (ksm_json_parse(payload, plen, &resp, &err) == KSM_OK &&
		    json_object_is_type(resp, json_type_object)) {
			st = ksm_secrets_from_response(c, resp, &s, &err);
			if (st == KSM_OK) {
				if (!s)
					abort();
				if (flags & F_BINDING)
					check_bound_after(c);
				walk_secrets(c, s);
			} else if (s || !err.message[0]) {
				abort();
			}
		}
	} else {
		const char *nul = memchr(payload, '\0', plen);
		size_t rlen = nul ? (size_t)(nul - payload) : plen;
		const char *meta = nul ? nul + 1 : "";
		size_t mlen = nul ? plen - rlen - 1 : 0;
		size_t copies = flags & F_TWICE ? 2 : 1;
		bool ok = predict_ok(payload, rlen, meta, mlen, nul != NULL);

		resp = wrapped_answer(flags, payload, rlen, meta, mlen,
				      nul != NULL);
		if (resp) {
			st = ksm_secrets_from_response(c, resp, &s, &err);
			if (st != KSM_OK || !s)
				die("wrapped answer refused", &err);
			if (flags & F_BINDING)
				check_bound_after(c);
			/* Exactly the records the record parser accepts get
			 * through; the rest (and the bogus one) count as bad.
			 */
			if (ksm_secrets_count(s) != (ok ? copies : 0) ||
			    ksm_secrets_bad_count(s) !=
				    (ok ? 0 : copies) +
					    (flags & F_TWICE ? 1 : 0))
				abort();
			if (ok) {
				const ksm_record *r = ksm_secrets_record(s, 0);

				if (strcmp(ksm_record_uid(r), RECORD_UID) !=
					    0 ||
				    ksm_record_revision(r) != 7 ||
				    !ksm_record_is_editable(r) ||
				    ksm_record_file_count(r) != (nul ? 1 : 0) ||
				    (flags & F_FOLDER
					     ? !ksm_record_folder_uid(r) ||
						       strcmp(ksm_record_folder_uid(
								      r),
							      FOLDER_UID) != 0
					     : ksm_record_folder_uid(r) !=
						       NULL))
					abort();
			}
			walk_secrets(c, s);
		}
	}
	if (g_verbose)
		fprintf(stderr,
			"fuzz_response: flags %#x: %s, %zu records, "
			"%zu bad, %zu files in the first\n",
			flags, s ? "parsed" : "refused", ksm_secrets_count(s),
			ksm_secrets_bad_count(s),
			ksm_record_file_count(ksm_secrets_record(s, 0)));
	ksm_secrets_free(s);
	json_object_put(resp);
	if (c != g_bound)
		ksm_client_free(c);
	return 0;
}
