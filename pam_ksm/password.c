/* SPDX-License-Identifier: MIT */
/*
 * password.c - pam_sm_chauthtok: a vault user's password lives in Keeper
 * and is rotated there, so changing it here is refused with a message
 * saying where to change it; anyone else is not ours.
 */
#include "user.h"

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	int rc;

	(void)flags;
	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc == PAM_SUCCESS) {
		pam_info(pamh,
			 "The password of %s is kept in Keeper and rotated "
			 "there; change it in Keeper, not here.",
			 ku.name);
		rc = PAM_AUTHTOK_ERR;
	} else {
		rc = PAM_IGNORE;
	}
	pam_ksm_user_release(&ku);
	return rc;
}
