/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_diff.h - what a sync would change: the snapshot in place against
 * the one a sync would write, both read with the snapshot reader that
 * nss_ksm and the keys helper use (ksmctl_diff.c; "ksmctl sync --dry-run").
 */
#ifndef KSMCTL_DIFF_H
#define KSMCTL_DIFF_H

#include "snapshot_reader.h"

#include <stdio.h>

struct ksmctl_diff_counts {
	size_t users_added, users_removed, users_changed;
	size_t groups_added, groups_removed, groups_changed;
};

/*
 * One line per change to f: "+ user", "- user", "~ user NAME: FIELD ..."
 * (accounts matched by record UID: name, uid, gid, gecos, home, shell,
 * expiry, password and TOTP flags, keys by fingerprint, supplementary
 * groups by name), "+ group", "- group", "~ group" (matched by name: gid,
 * local or vault). old may be NULL (no usable snapshot yet).
 */
void ksmctl_diff_print(FILE *f, const ksm_snap *old, const ksm_snap *new,
		       struct ksmctl_diff_counts *counts);

#endif
