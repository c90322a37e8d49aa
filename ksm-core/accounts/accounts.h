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

/* A whole-account refusal for each unreadable record of s (get_secrets.h). */
KSM_HIDDEN ksm_status ksm_add_unreadable_refusals(ksm_accounts *as,
						  const ksm_secrets *s,
						  const ksm_settings *conf);
#endif
