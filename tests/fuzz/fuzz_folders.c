/* SPDX-License-Identifier: MIT */
/*
 * fuzz_folders.c - libFuzzer target: the get_folders answer parser
 * (shared folder keys under the app key, subfolder keys CBC under their
 * root shared folder's key, names CBC under each folder's own key).
 *
 * The parser is reached through its hook ksm_folders_from_response()
 * (folders.h), which ksm_get_folders calls with the decrypted answer.
 *
 * Input byte 0, bit 0 clear: the rest is the decrypted get_folders JSON.
 * Set: the rest is up to five NUL-separated folder-name plaintexts
 * ({"name":...}); the harness encrypts them with the fixed keys below into
 * a well-formed answer: shared folder S, subfolder A (parent S), B (parent
 * A), and a parent cycle C <-> D. Keys as in fuzz_response.c and
 * make-seeds.py.
 */
#include "base64.h"
#include "folders.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { APP_BASE = 0x40, FOLDER_BASE = 0xa0 };
#define N_WRAPPED 5

static const char *const uids[N_WRAPPED] = {
	"ShArEdFoLdErAbCdEfGhIj", "SuBfOlDeRaAbCdEfGhIjKl",
	"SuBfOlDeRbAbCdEfGhIjKl", "CyClEcAbCdEfGhIjKlMnOp",
	"CyClEdAbCdEfGhIjKlMnOp",
};
static const char *const parents[N_WRAPPED] = {
	NULL,
	"ShArEdFoLdErAbCdEfGhIj",
	"SuBfOlDeRaAbCdEfGhIjKl",
	"CyClEdAbCdEfGhIjKlMnOp",
	"CyClEcAbCdEfGhIjKlMnOp",
};
static const uint8_t gcm_iv[KSM_GCM_IV_LEN] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};
static const uint8_t cbc_iv[KSM_CBC_IV_LEN] = {
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
};

static ksm_client g_client; /* only app_key is read */
static uint8_t folder_keys[N_WRAPPED][32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (int i = 0; i < 32; i++)
		g_client.app_key[i] = (uint8_t)(APP_BASE + i);
	for (int k = 0; k < N_WRAPPED; k++)
		for (int i = 0; i < 32; i++)
			folder_keys[k][i] = (uint8_t)(FOLDER_BASE + 16 * k + i);
	g_client.bound = true;
	return 0;
}

static char *b64_of(ksm_status st, uint8_t *ct, size_t n)
{
	char *s = st == KSM_OK ? ksm_b64_encode(ct, n, false) : NULL;

	free(ct);
	return s;
}

static bool add_b64(json_object *o, const char *key, char *b64)
{
	bool ok = b64 && ksm_json_add_str(o, key, b64);

	free(b64);
	return ok;
}

static json_object *wrapped_answer(const char *const *names, const size_t *lens,
				   size_t n)
{
	json_object *resp = json_object_new_object();
	json_object *arr = json_object_new_array();
	uint8_t *ct;
	size_t ctlen;
	ksm_status st;

	if (!resp || !arr || json_object_object_add(resp, "folders", arr)) {
		json_object_put(arr);
		json_object_put(resp);
		return NULL;
	}
	for (size_t k = 0; k < N_WRAPPED; k++) {
		json_object *jf = json_object_new_object();
		/* Subfolder keys are CBC under the root shared folder's key
		 * (S for A and B; the cycle has no root, any key will do). */
		const uint8_t *wrap = folder_keys[0];

		if (!jf || json_object_array_add(arr, jf) ||
		    !ksm_json_add_str(jf, "folderUid", uids[k]) ||
		    (parents[k] && !ksm_json_add_str(jf, "parent", parents[k])))
			goto fail;
		if (!parents[k])
			st = ksm_gcm_encrypt(g_client.app_key, gcm_iv,
					     folder_keys[k], 32, &ct, &ctlen);
		else
			st = ksm_cbc_encrypt(wrap, cbc_iv, folder_keys[k], 32,
					     &ct, &ctlen);
		if (!add_b64(jf, "folderKey", b64_of(st, ct, ctlen)))
			goto fail;
		if (k < n) {
			st = ksm_cbc_encrypt(folder_keys[k], cbc_iv,
					     (const uint8_t *)names[k], lens[k],
					     &ct, &ctlen);
			if (!add_b64(jf, "data", b64_of(st, ct, ctlen)))
				goto fail;
		}
	}
	return resp;
fail:
	json_object_put(resp);
	return NULL;
}

/* decrypt_name's verdict on a plaintext, as a malloc'd string or NULL. */
static char *predict_name(const char *pt, size_t n)
{
	json_object *o = NULL;
	const char *name;
	char *r = NULL;

	if (ksm_json_parse(pt, n, &o, NULL) == KSM_OK &&
	    (name = ksm_json_str(o, "name")))
		r = strdup(name);
	json_object_put(o);
	return r;
}

static void walk(const ksm_folders *fs)
{
	size_t n = ksm_folders_count(fs);
	/* FUZZ_FOLDERS_VERBOSE=1: list what each input gave (seed checks). */
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("FUZZ_FOLDERS_VERBOSE") != NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p = ksm_folders_parent(fs, i);

		if (verbose)
			fprintf(stderr, "fuzz_folders: %s parent %s name %s\n",
				ksm_folders_uid(fs, i), p ? p : "-",
				ksm_folders_name(fs, i)
					? ksm_folders_name(fs, i)
					: "-");

		if (!ksm_folders_uid(fs, i) || (p && !*p))
			abort();
		(void)ksm_folders_name(fs, i);
	}
	if (ksm_folders_uid(fs, n) || ksm_folders_parent(fs, n) ||
	    ksm_folders_name(fs, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *resp = NULL;
	ksm_folders *fs = NULL;
	ksm_error err;
	ksm_status st;

	if (size < 1 || size > (1u << 16))
		return 0;
	if (!(data[0] & 1)) {
		/* As ksm_get_folders: the answer is a JSON object. */
		if (ksm_json_parse((const char *)data + 1, size - 1, &resp,
				   NULL) != KSM_OK ||
		    !json_object_is_type(resp, json_type_object))
			goto out;
		st = ksm_folders_from_response(&g_client, resp, &fs, &err);
		if (st != KSM_OK || !fs)
			abort();
		walk(fs);
	} else {
		const char *names[N_WRAPPED], *p = (const char *)data + 1;
		size_t lens[N_WRAPPED], left = size - 1, n = 0;

		while (n < N_WRAPPED) {
			const char *nul = memchr(p, '\0', left);

			names[n] = p;
			lens[n] = nul ? (size_t)(nul - p) : left;
			n++;
			if (!nul)
				break;
			left -= lens[n - 1] + 1;
			p = nul + 1;
		}
		resp = wrapped_answer(names, lens, n);
		if (!resp)
			goto out;
		st = ksm_folders_from_response(&g_client, resp, &fs, &err);
		if (st != KSM_OK || !fs || ksm_folders_count(fs) != N_WRAPPED)
			abort();
		walk(fs);
		for (size_t k = 0; k < N_WRAPPED; k++) {
			const char *got = ksm_folders_name(fs, k);
			const char *par = ksm_folders_parent(fs, k);
			/* S, A and B decrypt; the cycle never does. */
			char *want = k < n && k < 3
					     ? predict_name(names[k], lens[k])
					     : NULL;

			if (strcmp(ksm_folders_uid(fs, k), uids[k]) != 0 ||
			    (parents[k] ? !par || strcmp(par, parents[k]) != 0
					: par != NULL) ||
			    (want ? !got || strcmp(got, want) != 0
				  : got != NULL))
				abort();
			free(want);
		}
	}
out:
	ksm_folders_free(fs);
	json_object_put(resp);
	return 0;
}
