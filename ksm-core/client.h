/*
 * client.h - the KSM client's state and request envelope (internal).
 */
#ifndef KSM_CLIENT_H
#define KSM_CLIENT_H

#include "crypto.h"
#include "record.h"
#include "transport.h"

struct ksm_client {
	ksm_config *cfg;
	char *config_path;    /* persist changes here, or NULL */
	char *client_version;
	EVP_PKEY *priv;	      /* device key */
	uint8_t app_key[32];  /* valid when bound */
	bool bound;
	ksm_http *http;
	unsigned long requests;
	time_t server_date; /* Date of the last answer */
	uint64_t last_rtt_ms; /* wall time of the last request */
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
/* Add a string member; false on ENOMEM. */
KSM_HIDDEN bool ksm_json_add_str(json_object *o, const char *key,
				 const char *val);

/* A result set owning records (tests build vaults without a server). */
KSM_HIDDEN ksm_secrets *ksm_secrets_wrap(ksm_record **records, size_t n);
/* A record of the answer that could not be decrypted or parsed. */
struct ksm_unreadable {
	char *uid; /* printable: anything but B64U characters shown as '?' */
	char *folder_uid, *inner_folder_uid; /* NULL if none */
	char *reason;
};
/* The i-th of them (NULL past the end); ksm_secrets_bad_count counts them
 * and the folders whose key did not decrypt. */
KSM_HIDDEN const struct ksm_unreadable *
ksm_secrets_unreadable(const ksm_secrets *s, size_t i);
/* The error a non-200 answer stands for. */
KSM_HIDDEN ksm_status ksm_map_http_error(const char *endpoint,
					 const ksm_http_response *r,
					 ksm_error *err);
/*
 * The records of a decrypted get_secret answer; while unbound, first take
 * the app key from it (binding) and persist the config.
 */
KSM_HIDDEN ksm_status ksm_secrets_from_response(ksm_client *c,
						json_object *resp,
						ksm_secrets **out,
						ksm_error *err);

#endif
