/* SPDX-License-Identifier: MIT */
/*
 * accounts.h - shared between the per-record and the whole-vault account
 * rules (internal).
 */
#ifndef KSM_ACCOUNTS_H
#define KSM_ACCOUNTS_H

#include "base.h"

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
#endif
