/* SPDX-License-Identifier: MIT */
/*
 * mem.h - allocation helpers, wiping and constant-time comparison
 * (internal; the public half is in ksm.h). libc only.
 */
#ifndef KSM_MEM_H
#define KSM_MEM_H

#include "defs.h"

/* malloc/strdup that never return NULL silently: NULL means ENOMEM. */
KSM_HIDDEN char *ksm_strdup(const char *s);
KSM_HIDDEN char *ksm_strndup(const char *s, size_t n);
/* Constant-time equality of n bytes. */
KSM_HIDDEN bool ksm_ct_equal(const void *a, const void *b, size_t n);
/* Wipe n bytes then free. */
KSM_HIDDEN void ksm_free_wiped(void *p, size_t n);
/* For a program that holds the device key and vault secrets (ksmd,
 * ksmctl): no core file, and not dumpable (no ptrace or /proc/PID/mem by
 * its own uid). Best effort: nothing to report if the kernel says no. */
KSM_HIDDEN void ksm_no_core_dumps(void);
/* Append s to the array *v of *n strings; false (s not taken) on ENOMEM. */
KSM_HIDDEN bool ksm_strv_push(char ***v, size_t *n, char *s);

#endif
