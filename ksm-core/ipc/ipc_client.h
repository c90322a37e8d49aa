/* SPDX-License-Identifier: MIT */
/*
 * ipc_client.h - one request to ksmd and its answer (internal): what
 * pam_ksm, the keys helper and ksmctl use. libc only: no lock is taken,
 * nothing waits past the budget, and the server must be ksmd's user (or
 * root), checked with SO_PEERCRED before anything is sent.
 */
#ifndef KSM_IPC_CLIENT_H
#define KSM_IPC_CLIENT_H

#include "ipc_msg.h"

/*
 * Send req to conf->ksmd_socket and read the answer (at most max bytes)
 * within timeout_ms. KSM_ERR_NETWORK: ksmd is not running (no socket, or
 * nobody listening); KSM_ERR_TIMEOUT; KSM_ERR_ACCESS_DENIED: the socket's
 * server is not ksmd's user.
 */
KSM_HIDDEN ksm_status ksm_ipc_call(const ksm_settings *conf,
				   const ksm_ipc_msg *req, ksm_ipc_msg *resp,
				   size_t max, unsigned timeout_ms,
				   ksm_error *err);

#endif
