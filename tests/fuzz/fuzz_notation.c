/* SPDX-License-Identifier: MIT */
/*
 * fuzz_notation.c - libFuzzer target: notation parsing (plain and base64
 * forms), then selection and file lookup on a fixed record.
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record_json[] =
	"{\"type\":\"login\",\"title\":\"T\",\"notes\":\"n\",\"fields\":["
	"{\"type\":\"login\",\"value\":[\"alice\"]},"
	"{\"type\":\"password\",\"value\":[\"pw\"]},"
	"{\"type\":\"url\",\"value\":[\"a\",\"b\"]},"
	"{\"type\":\"host\",\"value\":[{\"hostName\":\"h\",\"port\":\"22\"}]},"
	"{\"type\":\"text\",\"label\":\"a[b]/c\\\\\",\"value\":[1,null,{}]}],"
	"\"custom\":[{\"type\":\"text\",\"label\":\"d\",\"value\":[\"x\"]},"
	"{\"type\":\"text\",\"label\":\"d\",\"value\":[\"y\"]}]}";

static ksm_record *fixture(void)
{
	static ksm_record *r;

	if (!r) {
		if (ksm_record_parse("AbCdEfGhIjKlMnOpQrStUv", record_json,
				     strlen(record_json), &r, NULL) != KSM_OK)
			abort();
		r->files = calloc(2, sizeof(*r->files));
		if (!r->files)
			abort();
		r->n_files = 2;
		r->files[0].uid = strdup("F0");
		r->files[0].name = strdup("id_rsa.pub");
		r->files[1].uid = strdup("F1");
		r->files[1].title = strdup("id_rsa.pub");
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_record *r = fixture();
	ksm_notation n;
	ksm_error err;
	const ksm_file *f;
	char *text, **v;
	size_t count;
	ksm_status st;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	st = ksm_notation_parse(text, &n, &err);
	if (st != KSM_OK) {
		if (n.record || n.param || n.index2 || !err.message[0])
			abort();
		goto out;
	}
	if (!n.record || (n.index2 && !n.has_index1))
		abort();
	(void)ksm_notation_record_is_uid(&n);
	if (n.selector == KSM_SEL_FILE) {
		if (!n.param || n.has_index1)
			abort();
		(void)ksm_notation_find_file(&n, r, &f, &err);
	} else if (ksm_notation_select(&n, r, &v, &count, &err) == KSM_OK) {
		ksm_strv_free(v, count);
	}
	ksm_notation_clear(&n);
out:
	free(text);
	return 0;
}
