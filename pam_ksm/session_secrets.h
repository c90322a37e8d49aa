/* SPDX-License-Identifier: MIT */
/*
 * session_secrets.h - the session secrets ksmd resolved for a user
 * (internal).
 */
#ifndef PAM_KSM_SESSION_SECRETS_H
#define PAM_KSM_SESSION_SECRETS_H

#include "user.h"

/* Session secrets: NAME -> value, wiped when freed. */
struct pam_ksm_secrets {
	size_t n;
	char **names;
	char **values;
};
void pam_ksm_secrets_free(struct pam_ksm_secrets *s);
/*
 * Ask ksmd for the user's session secrets (within timeout_auth). A user
 * with none configured, or ksmd unable to answer, gets PAM_IGNORE: the
 * login goes on without them (the reason is logged).
 */
int pam_ksm_secrets_fetch(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			  struct pam_ksm_secrets **out);

#endif
