/* SPDX-License-Identifier: MIT */
/*
 * pam_ksm_probe.c - a test-only PAM module placed after pam_ksm in a
 * stack: it reports, through the conversation (PAM_TEXT_INFO), whether
 * pam_ksm left its session secrets in PAM data for the session, how many,
 * and whether the first value equals $PAM_HARNESS_EXPECT (the value itself
 * is never shown). Applications cannot call pam_get_data(); a module can.
 * This is what makes the wipe check of test_pam_valgrind.sh non-vacuous:
 * the freed PAM data really held the password before its destructor ran.
 * Always returns PAM_IGNORE.
 */
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdlib.h>
#include <string.h>

/* The layout of pam_ksm's struct pam_ksm_secrets (pam_ksm/user.h). */
struct pam_ksm_secrets {
	size_t n;
	char **names;
	char **values;
};

static int probe(pam_handle_t *pamh, const char *when)
{
	const void *d = NULL;
	const struct pam_ksm_secrets *s;
	const char *expect = getenv("PAM_HARNESS_EXPECT");

	if (pam_get_data(pamh, "pam_ksm_session_secrets", &d) != PAM_SUCCESS ||
	    !d) {
		pam_info(pamh, "probe %s: no session secrets data", when);
		return PAM_IGNORE;
	}
	s = d;
	pam_info(pamh,
		 "probe %s: session secrets data: %zu secret(s), first %s,"
		 " value %s",
		 when, s->n, s->n ? s->names[0] : "-",
		 s->n && expect && !strcmp(s->values[0], expect) ? "matches"
								 : "differs");
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
