/* SPDX-License-Identifier: MIT */
/*
 * limits.c - the per-user failure limit: after max_auth_failures wrong
 * answers within auth_failure_window, a user's further guesses are refused
 * without asking the vault (the device's request budget is not theirs to
 * spend), until the window has passed or a right password came.
 *
 * Only vault users are counted (the caller checked the snapshot), in a
 * table of fixed size: the oldest entry makes room for a new one.
 */
#include "ksmd.h"

#include <string.h>

#define USERS_MAX    4096
#define NAME_MAX_LEN 64
#define KEEP_MAX     64 /* failure times kept per user */

struct user_failures {
	char name[NAME_MAX_LEN];
	uint64_t at[KEEP_MAX]; /* ms, a ring */
	unsigned next;
	uint64_t last;
};

static struct user_failures table[USERS_MAX];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Under mu: the entry of user, made (replacing the stalest) if create. */
static struct user_failures *find(const char *user, bool create)
{
	struct user_failures *free_slot = NULL, *stalest = &table[0];

	if (strlen(user) >= NAME_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < USERS_MAX; i++) {
		struct user_failures *u = &table[i];

		if (u->name[0] && !strcmp(u->name, user))
			return u;
		if (!u->name[0] && !free_slot)
			free_slot = u;
		if (u->last < stalest->last)
			stalest = u;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = stalest;
	memset(free_slot, 0, sizeof(*free_slot));
	strcpy(free_slot->name, user);
	return free_slot;
}

static unsigned recent(const struct user_failures *u, uint64_t window_ms,
		       uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < KEEP_MAX; i++)
		if (u->at[i] && now - u->at[i] < window_ms)
			n++;
	return n;
}

unsigned ksmd_failures_recent(struct ksmd *d, const char *user)
{
	uint64_t now = ksm_monotonic_ms();
	uint64_t window = (uint64_t)d->conf->auth_failure_window * 1000;
	struct user_failures *u;
	unsigned n = 0;

	pthread_mutex_lock(&mu);
	u = find(user, false);
	if (u)
		n = recent(u, window, now);
	pthread_mutex_unlock(&mu);
	return n;
}

bool ksmd_failures_exceeded(struct ksmd *d, const char *user)
{
	return d->conf->max_auth_failures != 0 &&
	       ksmd_failures_recent(d, user) >= d->conf->max_auth_failures;
}

void ksmd_failure_add(struct ksmd *d, const char *user)
{
	struct user_failures *u;
	uint64_t now = ksm_monotonic_ms();

	(void)d;
	pthread_mutex_lock(&mu);
	u = find(user, true);
	if (u) {
		u->at[u->next] = now ? now : 1;
		u->next = (u->next + 1) % KEEP_MAX;
		u->last = now;
	}
	pthread_mutex_unlock(&mu);
}

void ksmd_failures_reset(const char *user)
{
	struct user_failures *u;

	pthread_mutex_lock(&mu);
	u = find(user, false);
	if (u)
		memset(u, 0, sizeof(*u));
	pthread_mutex_unlock(&mu);
}
