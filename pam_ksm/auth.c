/* SPDX-License-Identifier: MIT */
/*
 * auth.c - pam_sm_authenticate: ksmd checks the typed password (and
 * one-time code) against the vault's current, rotated one, live within
 * timeout_auth, or against its offline verifier when the vault cannot be
 * reached. This process only asks and logs the verdict; the password is
 * never logged.
 */
#include "ksmd_call.h"
#include "user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pam_unix's delay on a failure: guesses cost the guesser time. */
#define FAIL_DELAY_US 2000000

static int code_prompt(pam_handle_t *pamh, char **code)
{
	*code = NULL;
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_ON, code, "Verification code: ") !=
		    PAM_SUCCESS ||
	    !*code)
		return PAM_AUTH_ERR;
	return PAM_SUCCESS;
}

/* ksmd's result -> the PAM answer. */
static int pam_result(const char *result)
{
	static const struct {
		const char *result;
		int pam;
	} map[] = {
		{"ok", PAM_SUCCESS},
		{"wrong", PAM_AUTH_ERR},
		{"unknown", PAM_USER_UNKNOWN},
		{"expired", PAM_ACCT_EXPIRED},
		{"locked", PAM_MAXTRIES},
		{"unavail", PAM_AUTHINFO_UNAVAIL},
	};

	for (size_t i = 0; result && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(result, map[i].result))
			return map[i].pam;
	return PAM_AUTHINFO_UNAVAIL;
}

static int ask(pam_handle_t *pamh, const struct pam_ksm_args *args,
	       const struct pam_ksm_user *ku, const char *password,
	       const char *code, const char **result_out, ksm_ipc_msg *resp)
{
	static const char *const totp_names[] = {"off", "if_present",
						 "required"};
	const void *rhost = NULL, *tty = NULL, *service = NULL;
	ksm_ipc_msg req = {0};
	unsigned budget = pam_ksm_vault_budget_ms(ku->conf);
	bool ok;

	pam_get_item(pamh, PAM_RHOST, &rhost);
	pam_get_item(pamh, PAM_TTY, &tty);
	pam_get_item(pamh, PAM_SERVICE, &service);
	ok = !ksm_ipc_add_str(&req, "op", "auth") &&
	     !ksm_ipc_add_str(&req, "user", ku->name) &&
	     !ksm_ipc_add_str(&req, "password", password) &&
	     (!code || !ksm_ipc_add_str(&req, "code", code)) &&
	     !ksm_ipc_add_str(&req, "totp", totp_names[args->totp]) &&
	     !ksm_ipc_add_u64(&req, "no_offline", args->no_offline) &&
	     !ksm_ipc_add_u64(&req, "budget_ms", budget) &&
	     !ksm_ipc_add_str(&req, "service", service ? service : "") &&
	     !ksm_ipc_add_str(&req, "rhost", rhost ? rhost : "") &&
	     !ksm_ipc_add_str(&req, "tty", tty ? tty : "");
	ok = ok && pam_ksm_ksmd_call(pamh, ku, &req, resp, "password check");
	ksm_ipc_clear(&req);
	*result_out = ok ? ksm_ipc_get(resp, "result") : NULL;
	return ok ? PAM_SUCCESS : PAM_AUTHINFO_UNAVAIL;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	const char *password = NULL, *result = NULL, *msg;
	ksm_ipc_msg resp = {0};
	char *code = NULL;
	int rc;

	(void)flags;
	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc != PAM_SUCCESS)
		goto out;
	pam_fail_delay(pamh, FAIL_DELAY_US);
	rc = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (rc != PAM_SUCCESS || !password) {
		rc = rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
		pam_syslog(pamh, LOG_NOTICE, "%s: no password given (%s)",
			   ku.name, pam_strerror(pamh, rc));
		goto out;
	}
	/* The code is asked whatever the password: a prompt that only
	 * followed a right password would confirm it. */
	if (ksm_login_asks_code((enum ksm_totp_mode)args.totp, ku.flags)) {
		rc = code_prompt(pamh, &code);
		if (rc != PAM_SUCCESS) {
			pam_syslog(pamh, LOG_NOTICE,
				   "%s: no verification code given", ku.name);
			goto out;
		}
	}
	rc = ask(pamh, &args, &ku, password, code, &result, &resp);
	if (rc == PAM_SUCCESS && result && !strcmp(result, "need_code") &&
	    !code && args.totp != TOTP_OFF) {
		/* The record gained a code since the last sync. */
		ksm_ipc_clear(&resp);
		rc = code_prompt(pamh, &code);
		if (rc == PAM_SUCCESS)
			rc = ask(pamh, &args, &ku, password, code, &result,
				 &resp);
		else
			pam_syslog(pamh, LOG_NOTICE,
				   "%s: no verification code given", ku.name);
	}
	if (rc != PAM_SUCCESS)
		goto out;
	rc = pam_result(result);
	msg = ksm_ipc_get(&resp, "message");
	pam_syslog(pamh, rc == PAM_SUCCESS ? LOG_INFO : LOG_NOTICE, "%s: %s",
		   ku.name, msg ? msg : (result ? result : "no verdict"));
out:
	ksm_free_secret(code);
	ksm_ipc_clear(&resp);
	pam_ksm_user_release(&ku);
	return rc;
}
