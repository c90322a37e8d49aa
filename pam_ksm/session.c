/* SPDX-License-Identifier: MIT */
/*
 * session.c - open/close_session and setcred: session secrets into the
 * keyring (also for public-key logins, where auth never ran), revoked at
 * the end.
 */
#include "keyring.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Install once per handle: setcred, then open_session (after
 * pam_keyinit) only links the keys into the new session keyring. */
static int install_secrets(pam_handle_t *pamh, int argc, const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	struct pam_ksm_secrets *s = NULL;
	const void *data = NULL;
	int rc;

	pam_ksm_parse_args(pamh, argc, argv, &args);
	if (pam_get_data(pamh, PAM_KSM_DATA_KEYS, &data) == PAM_SUCCESS &&
	    data) {
		const char *user = NULL;

		pam_get_item(pamh, PAM_USER, (const void **)&user);
		return pam_ksm_keyring_follow(pamh, user ? user : "?");
	}
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc != PAM_SUCCESS) {
		pam_ksm_user_release(&ku);
		return rc == PAM_USER_UNKNOWN ? PAM_IGNORE : rc;
	}
	if (ku.conf->n_session_secrets == 0) {
		pam_ksm_user_release(&ku);
		return PAM_IGNORE;
	}
	rc = pam_ksm_secrets_fetch(pamh, &ku, &s);
	if (rc == PAM_SUCCESS)
		rc = pam_ksm_keyring_install(pamh, &ku, s);
	else
		rc = PAM_IGNORE; /* no secrets; the login goes on */
	pam_ksm_secrets_free(s);
	pam_ksm_user_release(&ku);
	return rc;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags;
	return install_secrets(pamh, argc, argv);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
				    const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	return pam_ksm_keyring_revoke(pamh);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
			      const char **argv)
{
	if (flags & PAM_DELETE_CRED)
		return pam_ksm_keyring_revoke(pamh);
	if (flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED))
		return install_secrets(pamh, argc, argv);
	return PAM_IGNORE;
}
