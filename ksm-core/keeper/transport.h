/* SPDX-License-Identifier: MIT */
/*
 * transport.h - HTTPS over libcurl with a time budget (internal).
 *
 * TLS verification is always on; ca_file adds a CA to the system ones.
 * Only https:// URLs, no redirects, no signals (safe in PAM and threads).
 * A proxy only when ksm.conf names one (CONNECT tunnels; its failures are
 * reported with the proxy's URL, never its password, and the fix).
 */
#ifndef KSM_TRANSPORT_H
#define KSM_TRANSPORT_H

#include "base.h"

#include <time.h>

typedef struct ksm_http ksm_http;

/* What ksm_http_new copies (every pointer may be NULL). */
typedef struct ksm_http_options {
	const char *ca_file;	    /* added to the system CAs for the server */
	const char *proxy;	    /* ksm.conf's proxy URL (proxy.h) */
	const char *proxy_password; /* wins over the URL's */
	const char *proxy_ca_file;  /* added to the system CAs for the proxy */
	char *const *no_proxy;	    /* hosts reached without the proxy */
	size_t n_no_proxy;
} ksm_http_options;

typedef struct ksm_http_response {
	long status;
	uint8_t *body; /* NUL-terminated; may hold ciphertext or secrets */
	size_t len;
	time_t date;  /* the server's Date header, 0 if none */
	bool too_big; /* refused: larger than max_response */
	bool unsent;  /* failed, and no byte of the request was sent */
} ksm_http_response;

/* Environment proxies are never used: only o->proxy. */
KSM_HIDDEN ksm_status ksm_http_new(const ksm_http_options *o, ksm_http **out,
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
