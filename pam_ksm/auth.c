/* SPDX-License-Identifier: MIT */
/*
 * auth.c - pam_sm_authenticate: the password against the vault's current
 * (rotated) one, live, within timeout_auth; the offline verifier when the
 * vault cannot be reached. The password is never logged.
 */
#include "keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Errors that mean "the vault could not answer", not "the vault said no". */
static bool vault_unreachable(ksm_status st)
{
	switch (st) {
	case KSM_ERR_NETWORK:
	case KSM_ERR_TIMEOUT:
	case KSM_ERR_TLS:
	case KSM_ERR_HTTP:
	case KSM_ERR_THROTTLED:
	case KSM_ERR_PROTOCOL:
		return true;
	default:
		return false;
	}
}

static void free_secrets_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	pam_ksm_secrets_free(data);
}

static int check_totp(pam_handle_t *pamh, const struct pam_ksm_args *args,
		      const struct pam_ksm_user *ku, const ksm_record *r)
{
	char *url = ksm_record_first_value(r, "oneTimeCode"), *code = NULL;
	ksm_totp t = {0};
	ksm_error err = {0};
	int rc = PAM_AUTH_ERR;

	if (!url || !*url) {
		ksm_free_secret(url);
		if (args->totp == TOTP_IF_PRESENT)
			return PAM_SUCCESS;
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: totp=required but the record "
			   "has no oneTimeCode",
			   ku->name);
		return PAM_AUTH_ERR;
	}
	if (ksm_totp_parse(url, &t, &err) != KSM_OK) {
		pam_syslog(pamh, LOG_ERR, "%s: oneTimeCode: %s", ku->name,
			   err.message);
		goto out;
	}
	if (pam_prompt(pamh, PAM_PROMPT_ECHO_ON, &code,
		       "Verification code: ") != PAM_SUCCESS ||
	    !code)
		goto out;
	if (ksm_totp_verify(&t, time(NULL), code))
		rc = PAM_SUCCESS;
	else
		pam_syslog(pamh, LOG_NOTICE, "%s: wrong verification code",
			   ku->name);
out:
	ksm_free_secret(code);
	ksm_free_secret(url);
	ksm_totp_clear(&t);
	return rc;
}

/*
 * The live check: one get_secret for the user's record. *st_out tells
 * the caller whether the vault answered at all.
 */
static int auth_live(pam_handle_t *pamh, const struct pam_ksm_args *args,
		     struct pam_ksm_user *ku, const char *password, uint64_t t0,
		     ksm_status *st_out)
{
	const char *uid = ku->record_uid;
	ksm_query q = {.record_uids = &uid, .n_record_uids = 1};
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	struct pam_ksm_secrets *sec = NULL;
	const ksm_record *r;
	ksm_account acct = {0};
	ksm_error err = {0};
	char *current = NULL;
	uint64_t now;
	ksm_status st;
	int rc = PAM_AUTH_ERR;

	st = ksm_client_from_settings(ku->conf, &c, &err);
	now = ksm_monotonic_ms();
	if (st == KSM_OK)
		st = ksm_get_secrets(c, &q,
				     now - t0 < ku->conf->timeout_auth_ms
					     ? ku->conf->timeout_auth_ms -
						       (unsigned)(now - t0)
					     : 0,
				     &s, &err);
	*st_out = st;
	if (st != KSM_OK) {
		pam_syslog(pamh, vault_unreachable(st) ? LOG_WARNING : LOG_ERR,
			   "%s: vault check failed%s: %s", ku->name,
			   st == KSM_ERR_TIMEOUT ? " (timeout_auth budget)"
						 : "",
			   err.message);
		rc = st == KSM_ERR_ACCESS_DENIED ? PAM_AUTH_ERR
						 : PAM_AUTHINFO_UNAVAIL;
		goto out;
	}
	r = ksm_secrets_find(s, uid);
	/* The record must still be this user's account. */
	if (!r ||
	    ksm_account_from_record(r, ku->conf, &acct, NULL, &err) != KSM_OK ||
	    strcmp(acct.name, ku->name) != 0) {
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: the vault no longer has this "
			   "account (record %s)",
			   ku->name, uid);
		goto out;
	}
	current = ksm_record_first_value(r, "password");
	if (!current || !*current) {
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: the record has no password: "
			   "password logins are off",
			   ku->name);
		goto out;
	}
	{
		bool pw_ok = ksm_secret_equal(password, current);
		/* Ask for the code whatever the password was: a prompt that
		 * only follows a right password would confirm it. */
		int totp_rc = args->totp != TOTP_OFF
				      ? check_totp(pamh, args, ku, r)
				      : PAM_SUCCESS;

		if (!pw_ok)
			pam_syslog(pamh, LOG_NOTICE,
				   "%s: wrong password (vault, live)",
				   ku->name);
		if (!pw_ok || totp_rc != PAM_SUCCESS) {
			rc = PAM_AUTH_ERR;
			goto out;
		}
	}
	rc = PAM_SUCCESS;
	pam_syslog(pamh, LOG_INFO,
		   "%s: password accepted by the vault (live, "
		   "%llu ms)",
		   ku->name, (unsigned long long)(ksm_monotonic_ms() - t0));
	if (ksm_offline_confirm(ku->conf->private_store, ku->name, uid,
				ksm_record_revision(r), password, time(NULL),
				&err) != KSM_OK)
		pam_syslog(pamh, LOG_WARNING,
			   "%s: offline verifier not "
			   "refreshed: %s",
			   ku->name, err.message);
	/* Hand the session its secrets: no second request in this process. */
	if (pam_ksm_secrets_from_record(ku->conf, uid, r, &sec) ==
		    PAM_SUCCESS &&
	    pam_set_data(pamh, PAM_KSM_DATA_SECRETS, sec, free_secrets_data) !=
		    PAM_SUCCESS)
		pam_ksm_secrets_free(sec);
out:
	ksm_account_clear(&acct);
	ksm_free_secret(current);
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}

static int auth_offline(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			const char *password)
{
	ksm_offline_result res;
	ksm_error err = {0};

	if (ksm_offline_verify(ku->conf->private_store, ku->name, password,
			       ku->conf, time(NULL), &res, &err) != KSM_OK) {
		pam_syslog(pamh, LOG_ERR, "%s: offline check failed: %s",
			   ku->name, err.message);
		return PAM_AUTHINFO_UNAVAIL;
	}
	switch (res) {
	case KSM_OFFLINE_OK:
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: password accepted by the "
			   "offline verifier (vault "
			   "unreachable)",
			   ku->name);
		return PAM_SUCCESS;
	case KSM_OFFLINE_WRONG:
		pam_syslog(pamh, LOG_NOTICE,
			   "%s: wrong password (offline "
			   "verifier)",
			   ku->name);
		return PAM_AUTH_ERR;
	case KSM_OFFLINE_LOCKED:
		pam_syslog(pamh, LOG_WARNING,
			   "%s: refused: %u wrong offline "
			   "passwords (offline_max_failures); "
			   "locked until the vault answers",
			   ku->name, ku->conf->offline_max_failures);
		return PAM_MAXTRIES;
	case KSM_OFFLINE_TOO_OLD:
		pam_syslog(pamh, LOG_WARNING,
			   "%s: refused: the offline verifier "
			   "is older than offline_max_age",
			   ku->name);
		return PAM_AUTHINFO_UNAVAIL;
	default:
		pam_syslog(pamh, LOG_WARNING,
			   "%s: refused: no offline verifier "
			   "(run 'ksmctl sync')",
			   ku->name);
		return PAM_AUTHINFO_UNAVAIL;
	}
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	uint64_t t0;
	struct pam_ksm_args args;
	struct pam_ksm_user ku;
	const char *password = NULL;
	ksm_status st = KSM_OK;
	int rc;

	(void)flags;
	pam_ksm_parse_args(pamh, argc, argv, &args);
	rc = pam_ksm_user_load(pamh, &args, &ku);
	if (rc != PAM_SUCCESS)
		goto out;
	rc = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
	if (rc != PAM_SUCCESS || !password) {
		rc = rc == PAM_SUCCESS ? PAM_AUTH_ERR : rc;
		goto out;
	}
	/* The budget is for waiting on the vault, not on the user typing. */
	t0 = ksm_monotonic_ms();
	rc = auth_live(pamh, &args, &ku, password, t0, &st);
	if (rc != PAM_SUCCESS && vault_unreachable(st)) {
		if (args.no_offline) {
			pam_syslog(pamh, LOG_WARNING,
				   "%s: vault unreachable and "
				   "no_offline is set",
				   ku.name);
			rc = PAM_AUTHINFO_UNAVAIL;
		} else if (args.totp == TOTP_REQUIRED ||
			   (args.totp == TOTP_IF_PRESENT &&
			    (ku.flags & KSM_SNAP_HAS_TOTP))) {
			/* The offline verifier knows only the password. */
			pam_syslog(pamh, LOG_WARNING,
				   "%s: vault unreachable and "
				   "the second factor (totp) "
				   "cannot be checked offline",
				   ku.name);
			rc = PAM_AUTHINFO_UNAVAIL;
		} else {
			rc = auth_offline(pamh, &ku, password);
		}
	}
out:
	pam_ksm_user_release(&ku);
	return rc;
}
