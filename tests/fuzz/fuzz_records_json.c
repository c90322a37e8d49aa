/* SPDX-License-Identifier: MIT */
/*
 * fuzz_records_json.c - libFuzzer target: the record sets ksmctl reads
 * back from ksmd (ksm_secrets_from_json, then every accessor a command
 * uses, then ksm_secrets_to_json).
 *
 * Invariants (abort on violation): refused input has a message; a set
 * that was read writes out and reads back with the same records, in the
 * same order, with the same data and links, the same application name,
 * expiry and warnings, and the same shared folders (no empty or repeated
 * UID among them), which the sync checks account_folders with.
 */
#include "get_secrets.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The links of a record and of its copy read back agree. */
static void same_links(const ksm_record *ra, const ksm_record *rb)
{
	for (size_t j = 0; j < ksm_record_link_count(ra); j++) {
		const ksm_link *la = ksm_record_link_at(ra, j),
			       *lb = ksm_record_link_at(rb, j);
		char *da = ksm_link_data_json(la), *db = ksm_link_data_json(lb);
		const char *pa = ksm_link_path(la), *pb = ksm_link_path(lb);

		if (strcmp(ksm_link_record_uid(la), ksm_link_record_uid(lb)) ||
		    !pa != !pb || (pa && strcmp(pa, pb)) || !da != !db ||
		    (da && strcmp(da, db)) ||
		    ksm_link_encrypted(la) != ksm_link_encrypted(lb))
			abort();
		ksm_free_secret(da);
		ksm_free_secret(db);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_secrets *s = NULL, *back = NULL;
	ksm_error err = {0};
	char *text = NULL;

	if (ksm_secrets_from_json((const char *)data, size, &s, &err) !=
	    KSM_OK) {
		if (!err.message[0])
			abort();
		return 0;
	}
	for (size_t i = 0; i < ksm_secrets_count(s); i++) {
		const ksm_record *r = ksm_secrets_record(s, i);
		char *v = ksm_record_first_value(r, "password");

		if (ksm_secrets_find(s, ksm_record_uid(r)) == NULL)
			abort();
		ksm_free_secret(v);
		(void)ksm_record_title(r);
		(void)ksm_record_file_count(r);
	}
	text = ksm_secrets_to_json(s);
	if (!text ||
	    ksm_secrets_from_json(text, strlen(text), &back, &err) != KSM_OK)
		abort();
	if (ksm_secrets_count(back) != ksm_secrets_count(s) ||
	    back->n_folders != s->n_folders)
		abort();
	for (size_t i = 0; i < s->n_folders; i++) {
		if (!s->folders[i][0] ||
		    strcmp(s->folders[i], back->folders[i]) ||
		    !ksm_secrets_sees_folder(back, s->folders[i]))
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->folders[i], s->folders[j]))
				abort();
	}
	if (strcmp(ksm_secrets_app_name(s), ksm_secrets_app_name(back)) ||
	    ksm_secrets_expires_on(s) != ksm_secrets_expires_on(back) ||
	    ksm_secrets_warning_count(s) != ksm_secrets_warning_count(back))
		abort();
	for (size_t i = 0; i < ksm_secrets_warning_count(s); i++)
		if (strcmp(ksm_secrets_warning(s, i),
			   ksm_secrets_warning(back, i)) != 0)
			abort();
	for (size_t i = 0; i < ksm_secrets_count(s); i++) {
		const ksm_record *ra = ksm_secrets_record(s, i),
				 *rb = ksm_secrets_record(back, i);
		char *a = ksm_record_data_json(ra);
		char *b = ksm_record_data_json(rb);

		if (!a || !b || strcmp(a, b) != 0 ||
		    strcmp(ksm_record_uid(ra), ksm_record_uid(rb)) != 0 ||
		    ksm_record_link_count(ra) != ksm_record_link_count(rb))
			abort();
		ksm_free_secret(a);
		ksm_free_secret(b);
		same_links(ra, rb);
	}
	ksm_free_secret(text);
	ksm_secrets_free(s);
	ksm_secrets_free(back);
	return 0;
}
