/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_laststate.h - what the last sync left on disk, read back for
 * "ksmctl users" and "ksmctl status": SNAPSHOT.status and the snapshot's
 * header (ksmctl_laststate.c; tests/fuzz/fuzz_sync_status.c fuzzes the
 * status file reader).
 */
#ifndef KSMCTL_LASTSTATE_H
#define KSMCTL_LASTSTATE_H

#include "ksm.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* SNAPSHOT.status, written by every sync (ksmctl_sync.c). */
char *ksmctl_sync_status_path(const char *snapshot);
/* Its parsed content, or NULL when missing or unreadable. */
json_object *ksmctl_last_sync_load(const ksm_settings *conf);
/*
 * Its fields, whatever JSON the file holds (last may be NULL): a value as
 * a string (NULL when absent), as an integer (-1 when absent), whether
 * "ok" is true, and how many refusals "refused" lists (0 unless an array).
 */
const char *ksmctl_last_str(json_object *last, const char *key);
long long ksmctl_last_int(json_object *last, const char *key);
bool ksmctl_last_ok(json_object *last);
size_t ksmctl_last_refused(json_object *last);
/* The i-th entry of "refused" (fields "" when absent); false past the
 * end, or when there is no such array. */
struct ksmctl_refusal {
	const char *record, *name, *reason;
	bool whole_account;
};
bool ksmctl_last_refusal(json_object *last, size_t i, struct ksmctl_refusal *r);
/* host_record: the i-th entry of "off_host" (as ksmctl_last_refusal). */
bool ksmctl_last_off_host_at(json_object *last, size_t i,
			     struct ksmctl_refusal *r);
/* host_record: the last sync's "off_host" entry of the account name
 * (why it is not on this host); false if none. */
bool ksmctl_last_off_host(json_object *last, const char *name,
			  struct ksmctl_refusal *r);
/* host_record's pamMachine UID (NULL: host_record none), and whether name
 * was linked with is_admin. */
const char *ksmctl_last_host_record(json_object *last, const char *name,
				    bool *admin);
/* The last sync's message and its refusals, as "ksmctl users" ends. */
void ksmctl_print_refusals(const ksm_settings *conf);

struct ksmctl_snapshot_summary {
	bool ok;
	const char *state; /* "ok", "missing", "corrupt", ... */
	long long generated_at;
	unsigned accounts, groups;
};
void ksmctl_snapshot_summary(const ksm_settings *conf,
			     struct ksmctl_snapshot_summary *sum);

#endif
