/* SPDX-License-Identifier: MIT */
/*
 * stats.c - what ksmd counted since it started, for the ping answer
 * (docs/ksmd-protocol.md §4.1) and so for monitoring ("ksmctl status
 * --prometheus"): budget refusals, Keeper's throttling, reads that could
 * not reach the vault, the verdicts of password checks (offline
 * acceptances among them) and requests refused for their asker.
 */
#include "ksmd.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

static const char *const names[KSMD_STAT_N] = {
	[KSMD_STAT_BUDGET_REFUSED] = "budget_refused",
	[KSMD_STAT_THROTTLED] = "throttled",
	[KSMD_STAT_UNREACHABLE] = "unreachable",
	[KSMD_STAT_AUTH_LIVE_OK] = "auth_live_ok",
	[KSMD_STAT_AUTH_OFFLINE_OK] = "auth_offline_ok",
	[KSMD_STAT_AUTH_WRONG] = "auth_wrong",
	[KSMD_STAT_AUTH_LOCKED] = "auth_locked",
	[KSMD_STAT_AUTH_UNAVAIL] = "auth_unavail",
	[KSMD_STAT_REFUSED] = "refused",
};

static atomic_ulong counts[KSMD_STAT_N];
static time_t started;

void ksmd_stats_start(void)
{
	started = time(NULL);
}

void ksmd_stat(enum ksmd_stat s)
{
	atomic_fetch_add_explicit(&counts[s], 1, memory_order_relaxed);
}

void ksmd_stat_auth(const char *result, const char *how)
{
	if (!strcmp(result, "ok"))
		ksmd_stat(how && !strcmp(how, "offline")
				  ? KSMD_STAT_AUTH_OFFLINE_OK
				  : KSMD_STAT_AUTH_LIVE_OK);
	else if (!strcmp(result, "wrong"))
		ksmd_stat(KSMD_STAT_AUTH_WRONG);
	else if (!strcmp(result, "locked"))
		ksmd_stat(KSMD_STAT_AUTH_LOCKED);
	else if (!strcmp(result, "unavail"))
		ksmd_stat(KSMD_STAT_AUTH_UNAVAIL);
}

void ksmd_stats_add(ksm_ipc_msg *resp)
{
	ksm_ipc_add_u64(resp, "started", (uint64_t)started);
	for (int i = 0; i < KSMD_STAT_N; i++)
		ksm_ipc_add_u64(
			resp, names[i],
			atomic_load_explicit(&counts[i], memory_order_relaxed));
}
