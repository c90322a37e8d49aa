/* SPDX-License-Identifier: MIT */
/*
 * user.c - options, ksm.conf and the snapshot lookup every entry point
 * starts with. A user who is not in the snapshot, or who has a local
 * account, is not ours: the answer is PAM_USER_UNKNOWN at once, without
 * asking ksmd (and before ksm.conf is read, for a local account, so that a
 * broken ksm.conf cannot touch root or local users).
 *
 * Why a user is not ours is logged at most once per PAM handle for each
 * reason (pam_set_data): one login gives one line, however many stages
 * ask. Names are attacker-chosen (sshd passes any), so they are logged
 * sanitized and cut.
 */
#include "user.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* PAM data keys: this handle has logged that reason already. */
#define LOGGED_CONF	"pam_ksm_logged_conf"
#define LOGGED_SNAPSHOT "pam_ksm_logged_snapshot"
#define LOGGED_UNKNOWN	"pam_ksm_logged_unknown"
#define LOGGED_DAMAGED	"pam_ksm_logged_damaged"

void pam_ksm_parse_args(pam_handle_t *pamh, int argc, const char **argv,
			struct pam_ksm_args *args)
{
	memset(args, 0, sizeof(*args));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "conf=", 5) == 0)
			args->conf_path = a + 5;
		else if (strcmp(a, "debug") == 0)
			args->debug = true;
		else if (strcmp(a, "no_offline") == 0)
			args->no_offline = true;
		else if (strcmp(a, "totp=required") == 0)
			args->totp = TOTP_REQUIRED;
		else if (strcmp(a, "totp=if_present") == 0)
			args->totp = TOTP_IF_PRESENT;
		/* Handled by pam_get_authtok itself. */
		else if (strcmp(a, "use_first_pass") != 0 &&
			 strcmp(a, "try_first_pass") != 0)
			pam_syslog(pamh, LOG_WARNING,
				   "unknown option '%s' ignored", a);
	}
}

void pam_ksm_log_once(pam_handle_t *pamh, const char *key, int prio,
		      const char *fmt, ...)
{
	const void *seen = NULL;
	va_list ap;

	if (pam_get_data(pamh, key, &seen) == PAM_SUCCESS && seen)
		return;
	va_start(ap, fmt);
	pam_vsyslog(pamh, prio, fmt, ap);
	va_end(ap);
	(void)pam_set_data(pamh, key, (void *)1, NULL);
}

/* Neither local nor in the snapshot: say so, with what the snapshot is. */
static void log_unknown(pam_handle_t *pamh, const struct pam_ksm_user *ku)
{
	char name[PAM_KSM_NAME_LOG], when[32] = "?";
	struct tm tm;
	time_t t = (time_t)ku->login.snap.h->generated_at;

	ksm_text_sanitize(name, sizeof(name), ku->name, NULL);
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	pam_ksm_log_once(pamh, LOGGED_UNKNOWN, LOG_NOTICE,
			 "%s: not a vault user: not in /etc/passwd and not "
			 "in the snapshot %s (%u accounts, written %s); "
			 "'ksmctl users' lists refused records",
			 name, ku->conf->snapshot, ku->login.snap.h->n_users,
			 when);
}

/* The name leads to a damaged entry: not served until a sync rewrites it. */
static void log_damaged(pam_handle_t *pamh, const struct pam_ksm_user *ku)
{
	char name[PAM_KSM_NAME_LOG];

	ksm_text_sanitize(name, sizeof(name), ku->name, NULL);
	pam_ksm_log_once(pamh, LOGGED_DAMAGED, LOG_ERR,
			 "%s: the snapshot %s entry this name leads to is "
			 "damaged: not served until 'ksmctl sync' rewrites it",
			 name, ku->conf->snapshot);
}

int pam_ksm_user_load(pam_handle_t *pamh, const struct pam_ksm_args *args,
		      struct pam_ksm_user *ku)
{
	ksm_error err = {0};
	int rc;

	memset(ku, 0, sizeof(*ku));
	rc = pam_get_user(pamh, &ku->name, NULL);
	if (rc != PAM_SUCCESS || !ku->name || !*ku->name) {
		pam_syslog(pamh, LOG_NOTICE, "no user name: %s",
			   pam_strerror(pamh, rc == PAM_SUCCESS
						      ? PAM_USER_UNKNOWN
						      : rc));
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	}
	/* A local account of the same name always wins (it may have been
	 * made after the last sync): not ours, whatever ksm.conf says. */
	if (ksm_login_is_local(ku->name)) {
		ku->local = true;
		KSM_LOG(pamh, args, LOG_DEBUG,
			"%s has a local account: left to the next module",
			ku->name);
		return PAM_USER_UNKNOWN;
	}
	if (ksm_settings_load(args->conf_path, &ku->conf, &err) != KSM_OK) {
		pam_ksm_log_once(pamh, LOGGED_CONF, LOG_ERR,
				 "%s: vault users cannot log in until it is "
				 "fixed (local users are not affected)",
				 err.message);
		return PAM_SERVICE_ERR;
	}
	/* Lazy, as the keys helper: a login's cost must not grow with the
	 * vault; the lookup checks the entry it returns (its CRC covers every
	 * field copied below). */
	switch (ksm_login_lookup(ku->conf->snapshot, KSM_SNAP_LAZY, ku->name,
				 &ku->login)) {
	case KSM_LOGIN_NO_SNAPSHOT:
		pam_ksm_log_once(pamh, LOGGED_SNAPSHOT, LOG_ERR,
				 "snapshot %s is %s: no vault users until "
				 "'ksmctl sync' succeeds",
				 ku->conf->snapshot,
				 ksm_snap_status_str(ku->login.snap_st));
		return PAM_USER_UNKNOWN;
	case KSM_LOGIN_DAMAGED:
		log_damaged(pamh, ku);
		return PAM_USER_UNKNOWN;
	default:
		break;
	}
	ku->u = ku->login.u;
	if (!ku->u) {
		log_unknown(pamh, ku);
		return PAM_USER_UNKNOWN;
	}
	snprintf(ku->record_uid, sizeof(ku->record_uid), "%s",
		 ksm_snap_str(&ku->login.snap, ku->u->record_uid));
	ku->uid = ku->u->uid;
	ku->gid = ku->u->gid;
	ku->valid_until = ku->u->valid_until;
	ku->flags = ku->u->flags;
	return PAM_SUCCESS;
}

void pam_ksm_user_release(struct pam_ksm_user *ku)
{
	ksm_login_close(&ku->login);
	ksm_settings_free(ku->conf);
	memset(ku, 0, sizeof(*ku));
}
