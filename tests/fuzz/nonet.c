/* SPDX-License-Identifier: MIT */
/*
 * nonet.c - linked into the fuzz targets that carry the network client:
 * build.sh links them with -Wl,--wrap=ksm_http_request, so any attempt to
 * send an HTTPS request from a harness lands here and stops the run.
 */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>

ksm_status __wrap_ksm_http_request(ksm_http *h, const char *url,
				   const char *const *headers,
				   const uint8_t *body, size_t len, bool post,
				   size_t max_response, uint64_t deadline,
				   ksm_http_response *resp, ksm_error *err);

ksm_status __wrap_ksm_http_request(ksm_http *h, const char *url,
				   const char *const *headers,
				   const uint8_t *body, size_t len, bool post,
				   size_t max_response, uint64_t deadline,
				   ksm_http_response *resp, ksm_error *err)
{
	fprintf(stderr, "fuzz: network request to %s attempted\n",
		url ? url : "(null)");
	abort();
}
