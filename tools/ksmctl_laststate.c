/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_laststate.c - what the last sync left on disk: the snapshot's
 * header and SNAPSHOT.status, for "ksmctl users" and "ksmctl status".
 */
#include "ksmctl.h"
#include "snapshot_reader.h"

#include <stdlib.h>
#include <string.h>

char *ksmctl_sync_status_path(const char *snapshot)
{
	char *p = NULL;

	return asprintf(&p, "%s.status", snapshot) < 0 ? NULL : p;
}

json_object *ksmctl_last_sync_load(const ksm_settings *conf)
{
	char *path = ksmctl_sync_status_path(conf->snapshot);
	json_object *o = path ? json_object_from_file(path) : NULL;

	free(path);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

void ksmctl_snapshot_summary(const ksm_settings *conf,
			     struct ksmctl_snapshot_summary *sum)
{
	ksm_snap s;
	ksm_snap_status st;

	memset(sum, 0, sizeof(*sum));
	/* The full check (checksum and every entry): this is the monitor. */
	st = ksm_snap_open(conf->snapshot, &s);
	sum->state = ksm_snap_status_str(st);
	if (st != KSM_SNAPST_OK)
		return;
	sum->ok = true;
	sum->generated_at = (long long)s.h->generated_at;
	sum->accounts = s.h->n_users;
	sum->groups = s.h->n_groups;
	ksm_snap_close(&s);
}
