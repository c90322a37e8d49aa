/* SPDX-License-Identifier: MIT */
/*
 * labels.c - finding the fields the account rules read (docs/design.md,
 * "Records to POSIX accounts"). Real vaults spell one label several ways:
 * the vault templates and Commander write "privatePEMKey", the Terraform
 * provider "Private PEM Key"; admins write "UID" or "Valid Until". So a
 * field is one the rules read when its type is the name, or its label is
 * the name ignoring case, spaces and punctuation (Commander compares
 * labels the same way). Two such fields with different values are never
 * resolved by picking one: the caller refuses the record.
 */
#include "record.h"

#include <ctype.h>
#include <string.h>

#include "accounts.h"

void ksm_label_norm(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in;
	     p && *p && o + 1 < cap; p++)
		if (*p >= 0x80 || isalnum(*p))
			out[o++] = (char)(*p < 0x80 ? tolower(*p) : *p);
	if (cap)
		out[o] = '\0';
}

bool ksm_label_equal(const char *a, const char *b)
{
	char na[KSM_LABEL_MAX], nb[KSM_LABEL_MAX];

	/* Longer labels are never the short names the rules look for. */
	if (!a || !b || strlen(a) >= sizeof(na) || strlen(b) >= sizeof(nb))
		return false;
	ksm_label_norm(a, na, sizeof(na));
	ksm_label_norm(b, nb, sizeof(nb));
	return *na && strcmp(na, nb) == 0;
}

bool ksm_field_is(const ksm_field *f, const char *name)
{
	const char *type = ksm_field_type(f);

	return (type && strcmp(type, name) == 0) ||
	       ksm_label_equal(ksm_field_label(f), name);
}

ksm_status ksm_field_lookup(const ksm_record *r, ksm_section where,
			    const char *name, const ksm_field **out)
{
	const ksm_field *found = NULL;
	char *first = NULL;
	ksm_status st = KSM_OK;

	*out = NULL;
	for (size_t i = 0; i < ksm_record_field_count(r, where); i++) {
		const ksm_field *f = ksm_record_field_at(r, where, i);
		char *v;

		if (!ksm_field_is(f, name) || ksm_field_value_count(f) == 0)
			continue;
		if (!found) {
			found = f;
			continue;
		}
		if (!first && !(first = ksm_field_values_json(found))) {
			st = KSM_ERR_NOMEM;
			break;
		}
		v = ksm_field_values_json(f);
		if (!v) {
			st = KSM_ERR_NOMEM;
			break;
		}
		if (!ksm_secret_equal(first, v))
			st = KSM_ERR_AMBIGUOUS;
		ksm_free_secret(v);
		if (st != KSM_OK)
			break;
	}
	ksm_free_secret(first);
	if (st != KSM_OK)
		return st;
	*out = found;
	return found ? KSM_OK : KSM_ERR_NOT_FOUND;
}

char *ksm_field_lookup_text(const ksm_record *r, ksm_section where,
			    const char *name, ksm_status *st)
{
	const ksm_field *f = NULL;

	*st = ksm_field_lookup(r, where, name, &f);
	if (*st == KSM_ERR_NOT_FOUND)
		*st = KSM_OK;
	if (*st != KSM_OK || !f)
		return NULL;
	{
		char *v = ksm_field_value_text(f, 0);

		if (!v)
			*st = KSM_ERR_NOMEM;
		return v;
	}
}
