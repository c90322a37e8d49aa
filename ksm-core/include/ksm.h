/* SPDX-License-Identifier: MIT */
/*
 * ksm.h - libksm, a Keeper Secrets Manager client for Linux hosts.
 *
 * The one public header of libksm. Conventions:
 *  - Every fallible call returns a ksm_status and, when it fails, fills the
 *    caller's ksm_error (which may be NULL) with a code and a message that
 *    says what went wrong and, where possible, what to do. The library never
 *    prints.
 *  - Every network call takes a time budget in milliseconds for the whole
 *    call, retries included.
 *  - Strings returned as "secret" are wiped before they are freed: release
 *    them with ksm_free_secret().
 */
#ifndef KSM_H
#define KSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libksm is built with hidden visibility; this header is its API. */
#pragma GCC visibility push(default)

#define KSM_VERSION "0.1.0"
/* clientVersion sent when ksm.conf sets none; see README "clientVersion". */
#define KSM_DEFAULT_CLIENT_VERSION "ms17.5.0"

/* ------------------------------------------------------------------ errors */

typedef enum ksm_status {
	KSM_OK = 0,
	KSM_ERR_INVALID, /* bad argument or malformed input */
	KSM_ERR_NOMEM,
	KSM_ERR_IO,		/* local file problem */
	KSM_ERR_CRYPTO,		/* a local crypto operation failed */
	KSM_ERR_CONFIG,		/* client config missing or invalid */
	KSM_ERR_CONFIG_PERM,	/* client config unsafe (mode/owner) */
	KSM_ERR_NOT_BOUND,	/* client config has no app key yet */
	KSM_ERR_TOKEN,		/* one-time token malformed or already used */
	KSM_ERR_NETWORK,	/* connect/DNS/reset */
	KSM_ERR_TIMEOUT,	/* the caller's time budget ran out */
	KSM_ERR_TLS,		/* certificate or handshake failure */
	KSM_ERR_HTTP,		/* unexpected HTTP status without KSM error */
	KSM_ERR_PROTOCOL,	/* response could not be decrypted/parsed */
	KSM_ERR_ACCESS_DENIED,	/* server said access_denied */
	KSM_ERR_THROTTLED,	/* still throttled when the budget ran out */
	KSM_ERR_KEY,		/* server rejected every transmission key */
	KSM_ERR_CLIENT_VERSION, /* invalid_client_version */
	KSM_ERR_REVISION,	/* stale revision on update */
	KSM_ERR_SERVER,		/* any other server error code */
	KSM_ERR_NOT_FOUND,	/* record / field / file not found */
	KSM_ERR_AMBIGUOUS,	/* more than one match where one is needed */
	KSM_ERR_NOTATION,	/* notation syntax error */
} ksm_status;

typedef struct ksm_error {
	ksm_status code;
	long http_status;     /* 0 when no HTTP answer */
	char server_code[64]; /* the server's "error"/"result_code", if any */
	char message[512];    /* human readable; never contains secrets */
} ksm_error;

/* "KSM_ERR_TIMEOUT" -> "timeout" style short name. */
const char *ksm_status_name(ksm_status st);
void ksm_error_clear(ksm_error *err);

/* ------------------------------------------------------------------ memory */

/* Overwrite memory so that the compiler cannot elide it. */
void ksm_wipe(void *p, size_t n);
/* Wipe a NUL-terminated string and free it. NULL is fine. */
void ksm_free_secret(char *s);
/* Wipe and free n strings and the array itself. */
void ksm_strv_free(char **v, size_t n);

/* ------------------------------------------------------------ client config */

/* Key names of client.json, exactly as the official SDKs spell them. */
#define KSM_CFG_HOSTNAME	     "hostname"
#define KSM_CFG_CLIENT_ID	     "clientId"
#define KSM_CFG_PRIVATE_KEY	     "privateKey"
#define KSM_CFG_APP_KEY		     "appKey"
#define KSM_CFG_APP_OWNER_PUBLIC_KEY "appOwnerPublicKey"
#define KSM_CFG_SERVER_PUBLIC_KEY_ID "serverPublicKeyId"
#define KSM_CFG_SERVER_PUBLIC_KEY    "serverPublicKey"
#define KSM_CFG_CLIENT_KEY	     "clientKey"

typedef struct ksm_client_config ksm_client_config;

/* Skip the "owned by root, not readable by group/others" check (tests). */
#define KSM_CLIENT_CONFIG_ALLOW_INSECURE 1u

ksm_status ksm_client_config_new(ksm_client_config **out, ksm_error *err);
/* Read client.json; refuses an unsafe file unless
 * KSM_CLIENT_CONFIG_ALLOW_INSECURE. */
ksm_status ksm_client_config_load_file(const char *path, unsigned flags,
				       ksm_client_config **out, ksm_error *err);
/* The same, also trusting a file owned by owner (ksmd's user, for root's
 * ksmctl); (uid_t)-1: nobody else. */
ksm_status ksm_client_config_load_owned(const char *path, unsigned flags,
					uid_t owner, ksm_client_config **out,
					ksm_error *err);
/* JSON text or base64 of it (the KSM_CONFIG environment variable's form). */
ksm_status ksm_client_config_load_string(const char *text,
					 ksm_client_config **out,
					 ksm_error *err);
/*
 * A pre-initialized config as Keeper's tools print it: the SDKs' JSON,
 * base64 of it, or the ksm CLI's keeper.ini, plain or base64 ("ksm profile
 * export"; the active profile). It must be a bound device's (hostname,
 * clientId, privateKey, appKey); a region code as hostname becomes the
 * host name, the keys standard base64. *format (may be NULL) names what
 * it was ("JSON", "base64 JSON", "INI", "base64 INI").
 */
ksm_status ksm_client_config_import(const char *text, size_t len,
				    ksm_client_config **out,
				    const char **format, ksm_error *err);
/* Write atomically (temp file, fsync, rename), mode 0600; a rewrite keeps
 * the file's owner. */
ksm_status ksm_client_config_save_file(const ksm_client_config *cfg,
				       const char *path, ksm_error *err);
/* The same, the new file owned by uid:gid from before it holds a byte
 * ((uid_t)-1: as ksm_client_config_save_file). */
ksm_status ksm_client_config_save_file_owned(const ksm_client_config *cfg,
					     const char *path, uid_t uid,
					     gid_t gid, ksm_error *err);
/* NULL if unset. */
const char *ksm_client_config_get(const ksm_client_config *cfg,
				  const char *key);
/* value NULL removes the key. */
ksm_status ksm_client_config_set(ksm_client_config *cfg, const char *key,
				 const char *value, ksm_error *err);
/* Compact JSON of the whole config (secret). */
char *ksm_client_config_to_json(const ksm_client_config *cfg);
void ksm_client_config_free(ksm_client_config *cfg);

/* ------------------------------------------------------------------ tokens */

/*
 * Split a one-time access token "[REGION:]KEY" (REGION one of US, EU, AU,
 * GOV, JP, CA, IL5, or a host name). host_override, if not NULL, wins over
 * the region. On success *host is malloc'd and key holds the 32 key bytes.
 */
ksm_status ksm_token_parse(const char *token, const char *host_override,
			   char **host, uint8_t key[32], ksm_error *err);

/*
 * The server host of a --host style value: a region code (US, EU, AU, JP,
 * CA, GOV, IL5, any case) as the SDKs map them, an https:// URL (its
 * HOST[:PORT]; path ignored) or HOST[:PORT]. *host is malloc'd.
 */
ksm_status ksm_host_from_spec(const char *spec, char **host, ksm_error *err);

/*
 * Prepare an unbound config from a token: hostname, clientId, clientKey,
 * a fresh privateKey, and the server key: server_key is "ID:B64U" for a
 * custom server public key (test servers, isolated deployments) or NULL.
 */
ksm_status ksm_client_config_from_token(const char *token, const char *host,
					const char *server_key,
					ksm_client_config **out,
					ksm_error *err);

/* Set a custom server public key, "ID:B64U" (as ksm_client_config_from_token
 * takes it), into cfg. */
ksm_status ksm_client_config_set_server_key(ksm_client_config *cfg,
					    const char *server_key,
					    ksm_error *err);

/* ------------------------------------------------------------------ client */

typedef struct ksm_client_options {
	const char *ca_file;	    /* extra CA bundle; NULL: system CAs only */
	const char *client_version; /* NULL: KSM_DEFAULT_CLIENT_VERSION */
	/* Where to persist config changes (binding, key switch); NULL: none. */
	const char *config_path;
	/* An HTTP(S) proxy, "http[s]://[USER[:PASSWORD]@]HOST:PORT", or NULL:
	 * none (the environment's proxy variables are never used). */
	const char *proxy;
	const char *proxy_password; /* NULL: the URL's, if any */
	const char *proxy_ca_file;  /* verifies an https:// proxy */
	char *const *no_proxy;	    /* hosts reached without the proxy */
	size_t n_no_proxy;
	/* Cap on a whole answer (a get_secret of the whole vault), bytes;
	 * 0: ksm_default_max_response(). */
	size_t max_response_size;
} ksm_client_options;

/* The default cap on a whole answer: a quarter of this host's physical
 * memory, at least 256 MiB (max_response_size in ksm.conf). */
size_t ksm_default_max_response(void);

typedef struct ksm_client ksm_client;

/* Takes ownership of cfg (also on failure). opt may be NULL. */
ksm_status ksm_client_new(ksm_client_config *cfg, const ksm_client_options *opt,
			  ksm_client **out, ksm_error *err);
void ksm_client_free(ksm_client *c);
const ksm_client_config *ksm_client_get_config(const ksm_client *c);
bool ksm_client_is_bound(const ksm_client *c);
/* HTTPS requests made so far (for tests and benchmarks). */
unsigned long ksm_client_request_count(const ksm_client *c);
/*
 * Of those, the ones of which no byte reached the server: the name did not
 * resolve, the connection or the TLS handshake failed or timed out, or the
 * time budget ran out first. Keeper cannot have counted them.
 */
unsigned long ksm_client_unsent_count(const ksm_client *c);
/* The server's Date header of the last answer (0 if none). */
time_t ksm_client_server_date(const ksm_client *c);
/* Wall time of the last HTTPS request, ms. */
uint64_t ksm_client_last_rtt_ms(const ksm_client *c);

typedef struct ksm_record ksm_record;
typedef struct ksm_field ksm_field;
typedef struct ksm_file ksm_file;
typedef struct ksm_link ksm_link;
typedef struct ksm_secrets ksm_secrets;
typedef struct ksm_folders ksm_folders;

typedef struct ksm_query {
	const char *const *record_uids; /* NULL: all records */
	size_t n_record_uids;
	const char *const *folder_uids; /* NULL: all folders */
	size_t n_folder_uids;
	bool request_links;
	/* Cap on the answer's size, bytes; 0: the client's
	 * max_response_size, which only whole-vault reads need. */
	size_t max_response;
} ksm_query;

/*
 * get_secret. While the config is unbound this binds it first (the
 * binding response carries the app key) and persists the bound config.
 * q may be NULL (everything).
 */
ksm_status ksm_get_secrets(ksm_client *c, const ksm_query *q,
			   unsigned timeout_ms, ksm_secrets **out,
			   ksm_error *err);
ksm_status ksm_get_folders(ksm_client *c, unsigned timeout_ms,
			   ksm_folders **out, ksm_error *err);

typedef enum ksm_transaction {
	KSM_TX_NONE = 0, /* immediate update */
	KSM_TX_GENERAL,	 /* staged, needs ksm_complete_transaction */
	KSM_TX_ROTATION, /* staged, needs ksm_complete_transaction */
} ksm_transaction;

/* update_secret with the record's current data and revision. */
ksm_status ksm_update_secret(ksm_client *c, const ksm_record *rec,
			     ksm_transaction tx, unsigned timeout_ms,
			     ksm_error *err);
/* finalize_secret_update (commit) or rollback_secret_update. */
ksm_status ksm_complete_transaction(ksm_client *c, const char *record_uid,
				    bool commit, unsigned timeout_ms,
				    ksm_error *err);
/* GET the file's URL and decrypt it. *data is secret: wipe, then free. */
ksm_status ksm_download_file(ksm_client *c, const ksm_file *f,
			     unsigned timeout_ms, uint8_t **data, size_t *len,
			     ksm_error *err);

/* ----------------------------------------------------------------- secrets */

size_t ksm_secrets_count(const ksm_secrets *s);
const ksm_record *ksm_secrets_record(const ksm_secrets *s, size_t i);
/* First record with that UID, or NULL. */
const ksm_record *ksm_secrets_find(const ksm_secrets *s, const char *uid);
/* The same record, editable (ksm_record_set_value, then ksm_update_secret). */
ksm_record *ksm_secrets_edit(ksm_secrets *s, const char *uid);
/* Records whose UID (for one, or title) is in the response but that could
 * not be decrypted; they are left out of the list above. */
size_t ksm_secrets_bad_count(const ksm_secrets *s);
/* Server's expiresOn: when this device's access ends (ms since epoch; 0
 * none). */
int64_t ksm_secrets_expires_on(const ksm_secrets *s);
/* The application's name and type from appData (decrypted with the app
 * key); "" when the answer had none. Control characters are shown as '?'. */
const char *ksm_secrets_app_name(const ksm_secrets *s);
const char *ksm_secrets_app_type(const ksm_secrets *s);
/* The server's warnings (printable ASCII), for the caller to log. */
size_t ksm_secrets_warning_count(const ksm_secrets *s);
const char *ksm_secrets_warning(const ksm_secrets *s, size_t i);
void ksm_secrets_free(ksm_secrets *s);
/*
 * The set as JSON text and back (how ksmd hands records to ksmctl). The
 * text is secret; record keys are left out, so a set read back cannot be
 * written to the vault with ksm_update_secret.
 */
char *ksm_secrets_to_json(const ksm_secrets *s);
ksm_status ksm_secrets_from_json(const char *text, size_t len,
				 ksm_secrets **out, ksm_error *err);

size_t ksm_folders_count(const ksm_folders *f);
const char *ksm_folders_uid(const ksm_folders *f, size_t i);
const char *ksm_folders_parent(const ksm_folders *f, size_t i); /* or NULL */
const char *ksm_folders_name(const ksm_folders *f, size_t i);	/* or NULL */
void ksm_folders_free(ksm_folders *f);

/* ----------------------------------------------------------------- records */

typedef enum ksm_section {
	KSM_FIELDS = 1, /* the record type's standard fields */
	KSM_CUSTOM = 2, /* user-added fields */
	KSM_ANY = 3,	/* fields, then custom */
} ksm_section;

const char *ksm_record_uid(const ksm_record *r);
const char *ksm_record_title(const ksm_record *r); /* "" if none */
const char *ksm_record_type(const ksm_record *r);  /* "" if none */
const char *ksm_record_notes(const ksm_record *r); /* "" if none */
int64_t ksm_record_revision(const ksm_record *r);
bool ksm_record_is_editable(const ksm_record *r);
const char *ksm_record_folder_uid(const ksm_record *r); /* or NULL */
/* The subfolder of that shared folder that holds it; NULL if none. */
const char *ksm_record_inner_folder_uid(const ksm_record *r);

/* KSM_FIELDS or KSM_CUSTOM (KSM_ANY counts both). */
size_t ksm_record_field_count(const ksm_record *r, ksm_section where);
/* The i-th field of the section (KSM_ANY: fields then custom). */
const ksm_field *ksm_record_field_at(const ksm_record *r, ksm_section where,
				     size_t i);
/*
 * The one field whose type or label equals name exactly. KSM_ERR_NOT_FOUND
 * if none, KSM_ERR_AMBIGUOUS if several (within the section searched).
 */
ksm_status ksm_record_find_field(const ksm_record *r, ksm_section where,
				 const char *name, const ksm_field **out);
/*
 * Convenience: value 0 of the first field (fields, then custom) whose type
 * or label equals name, as text; NULL if none. Secret.
 */
char *ksm_record_first_value(const ksm_record *r, const char *name);

const char *ksm_field_type(const ksm_field *f);
const char *ksm_field_label(const ksm_field *f); /* or NULL */
size_t ksm_field_value_count(const ksm_field *f);
/* Value i: strings as they are, anything else as compact JSON. Secret. */
char *ksm_field_value_text(const ksm_field *f, size_t i);
/* Value i as compact JSON (strings quoted). Secret. */
char *ksm_field_value_json(const ksm_field *f, size_t i);
/* Property prop of object value i (e.g. "publicKey", "hostName"); strings
 * as they are, other JSON compact; NULL if absent or not an object. Secret. */
char *ksm_field_value_property(const ksm_field *f, size_t i, const char *prop);

/*
 * Set value[0] of the field found as ksm_record_find_field does, as a
 * string (the record's other data untouched), for ksm_update_secret.
 */
ksm_status ksm_record_set_value(ksm_record *r, ksm_section where,
				const char *name, const char *value,
				ksm_error *err);
/* The record's data as compact JSON. Secret. */
char *ksm_record_data_json(const ksm_record *r);

/* Files attached to the record. */
size_t ksm_record_file_count(const ksm_record *r);
const ksm_file *ksm_record_file_at(const ksm_record *r, size_t i);
const char *ksm_file_uid(const ksm_file *f);
const char *ksm_file_name(const ksm_file *f);  /* "" if none */
const char *ksm_file_title(const ksm_file *f); /* "" if none */
const char *ksm_file_mime_type(const ksm_file *f);
int64_t ksm_file_size(const ksm_file *f);

/*
 * Record links (only in answers to a query with request_links): which
 * records this one is linked to (a pamMachine's pamUsers, a record's own
 * settings), as the SDKs' getLinks gives them (docs/protocol.md §7.6).
 * The data is the link's JSON object: plain base64 JSON, or (jit_settings,
 * ai_settings) decrypted with this record's key; a link whose data does
 * not decode has none. Links without a valid recordUid are left out.
 */
size_t ksm_record_link_count(const ksm_record *r);
const ksm_link *ksm_record_link_at(const ksm_record *r, size_t i);
const char *ksm_link_record_uid(const ksm_link *l);
const char *ksm_link_path(const ksm_link *l); /* or NULL */
/* Was the data encrypted with the record key (and decrypted)? */
bool ksm_link_encrypted(const ksm_link *l);
/* The data as compact JSON, or NULL if none. Secret. */
char *ksm_link_data_json(const ksm_link *l);
/* A member of the data by dotted path ("is_admin",
 * "rotation_settings.noop", "allowedSettings.rotation"): true only for a
 * JSON true, as the SDKs' accessors. */
bool ksm_link_bool(const ksm_link *l, const char *path);
/* The same member as text (strings as they are, anything else compact
 * JSON); NULL if absent. Secret. */
char *ksm_link_value(const ksm_link *l, const char *path);

/* ---------------------------------------------------------------- notation */

typedef enum ksm_selector {
	KSM_SEL_TYPE,
	KSM_SEL_TITLE,
	KSM_SEL_NOTES,
	KSM_SEL_FILE,
	KSM_SEL_FIELD,
	KSM_SEL_CUSTOM_FIELD,
} ksm_selector;

/* A parsed notation: keeper://RECORD/SELECTOR[/PARAM][INDEX1][INDEX2] */
typedef struct ksm_notation {
	char *record; /* UID or title, unescaped */
	ksm_selector selector;
	char *param;	 /* field type/label or file name; NULL if none */
	bool has_index1; /* [..] present */
	bool index1_all; /* [] */
	size_t index1;	 /* [n] */
	char *index2;	 /* property, or NULL */
} ksm_notation;

/* Parse (also the base64 form, a string with no '/'). */
ksm_status ksm_notation_parse(const char *text, ksm_notation *out,
			      ksm_error *err);

/* How a notation inside other text (a template) ends. */
typedef enum ksm_scan_form {
	/* keeper://... : at whitespace or one of KSM_NOTATION_BARE_STOPS */
	KSM_SCAN_BARE,
	/* ${keeper://...} : at '}', '|', ":-" or the end of the line */
	KSM_SCAN_BRACED,
} ksm_scan_form;
/* The characters that end a bare notation (and the whitespace). */
#define KSM_NOTATION_BARE_STOPS " \t\n\r\v\f\"'`<>;,|#@:(){}"
/*
 * Parse the notation that starts at text (with "keeper://", in any case)
 * and runs up to the first unescaped character that ends the form, or
 * len; *used: how many bytes it took. Nothing is decoded (no base64 form).
 */
ksm_status ksm_notation_scan(const char *text, size_t len, ksm_scan_form form,
			     ksm_notation *out, size_t *used, ksm_error *err);
void ksm_notation_clear(ksm_notation *n);
/* Does the record part look like a UID (22 chars of [A-Za-z0-9_-])? */
bool ksm_notation_record_is_uid(const ksm_notation *n);
/*
 * Apply the selector to one record. Not for KSM_SEL_FILE (use
 * ksm_notation_find_file). *values: n secret strings, free with
 * ksm_strv_free.
 */
ksm_status ksm_notation_select(const ksm_notation *n, const ksm_record *r,
			       char ***values, size_t *count, ksm_error *err);
/* The unique file of the record whose name, title or UID matches. */
ksm_status ksm_notation_find_file(const ksm_notation *n, const ksm_record *r,
				  const ksm_file **out, ksm_error *err);
/*
 * Whole resolution against the server: fetch by UID (one request) or,
 * for a title, all records; exactly one record must match; files are
 * downloaded and returned as unpadded base64url.
 */
ksm_status ksm_notation_resolve(ksm_client *c, const char *notation,
				unsigned timeout_ms, char ***values,
				size_t *count, ksm_error *err);
/*
 * The one get_secret that answers all n (> 0) notations: q filtered by
 * their record UIDs (uids: room for n pointers, into ns) when each names a
 * UID; NULL when one names a record by title (every record is needed).
 * A title that looks like a UID is taken for one.
 */
const ksm_query *ksm_notation_query(const ksm_notation *ns, size_t n,
				    const char **uids, ksm_query *q);
/* Same, against records already fetched (no network except files). */
ksm_status ksm_notation_resolve_in(ksm_client *c, const ksm_secrets *s,
				   const ksm_notation *n, unsigned timeout_ms,
				   char ***values, size_t *count,
				   ksm_error *err);

/* -------------------------------------------------------------------- TOTP */

typedef enum ksm_totp_alg {
	KSM_TOTP_SHA1,
	KSM_TOTP_SHA256,
	KSM_TOTP_SHA512,
} ksm_totp_alg;

typedef struct ksm_totp {
	uint8_t *secret; /* decoded base32 seed (secret) */
	size_t secret_len;
	ksm_totp_alg alg;
	unsigned digits; /* 6..10 */
	unsigned period; /* seconds */
} ksm_totp;

/* Parse otpauth://totp/LABEL?secret=..&algorithm=..&digits=..&period=.. */
ksm_status ksm_totp_parse(const char *url, ksm_totp *out, ksm_error *err);
/* code: digits + NUL; *time_left (may be NULL): seconds of validity left. */
ksm_status ksm_totp_code(const ksm_totp *t, time_t now, char code[16],
			 unsigned *time_left, ksm_error *err);
/* Constant-time check of a user-typed code against now-1..now+1 steps. */
bool ksm_totp_verify(const ksm_totp *t, time_t now, const char *code);
void ksm_totp_clear(ksm_totp *t);

/* ---------------------------------------------------------------- ksm.conf */

#define KSM_DEFAULT_CONF SYSCONFDIR_KSM "/ksm.conf"
#ifndef SYSCONFDIR_KSM
#define SYSCONFDIR_KSM "/etc/ksm"
#endif

typedef struct ksm_session_secret {
	char *name;	/* key name suffix: ksm:<name> */
	char *notation; /* may contain {record} */
} ksm_session_secret;

/* ksm.conf, "key = value" lines, '#' comments (docs/design.md, ksm.conf(5)). */
typedef struct ksm_settings {
	char *client_config;
	char *ca_file; /* NULL: system CAs only */
	char *client_version;
	char *snapshot;
	char *private_store;
	char **account_folders; /* NULL: all visible records */
	size_t n_account_folders;
	/* Where a uid or gid custom field may lie (uid_range, gid_range). */
	uint32_t uid_min, uid_max, gid_min, gid_max;
	/* Where ids derived from a record UID or group name go, and where
	 * custom fields may lie as well (derived_uid_range, derived_gid_range;
	 * docs/decisions.md, "Derived uids"). */
	uint32_t derived_uid_min, derived_uid_max, derived_gid_min,
		derived_gid_max;
	/* The drop guard (max_account_drop): a sync that would remove more
	 * than the larger of max_drop_count and max_drop_percent % of the
	 * previous snapshot's accounts is refused unless forced. */
	unsigned max_drop_percent, max_drop_count;
	char *home_template;
	char *default_shell;
	unsigned keys_max_age, keys_max_stale; /* seconds */
	unsigned offline_max_age;	       /* seconds */
	unsigned offline_max_failures;
	ksm_session_secret *session_secrets;
	size_t n_session_secrets;
	unsigned session_secret_ttl; /* seconds */
	unsigned timeout_auth_ms, timeout_keys_ms, timeout_sync_ms;
	/* Accept a client config readable by others (tests only). */
	bool insecure_client_config;
	/*
	 * Local groups (from /etc/group) that a record's 'groups' field may
	 * add its account to; "*" allows any but gid 0. Default: sudo.
	 */
	char **local_groups;
	size_t n_local_groups;
	/* The broker (ksmd, docs/ksmd-protocol.md). */
	char *ksmd_socket; /* Unix socket path */
	char *ksmd_user; /* the user ksmd runs as; clients accept it or root */
	char *keys_user; /* sshd's AuthorizedKeysCommandUser */
	unsigned request_budget,
		request_window;	      /* at most N requests per S s */
	unsigned max_auth_failures;   /* per user, in the window */
	unsigned auth_failure_window; /* seconds */
	/* How old a vault read an auth may take, seconds (0: none). */
	unsigned auth_reuse;
	/* Cap on the get_secret answer of a whole vault, bytes (0: a quarter
	 * of physical memory, at least 256 MiB). */
	size_t max_response_size;
	/* Offline verifiers: made at a successful live login (false), or for
	 * every account with a password at each sync (true). */
	bool offline_verifiers_all;
	/*
	 * The HTTP(S) proxy every request to Keeper goes through (never the
	 * environment's): "http[s]://[USER[:PASSWORD]@]HOST:PORT" or NULL
	 * (secret when it holds a password); the password may come from
	 * proxy_password_file instead; proxy_ca_file verifies an https://
	 * proxy; no_proxy lists the hosts reached without it.
	 */
	char *proxy;
	char *proxy_password_file;
	char *proxy_ca_file;
	char **no_proxy;
	size_t n_no_proxy;
	/* ksmctl status and check: a snapshot older than this is a warning
	 * (seconds; default three ksm-sync.timer periods). */
	unsigned snapshot_warn_age;
	/* Publish the public half of a record's privatePEMKey (KeeperPAM's
	 * rotated SSH key) as one of its keys. Default: yes. */
	bool keys_from_private_key;
	/*
	 * Machine-scoped accounts (KeeperPAM): NULL ("none", the default):
	 * every account record; "auto": the pamMachine whose pamHostname is
	 * this host's name; else that pamMachine's UID. The accounts are then
	 * the pamUsers linked to it; admin_groups are added to those whose
	 * link says is_admin.
	 */
	char *host_record;
	char **admin_groups;
	size_t n_admin_groups;
	/* ksmctl sync ends the sessions of accounts that expired or left
	 * (default: yes); end_sessions_grace: SIGHUP to SIGKILL, seconds. */
	bool end_sessions;
	unsigned end_sessions_grace;
} ksm_settings;

/*
 * Defaults, then the file at path (NULL: KSM_DEFAULT_CONF). A missing file
 * gives the defaults; an unknown option or bad value is an error naming
 * the line.
 */
ksm_status ksm_settings_load(const char *path, ksm_settings **out,
			     ksm_error *err);
/* Parse text (for tests and fuzzing). */
ksm_status ksm_settings_parse(const char *text, size_t len, const char *what,
			      ksm_settings **out, ksm_error *err);
void ksm_settings_free(ksm_settings *conf);
/* "5m", "24h", "7d", "30s", "90" -> seconds. */
ksm_status ksm_parse_duration(const char *s, unsigned *seconds);
/*
 * Load the client config conf names and make a client with conf's CA,
 * client version and persistence path.
 */
ksm_status ksm_client_from_settings(const ksm_settings *conf, ksm_client **out,
				    ksm_error *err);
/*
 * A client for cfg (taken, also on failure) with conf's CA, client
 * version and proxy but no persistence path: ksmctl init and ksmd's bind,
 * whose config is not in place yet.
 */
ksm_status ksm_client_from_config(const ksm_settings *conf,
				  ksm_client_config *cfg, ksm_client **out,
				  ksm_error *err);

/* ---------------------------------------------------------------- accounts */

/* A vault record turned into a POSIX account (docs/design.md, "Records to
 * POSIX accounts"). */
typedef struct ksm_account {
	char *name;
	char *record_uid;
	char *gecos, *home, *shell;
	uint32_t uid, gid;
	char **groups; /* supplementary group names */
	size_t n_groups;
	char **keys;	     /* authorized_keys lines, validated */
	char **fingerprints; /* "SHA256:..." for each key */
	size_t n_keys;
	int64_t valid_until; /* unix seconds; 0: none */
	bool has_password, has_totp;
	/* host_record: linked to this host's pamMachine with is_admin. */
	bool host_admin;
} ksm_account;

/* Why a record (or one of its keys or groups) was not published. */
typedef struct ksm_refusal {
	char *record_uid;
	char *name; /* the account name if known, else "" */
	char *reason;
	bool whole_account; /* false: only a key or group was dropped */
	/* host_record: not linked to this host's pamMachine (not a fault:
	 * listed by ksmctl users, not logged one by one). */
	bool off_host;
} ksm_refusal;

/* A group the snapshot publishes (vault groups) or refers to (local). */
typedef struct ksm_group {
	char *name;
	uint32_t gid;
	bool local;	 /* exists in /etc/group; listed for initgroups only */
	size_t *members; /* indexes into ksm_accounts.accounts */
	size_t n_members;
} ksm_group;

typedef struct ksm_accounts {
	ksm_account *accounts;
	size_t n_accounts;
	ksm_group *groups;
	size_t n_groups;
	ksm_refusal *refusals;
	size_t n_refusals;
	/* host_record's pamMachine (NULL when host_record = none). */
	char *host_record_uid, *host_record_title;
	size_t host_linked; /* records linked to it */
} ksm_accounts;

/* Local users and groups (from /etc/passwd and /etc/group, never NSS). */
typedef struct ksm_local_db ksm_local_db;

ksm_status ksm_local_db_load(const char *passwd_path, const char *group_path,
			     ksm_local_db **out, ksm_error *err);
void ksm_local_db_free(ksm_local_db *db);
/* Local group id by name; false if there is none. */
bool ksm_local_db_group(const ksm_local_db *db, const char *name,
			uint32_t *gid);

/*
 * One record as an account, without the cross-record checks (collisions):
 * KSM_ERR_NOT_FOUND if the record is not an account at all (wrong type or
 * folder, no login), KSM_ERR_INVALID with err->message the reason if it is
 * one but breaks a rule. Dropped keys are listed in *dropped (may be NULL).
 */
ksm_status ksm_account_from_record(const ksm_record *r,
				   const ksm_settings *conf, ksm_account *out,
				   ksm_accounts *dropped, ksm_error *err);
/*
 * The same without the SSH keys (out->keys empty): what a login's checks
 * need (name, ids, valid_until, password). No key is parsed and no
 * privatePEMKey decrypted, a KDF that may cost a second of CPU.
 */
ksm_status ksm_account_identity_from_record(const ksm_record *r,
					    const ksm_settings *conf,
					    ksm_account *out, ksm_error *err);
void ksm_account_clear(ksm_account *a);

/*
 * What the previous sync published (its snapshot), as the next one needs
 * it: which record held which uid and gid, and how many accounts there
 * were. A missing or unusable snapshot gives an empty set (a first sync);
 * only running out of memory is an error.
 */
typedef struct ksm_prior ksm_prior;

ksm_status ksm_prior_load(const char *snapshot, ksm_prior **out,
			  ksm_error *err);
size_t ksm_prior_count(const ksm_prior *p); /* 0 for NULL */
void ksm_prior_free(ksm_prior *p);

/*
 * All accounts of a get_secret answer. A name claimed twice refuses every
 * claimant; so does a uid (or a derived gid), unless one claimant held it
 * in prior (may be NULL): that one keeps it and the newcomers are refused.
 * An account_folders entry naming no folder the answer shows is an error
 * (KSM_ERR_CONFIG).
 */
ksm_status ksm_accounts_build_since(const ksm_secrets *s,
				    const ksm_settings *conf,
				    const ksm_local_db *local,
				    const ksm_prior *prior, ksm_accounts **out,
				    ksm_error *err);
/* The same without a previous sync. */
ksm_status ksm_accounts_build(const ksm_secrets *s, const ksm_settings *conf,
			      const ksm_local_db *local, ksm_accounts **out,
			      ksm_error *err);
void ksm_accounts_free(ksm_accounts *a);

/*
 * The drop guard (max_account_drop): how many of prior's accounts (by
 * record) as no longer publishes, and whether that is more than the
 * larger of max_drop_count and max_drop_percent % of them.
 */
typedef struct ksm_drop_check {
	size_t before;	/* accounts of the previous snapshot */
	size_t removed; /* of those, not in as */
	size_t allowed; /* the most max_account_drop allows */
	bool refused;	/* removed > allowed */
} ksm_drop_check;

void ksm_accounts_drop_check(const ksm_accounts *as, const ksm_prior *prior,
			     const ksm_settings *conf, ksm_drop_check *out);

/*
 * Validate one authorized_keys line "type base64 [comment]" (no options,
 * known type, decodable blob whose embedded type matches). On success
 * *canonical is the line with single spaces and *fingerprint "SHA256:...".
 */
ksm_status ksm_ssh_key_parse(const char *line, char **canonical,
			     char **fingerprint, ksm_error *err);

/*
 * The public half of a private key as an authorized_keys line "type
 * base64" (check it with ksm_ssh_key_parse): an OpenSSH-format key (its
 * public key is in clear, encrypted or not), or PEM: PKCS#1 RSA, SEC1 EC
 * or PKCS#8, of RSA, ECDSA P-256/384/521 or Ed25519. An encrypted PEM key
 * is decrypted with the first of the passphrases that works (there may be
 * none: then it is refused). KSM_ERR_INVALID with the reason, which never
 * quotes the key. The buffers that held the key are wiped.
 */
ksm_status ksm_ssh_key_from_private(const char *text,
				    const char *const *passphrases,
				    size_t n_passphrases, char **line,
				    ksm_error *err);

/* Write the snapshot atomically (0644) for nss_ksm and the keys helper. */
ksm_status ksm_snapshot_write(const ksm_accounts *a, const char *path,
			      int64_t now, ksm_error *err);
/* The same snapshot in memory (*image: free() it), for a dry run. */
ksm_status ksm_snapshot_build(const ksm_accounts *a, int64_t now,
			      uint8_t **image, size_t *len, ksm_error *err);

/* ----------------------------------------------------------- private store */

/*
 * /var/lib/ksmd/private (0600, ksmd's user): per vault user, an offline
 * verifier of the current password (yescrypt via libxcrypt, never the
 * password), the record revision it was made from, when the vault last
 * confirmed it, and consecutive offline failures. Read-modify-write under an
 * exclusive lock.
 */
typedef struct ksm_offline_entry {
	char record_uid[64]; /* the record it was made from */
	int64_t revision;    /* at this revision */
	int64_t confirmed;   /* unix seconds: the vault last confirmed it */
	unsigned failures;   /* consecutive wrong offline passwords */
	bool usable;	     /* yescrypt: the one method trusted */
} ksm_offline_entry;

typedef enum ksm_offline_result {
	KSM_OFFLINE_OK,
	KSM_OFFLINE_WRONG,   /* wrong password: failure counted */
	KSM_OFFLINE_LOCKED,  /* offline_max_failures reached */
	KSM_OFFLINE_TOO_OLD, /* not confirmed within offline_max_age */
	KSM_OFFLINE_NONE,    /* no verifier for this user */
} ksm_offline_result;

/*
 * After a live check that passed: make or keep the verifier (a new hash
 * only when the revision changed or there is none), mark it confirmed now
 * and reset the failure count.
 */
ksm_status ksm_offline_confirm(const char *path, const char *user,
			       const char *record_uid, int64_t revision,
			       const char *password, int64_t now,
			       ksm_error *err);
/*
 * What one live read of a user's record says about the offline store
 * (ksmd's store writer collects them and applies them in one rewrite).
 */
typedef struct ksm_offline_update {
	const char *user;
	const char *record_uid; /* NULL: the vault no longer gives this
				   account: its entry goes */
	int64_t revision;	/* the record's revision as the read found it */
	const char *password;	/* the password the vault accepted at that
				   revision; NULL: none was (a wrong one, or a
				   read for keys or a session) */
} ksm_offline_update;

/*
 * Apply n updates, in order, in one locked rewrite of the store (none if
 * nothing changes). With a password: as ksm_offline_confirm, except that
 * an entry of a later revision of the same record is kept (the update came
 * late). Without: an entry of an earlier revision or of another record is
 * dropped (a rotated password's verifier must not outlive it); one of this
 * revision or a later one is kept. Without record_uid: the entry is
 * dropped. Hashes are made before the lock is taken; *hashed counts them.
 * Waits a bounded time for the lock.
 */
ksm_status ksm_offline_apply(const char *path, const ksm_offline_update *u,
			     size_t n, int64_t now, size_t *hashed,
			     ksm_error *err);
/* The offline check, counting a failure when the password is wrong. */
ksm_status ksm_offline_verify(const char *path, const char *user,
			      const char *password, const ksm_settings *conf,
			      int64_t now, ksm_offline_result *result,
			      ksm_error *err);
/*
 * The same, for a caller that waits only until deadline (ksm_monotonic_ms):
 * the other offline checks of user are waited for until then, and a check
 * whose turn comes later is not made (KSM_ERR_TIMEOUT, nothing counted).
 * ksm_offline_verify waits 10 s.
 */
ksm_status ksm_offline_verify_by(const char *path, const char *user,
				 const char *password, const ksm_settings *conf,
				 int64_t now, uint64_t deadline,
				 ksm_offline_result *result, ksm_error *err);
/*
 * What the store holds for user, without the verifier itself (ksmctl
 * explain, through ksmd): KSM_ERR_NOT_FOUND when it has no entry with a
 * verifier; the store's own errors (unsafe owner, damaged) as for
 * ksm_offline_verify.
 */
ksm_status ksm_offline_lookup(const char *path, const char *user,
			      ksm_offline_entry *out, ksm_error *err);
/*
 * At a sync: for every account with a password, keep entries whose
 * revision is unchanged (confirmed now), drop users that are gone and
 * entries of an older revision (a rotated password), and, when hash_new,
 * hash new or changed ones (offline_verifiers = all; with "login" they
 * are made by ksm_offline_confirm at the next live login). passwords[i] is
 * accounts->accounts[i]'s, or NULL. Waits a bounded time for the lock.
 */
ksm_status ksm_offline_sync(const char *path, const ksm_accounts *accounts,
			    const char *const *passwords,
			    const int64_t *revisions, bool hash_new,
			    int64_t now, size_t *hashed, ksm_error *err);

/* Replace path atomically (temp file, fsync, rename, fsync dir). */
ksm_status ksm_write_file_atomic(const char *path, const void *data, size_t len,
				 unsigned mode, ksm_error *err);

/* ------------------------------------------------------------- comparison */

/* Monotonic clock, milliseconds (for budgets). */
uint64_t ksm_monotonic_ms(void);

/* Constant-time equality of two NUL-terminated strings (length leaks). */
bool ksm_secret_equal(const char *a, const char *b);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* KSM_H */
