/* SPDX-License-Identifier: MIT */
/*
 * base64.h - both alphabets of RFC 4648, table driven (internal). libc only.
 */
#ifndef KSM_BASE64_H
#define KSM_BASE64_H

#include "defs.h"

/* Encoded length without NUL. */
KSM_HIDDEN size_t ksm_b64_encoded_len(size_t n, bool url);
/* Standard alphabet with padding (url=false) or URL-safe unpadded (url=true).
 * Returns a malloc'd NUL-terminated string or NULL (ENOMEM). */
KSM_HIDDEN char *ksm_b64_encode(const uint8_t *data, size_t n, bool url);
/*
 * Lenient decoder: both alphabets, padding optional, no whitespace.
 * *out malloc'd (len+1 bytes, NUL-terminated for convenience).
 */
KSM_HIDDEN ksm_status ksm_b64_decode(const char *s, size_t slen, uint8_t **out,
				     size_t *outlen);
/* Decode to exactly n bytes into buf (fails if the length differs). */
KSM_HIDDEN ksm_status ksm_b64_decode_exact(const char *s, uint8_t *buf,
					   size_t n);

#endif
