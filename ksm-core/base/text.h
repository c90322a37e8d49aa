/* SPDX-License-Identifier: MIT */
/*
 * text.h - what outside text may contain before it reaches a passwd line,
 * a log line or a terminal (internal). libc only.
 */
#ifndef KSM_TEXT_H
#define KSM_TEXT_H

#include "defs.h"

/*
 * True when s has at most max bytes (0: no limit), no control character
 * (below 0x20, or DEL) and none of the bytes in forbidden (may be "").
 */
KSM_HIDDEN bool ksm_text_clean(const char *s, size_t max,
			       const char *forbidden);
/*
 * Copy src (NULL: "") into dst of cap bytes, truncating, with every byte
 * that is not printable ASCII, or not in allowed when allowed is not NULL,
 * replaced by '?'. Always NUL-terminates (cap > 0).
 */
KSM_HIDDEN void ksm_text_sanitize(char *dst, size_t cap, const char *src,
				  const char *allowed);
/* The value of hex digit c (either case), or -1. */
KSM_HIDDEN int ksm_hex_value(int c);
/*
 * Outside text for a log line, a status file or a terminal, in a new
 * string (NULL: out of memory): control characters (C0, DEL, C1) and
 * bytes that are not UTF-8 become '?'; at most max bytes, whole
 * characters.
 */
KSM_HIDDEN char *ksm_text_display(const char *v, size_t max);

#endif
