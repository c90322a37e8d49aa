/* SPDX-License-Identifier: MIT */
/*
 * password.c - pam_sm_chauthtok: a vault user's password lives in Keeper
 * and is rotated there, so changing it here is refused with a message
 * saying where to change it (to the user and to syslog); anyone else is
 * not ours (PAM_IGNORE: pam_unix changes local passwords).
 */
#include "user.h"

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	int rc;

	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc == PAM_SUCCESS) {
		/* libpam calls twice (PRELIM_CHECK, UPDATE_AUTHTOK); the
		 * first refusal ends the change, so this is said once. */
		if (!(flags & PAM_SILENT))
			pam_error(pamh,
				  "The password of vault user %s is managed "
				  "in Keeper; change it there.",
				  ku.name);
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: password change refused: the password of a "
			   "vault user is managed in Keeper",
			   ku.name);
		rc = PAM_AUTHTOK_ERR;
	} else {
		rc = PAM_IGNORE;
	}
	pam_ksm_user_release(&ku);
	return rc;
}
