/* SPDX-License-Identifier: MIT */
/*
 * users.c - which login names are vault users, as every consumer sees it:
 * in the snapshot, and not shadowed by a local account of the same name
 * (a local account always wins: it may have been made after the sync).
 */
#include "ksmd.h"
#include "local_files.h"
#include "snapshot_reader.h"

#include <stdio.h>

bool ksmd_vault_user(struct ksmd *d, const char *user, char record_uid[64],
		     const char **why)
{
	const struct ksm_snap_user *u;
	ksm_snap s = {0};
	bool ok = false;

	*why = "not a vault user";
	if (!user || !*user)
		return false;
	if (ksm_passwd_file_has(NULL, user)) {
		*why = "a local account of that name exists: it wins";
		return false;
	}
	if (ksm_snap_open_flags(d->conf->snapshot, KSM_SNAP_LAZY, &s) !=
	    KSM_SNAPST_OK) {
		*why = "no usable snapshot (run 'ksmctl sync')";
		return false;
	}
	u = ksm_snap_user_by_name(&s, user);
	if (u) {
		snprintf(record_uid, 64, "%s", ksm_snap_str(&s, u->record_uid));
		ok = true;
	}
	ksm_snap_close(&s);
	return ok;
}
