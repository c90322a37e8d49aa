/*
 * internal.h - helpers shared inside libksm; not installed.
 */
#ifndef KSM_INTERNAL_H
#define KSM_INTERNAL_H

#include "ksm.h"

#include <stdarg.h>

#define KSM_HIDDEN __attribute__((visibility("hidden")))
#define KSM_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Fill err (if not NULL) and return code. */
KSM_HIDDEN ksm_status ksm_set_error(ksm_error *err, ksm_status code,
				    const char *fmt, ...) KSM_PRINTF(3, 4);
/* Prefix the existing message with "what: ". */
KSM_HIDDEN void ksm_error_prefix(ksm_error *err, const char *fmt, ...)
	KSM_PRINTF(2, 3);

/* malloc/strdup that never return NULL silently: NULL means ENOMEM. */
KSM_HIDDEN char *ksm_strdup(const char *s);
KSM_HIDDEN char *ksm_strndup(const char *s, size_t n);
/* Constant-time equality of n bytes. */
KSM_HIDDEN bool ksm_ct_equal(const void *a, const void *b, size_t n);
/* Wipe n bytes then free. */
KSM_HIDDEN void ksm_free_wiped(void *p, size_t n);

/* ------------------------------------------------------------- base64 */

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
