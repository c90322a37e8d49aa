/* SPDX-License-Identifier: MIT */
/*
 * ipc_io.h - frames over a Unix stream socket with a deadline, and the
 * peer's credentials (internal). Both ksmd and its clients use these.
 * libc only; never raises SIGPIPE, retries EINTR, never blocks past the
 * deadline (ksm_monotonic_ms() milliseconds).
 */
#ifndef KSM_IPC_IO_H
#define KSM_IPC_IO_H

#include "ipc_msg.h"

#include <sys/types.h>

KSM_HIDDEN ksm_status ksm_ipc_send(int fd, const ksm_ipc_msg *m,
				   uint64_t deadline, ksm_error *err);
/* A whole frame of at most max body bytes. */
KSM_HIDDEN ksm_status ksm_ipc_recv(int fd, size_t max, uint64_t deadline,
				   ksm_ipc_msg *m, ksm_error *err);
/* SO_PEERCRED of a connected Unix socket. */
KSM_HIDDEN ksm_status ksm_ipc_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

#endif
