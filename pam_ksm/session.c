/* SPDX-License-Identifier: MIT */
/*
 * session.c - open/close_session and setcred: session secrets into the
 * keyring (also for public-key logins, where auth never ran), revoked at
 * the end.
 *
 * setcred runs through the auth lines of the stack, and libpam decides
 * its path with setcred's own answer whenever no pam_authenticate of the
 * same handle froze the chain: sshd's monitor after a keyboard-interactive
 * or public-key login, sudo without a password prompt. So setcred answers
 * as authenticate does for the same user: PAM_USER_UNKNOWN for anyone who
 * is not a vault user (every documented auth line has user_unknown=ignore),
 * PAM_SUCCESS for a vault user, also when there were no secrets to install
 * (the login goes on without them), PAM_SERVICE_ERR for a broken ksm.conf.
 * The session stage answers PAM_IGNORE for everything that is not its
 * business (its documented lines are optional or ignore=ignore).
 */
#include "keyring.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/*
 * Install once per handle: setcred, then open_session (after pam_keyinit)
 * only links the keys into the new session keyring. PAM_USER_UNKNOWN: not
 * a vault user; PAM_IGNORE: a vault user, but no secrets (none configured,
 * or ksmd could not give them; logged); PAM_SUCCESS; or an error.
 */
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
	if (rc != PAM_SUCCESS)
		goto out;
	if (ku.conf->n_session_secrets == 0) {
		rc = PAM_IGNORE;
		goto out;
	}
	rc = pam_ksm_secrets_fetch(pamh, &ku, &s);
	if (rc == PAM_SUCCESS)
		rc = pam_ksm_keyring_install(pamh, &ku, s);
	else
		rc = PAM_IGNORE; /* no secrets; the login goes on */
out:
	pam_ksm_secrets_free(s);
	pam_ksm_user_release(&ku);
	return rc;
}

/* Who the user is, for a setcred that installs nothing. */
static int classify(pam_handle_t *pamh, int argc, const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	int rc;

	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	pam_ksm_user_release(&ku);
	return rc;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	int rc;

	(void)flags;
	rc = install_secrets(pamh, argc, argv);
	return rc == PAM_USER_UNKNOWN ? PAM_IGNORE : rc;
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
	int rc;

	if (flags & PAM_DELETE_CRED) {
		rc = pam_ksm_keyring_revoke(pamh);
		if (rc == PAM_IGNORE) /* nothing installed by this handle */
			rc = classify(pamh, argc, argv);
	} else if (flags & (PAM_ESTABLISH_CRED | PAM_REINITIALIZE_CRED)) {
		rc = install_secrets(pamh, argc, argv);
	} else {
		rc = classify(pamh, argc, argv);
	}
	switch (rc) {
	case PAM_IGNORE:
		return PAM_SUCCESS; /* a vault user without secrets */
	case PAM_SESSION_ERR:
		return PAM_CRED_ERR;
	default:
		return rc;
	}
}
