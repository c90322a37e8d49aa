/* SPDX-License-Identifier: MIT */
/*
 * record.h - the in-memory record model (internal).
 *
 * A record is its decrypted data JSON (a compact document, jval.h, owned:
 * one allocation of about 2.5 KB for a typical record) plus what the
 * get_secret response said about it. client.c builds records; record.c,
 * notation.c and the tools read them through the public accessors.
 */
#ifndef KSM_RECORD_H
#define KSM_RECORD_H

#include "json.h"
#include "jval.h"

struct ksm_file {
	char *uid;
	uint8_t key[32]; /* file key (secret) */
	char *name, *title, *mime_type;
	int64_t size, last_modified;
	char *url, *thumbnail_url;
};

struct ksm_record {
	char *uid;
	char *folder_uid;	/* NULL if shared directly */
	char *inner_folder_uid; /* NULL if none */
	int64_t revision;
	bool editable;
	uint8_t key[32]; /* record key (secret) */
	ksm_jdoc *data;	 /* decrypted record JSON, an object */
	struct ksm_file *files;
	size_t n_files;
	struct ksm_link *links; /* links.h; only with requestLinks */
	size_t n_links;
};

/*
 * Parse a decrypted record plaintext (trailing whitespace allowed, as the
 * real server pads) into a new record with only uid and data set. Refuses
 * anything but a JSON object whose "fields"/"custom" (if present) are
 * arrays of objects with a string "type" and an array "value".
 */
KSM_HIDDEN ksm_status ksm_record_parse(const char *uid, const char *json,
				       size_t len, ksm_record **out,
				       ksm_error *err);
/* The same from a json-c tree (tests and fuzzers build records so; o
 * stays the caller's). */
KSM_HIDDEN ksm_status ksm_record_from_jsonc(const char *uid, json_object *o,
					    ksm_record **out, ksm_error *err);
/* Does a string value of the data hold a NUL ("\u0000")? */
KSM_HIDDEN bool ksm_record_has_nul(const ksm_record *r);
/* The field's whole "value" as compact JSON (secret), or NULL. */
KSM_HIDDEN char *ksm_field_values_json(const ksm_field *f);
/* Record UIDs are B64U, 1-64 characters (Keeper's are 22): they reach
 * log lines and the snapshot, so nothing else is taken. */
KSM_HIDDEN bool ksm_record_uid_valid(const char *uid);
/* Wipe and free (NULL is fine). */
KSM_HIDDEN void ksm_record_free(ksm_record *r);
KSM_HIDDEN void ksm_file_clear(struct ksm_file *f);

#endif
