/* SPDX-License-Identifier: MIT */
/*
 * keyring.c - session secrets as kernel keyring keys.
 *
 * In a fresh session keyring owned by the user (as pam_keyinit makes one,
 * whether or not it ran before us), each secret becomes a "user" key
 * ksm:NAME owned by the user, readable by possessor and user only, with
 * the session_secret_ttl timeout. close_session revokes them.
 */
#include "keyring.h"

#include <errno.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#define KEY_PERMS                                                              \
	(KEY_POS_VIEW | KEY_POS_READ | KEY_POS_SEARCH | KEY_POS_LINK |         \
	 KEY_POS_SETATTR | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_SEARCH)

struct installed {
	key_serial_t keyring; /* the session keyring they were put in */
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
	uid_t old_uid, old_ruid;
	gid_t old_gid, old_rgid;
	int rc = PAM_SUCCESS;

	in = calloc(1, sizeof(*in) + (s->n + 1) * sizeof(key_serial_t));
	if (!in)
		return PAM_BUF_ERR;
	/*
	 * The keys are also linked into this process's own keyring, so that
	 * we keep possessing them (and can move and revoke them) when a
	 * module after us replaces the session keyring: pam_keyinit in the
	 * session stack after our setcred (sshd's order), and its "revoke"
	 * at close_session before ours. Children do not inherit it.
	 */
	if (keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 1) < 0)
		pam_syslog(pamh, LOG_WARNING,
			   "%s: no process keyring (%s): "
			   "keys may outlive the session",
			   ku->name, strerror(errno));
	/*
	 * Keys belong to the fsuid/fsgid that creates them, a new session
	 * keyring to the real ids (as pam_keyinit does it): the user owns
	 * both. The effective uid stays 0, so the ids can be restored.
	 */
	old_rgid = getgid();
	old_ruid = getuid();
	old_gid = (gid_t)setfsgid((gid_t)-1);
	old_uid = (uid_t)setfsuid((uid_t)-1);
	/* setre[ug]id resets the fs ids to the effective ones: set them last.
	 */
	if (setregid(ku->gid, (gid_t)-1) != 0 ||
	    setreuid(ku->uid, (uid_t)-1) != 0 ||
	    (setfsgid(ku->gid), setfsuid(ku->uid), false) ||
	    keyctl_join_session_keyring(NULL) < 0) {
		pam_syslog(pamh, LOG_ERR,
			   "%s: cannot create a session keyring: "
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
		(void)keyctl_link(k, KEY_SPEC_PROCESS_KEYRING);
	}
	in->keyring = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
	pam_syslog(pamh, LOG_INFO,
		   "%s: %zu session secret(s) in the session "
		   "keyring",
		   ku->name, in->n);
out:
	if (setreuid(old_ruid, (uid_t)-1) != 0 ||
	    setregid(old_rgid, (gid_t)-1) != 0)
		pam_syslog(pamh, LOG_CRIT,
			   "cannot restore the real uid/gid: %s",
			   strerror(errno));
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

int pam_ksm_keyring_follow(pam_handle_t *pamh, const char *user)
{
	const void *data = NULL;
	struct installed *in;
	key_serial_t now;
	size_t moved = 0;

	if (pam_get_data(pamh, PAM_KSM_DATA_KEYS, &data) != PAM_SUCCESS ||
	    !data)
		return PAM_IGNORE;
	in = (struct installed *)data;
	now = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
	if (now < 0 || now == in->keyring)
		return PAM_SUCCESS;
	/* A new session keyring since setcred (pam_keyinit): link the keys
	 * into it, which the process keyring still lets us do. */
	for (size_t i = 0; i < in->n; i++) {
		if (keyctl_link(in->serial[i], KEY_SPEC_SESSION_KEYRING) == 0)
			moved++;
		else
			pam_syslog(pamh, LOG_ERR,
				   "%s: cannot link key %d into "
				   "the new session keyring: %s",
				   user, in->serial[i], strerror(errno));
	}
	in->keyring = now;
	pam_syslog(pamh, LOG_INFO,
		   "%s: %zu session secret(s) moved into the "
		   "new session keyring",
		   user, moved);
	return moved == in->n ? PAM_SUCCESS : PAM_SESSION_ERR;
}

int pam_ksm_keyring_revoke(pam_handle_t *pamh)
{
	const void *data = NULL;
	const struct installed *in;

	if (pam_get_data(pamh, PAM_KSM_DATA_KEYS, &data) != PAM_SUCCESS ||
	    !data)
		return PAM_IGNORE;
	in = data;
	for (size_t i = 0; i < in->n; i++)
		if (keyctl_revoke(in->serial[i]) < 0 && errno != EKEYREVOKED &&
		    errno != ENOKEY && errno != EKEYEXPIRED)
			pam_syslog(pamh, LOG_WARNING,
				   "cannot revoke key %d: %s", in->serial[i],
				   strerror(errno));
	pam_set_data(pamh, PAM_KSM_DATA_KEYS, NULL, NULL);
	return PAM_SUCCESS;
}
