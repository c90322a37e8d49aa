/* SPDX-License-Identifier: MIT */
/*
 * session_secrets.c - the user's session secrets, from ksmd ("session" in
 * docs/ksmd-protocol.md): ksmd takes them from the read the login's auth
 * made, so a login costs one request to the vault.
 */
#include "session_secrets.h"
#include "ksmd_call.h"

#include <stdlib.h>
#include <string.h>

void pam_ksm_secrets_free(struct pam_ksm_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->names[i]);
		ksm_free_secret(s->values[i]);
	}
	free(s->names);
	free(s->values);
	free(s);
}

int pam_ksm_secrets_fetch(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			  struct pam_ksm_secrets **out)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const struct ksm_ipc_field *name, *value;
	struct pam_ksm_secrets *s = NULL;
	size_t pn = 0, pv = 0, n = 0;
	const char *result;
	int rc = PAM_IGNORE;

	*out = NULL;
	/* ksmd answers within less than this process waits. */
	if (ksm_ipc_add_str(&req, "op", "session") ||
	    ksm_ipc_add_str(&req, "user", ku->name) ||
	    ksm_ipc_add_u64(&req, "budget_ms",
			    pam_ksm_vault_budget_ms(ku->conf))) {
		rc = PAM_BUF_ERR;
		goto out;
	}
	if (!pam_ksm_ksmd_call(pamh, ku, &req, &resp, "session secrets"))
		goto out;
	result = ksm_ipc_get(&resp, "result");
	if (!result || strcmp(result, "ok") != 0) {
		pam_syslog(pamh, LOG_WARNING,
			   "%s: session secrets not available: %s", ku->name,
			   ksm_ipc_get(&resp, "message")
				   ? ksm_ipc_get(&resp, "message")
				   : (result ? result : "no answer"));
		goto out;
	}
	for (size_t pos = 0; ksm_ipc_next(&resp, "name", &pos);)
		n++;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->names = calloc(n + 1, sizeof(char *));
		s->values = calloc(n + 1, sizeof(char *));
	}
	if (!s || !s->names || !s->values) {
		rc = PAM_BUF_ERR;
		goto out;
	}
	while ((name = ksm_ipc_next(&resp, "name", &pn)) &&
	       (value = ksm_ipc_next(&resp, "value", &pv))) {
		s->names[s->n] = strdup((const char *)name->val);
		s->values[s->n] = strdup((const char *)value->val);
		if (!s->names[s->n] || !s->values[s->n]) {
			free(s->names[s->n]);
			ksm_free_secret(s->values[s->n]);
			s->names[s->n] = s->values[s->n] = NULL;
			rc = PAM_BUF_ERR;
			goto out;
		}
		s->n++;
	}
	*out = s;
	s = NULL;
	rc = PAM_SUCCESS;
out:
	pam_ksm_secrets_free(s);
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return rc;
}
