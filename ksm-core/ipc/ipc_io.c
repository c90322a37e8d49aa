/* SPDX-License-Identifier: MIT */
/*
 * ipc_io.c - reading and writing frames within a deadline on non-blocking
 * sockets, so that a stopped or slow peer costs at most the budget.
 */
#include "ipc_io.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static ksm_status wait_fd(int fd, short events, uint64_t deadline,
			  ksm_error *err)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		uint64_t now = ksm_monotonic_ms();
		int rc;

		if (now >= deadline)
			return ksm_set_error(err, KSM_ERR_TIMEOUT,
					     "ksmd did not answer in time");
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return KSM_OK;
		if (rc < 0 && errno != EINTR)
			return ksm_set_error(err, KSM_ERR_IO, "poll: %s",
					     strerror(errno));
	}
}

static ksm_status send_all(int fd, const uint8_t *p, size_t n,
			   uint64_t deadline, ksm_error *err)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ksm_status st = wait_fd(fd, POLLOUT, deadline, err);

			if (st != KSM_OK)
				return st;
			continue;
		}
		return ksm_set_error(err, KSM_ERR_IO, "send to ksmd: %s",
				     w < 0 ? strerror(errno) : "closed");
	}
	return KSM_OK;
}

static ksm_status recv_all(int fd, uint8_t *p, size_t n, uint64_t deadline,
			   ksm_error *err)
{
	while (n) {
		ssize_t r = recv(fd, p, n, MSG_DONTWAIT);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return ksm_set_error(err, KSM_ERR_IO,
					     "the peer closed the connection");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			ksm_status st = wait_fd(fd, POLLIN, deadline, err);

			if (st != KSM_OK)
				return st;
			continue;
		}
		return ksm_set_error(err, KSM_ERR_IO, "recv: %s",
				     strerror(errno));
	}
	return KSM_OK;
}

ksm_status ksm_ipc_send(int fd, const ksm_ipc_msg *m, uint64_t deadline,
			ksm_error *err)
{
	uint8_t *frame = NULL;
	size_t len = 0;
	ksm_status st = ksm_ipc_encode(m, &frame, &len, err);

	if (st == KSM_OK)
		st = send_all(fd, frame, len, deadline, err);
	ksm_free_wiped(frame, len);
	return st;
}

ksm_status ksm_ipc_recv(int fd, size_t max, uint64_t deadline, ksm_ipc_msg *m,
			ksm_error *err)
{
	uint8_t hdr[4], *body = NULL;
	size_t len;
	ksm_status st;

	memset(m, 0, sizeof(*m));
	st = recv_all(fd, hdr, 4, deadline, err);
	if (st != KSM_OK)
		return st;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	      (size_t)hdr[2] << 8 | hdr[3];
	if (len > max)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "message of %zu bytes, limit %zu", len,
				     max);
	body = malloc(len ? len : 1);
	if (!body)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = recv_all(fd, body, len, deadline, err);
	if (st == KSM_OK)
		st = ksm_ipc_decode(body, len, m, err);
	ksm_free_wiped(body, len ? len : 1);
	return st;
}

ksm_status ksm_ipc_peer(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred cr;
	socklen_t n = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) != 0 ||
	    n != sizeof(cr))
		return KSM_ERR_IO;
	if (uid)
		*uid = cr.uid;
	if (gid)
		*gid = cr.gid;
	if (pid)
		*pid = cr.pid;
	return KSM_OK;
}
