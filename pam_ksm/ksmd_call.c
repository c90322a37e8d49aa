/* SPDX-License-Identifier: MIT */
/*
 * ksmd_call.c - pam_ksm talks to the vault only through ksmd: no network,
 * crypto, credential or lock in the login process (docs/design.md, "The
 * process boundary").
 */
#include "ksmd_call.h"
#include "ipc_client.h"

/* Answers are small: a verdict, or a few session secrets. */
#define ANSWER_MAX (256u * 1024)

unsigned pam_ksm_vault_budget_ms(const ksm_settings *conf)
{
	return conf->timeout_auth_ms > 1000 ? conf->timeout_auth_ms - 500
					    : conf->timeout_auth_ms / 2;
}

bool pam_ksm_ksmd_call(pam_handle_t *pamh, const struct pam_ksm_user *ku,
		       const ksm_ipc_msg *req, ksm_ipc_msg *resp,
		       const char *what)
{
	ksm_error err = {0};

	if (ksm_ipc_call(ku->conf, req, resp, ANSWER_MAX,
			 ku->conf->timeout_auth_ms, &err) == KSM_OK)
		return true;
	pam_syslog(pamh, LOG_ERR, "%s: %s: ksmd not reachable: %s", ku->name,
		   what, err.message);
	return false;
}
