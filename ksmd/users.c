/* SPDX-License-Identifier: MIT */
/*
 * users.c - which login names are vault users, as every consumer sees it
 * (ksm-core/login): in the snapshot, and not shadowed by a local account
 * of the same name (a local account always wins: it may have been made
 * after the sync).
 */
#include "ksmd.h"
#include "login.h"

#include <stdio.h>

bool ksmd_vault_user(struct ksmd *d, const char *user, char record_uid[64],
		     const char **why)
{
	ksm_login l;
	bool ok;

	ok = ksm_login_find(d->conf->snapshot, KSM_SNAP_LAZY, user, &l) ==
	     KSM_LOGIN_VAULT;
	*why = ksm_login_why(l.kind);
	if (ok)
		snprintf(record_uid, 64, "%s",
			 ksm_snap_str(&l.snap, l.u->record_uid));
	ksm_login_close(&l);
	return ok;
}
