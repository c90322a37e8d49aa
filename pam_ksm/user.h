/* SPDX-License-Identifier: MIT */
/*
 * user.h - the options and the snapshot lookup every entry point starts with
 * (internal).
 */
#ifndef PAM_KSM_USER_H
#define PAM_KSM_USER_H

#include "ksm.h"
#include "login.h"

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

/* The shared modes (ksm-core/login: when the code is asked). */
enum totp_mode {
	TOTP_OFF = KSM_TOTP_OFF,
	TOTP_IF_PRESENT = KSM_TOTP_IF_PRESENT,
	TOTP_REQUIRED = KSM_TOTP_REQUIRED,
};

struct pam_ksm_args {
	const char *conf_path; /* conf=, NULL: the default */
	bool debug;
	bool no_offline;
	enum totp_mode totp;
};

/* What a call knows about its user. */
struct pam_ksm_user {
	const char *name;
	bool local; /* an account of /etc/passwd: never ours */
	ksm_settings *conf;
	ksm_login login;	       /* who the name is (ksm-core/login) */
	const struct ksm_snap_user *u; /* NULL: not a vault user */
	char record_uid[64];
	uint32_t uid, gid;
	int64_t valid_until;
	uint32_t flags;
};

/* How much of an outside name a log line shows (sanitized). */
#define PAM_KSM_NAME_LOG 65

void pam_ksm_parse_args(pam_handle_t *pamh, int argc, const char **argv,
			struct pam_ksm_args *args);
/*
 * pam_syslog, but at most once per PAM handle for each key (PAM data): a
 * login logs a reason once, however many stages meet it.
 */
void pam_ksm_log_once(pam_handle_t *pamh, const char *key, int prio,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Load ksm.conf and look the user up in the snapshot. PAM_SUCCESS with
 * ku->u set for a vault user; PAM_USER_UNKNOWN for anyone else (at once, no
 * network; a local account before ksm.conf is even read, so that a broken
 * ksm.conf never touches local users; the snapshot unusable); or an error
 * (PAM_SERVICE_ERR: ksm.conf cannot be read or is invalid). Why a name is
 * not a vault user, or why there are none, is logged once per handle.
 * Release with pam_ksm_user_release.
 */
int pam_ksm_user_load(pam_handle_t *pamh, const struct pam_ksm_args *args,
		      struct pam_ksm_user *ku);
void pam_ksm_user_release(struct pam_ksm_user *ku);

#define KSM_LOG(pamh, args, prio, ...)                                         \
	do {                                                                   \
		if ((prio) != LOG_DEBUG || (args)->debug)                      \
			pam_syslog((pamh), (prio), __VA_ARGS__);               \
	} while (0)

#endif
