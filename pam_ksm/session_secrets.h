/* SPDX-License-Identifier: MIT */
/*
 * session_secrets.h - the configured session secrets, resolved to values
 * (internal).
 */
#ifndef PAM_KSM_SESSION_SECRETS_H
#define PAM_KSM_SESSION_SECRETS_H

#include "user.h"

/* PAM data: what auth read from the user's record, for the session. */
#define PAM_KSM_DATA_SECRETS "pam_ksm_session_secrets"

/* Session secrets: NAME -> value, wiped when freed. */
struct pam_ksm_secrets {
	size_t n;
	char **names;
	char **values;
};
void pam_ksm_secrets_free(struct pam_ksm_secrets *s);
/* The configured notations with {record} replaced by the user's record. */
char *pam_ksm_notation_for(const char *notation, const char *record_uid);
/* Resolve what notations refer to the user's own record from r. */
int pam_ksm_secrets_from_record(const ksm_settings *conf,
				const char *record_uid, const ksm_record *r,
				struct pam_ksm_secrets **out);
/*
 * Every configured secret: those in have (what auth read from the user's
 * record; may be NULL) are copied, the others fetched with one get_secret
 * (none if have has them all).
 */
int pam_ksm_secrets_fetch(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			  const struct pam_ksm_secrets *have,
			  struct pam_ksm_secrets **out);

#endif
