/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_laststate.c - what the last sync left on disk: the snapshot's
 * header and SNAPSHOT.status, for "ksmctl users" and "ksmctl status".
 */
#include "ksmctl_laststate.h"
#include "snapshot_reader.h"

#include <stdio.h>
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

const char *ksmctl_last_str(json_object *last, const char *key)
{
	json_object *v;

	return last && json_object_object_get_ex(last, key, &v)
		       ? json_object_get_string(v)
		       : NULL;
}

long long ksmctl_last_int(json_object *last, const char *key)
{
	json_object *v;

	return last && json_object_object_get_ex(last, key, &v)
		       ? (long long)json_object_get_int64(v)
		       : -1;
}

bool ksmctl_last_ok(json_object *last)
{
	json_object *v;

	return last && json_object_object_get_ex(last, "ok", &v) &&
	       json_object_get_boolean(v);
}

size_t ksmctl_last_refused(json_object *last)
{
	json_object *v;

	return last && json_object_object_get_ex(last, "refused", &v) &&
			       json_object_is_type(v, json_type_array)
		       ? json_object_array_length(v)
		       : 0;
}

bool ksmctl_last_refusal(json_object *last, size_t i, struct ksmctl_refusal *r)
{
	json_object *ref, *e, *v;

	memset(r, 0, sizeof(*r));
	r->record = r->name = r->reason = "";
	/* json-c asserts (aborts) on the length of a non-array. */
	if (!last || !json_object_object_get_ex(last, "refused", &ref) ||
	    !json_object_is_type(ref, json_type_array) ||
	    i >= json_object_array_length(ref))
		return false;
	e = json_object_array_get_idx(ref, i);
	/* A JSON null is a NULL object, whose string is NULL. */
	if (json_object_object_get_ex(e, "record", &v) && v)
		r->record = json_object_get_string(v);
	if (json_object_object_get_ex(e, "name", &v) && v)
		r->name = json_object_get_string(v);
	if (json_object_object_get_ex(e, "reason", &v) && v)
		r->reason = json_object_get_string(v);
	r->whole_account = json_object_object_get_ex(e, "account", &v) &&
			   json_object_get_boolean(v);
	return true;
}

void ksmctl_print_refusals(const ksm_settings *conf)
{
	json_object *o = ksmctl_last_sync_load(conf);
	const char *msg = ksmctl_last_str(o, "message");
	struct ksmctl_refusal r;

	if (msg)
		printf("\nlast sync: %s\n", msg);
	for (size_t i = 0; ksmctl_last_refusal(o, i, &r); i++) {
		if (i == 0)
			printf("refused:\n");
		printf("  %-22s %-16s %s\n", r.record, r.name, r.reason);
	}
	json_object_put(o);
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
