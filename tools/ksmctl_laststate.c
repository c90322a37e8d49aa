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

static void print_rows(json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *r = json_object_array_get_idx(arr, i), *v;
		const char *f[3] = {"", "", ""};
		const char *keys[3] = {"record", "name", "reason"};

		for (int j = 0; j < 3; j++)
			if (json_object_object_get_ex(r, keys[j], &v) && v)
				f[j] = json_object_get_string(v);
		printf("  %-22s %-16s %s\n", f[0], f[1], f[2]);
	}
}

static const char *joined(json_object *arr, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; arr && json_object_is_type(arr, json_type_array) &&
			   i < json_object_array_length(arr) && len < cap;
	     i++)
		len += (size_t)snprintf(
			buf + len, cap - len, "%s%s", i ? ", " : "",
			json_object_get_string(
				json_object_array_get_idx(arr, i)));
	return buf[0] ? buf : "none";
}

/* host_record: which pamMachine scopes this host, who is admin, and why
 * the other account records are not here. */
static void print_host_record(json_object *o)
{
	json_object *h, *v, *adm = NULL, *ag = NULL;
	char a[512], g[256], title[128];
	const char *t, *uid;
	size_t i;

	if (!json_object_object_get_ex(o, "host_record", &h))
		return;
	json_object_object_get_ex(h, "admins", &adm);
	json_object_object_get_ex(h, "admin_groups", &ag);
	t = ksmctl_last_str(h, "title");
	uid = ksmctl_last_str(h, "record");
	/* A title is vault text: no control characters on the terminal. */
	for (i = 0; t && t[i] && i < sizeof(title) - 1; i++)
		title[i] =
			(unsigned char)t[i] < 0x20 || t[i] == 0x7f ? '?' : t[i];
	title[i] = '\0';
	printf("host_record: pamMachine %s (%s): the accounts are the %lld "
	       "records linked to it\n",
	       uid ? uid : "?", title, ksmctl_last_int(h, "linked"));
	printf("  linked with is_admin (admin_groups %s): %s\n",
	       joined(ag, g, sizeof(g)), joined(adm, a, sizeof(a)));
	if (json_object_object_get_ex(o, "off_host", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0) {
		printf("not on this host:\n");
		print_rows(v);
	}
}

static bool last_entry(json_object *last, const char *key, size_t i,
		       struct ksmctl_refusal *r)
{
	json_object *ref, *e, *v;

	memset(r, 0, sizeof(*r));
	r->record = r->name = r->reason = "";
	/* json-c asserts (aborts) on the length of a non-array. */
	if (!last || !json_object_object_get_ex(last, key, &ref) ||
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

bool ksmctl_last_refusal(json_object *last, size_t i, struct ksmctl_refusal *r)
{
	return last_entry(last, "refused", i, r);
}

bool ksmctl_last_off_host_at(json_object *last, size_t i,
			     struct ksmctl_refusal *r)
{
	return last_entry(last, "off_host", i, r);
}

bool ksmctl_last_off_host(json_object *last, const char *name,
			  struct ksmctl_refusal *r)
{
	for (size_t i = 0; last_entry(last, "off_host", i, r); i++)
		if (r->name[0] && !strcmp(r->name, name))
			return true;
	return false;
}

const char *ksmctl_last_host_record(json_object *last, const char *name,
				    bool *admin)
{
	json_object *h, *adm;

	*admin = false;
	if (!last || !json_object_object_get_ex(last, "host_record", &h))
		return NULL;
	if (json_object_object_get_ex(h, "admins", &adm) &&
	    json_object_is_type(adm, json_type_array))
		for (size_t i = 0; i < json_object_array_length(adm); i++) {
			const char *n = json_object_get_string(
				json_object_array_get_idx(adm, i));

			if (n && !strcmp(n, name))
				*admin = true;
		}
	return ksmctl_last_str(h, "record");
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
	if (o)
		print_host_record(o);
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
