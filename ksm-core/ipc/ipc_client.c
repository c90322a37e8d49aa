/* SPDX-License-Identifier: MIT */
/*
 * ipc_client.c - connecting to ksmd: a non-blocking connect, the server's
 * credentials checked, one frame out and one back, all within the budget.
 */
#include "ipc_client.h"
#include "ipc_io.h"
#include "local_files.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Root, or the local (not NSS) user that ksm.conf names as ksmd's. */
static bool trusted_server(const ksm_settings *conf, uid_t uid)
{
	uid_t ksmd;

	return uid == 0 ||
	       (ksm_passwd_file_user(NULL, conf->ksmd_user, &ksmd, NULL) &&
		ksmd == uid);
}

static ksm_status connect_within(int fd, const struct sockaddr_un *sa,
				 uint64_t deadline, ksm_error *err)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int soerr = 0;
	socklen_t n = sizeof(soerr);

	/* EAGAIN on a Unix socket: ksmd's backlog is full and nothing is
	 * connected; try again until the deadline. */
	for (;;) {
		struct timespec ts = {0, 5 * 1000000L};

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return KSM_OK;
		if (errno != EAGAIN || ksm_monotonic_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	if (errno == EAGAIN)
		return ksm_set_error(err, KSM_ERR_TIMEOUT,
				     "ksmd is too busy to accept (%s)",
				     sa->sun_path);
	if (errno != EINPROGRESS && errno != EINTR)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "ksmd is not running (%s: %s)",
				     sa->sun_path, strerror(errno));
	for (;;) {
		uint64_t now = ksm_monotonic_ms();
		int rc;

		if (now >= deadline)
			return ksm_set_error(err, KSM_ERR_TIMEOUT,
					     "ksmd did not accept the "
					     "connection in time (%s)",
					     sa->sun_path);
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return ksm_set_error(err, KSM_ERR_IO, "poll: %s",
					     strerror(errno));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &n) != 0 || soerr)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "ksmd is not running (%s: %s)",
				     sa->sun_path, strerror(soerr));
	return KSM_OK;
}

ksm_status ksm_ipc_call(const ksm_settings *conf, const ksm_ipc_msg *req,
			ksm_ipc_msg *resp, size_t max, unsigned timeout_ms,
			ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	ksm_status st;
	uid_t uid = (uid_t)-1;
	int fd;

	memset(resp, 0, sizeof(*resp));
	if (!conf->ksmd_socket ||
	    strlen(conf->ksmd_socket) >= sizeof(sa.sun_path))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "ksmd_socket is not a usable socket path");
	strcpy(sa.sun_path, conf->ksmd_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ksm_set_error(err, KSM_ERR_IO, "socket: %s",
				     strerror(errno));
	st = connect_within(fd, &sa, deadline, err);
	if (st != KSM_OK)
		goto out;
	if (ksm_ipc_peer(fd, &uid, NULL, NULL) != KSM_OK ||
	    !trusted_server(conf, uid)) {
		st = ksm_set_error(err, KSM_ERR_ACCESS_DENIED,
				   "%s is served by uid %ld, not by ksmd's "
				   "user '%s' or root: refused",
				   conf->ksmd_socket, (long)uid,
				   conf->ksmd_user ? conf->ksmd_user : "?");
		goto out;
	}
	st = ksm_ipc_send(fd, req, deadline, err);
	if (st == KSM_OK)
		st = ksm_ipc_recv(fd, max, deadline, resp, err);
out:
	close(fd);
	return st;
}
