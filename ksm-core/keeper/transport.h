/* SPDX-License-Identifier: MIT */
/*
 * transport.h - HTTPS over libcurl with a time budget (internal).
 *
 * TLS verification is always on; ca_file adds a CA to the system ones.
 * Only https:// URLs, no redirects, no signals (safe in PAM and threads).
 */
#ifndef KSM_TRANSPORT_H
#define KSM_TRANSPORT_H

#include "base.h"

#include <time.h>

typedef struct ksm_http ksm_http;

typedef struct ksm_http_response {
	long status;
	uint8_t *body; /* NUL-terminated; may hold ciphertext or secrets */
	size_t len;
	time_t date; /* the server's Date header, 0 if none */
	bool unsent; /* failed, and no byte of the request was sent */
} ksm_http_response;

KSM_HIDDEN ksm_status ksm_http_new(const char *ca_file, ksm_http **out,
				   ksm_error *err);
KSM_HIDDEN void ksm_http_free(ksm_http *h);
/* headers: NULL-terminated "Name: value" list. deadline: ksm_monotonic_ms() ms.
 */
KSM_HIDDEN ksm_status ksm_http_request(ksm_http *h, const char *url,
				       const char *const *headers,
				       const uint8_t *body, size_t len,
				       bool post, size_t max_response,
				       uint64_t deadline,
				       ksm_http_response *resp, ksm_error *err);
KSM_HIDDEN void ksm_http_response_clear(ksm_http_response *resp);

#endif
