/* SPDX-License-Identifier: MIT */
/*
 * pam_ksm_probe.c - a test-only PAM module placed around pam_ksm in a
 * stack: it reports, through the conversation (PAM_TEXT_INFO), which PAM
 * data pam_ksm left in the handle. Applications cannot call pam_get_data();
 * a module can. Since pam_ksm became a client of ksmd, the session asks
 * ksmd for the secrets itself (ksmd reuses the auth's read), so no secret
 * may be kept in the handle between auth and session: "pam_ksm_session_
 * secrets" (the former PAM data of auth) must never be there. The keyring
 * data (the serials of the keys the session installed, not the values) is
 * there after open_session, which shows that the probe sees pam_ksm's
 * data at all. Always returns PAM_IGNORE.
 */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stddef.h>

static const char *has(pam_handle_t *pamh, const char *name)
{
	const void *d = NULL;

	return pam_get_data(pamh, name, &d) == PAM_SUCCESS && d ? "yes" : "no";
}

static int probe(pam_handle_t *pamh, const char *when)
{
	pam_info(pamh, "probe %s: session secrets data %s, keyring data %s",
		 when, has(pamh, "pam_ksm_session_secrets"),
		 has(pamh, "pam_ksm_keyring_keys"));
	return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return probe(pamh, "auth");
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
			      const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return probe(pamh, "setcred");
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return probe(pamh, "session");
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
				    const char **argv)
{
	(void)flags, (void)argc, (void)argv;
	return PAM_IGNORE;
}
