/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_snapview.h - a snapshot account as ksmctl shows it, in text and
 * JSON (ksmctl_snapview.c): "ksmctl users" and "ksmctl explain" print the
 * same fields the same way.
 */
#ifndef KSMCTL_SNAPVIEW_H
#define KSMCTL_SNAPVIEW_H

#include "snapshot_reader.h"

#include <stdint.h>
#include <stdio.h>

/* "alice(250001),devs(250077),sudo(27,local)": the private group first,
 * then the supplementary ones, by the snapshot's group names. */
void ksmctl_snap_groups_text(const ksm_snap *s, const struct ksm_snap_user *u,
			     char *out, size_t cap);
/* The account as a JSON object: name, uid, gid, gecos, home, shell,
 * record, password, totp, valid_until (ISO 8601 UTC or null), expired,
 * groups [{name, gid, local}], keys [{fingerprint, line}]. */
void ksmctl_snap_user_json(FILE *f, const ksm_snap *s,
			   const struct ksm_snap_user *u, int64_t now);
/* The snapshot as a JSON object: path, generated_at (ISO), age_s,
 * accounts, groups. */
void ksmctl_snap_json(FILE *f, const char *path, const ksm_snap *s,
		      int64_t now);

#endif
