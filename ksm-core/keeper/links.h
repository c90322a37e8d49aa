/* SPDX-License-Identifier: MIT */
/*
 * links.h - a record's links (get_secret with requestLinks; internal;
 * docs/protocol.md §7.6).
 */
#ifndef KSM_LINKS_H
#define KSM_LINKS_H

#include "json.h"

struct ksm_link {
	char *record_uid;  /* the linked record (B64U, 1-64 characters) */
	char *path;	   /* NULL if none */
	json_object *data; /* the decoded JSON object, or NULL (secret) */
	bool encrypted;	   /* data was GCM under the owning record's key */
};

/*
 * The links of one answer's record (arr: its "links" member, anything;
 * what is not a link with a valid recordUid is left out). record_key
 * decrypts data that is not plain base64 JSON (jit_settings, ai_settings).
 * Fills *out and *n; false on ENOMEM.
 */
KSM_HIDDEN bool ksm_links_parse(json_object *arr, const uint8_t record_key[32],
				struct ksm_link **out, size_t *n);
/* The same from the decoded form ksm_links_json writes (secrets_json.c). */
KSM_HIDDEN bool ksm_links_from_json(json_object *arr, struct ksm_link **out,
				    size_t *n);
/* The decoded form: [{"recordUid","path","data","encrypted"}]; NULL on
 * ENOMEM. Secret (link data). */
KSM_HIDDEN json_object *ksm_links_json(const struct ksm_link *l, size_t n);
/* Wipe and free n links and the array. */
KSM_HIDDEN void ksm_links_free(struct ksm_link *l, size_t n);

#endif
