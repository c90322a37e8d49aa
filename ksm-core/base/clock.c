/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the one clock that time budgets are measured with.
 */
#include "defs.h"

#include <time.h>

uint64_t ksm_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
