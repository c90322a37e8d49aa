/*
 * keyring.c - session secrets as kernel keyring keys.
 *
 * In a fresh session keyring owned by the user (as pam_keyinit makes one,
 * whether or not it ran before us), each secret becomes a "user" key
 * ksm:NAME owned by the user, readable by possessor and user only, with
 * the session_secret_ttl timeout. close_session revokes them.
 */
#include "pam_ksm.h"

#include <errno.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>

#define KEY_PERMS                                                              \
	(KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH | KEY_POS_LINK |         \
	 KEY_POS_SETATTR | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_SEARCH)

struct installed {
	size_t n;
	key_serial_t serial[];
};

static void free_installed(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

int pam_ksm_keyring_install(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			    const struct pam_ksm_secrets *s)
{
	struct installed *in;
	uid_t old_uid;
	gid_t old_gid;
	int rc = PAM_SUCCESS;

	in = calloc(1, sizeof(*in) + (s->n + 1) * sizeof(key_serial_t));
	if (!in)
		return PAM_BUF_ERR;
	/* Keys and keyrings belong to the fsuid/fsgid that creates them. */
	old_gid = (gid_t)setfsgid(ku->gid);
	old_uid = (uid_t)setfsuid(ku->uid);
	if (keyctl_join_session_keyring(NULL) < 0) {
		pam_syslog(pamh, LOG_ERR, "%s: cannot create a session keyring: "
					  "%s",
			   ku->name, strerror(errno));
		rc = PAM_SESSION_ERR;
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		char desc[96];
		key_serial_t k;

		snprintf(desc, sizeof(desc), "ksm:%s", s->names[i]);
		k = add_key("user", desc, s->values[i], strlen(s->values[i]),
			    KEY_SPEC_SESSION_KEYRING);
		if (k < 0 || keyctl_setperm(k, KEY_PERMS) < 0 ||
		    (ku->conf->session_secret_ttl &&
		     keyctl_set_timeout(k, ku->conf->session_secret_ttl) < 0)) {
			pam_syslog(pamh, LOG_ERR, "%s: cannot add key %s: %s",
				   ku->name, desc, strerror(errno));
			if (k >= 0)
				keyctl_revoke(k);
			rc = PAM_SESSION_ERR;
			continue;
		}
		in->serial[in->n++] = k;
	}
	pam_syslog(pamh, LOG_INFO, "%s: %zu session secret(s) in the session "
				   "keyring",
		   ku->name, in->n);
out:
	setfsuid(old_uid);
	setfsgid(old_gid);
	if (pam_set_data(pamh, PAM_KSM_DATA_KEYS, in, free_installed) !=
	    PAM_SUCCESS) {
		for (size_t i = 0; i < in->n; i++)
			keyctl_revoke(in->serial[i]);
		free(in);
		rc = PAM_BUF_ERR;
	}
	return rc;
}

int pam_ksm_keyring_revoke(pam_handle_t *pamh)
{
	const void *data = NULL;
	const struct installed *in;

	if (pam_get_data(pamh, PAM_KSM_DATA_KEYS, &data) != PAM_SUCCESS || !data)
		return PAM_IGNORE;
	in = data;
	for (size_t i = 0; i < in->n; i++)
		if (keyctl_revoke(in->serial[i]) < 0 && errno != EKEYREVOKED &&
		    errno != ENOKEY && errno != EKEYEXPIRED)
			pam_syslog(pamh, LOG_WARNING, "cannot revoke key %d: %s",
				   in->serial[i], strerror(errno));
	pam_set_data(pamh, PAM_KSM_DATA_KEYS, NULL, NULL);
	return PAM_SUCCESS;
}
