/* SPDX-License-Identifier: MIT */
/*
 * accounts.h - shared between the per-record and the whole-vault account
 * rules (internal).
 */
#ifndef KSM_ACCOUNTS_H
#define KSM_ACCOUNTS_H

#include "base.h"

/* ------------------------------------------------------------ labels.c */

/* Labels compared are at most this long (longer ones never match). */
#define KSM_LABEL_MAX 128
/* A label for comparison: ASCII letters lower case, digits and bytes of
 * UTF-8 kept, everything else (spaces, punctuation) dropped. */
KSM_HIDDEN void ksm_label_norm(const char *in, char *out, size_t cap);
/* Equal after ksm_label_norm, and not empty. */
KSM_HIDDEN bool ksm_label_equal(const char *a, const char *b);
/* Is f the field called name: its type is name, or its label is name
 * ignoring case, spaces and punctuation? */
KSM_HIDDEN bool ksm_field_is(const ksm_field *f, const char *name);
/*
 * The field called name (ksm_field_is) in where that has a value; several
 * with the same values count as one (the first is given). KSM_ERR_NOT_FOUND
 * if none, KSM_ERR_AMBIGUOUS if two have different values.
 */
KSM_HIDDEN ksm_status ksm_field_lookup(const ksm_record *r, ksm_section where,
				       const char *name, const ksm_field **out);
/* Its value 0 as text (secret), or NULL with *st KSM_OK when there is no
 * such field; NULL with *st set on a conflict or ENOMEM. */
KSM_HIDDEN char *ksm_field_lookup_text(const ksm_record *r, ksm_section where,
				       const char *name, ksm_status *st);

/* --------------------------------------------------------- privkey*.c */

/*
 * The public key blob (SSH wire format) in an OpenSSH-format private key
 * ("-----BEGIN OPENSSH PRIVATE KEY-----"), which carries it in clear,
 * encrypted or not. libc only. *blob is malloc'd.
 */
KSM_HIDDEN ksm_status ksm_openssh_private_public(const char *text,
						 uint8_t **blob, size_t *len,
						 ksm_error *err);

/* A refusal line (out may be NULL: then nothing is recorded). */
KSM_HIDDEN ksm_status ksm_add_refusal(ksm_accounts *out, const char *uid,
				      const char *name, bool whole,
				      const char *fmt, ...) KSM_PRINTF(5, 6);
/* A stable id for seed inside [lo, hi] (SHA-256 of the seed, mod size). */
KSM_HIDDEN uint32_t ksm_derived_id(const char *seed, uint32_t lo, uint32_t hi);

/* The previous sync's ids by record UID, sorted (prior.c). */
struct ksm_prior_id {
	char *record_uid;
	uint32_t uid, gid;
};

struct ksm_prior {
	struct ksm_prior_id *ids;
	size_t n;
};

/* The previous sync's entry of a record, or NULL. */
KSM_HIDDEN const struct ksm_prior_id *ksm_prior_find(const ksm_prior *p,
						     const char *record_uid);

/* The uid and gid a record's account has or would have (accounts.c): its
 * custom fields or the derived ones; an error when a field is bad. */
KSM_HIDDEN ksm_status ksm_account_ids(const ksm_record *r,
				      const ksm_settings *conf, uint32_t *uid,
				      uint32_t *gid);

/* A whole-account refusal for each unreadable record of s (get_secrets.h). */
KSM_HIDDEN ksm_status ksm_add_unreadable_refusals(ksm_accounts *as,
						  const ksm_secrets *s,
						  const ksm_settings *conf);

/* ------------------------------------------------------- host_scope.c */

/* host_record's pamMachine and the records linked to it. */
typedef struct ksm_host_scope {
	bool active; /* host_record is set */
	const ksm_record *machine;
	char **members; /* record UIDs */
	bool *admin;	/* the link says is_admin */
	size_t n;
} ksm_host_scope;

/* Find the pamMachine (by UID or, for "auto", by pamHostname) and its
 * links; inactive when host_record is none. An error names why (no match,
 * the candidates of several). */
KSM_HIDDEN ksm_status ksm_host_scope_resolve(const ksm_secrets *s,
					     const ksm_settings *conf,
					     ksm_host_scope *h, ksm_error *err);
KSM_HIDDEN bool ksm_host_scope_has(const ksm_host_scope *h, const char *uid,
				   bool *admin);
KSM_HIDDEN void ksm_host_scope_clear(ksm_host_scope *h);
#endif
