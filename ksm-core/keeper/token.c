/* SPDX-License-Identifier: MIT */
/*
 * token.c - one-time access tokens and the unbound config made from them
 * (docs/protocol.md §2).
 */
#include "crypto.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLIENT_ID_TAG	      "KEEPER_SECRETS_MANAGER_CLIENT_ID"
#define DEFAULT_SERVER_KEY_ID "10"

static const struct {
	const char *prefix, *host;
} regions[] = {
	{"US", "keepersecurity.com"},	  {"EU", "keepersecurity.eu"},
	{"AU", "keepersecurity.com.au"},  {"GOV", "govcloud.keepersecurity.us"},
	{"JP", "keepersecurity.jp"},	  {"CA", "keepersecurity.ca"},
	{"IL5", "il5.keepersecurity.us"},
};

/* A region code (a token's prefix, or --host): its host, or NULL. */
static const char *region_host(const char *prefix)
{
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (strcasecmp(prefix, regions[i].prefix) == 0)
			return regions[i].host;
	return NULL;
}

/* The host part of an https:// URL or of HOST[:PORT]: name characters,
 * an optional [IPv6] and an optional port. */
static bool host_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > 260)
		return false;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++)
			if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
			    s[i] != '-' && s[i] != '_')
				return false;
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (s[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return false;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

ksm_status ksm_host_from_spec(const char *spec, char **host, ksm_error *err)
{
	const char *p = spec;
	size_t n;

	*host = NULL;
	if (!spec || !*spec)
		return ksm_set_error(err, KSM_ERR_INVALID, "no server given");
	if (region_host(spec)) {
		*host = ksm_strdup(region_host(spec));
		goto done;
	}
	if (!strncasecmp(spec, "http://", 7))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "%.200s: Keeper is reached over HTTPS "
				     "only: use https:// or a host name",
				     spec);
	if (!strncasecmp(spec, "https://", 8))
		p = spec + 8;
	else if (strstr(spec, "://"))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "%.200s: not an https:// URL", spec);
	/* A URL's path, query and fragment are not the server's. */
	n = p == spec ? strlen(p) : strcspn(p, "/?#");
	if (p == spec && n && p[n - 1] == '/')
		n--;
	if (!host_ok(p, n))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "%.200s: not a region code (US, EU, AU, "
				     "JP, CA, GOV, IL5), an https:// URL or a "
				     "host name",
				     spec);
	*host = ksm_strndup(p, n);
	/* "EU/" or "https://eu" is the region too: what this returns must
	 * read back as itself (a config's hostname is read by this again). */
	if (*host && region_host(*host)) {
		const char *r = region_host(*host);

		free(*host);
		*host = ksm_strdup(r);
	}
done:
	return *host ? KSM_OK
		     : ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Split "a:b:c" in place into at most max parts. */
static size_t split_colons(char *s, char **parts, size_t max)
{
	size_t n = 0;

	while (n < max) {
		parts[n++] = s;
		s = strchr(s, ':');
		if (!s)
			break;
		*s++ = '\0';
	}
	return n;
}

static char *trimmed_copy(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return ksm_strndup(s, n);
}

/* A prefix that is no region may be a host name, as the SDKs take it
 * ("keepersecurity.com:KEY", "localhost:KEY"); one without a dot ("XX")
 * is a region ksm-unix does not know, not a host to connect to. */
static bool host_like(const char *prefix)
{
	return strchr(prefix, '.') || strcasecmp(prefix, "localhost") == 0;
}

/* Name a prefix in a message only when it cannot be the key itself. */
static bool shown_safely(const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 0 || n > 8)
		return false;
	for (; *prefix; prefix++)
		if (!isalnum((unsigned char)*prefix))
			return false;
	return true;
}

static size_t count_parts(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == ':';
	return n;
}

static ksm_status token_prefix(const char *prefix, const char *host_override,
			       const char **h, ksm_error *err)
{
	*h = region_host(prefix);
	if (*h || (host_override && *host_override))
		return KSM_OK;
	if (!*prefix)
		return ksm_set_error(err, KSM_ERR_TOKEN,
				     "the token starts with ':' (no region "
				     "before it): paste the whole one-time "
				     "token from Keeper (US:..., EU:..., ...)");
	if (host_like(prefix)) {
		*h = prefix;
		return KSM_OK;
	}
	if (shown_safely(prefix))
		return ksm_set_error(
			err, KSM_ERR_TOKEN,
			"the token's region '%s' is not one ksm-unix knows "
			"(US, EU, AU, GOV, JP, CA, IL5): check the token, or "
			"give the server with --host HOST[:PORT]",
			prefix);
	return ksm_set_error(err, KSM_ERR_TOKEN,
			     "the token's first part (%zu characters before "
			     "':') is not a region (US, EU, AU, GOV, JP, CA, "
			     "IL5) nor a host name: paste the whole one-time "
			     "token from Keeper",
			     strlen(prefix));
}

/*
 * Parse into host, key bytes and, for the 4-part "PREFIX:KEY:ID:PUBKEY"
 * form, the custom server key (*srv_key "ID:B64U", malloc'd).
 */
static ksm_status token_split(const char *token, const char *host_override,
			      char **host, uint8_t key[32], char **srv_key,
			      ksm_error *err)
{
	char *copy = NULL, *parts[5];
	const char *h = NULL, *k;
	size_t n, total;
	ksm_status st = KSM_ERR_TOKEN;

	*host = NULL;
	if (srv_key)
		*srv_key = NULL;
	if (!token || !(copy = trimmed_copy(token)))
		return ksm_set_error(err, KSM_ERR_TOKEN, "no token given");
	if (!*copy) {
		ksm_set_error(err, KSM_ERR_TOKEN,
			      "the token is empty: paste the one-time access "
			      "token from Keeper (REGION:KEY, e.g. US:...)");
		goto out;
	}
	total = count_parts(copy);
	n = split_colons(copy, parts, 5);
	if (n == 1) {
		k = parts[0];
	} else {
		k = parts[1];
		if (n == 4 && srv_key && all_digits(parts[2]) &&
		    strlen(parts[3]) >= 80) {
			size_t len = strlen(parts[2]) + strlen(parts[3]) + 2;

			*srv_key = malloc(len);
			if (*srv_key)
				snprintf(*srv_key, len, "%s:%s", parts[2],
					 parts[3]);
		} else if (n > 2) {
			ksm_set_error(err, KSM_ERR_TOKEN,
				      "the token has %zu ':'-separated parts; "
				      "expected REGION:KEY (a host with a port "
				      "goes in --host, not in the token)",
				      total);
			goto out;
		}
		if (token_prefix(parts[0], host_override, &h, err) != KSM_OK)
			goto out;
		if (!*k) {
			ksm_set_error(err, KSM_ERR_TOKEN,
				      "the token has no key after its region "
				      "(REGION:KEY): paste the whole one-time "
				      "token from Keeper");
			goto out;
		}
	}
	if (host_override && *host_override) {
		if (ksm_host_from_spec(host_override, host, err) != KSM_OK) {
			st = KSM_ERR_TOKEN;
			goto out;
		}
		h = *host;
	}
	if (!h || !*h) {
		ksm_set_error(err, KSM_ERR_TOKEN,
			      "the token has no region prefix (US:, EU:, ...): "
			      "give the server with --host HOST[:PORT]");
		goto out;
	}
	if (ksm_b64_decode_exact(k, key, 32) != KSM_OK) {
		ksm_set_error(
			err, KSM_ERR_TOKEN,
			"the token's key part is not base64url of 32 bytes: "
			"copy the whole one-time token from Keeper");
		goto out;
	}
	if (!*host)
		*host = ksm_strdup(h);
	st = *host ? KSM_OK
		   : ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
out:
	if (st != KSM_OK) {
		free(*host);
		*host = NULL;
	}
	if (st != KSM_OK && srv_key) {
		free(*srv_key);
		*srv_key = NULL;
	}
	ksm_free_secret(copy);
	return st;
}

ksm_status ksm_token_parse(const char *token, const char *host_override,
			   char **host, uint8_t key[32], ksm_error *err)
{
	return token_split(token, host_override, host, key, NULL, err);
}

/* "ID:B64U" -> id string and validated 65-byte point. */
static ksm_status parse_server_key(const char *spec, char **id, char **b64u,
				   ksm_error *err)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	uint8_t point[65];
	EVP_PKEY *pk = NULL;

	*id = *b64u = NULL;
	if (!colon || colon == spec)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "server key must be ID:BASE64URL, e.g. "
				     "99:BHKd...");
	*id = ksm_strndup(spec, (size_t)(colon - spec));
	if (!*id || !all_digits(*id) ||
	    ksm_b64_decode_exact(colon + 1, point, 65) != KSM_OK ||
	    ksm_p256_from_public(point, &pk) != KSM_OK) {
		free(*id);
		*id = NULL;
		return ksm_set_error(
			err, KSM_ERR_INVALID,
			"server key must be ID:BASE64URL of a P-256 point (65 "
			"bytes) with a numeric ID");
	}
	EVP_PKEY_free(pk);
	*b64u = ksm_b64_encode(point, 65, true);
	return *b64u ? KSM_OK
		     : ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
}

ksm_status ksm_client_config_set_server_key(ksm_client_config *cfg,
					    const char *server_key,
					    ksm_error *err)
{
	char *id = NULL, *pub = NULL;
	ksm_status st = parse_server_key(server_key, &id, &pub, err);

	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_SERVER_PUBLIC_KEY_ID,
					   id, err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_SERVER_PUBLIC_KEY, pub,
					   err);
	free(id);
	free(pub);
	return st;
}

ksm_status ksm_client_config_from_token(const char *token, const char *host,
					const char *server_key,
					ksm_client_config **out, ksm_error *err)
{
	uint8_t key[32], mac[64], der[KSM_PKCS8_LEN];
	char *h = NULL, *tok_srv = NULL, *id = NULL, *pub = NULL;
	char *client_id = NULL, *client_key = NULL, *priv = NULL;
	EVP_PKEY *pk = NULL;
	ksm_client_config *cfg = NULL;
	ksm_status st;

	*out = NULL;
	st = token_split(token, host, &h, key, &tok_srv, err);
	if (st != KSM_OK)
		return st;
	if (!server_key)
		server_key = tok_srv;
	if (server_key) {
		st = parse_server_key(server_key, &id, &pub, err);
		if (st != KSM_OK)
			goto out;
	}
	st = ksm_hmac_sha512(key, sizeof(key), (const uint8_t *)CLIENT_ID_TAG,
			     strlen(CLIENT_ID_TAG), mac);
	if (st == KSM_OK)
		st = ksm_p256_generate(&pk);
	if (st == KSM_OK)
		st = ksm_p256_to_pkcs8(pk, der);
	if (st != KSM_OK) {
		ksm_set_error(err, st, "cannot create the device key");
		goto out;
	}
	client_id = ksm_b64_encode(mac, sizeof(mac), false);
	client_key = ksm_b64_encode(key, sizeof(key), false);
	priv = ksm_b64_encode(der, sizeof(der), false);
	if (!client_id || !client_key || !priv) {
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = ksm_client_config_new(&cfg, err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_HOSTNAME, h, err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_CLIENT_ID, client_id,
					   err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_CLIENT_KEY, client_key,
					   err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_PRIVATE_KEY, priv, err);
	if (st == KSM_OK)
		st = ksm_client_config_set(cfg, KSM_CFG_SERVER_PUBLIC_KEY_ID,
					   id ? id : DEFAULT_SERVER_KEY_ID,
					   err);
	if (st == KSM_OK && pub)
		st = ksm_client_config_set(cfg, KSM_CFG_SERVER_PUBLIC_KEY, pub,
					   err);
	if (st == KSM_OK) {
		*out = cfg;
		cfg = NULL;
	}
out:
	ksm_wipe(key, sizeof(key));
	ksm_wipe(der, sizeof(der));
	ksm_client_config_free(cfg);
	EVP_PKEY_free(pk);
	ksm_free_secret(client_key);
	ksm_free_secret(priv);
	free(client_id);
	free(h);
	free(tok_srv);
	free(id);
	free(pub);
	return st;
}
