/* SPDX-License-Identifier: MIT */
/*
 * ksmd_call.h - pam_ksm's requests to ksmd (internal).
 */
#ifndef PAM_KSM_KSMD_CALL_H
#define PAM_KSM_KSMD_CALL_H

#include "ipc_msg.h"
#include "user.h"

/*
 * What ksmd may spend on the vault: timeout_auth less a margin, so that its
 * answer (offline check included) comes before this process gives up.
 */
unsigned pam_ksm_vault_budget_ms(const ksm_settings *conf);
/*
 * One request within timeout_auth; false (logged, naming what for) when
 * ksmd could not be asked or did not answer in time.
 */
bool pam_ksm_ksmd_call(pam_handle_t *pamh, const struct pam_ksm_user *ku,
		       const ksm_ipc_msg *req, ksm_ipc_msg *resp,
		       const char *what);

#endif
