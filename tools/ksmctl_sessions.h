/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_sessions.h - end_sessions after a sync (ksmctl_sessions.c).
 */
#ifndef KSMCTL_SESSIONS_H
#define KSMCTL_SESSIONS_H

#include "ksm.h"

#include <stdint.h>

/* The accounts of the snapshot a sync replaces. */
struct ksmctl_prev {
	struct {
		char name[64];
		uint32_t uid;
	} * users;
	size_t n;
};

void ksmctl_prev_load(const ksm_settings *conf, struct ksmctl_prev *p);
void ksmctl_prev_free(struct ksmctl_prev *p);
/* End the sessions of the accounts of prev that as no longer has, and of
 * those of as that expired; each logged. Root only (a note otherwise). */
void ksmctl_end_sessions(const ksm_settings *conf,
			 const struct ksmctl_prev *prev,
			 const ksm_accounts *as);

#endif
