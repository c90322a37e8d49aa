/* SPDX-License-Identifier: MIT */
/*
 * keyring.h - session secrets as kernel keyring keys (internal).
 */
#ifndef PAM_KSM_KEYRING_H
#define PAM_KSM_KEYRING_H

#include "session_secrets.h"

/* PAM data: the keys installed for this handle. */
#define PAM_KSM_DATA_KEYS "pam_ksm_keyring_keys"

/* Keyring: add the secrets as ksm:NAME user keys owned by the user. */
int pam_ksm_keyring_install(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			    const struct pam_ksm_secrets *s);
int pam_ksm_keyring_revoke(pam_handle_t *pamh);
/* Keys installed earlier (setcred), but the session keyring was replaced
 * since (pam_keyinit): link them into the current one. */
int pam_ksm_keyring_follow(pam_handle_t *pamh, const char *user);

#endif
