/* SPDX-License-Identifier: MIT */
/*
 * client.c - the KSM client: device key, request envelope, error mapping,
 * key-id switching and throttling back-off (docs/protocol.md §5, §12).
 */
#include "client.h"
#include "json.h"
#include "server_keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIN_RESPONSE_BYTES   ((size_t)256 << 20)
#define MAX_KEY_SWITCHES     3
#define MAX_THROTTLE_RETRIES 5
#define THROTTLE_BASE_MS     11000u

static ksm_status load_device_key(ksm_client *c, ksm_error *err)
{
	const char *b64 = ksm_client_config_get(c->cfg, KSM_CFG_PRIVATE_KEY);
	uint8_t *der = NULL;
	size_t len = 0;
	ksm_status st;

	if (!b64)
		return ksm_set_error(
			err, KSM_ERR_CONFIG,
			"client config has no privateKey: bind "
			"again with 'ksmctl init --force --token -'");
	st = ksm_b64_decode(b64, strlen(b64), &der, &len);
	if (st == KSM_OK)
		st = ksm_p256_from_pkcs8(der, len, &c->priv);
	ksm_free_wiped(der, len);
	if (st != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "client config privateKey is not a P-256 "
				     "PKCS#8 key");
	return KSM_OK;
}

ksm_status ksm_client_new(ksm_client_config *cfg, const ksm_client_options *opt,
			  ksm_client **out, ksm_error *err)
{
	ksm_client *c;
	const char *app_key;
	ksm_status st;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ksm_client_config_free(cfg);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	c->cfg = cfg;
	c->response_limit = opt && opt->max_response_size
				    ? opt->max_response_size
				    : ksm_default_max_response();
	c->client_version = ksm_strdup(opt && opt->client_version
					       ? opt->client_version
					       : KSM_DEFAULT_CLIENT_VERSION);
	if (opt && opt->config_path)
		c->config_path = ksm_strdup(opt->config_path);
	if (!c->client_version ||
	    (opt && opt->config_path && !c->config_path)) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (!ksm_client_config_get(cfg, KSM_CFG_HOSTNAME) ||
	    !ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID)) {
		st = ksm_set_error(
			err, KSM_ERR_CONFIG,
			"client config lacks hostname or clientId: "
			"bind again with 'ksmctl init --force --token -'");
		goto fail;
	}
	st = load_device_key(c, err);
	if (st != KSM_OK)
		goto fail;
	app_key = ksm_client_config_get(cfg, KSM_CFG_APP_KEY);
	if (app_key) {
		if (ksm_b64_decode_exact(app_key, c->app_key, 32) != KSM_OK) {
			st = ksm_set_error(err, KSM_ERR_CONFIG,
					   "client config appKey is not 32 "
					   "bytes of base64");
			goto fail;
		}
		c->bound = true;
	} else if (!ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY)) {
		st = ksm_set_error(err, KSM_ERR_NOT_BOUND,
				   "client config has neither appKey nor a "
				   "one-time token: bind with 'ksmctl init'");
		goto fail;
	}
	if (opt) {
		ksm_http_options ho = {
			.ca_file = opt->ca_file,
			.proxy = opt->proxy,
			.proxy_password = opt->proxy_password,
			.proxy_ca_file = opt->proxy_ca_file,
			.no_proxy = opt->no_proxy,
			.n_no_proxy = opt->n_no_proxy,
		};

		st = ksm_http_new(&ho, &c->http, err);
	} else {
		st = ksm_http_new(NULL, &c->http, err);
	}
	if (st != KSM_OK)
		goto fail;
	*out = c;
	return KSM_OK;
fail:
	ksm_client_free(c);
	return st;
}

void ksm_client_free(ksm_client *c)
{
	if (!c)
		return;
	ksm_client_config_free(c->cfg);
	EVP_PKEY_free(c->priv);
	ksm_http_free(c->http);
	ksm_wipe(c->app_key, sizeof(c->app_key));
	free(c->config_path);
	free(c->client_version);
	free(c);
}

const ksm_client_config *ksm_client_get_config(const ksm_client *c)
{
	return c->cfg;
}

bool ksm_client_is_bound(const ksm_client *c)
{
	return c->bound;
}

unsigned long ksm_client_request_count(const ksm_client *c)
{
	return c->requests;
}

unsigned long ksm_client_unsent_count(const ksm_client *c)
{
	return c->unsent;
}

time_t ksm_client_server_date(const ksm_client *c)
{
	return c->server_date;
}

uint64_t ksm_client_last_rtt_ms(const ksm_client *c)
{
	return c->last_rtt_ms;
}

ksm_status ksm_client_persist(ksm_client *c, ksm_error *err)
{
	if (!c->config_path)
		return KSM_OK;
	return ksm_client_config_save_file(c->cfg, c->config_path, err);
}

json_object *ksm_payload_new(const ksm_client *c)
{
	json_object *p = json_object_new_object();

	if (p && (!ksm_json_add_str(p, "clientVersion", c->client_version) ||
		  !ksm_json_add_str(
			  p, "clientId",
			  ksm_client_config_get(c->cfg, KSM_CFG_CLIENT_ID)))) {
		json_object_put(p);
		p = NULL;
	}
	return p;
}

/* The server's public key for this request: custom, else Keeper's table. */
static ksm_status server_key(const ksm_client *c, uint8_t point[65], long *id,
			     ksm_error *err)
{
	const char *custom =
		ksm_client_config_get(c->cfg, KSM_CFG_SERVER_PUBLIC_KEY);
	const char *ids =
		ksm_client_config_get(c->cfg, KSM_CFG_SERVER_PUBLIC_KEY_ID);
	const char *b64;
	char *end = NULL;

	*id = ids ? strtol(ids, &end, 10) : 10;
	if (ids && (*end || *id <= 0))
		return ksm_set_error(
			err, KSM_ERR_CONFIG,
			"client config serverPublicKeyId \"%s\" is "
			"not a number",
			ids);
	b64 = custom ? custom : ksm_server_key_by_id(*id);
	if (!b64)
		return ksm_set_error(err, KSM_ERR_KEY,
				     "no Keeper server key has id %ld and the "
				     "config has no serverPublicKey",
				     *id);
	if (ksm_b64_decode_exact(b64, point, 65) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "client config serverPublicKey is not a "
				     "65-byte point");
	return KSM_OK;
}

/* Everything one attempt sends. */
struct envelope {
	uint8_t tk[32];
	long key_id;
	uint8_t *enc_key, *body, *sig;
	size_t enc_len, body_len, sig_len;
};

static void envelope_clear(struct envelope *e)
{
	ksm_wipe(e->tk, sizeof(e->tk));
	free(e->enc_key);
	free(e->body);
	free(e->sig);
	memset(e, 0, sizeof(*e));
}

static ksm_status envelope_build(ksm_client *c, const char *json,
				 struct envelope *e, ksm_error *err)
{
	uint8_t point[65], *signed_data = NULL;
	ksm_status st;

	memset(e, 0, sizeof(*e));
	st = server_key(c, point, &e->key_id, err);
	if (st != KSM_OK)
		return st;
	st = ksm_random(e->tk, sizeof(e->tk));
	if (st == KSM_OK)
		st = ksm_ecies_encrypt(point, NULL, NULL, e->tk, sizeof(e->tk),
				       &e->enc_key, &e->enc_len);
	if (st == KSM_OK)
		st = ksm_gcm_encrypt(e->tk, NULL, (const uint8_t *)json,
				     strlen(json), &e->body, &e->body_len);
	if (st == KSM_OK) {
		signed_data = malloc(e->enc_len + e->body_len);
		if (!signed_data)
			st = KSM_ERR_NOMEM;
	}
	if (st == KSM_OK) {
		memcpy(signed_data, e->enc_key, e->enc_len);
		memcpy(signed_data + e->enc_len, e->body, e->body_len);
		st = ksm_ecdsa_sign(c->priv, signed_data,
				    e->enc_len + e->body_len, &e->sig,
				    &e->sig_len);
	}
	free(signed_data);
	if (st != KSM_OK) {
		envelope_clear(e);
		return ksm_set_error(err, st,
				     "cannot encrypt or sign the "
				     "request");
	}
	return KSM_OK;
}

size_t ksm_default_max_response(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t quarter = pages > 0 && page > 0
				   ? (uint64_t)pages * (uint64_t)page / 4
				   : 0;

	if (quarter > SIZE_MAX)
		quarter = SIZE_MAX;
	return quarter > MIN_RESPONSE_BYTES ? (size_t)quarter
					    : MIN_RESPONSE_BYTES;
}

static ksm_status send_envelope(ksm_client *c, const char *endpoint,
				const struct envelope *e, uint64_t deadline,
				ksm_http_response *resp, ksm_error *err)
{
	char url[1024], idh[64], *tk64, *sig64, *tkh = NULL, *sigh = NULL;
	const char *headers[6];
	ksm_status st = KSM_ERR_NOMEM;

	snprintf(url, sizeof(url), "https://%s/api/rest/sm/v1/%s",
		 ksm_client_config_get(c->cfg, KSM_CFG_HOSTNAME), endpoint);
	snprintf(idh, sizeof(idh), "PublicKeyId: %ld", e->key_id);
	tk64 = ksm_b64_encode(e->enc_key, e->enc_len, false);
	sig64 = ksm_b64_encode(e->sig, e->sig_len, false);
	if (tk64 && sig64 && asprintf(&tkh, "TransmissionKey: %s", tk64) > 0 &&
	    asprintf(&sigh, "Authorization: Signature %s", sig64) > 0) {
		headers[0] = "Content-Type: application/octet-stream";
		headers[1] = idh;
		headers[2] = tkh;
		headers[3] = sigh;
		headers[4] = NULL;
		uint64_t t0 = ksm_monotonic_ms();

		size_t limit =
			c->max_response ? c->max_response : c->response_limit;

		c->requests++;
		st = ksm_http_request(c->http, url, headers, e->body,
				      e->body_len, true, limit, deadline, resp,
				      err);
		if (st != KSM_OK && resp->too_big && !c->max_response)
			ksm_set_error(err, st,
				      "%s: the server's answer is larger than "
				      "max_response_size (%zu MiB): raise "
				      "max_response_size in ksm.conf (default: "
				      "a quarter of this host's memory)",
				      endpoint, limit >> 20);
		c->last_rtt_ms = ksm_monotonic_ms() - t0;
		if (st != KSM_OK && resp->unsent)
			c->unsent++;
		if (st == KSM_OK && resp->date)
			c->server_date = resp->date;
	} else {
		ksm_set_error(err, st, "out of memory");
	}
	free(tk64);
	free(sig64);
	free(tkh);
	free(sigh);
	return st;
}

/* What a non-200 answer said. */
struct server_error {
	char code[64];
	char message[256];
	long key_id;	  /* -1 if absent */
	long retry_after; /* seconds; 0 if absent */
};

static void parse_server_error(const ksm_http_response *r,
			       struct server_error *se)
{
	json_object *o = NULL, *v;

	memset(se, 0, sizeof(*se));
	se->key_id = -1;
	if (r->len == 0 || r->len > 65536 ||
	    ksm_json_parse((const char *)r->body, r->len, &o, NULL) != KSM_OK)
		return;
	if (json_object_is_type(o, json_type_object)) {
		const char *code = ksm_json_str(o, "result_code");

		if (!code)
			code = ksm_json_str(o, "error");
		ksm_text_sanitize(se->code, sizeof(se->code), code, NULL);
		ksm_text_sanitize(se->message, sizeof(se->message),
				  ksm_json_str(o, "message"), NULL);
		if (!se->message[0])
			ksm_text_sanitize(se->message, sizeof(se->message),
					  ksm_json_str(o, "additional_info"),
					  NULL);
		if (json_object_object_get_ex(o, "key_id", &v))
			se->key_id = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "retry_after", &v))
			se->retry_after = json_object_get_int64(v);
	}
	json_object_put(o);
}

static ksm_status map_server_error(const char *endpoint, long status,
				   const struct server_error *se,
				   ksm_error *err)
{
	static const struct {
		const char *code;
		ksm_status st;
		const char *hint;
	} map[] = {
		{"access_denied", KSM_ERR_ACCESS_DENIED,
		 "the device may be revoked or the token already used: create "
		 "a new one-time token and bind again with 'ksmctl init "
		 "--force --token -'"},
		{"invalid_client_version", KSM_ERR_CLIENT_VERSION,
		 "set client_version in ksm.conf to a version the server "
		 "accepts"},
		{"invalid_revision", KSM_ERR_REVISION,
		 "the record changed meanwhile: read it again and retry"},
		{"record_uid_not_found", KSM_ERR_NOT_FOUND, NULL},
		{"folder_uid_not_found", KSM_ERR_NOT_FOUND, NULL},
		{"invalid_client", KSM_ERR_ACCESS_DENIED, NULL},
		{"invalid_token", KSM_ERR_TOKEN,
		 "create a new one-time token in Keeper"},
		{"throttled", KSM_ERR_THROTTLED, NULL},
	};
	ksm_status st = se->code[0] ? KSM_ERR_SERVER : KSM_ERR_HTTP;
	const char *hint = NULL;

	/* A 5xx is the service's trouble, whatever its body says: retryable. */
	if (status >= 500) {
		st = KSM_ERR_HTTP;
		hint = "the service is failing; try again later";
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && status < 500;
	     i++)
		if (strcmp(se->code, map[i].code) == 0) {
			st = map[i].st;
			hint = map[i].hint;
		}
	if (err) {
		err->http_status = status;
		snprintf(err->server_code, sizeof(err->server_code), "%s",
			 se->code);
	}
	if (se->code[0])
		return ksm_set_error(
			err, st, "%s: server said %s (HTTP %ld)%s%s%s%s",
			endpoint, se->code, status, se->message[0] ? ": " : "",
			se->message, hint ? "; " : "", hint ? hint : "");
	return ksm_set_error(err, st, "%s: HTTP %ld from the server%s",
			     endpoint, status,
			     status >= 500 ? " (server error; try later)" : "");
}

ksm_status ksm_map_http_error(const char *endpoint, const ksm_http_response *r,
			      ksm_error *err)
{
	struct server_error se;

	parse_server_error(r, &se);
	return map_server_error(endpoint, r->status, &se, err);
}

/* Jitter of +-25 %, from the CSPRNG so hosts do not retry in step. */
static uint64_t with_jitter(uint64_t ms)
{
	uint32_t r = 0;

	(void)ksm_random((uint8_t *)&r, sizeof(r));
	return ms * 3 / 4 + (ms / 2) * (r % 1001) / 1000;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * A key-id rejection: switch to the id the server names. Naming the id we
 * used (a custom key, or a transient refusal) earns a retry with a fresh
 * transmission key; the caller bounds the number of retries.
 */
static ksm_status switch_key(ksm_client *c, const struct server_error *se,
			     long current, ksm_error *err)
{
	bool custom = ksm_client_config_get(c->cfg,
					    KSM_CFG_SERVER_PUBLIC_KEY) != NULL;
	char id[32];

	if (se->key_id == current)
		return KSM_OK;
	if (custom)
		return ksm_set_error(err, KSM_ERR_KEY,
				     "the server rejected the custom server "
				     "public key (id %ld, it wants %ld): check "
				     "serverPublicKey in the client config",
				     current, se->key_id);
	if (se->key_id < 0 || !ksm_server_key_by_id(se->key_id))
		return ksm_set_error(err, KSM_ERR_KEY,
				     "the server rejected transmission key %ld "
				     "and named no key this client knows (%ld)",
				     current, se->key_id);
	snprintf(id, sizeof(id), "%ld", se->key_id);
	if (ksm_client_config_set(c->cfg, KSM_CFG_SERVER_PUBLIC_KEY_ID, id,
				  err) != KSM_OK)
		return KSM_ERR_NOMEM;
	/* Remember it; failing to write the config must not fail the call. */
	(void)ksm_client_persist(c, NULL);
	return KSM_OK;
}

/* The answer's JSON; r's body goes once decrypted (so that the body,
 * the plaintext and the tree are never all held at once). */
static ksm_status decrypt_response(const char *endpoint,
				   const struct envelope *e,
				   ksm_http_response *r, json_object **resp,
				   ksm_error *err)
{
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	ksm_status st;

	if (r->len == 0)
		return KSM_OK;
	if (ksm_gcm_decrypt(e->tk, r->body, r->len, &pt, &ptlen) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_PROTOCOL,
				     "%s: the server's answer does not decrypt "
				     "(%zu bytes): not a KSM server, or the "
				     "answer was damaged",
				     endpoint, r->len);
	ksm_http_response_clear(r);
	/* Bounded by the answer's cap already (max_response_size). */
	st = ksm_json_parse_max((const char *)pt, ptlen, SIZE_MAX, resp, err);
	if (st == KSM_OK && !json_object_is_type(*resp, json_type_object)) {
		json_object_put(*resp);
		*resp = NULL;
		st = KSM_ERR_PROTOCOL;
	}
	if (st != KSM_OK)
		ksm_set_error(err, KSM_ERR_PROTOCOL,
			      "%s: the server's answer is not a JSON object",
			      endpoint);
	ksm_free_wiped(pt, ptlen);
	return st;
}

ksm_status ksm_post_query(ksm_client *c, const char *endpoint,
			  json_object *payload, uint64_t deadline,
			  json_object **resp, ksm_error *err)
{
	const char *json = json_object_to_json_string_ext(
		payload,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	int key_switches = 0, throttles = 0;
	json_object *dummy = NULL, **out = resp ? resp : &dummy;
	ksm_status st;

	*out = NULL;
	if (!json)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	for (;;) {
		struct envelope e;
		ksm_http_response r;
		struct server_error se;
		uint64_t delay, now;
		long status;

		st = envelope_build(c, json, &e, err);
		if (st != KSM_OK)
			break;
		st = send_envelope(c, endpoint, &e, deadline, &r, err);
		if (st != KSM_OK) {
			envelope_clear(&e);
			/* Keep the first cause in the message. */
			if (throttles > 0)
				ksm_error_prefix(err,
						 "%s: throttled by the server "
						 "%d time(s), then",
						 endpoint, throttles);
			break;
		}
		if (r.status == 200) {
			st = decrypt_response(endpoint, &e, &r, out, err);
			ksm_http_response_clear(&r);
			envelope_clear(&e);
			break;
		}
		status = r.status;
		parse_server_error(&r, &se);
		ksm_http_response_clear(&r);
		if (strcmp(se.code, "key") == 0 ||
		    (se.key_id >= 0 &&
		     strcmp(se.message, "invalid key id") == 0)) {
			st = ++key_switches > MAX_KEY_SWITCHES
				     ? ksm_set_error(err, KSM_ERR_KEY,
						     "%s: the server rejected "
						     "%d transmission keys",
						     endpoint, key_switches - 1)
				     : switch_key(c, &se, e.key_id, err);
			envelope_clear(&e);
			if (st != KSM_OK)
				break;
			continue;
		}
		envelope_clear(&e);
		if (status != 403 || strcmp(se.code, "throttled") != 0) {
			st = map_server_error(endpoint, status, &se, err);
			break;
		}
		/* Throttled: back off, within the caller's budget only. */
		delay = se.retry_after > 0
				? (uint64_t)se.retry_after * 1000u
				: (uint64_t)THROTTLE_BASE_MS << throttles;
		delay = with_jitter(delay);
		now = ksm_monotonic_ms();
		/* The next try needs time for its answer too (about one round
		 * trip): a retry that cannot finish is only more load. */
		if (++throttles > MAX_THROTTLE_RETRIES ||
		    now + delay + c->last_rtt_ms >= deadline) {
			st = ksm_set_error(err, KSM_ERR_THROTTLED,
					   "%s: throttled by the server; the "
					   "next try (in %llu ms) would exceed "
					   "the time budget",
					   endpoint, (unsigned long long)delay);
			if (err) {
				err->http_status = 403;
				snprintf(err->server_code,
					 sizeof(err->server_code), "throttled");
			}
			break;
		}
		sleep_ms(delay);
	}
	/* json-c caches the serialised payload in the object: wipe it. */
	ksm_wipe((char *)json, strlen(json));
	if (dummy)
		json_object_put(dummy);
	return st;
}
