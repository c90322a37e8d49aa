/* SPDX-License-Identifier: MIT */
/*
 * user.c - options, ksm.conf and the snapshot lookup every entry point
 * starts with. A user who is not in the snapshot, or who has a local
 * account, is not ours: the answer is PAM_USER_UNKNOWN at once, without
 * asking ksmd.
 */
#include "user.h"
#include "local_files.h"

#include <stdio.h>
#include <string.h>

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

int pam_ksm_user_load(pam_handle_t *pamh, const struct pam_ksm_args *args,
		      struct pam_ksm_user *ku)
{
	ksm_error err = {0};
	ksm_snap_status sst;
	int rc;

	memset(ku, 0, sizeof(*ku));
	rc = pam_get_user(pamh, &ku->name, NULL);
	if (rc != PAM_SUCCESS || !ku->name || !*ku->name)
		return rc == PAM_SUCCESS ? PAM_USER_UNKNOWN : rc;
	/* A local account of the same name always wins (it may have been
	 * made after the last sync): not ours. */
	if (ksm_passwd_file_has(NULL, ku->name))
		return PAM_USER_UNKNOWN;
	if (ksm_settings_load(args->conf_path, &ku->conf, &err) != KSM_OK) {
		pam_syslog(pamh, LOG_ERR, "%s", err.message);
		return PAM_SERVICE_ERR;
	}
	/* Lazy, as the keys helper: a login's cost must not grow with the
	 * vault; the lookup checks the entry it returns (its CRC covers every
	 * field copied below). */
	sst = ksm_snap_open_flags(ku->conf->snapshot, KSM_SNAP_LAZY, &ku->snap);
	if (sst != KSM_SNAPST_OK) {
		pam_syslog(pamh, LOG_ERR,
			   "snapshot %s is %s: no vault users until 'ksmctl "
			   "sync' succeeds",
			   ku->conf->snapshot, ksm_snap_status_str(sst));
		return PAM_USER_UNKNOWN;
	}
	switch (ksm_snap_find_user_by_name(&ku->snap, ku->name, &ku->u)) {
	case KSM_SNAP_FOUND:
		break;
	case KSM_SNAP_DAMAGED:
		pam_syslog(pamh, LOG_ERR,
			   "snapshot %s: the entry of %s is damaged: not "
			   "served until 'ksmctl sync' rewrites it",
			   ku->conf->snapshot, ku->name);
		return PAM_USER_UNKNOWN;
	default:
		KSM_LOG(pamh, args, LOG_DEBUG, "%s is not a vault user",
			ku->name);
		return PAM_USER_UNKNOWN;
	}
	snprintf(ku->record_uid, sizeof(ku->record_uid), "%s",
		 ksm_snap_str(&ku->snap, ku->u->record_uid));
	ku->uid = ku->u->uid;
	ku->gid = ku->u->gid;
	ku->valid_until = ku->u->valid_until;
	ku->flags = ku->u->flags;
	return PAM_SUCCESS;
}

void pam_ksm_user_release(struct pam_ksm_user *ku)
{
	ksm_snap_close(&ku->snap);
	ksm_settings_free(ku->conf);
	memset(ku, 0, sizeof(*ku));
}
