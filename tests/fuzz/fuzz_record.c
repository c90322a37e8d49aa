/* SPDX-License-Identifier: MIT */
/*
 * fuzz_record.c - libFuzzer target: record plaintext parsing and every
 * accessor and notation selection on whatever parses.
 */
#include "record.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Notations that reach every select path. */
static const char *const notations[] = {
	"x/type",
	"x/title",
	"x/notes",
	"x/field/login",
	"x/field/password[0]",
	"x/field/keyPair[0][privateKey]",
	"x/field/host[][hostName]",
	"x/custom_field/text[]",
	"x/custom_field/phone[1][number]",
};

static void poke_field(const ksm_field *f)
{
	size_t n = ksm_field_value_count(f);

	(void)ksm_field_type(f);
	(void)ksm_field_label(f);
	for (size_t i = 0; i <= n && i < 8; i++) {
		ksm_free_secret(ksm_field_value_text(f, i));
		ksm_free_secret(ksm_field_value_property(f, i, "hostName"));
		ksm_free_secret(ksm_field_value_property(f, i, "privateKey"));
	}
}

static void poke_notations(const ksm_record *r)
{
	for (size_t i = 0; i < sizeof(notations) / sizeof(notations[0]); i++) {
		ksm_notation n;
		char **v;
		size_t count;

		if (ksm_notation_parse(notations[i], &n, NULL) != KSM_OK)
			abort();
		if (ksm_notation_select(&n, r, &v, &count, NULL) == KSM_OK)
			ksm_strv_free(v, count);
		ksm_notation_clear(&n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_record *r = NULL;
	ksm_error err;
	const ksm_field *f;
	char *s;
	size_t n;

	if (ksm_record_parse("FUZZ", (const char *)data, size, &r, &err) !=
	    KSM_OK) {
		if (r || !err.message[0])
			abort();
		return 0;
	}
	(void)ksm_record_title(r);
	(void)ksm_record_type(r);
	(void)ksm_record_notes(r);
	n = ksm_record_field_count(r, KSM_ANY);
	if (n != ksm_record_field_count(r, KSM_FIELDS) +
			 ksm_record_field_count(r, KSM_CUSTOM))
		abort();
	for (size_t i = 0; i < n && i < 64; i++)
		poke_field(ksm_record_field_at(r, KSM_ANY, i));
	if (ksm_record_find_field(r, KSM_ANY, "login", &f) == KSM_OK)
		poke_field(f);
	ksm_free_secret(ksm_record_first_value(r, "password"));
	poke_notations(r);
	(void)ksm_record_set_value(r, KSM_FIELDS, "password", "new", &err);
	(void)ksm_record_set_value(r, KSM_CUSTOM, "text", "new", &err);
	/* What we serialise must parse again as a record (escaping may
	 * grow it past the record size cap; inputs here are small). */
	s = ksm_record_data_json(r);
	if (s && strlen(s) < (1u << 20)) {
		ksm_record *again = NULL;

		if (ksm_record_parse("FUZZ2", s, strlen(s), &again, &err) !=
		    KSM_OK)
			abort();
		ksm_record_free(again);
	}
	ksm_free_secret(s);
	ksm_record_free(r);
	return 0;
}
