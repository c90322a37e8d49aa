/*
 * pam_ksm.h - shared state of the PAM module's parts (internal).
 */
#ifndef PAM_KSM_H
#define PAM_KSM_H

#include "ksm.h"
#include "snapshot_reader.h"

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>

enum totp_mode { TOTP_OFF, TOTP_IF_PRESENT, TOTP_REQUIRED };

struct pam_ksm_args {
	const char *conf_path; /* conf=, NULL: the default */
	bool debug;
	bool no_offline;
	enum totp_mode totp;
};

/* What a call knows about its user. */
struct pam_ksm_user {
	const char *name;
	ksm_conf *conf;
	ksm_snap snap;
	const struct ksm_snap_user *u; /* NULL: not a vault user */
	char record_uid[64];
	uint32_t uid, gid;
	int64_t valid_until;
	uint32_t flags;
};

/* PAM data names. */
#define PAM_KSM_DATA_SECRETS "pam_ksm_session_secrets"
#define PAM_KSM_DATA_KEYS "pam_ksm_keyring_keys"

void pam_ksm_parse_args(pam_handle_t *pamh, int argc, const char **argv,
			struct pam_ksm_args *args);
/*
 * Load ksm.conf and look the user up in the snapshot. PAM_SUCCESS with
 * ku->u set for a vault user, PAM_USER_UNKNOWN for anyone else (at once,
 * no network), or an error. Release with pam_ksm_user_release.
 */
int pam_ksm_user_load(pam_handle_t *pamh, const struct pam_ksm_args *args,
		      struct pam_ksm_user *ku);
void pam_ksm_user_release(struct pam_ksm_user *ku);

/* Session secrets: NAME -> value, wiped when freed. */
struct pam_ksm_secrets {
	size_t n;
	char **names;
	char **values;
};
void pam_ksm_secrets_free(struct pam_ksm_secrets *s);
/* The configured notations with {record} replaced by the user's record. */
char *pam_ksm_notation_for(const char *notation, const char *record_uid);
/* Resolve what notations refer to the user's own record from r. */
int pam_ksm_secrets_from_record(const ksm_conf *conf, const char *record_uid,
				const ksm_record *r,
				struct pam_ksm_secrets **out);
/*
 * Every configured secret: those in have (what auth read from the user's
 * record; may be NULL) are copied, the others fetched with one get_secret
 * (none if have has them all).
 */
int pam_ksm_secrets_fetch(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			  const struct pam_ksm_secrets *have,
			  struct pam_ksm_secrets **out);

/* Keyring: add the secrets as ksm:NAME user keys owned by the user. */
int pam_ksm_keyring_install(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			    const struct pam_ksm_secrets *s);
int pam_ksm_keyring_revoke(pam_handle_t *pamh);
/* Keys installed earlier (setcred), but the session keyring was replaced
 * since (pam_keyinit): link them into the current one. */
int pam_ksm_keyring_follow(pam_handle_t *pamh, const char *user);

#define KSM_LOG(pamh, args, prio, ...)                                         \
	do {                                                                   \
		if ((prio) != LOG_DEBUG || (args)->debug)                      \
			pam_syslog((pamh), (prio), __VA_ARGS__);               \
	} while (0)

#endif
