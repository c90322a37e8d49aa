/* SPDX-License-Identifier: MIT */
/*
 * error.c - ksm_error filling and status names.
 */
#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
	[KSM_OK] = "ok",
	[KSM_ERR_INVALID] = "invalid",
	[KSM_ERR_NOMEM] = "out of memory",
	[KSM_ERR_IO] = "io",
	[KSM_ERR_CRYPTO] = "crypto",
	[KSM_ERR_CONFIG] = "config",
	[KSM_ERR_CONFIG_PERM] = "config permissions",
	[KSM_ERR_NOT_BOUND] = "not bound",
	[KSM_ERR_TOKEN] = "token",
	[KSM_ERR_NETWORK] = "network",
	[KSM_ERR_TIMEOUT] = "timeout",
	[KSM_ERR_TLS] = "tls",
	[KSM_ERR_HTTP] = "http",
	[KSM_ERR_PROTOCOL] = "protocol",
	[KSM_ERR_ACCESS_DENIED] = "access denied",
	[KSM_ERR_THROTTLED] = "throttled",
	[KSM_ERR_KEY] = "server key",
	[KSM_ERR_CLIENT_VERSION] = "client version",
	[KSM_ERR_REVISION] = "revision",
	[KSM_ERR_SERVER] = "server",
	[KSM_ERR_NOT_FOUND] = "not found",
	[KSM_ERR_AMBIGUOUS] = "ambiguous",
	[KSM_ERR_NOTATION] = "notation",
};

const char *ksm_status_name(ksm_status st)
{
	if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) &&
	    status_names[st])
		return status_names[st];
	return "unknown";
}

void ksm_error_clear(ksm_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

ksm_status ksm_set_error(ksm_error *err, ksm_status code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

void ksm_error_prefix(ksm_error *err, const char *fmt, ...)
{
	char prefix[256];
	size_t plen, cap = sizeof(err->message);
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	plen = strlen(prefix);
	if (plen + 3 >= cap)
		return;
	/* Shift the old message right (truncating its tail) and prepend. */
	memmove(err->message + plen + 2, err->message, cap - plen - 3);
	err->message[cap - 1] = '\0';
	memcpy(err->message, prefix, plen);
	memcpy(err->message + plen, ": ", 2);
}
