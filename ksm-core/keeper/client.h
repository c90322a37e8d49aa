/* SPDX-License-Identifier: MIT */
/*
 * client.h - the KSM client's state and request envelope (internal).
 */
#ifndef KSM_CLIENT_H
#define KSM_CLIENT_H

#include "crypto.h"
#include "record.h"
#include "transport.h"

struct ksm_client {
	ksm_client_config *cfg;
	char *config_path; /* persist changes here, or NULL */
	char *client_version;
	EVP_PKEY *priv;	     /* device key */
	uint8_t app_key[32]; /* valid when bound */
	bool bound;
	ksm_http *http;
	unsigned long requests;
	unsigned long unsent;  /* of requests: nothing reached the server */
	time_t server_date;    /* Date of the last answer */
	uint64_t last_rtt_ms;  /* wall time of the last request */
	size_t max_response;   /* cap of the answer being fetched; 0: default */
	size_t response_limit; /* the default: max_response_size */
};

/*
 * Encrypt, sign and POST payload to endpoint; handle key-id switches and
 * throttling within the deadline. *resp gets the decrypted JSON object, or
 * NULL for an empty 200 body. resp may be NULL when the answer is unused.
 */
KSM_HIDDEN ksm_status ksm_post_query(ksm_client *c, const char *endpoint,
				     json_object *payload, uint64_t deadline,
				     json_object **resp, ksm_error *err);
/* A payload object with clientVersion and clientId. */
KSM_HIDDEN json_object *ksm_payload_new(const ksm_client *c);
/* Persist the config if the client has a path (best effort: err filled). */
KSM_HIDDEN ksm_status ksm_client_persist(ksm_client *c, ksm_error *err);

/* The error a non-200 answer stands for. */
KSM_HIDDEN ksm_status ksm_map_http_error(const char *endpoint,
					 const ksm_http_response *r,
					 ksm_error *err);

#endif
