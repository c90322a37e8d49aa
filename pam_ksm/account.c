/* SPDX-License-Identifier: MIT */
/*
 * account.c - pam_sm_acct_mgmt: a vault user's access has not expired
 * (valid_until) and the user is still in the snapshot; local users (from
 * /etc/passwd itself, not NSS, which may be us) are not ours: PAM_IGNORE.
 * Anyone else is PAM_USER_UNKNOWN (user_load logs why, once per login).
 */
#include "user.h"

#include <time.h>

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	int rc;

	(void)flags;
	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc == PAM_USER_UNKNOWN && ku.local) {
		rc = PAM_IGNORE;
	} else if (rc == PAM_SUCCESS &&
		   ksm_login_expired(ku.u, (int64_t)time(NULL))) {
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: refused: access expired "
			   "(valid_until)",
			   ku.name);
		rc = PAM_ACCT_EXPIRED;
	}
	pam_ksm_user_release(&ku);
	return rc;
}
