/* SPDX-License-Identifier: MIT */
/*
 * log.c - ksmd's log: syslog (LOG_AUTHPRIV), and stderr too in the
 * foreground (tests, the demo, containers). Never a secret.
 */
#include "ksmd.h"

#include <stdio.h>
#include <syslog.h>

static bool to_stderr;

void ksmd_log_open(bool foreground)
{
	to_stderr = foreground;
	openlog("ksmd", LOG_PID, LOG_AUTHPRIV);
}

void ksmd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (to_stderr) {
		va_list cp;

		va_copy(cp, ap);
		fputs("ksmd: ", stderr);
		vfprintf(stderr, fmt, cp);
		fputc('\n', stderr);
		va_end(cp);
	}
	vsyslog(prio, fmt, ap);
	va_end(ap);
}
