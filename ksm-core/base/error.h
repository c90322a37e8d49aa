/* SPDX-License-Identifier: MIT */
/*
 * error.h - filling a caller's ksm_error (internal; the public half is in
 * ksm.h).
 */
#ifndef KSM_ERROR_H
#define KSM_ERROR_H

#include "defs.h"

/* Fill err (if not NULL) and return code. */
KSM_HIDDEN ksm_status ksm_set_error(ksm_error *err, ksm_status code,
				    const char *fmt, ...) KSM_PRINTF(3, 4);
/* Prefix the existing message with "what: ". */
KSM_HIDDEN void ksm_error_prefix(ksm_error *err, const char *fmt, ...)
	KSM_PRINTF(2, 3);

#endif
