/* SPDX-License-Identifier: MIT */
/*
 * file_download.c - fetching a record's attached file from its presigned
 * URL and decrypting it with the file key (docs/protocol.md §11).
 */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (512u * 1024 * 1024)

ksm_status ksm_download_file(ksm_client *c, const ksm_file *f,
			     unsigned timeout_ms, uint8_t **data, size_t *len,
			     ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	ksm_http_response r;
	ksm_status st;

	*data = NULL;
	if (!c || !f)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "file download: no client or file");
	*len = 0;
	if (!f->url)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "file %s has no download URL", f->uid);
	c->requests++;
	st = ksm_http_request(c->http, f->url, NULL, NULL, 0, false,
			      MAX_FILE_BYTES, deadline, &r, err);
	if (st != KSM_OK && r.unsent)
		c->unsent++;
	if (st != KSM_OK)
		return st;
	if (r.status != 200) {
		st = ksm_set_error(err, KSM_ERR_HTTP,
				   "file %s: HTTP %ld from the file server",
				   f->uid, r.status);
	} else if (ksm_gcm_decrypt(f->key, r.body, r.len, data, len) !=
		   KSM_OK) {
		st = ksm_set_error(err, KSM_ERR_PROTOCOL,
				   "file %s does not decrypt with its key",
				   f->uid);
	}
	ksm_http_response_clear(&r);
	return st;
}
