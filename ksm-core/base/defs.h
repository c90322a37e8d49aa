/* SPDX-License-Identifier: MIT */
/*
 * defs.h - what every internal file of libksm starts from: the public
 * header and the visibility and format attributes.
 */
#ifndef KSM_DEFS_H
#define KSM_DEFS_H

#include "ksm.h"

#include <stdarg.h>

#define KSM_HIDDEN	 __attribute__((visibility("hidden")))
#define KSM_PRINTF(a, b) __attribute__((format(printf, a, b)))

#endif
