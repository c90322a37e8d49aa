/* SPDX-License-Identifier: MIT */
/*
 * config_import.c - pre-initialized client configs as Keeper's tools hand
 * them out (ksmctl init --config-file): the SDKs' JSON ("ksm init default
 * --plain"), base64 of it (KSM_CONFIG, Keeper's Kubernetes recipe), and the
 * keeper.ini of Keeper's ksm CLI, plain or as base64 ("ksm profile export",
 * its default). All are outside data: bounded, strict, fuzzed
 * (tests/fuzz/fuzz_config_import.c).
 *
 * The INI is what Python's configparser writes: "[section]" lines,
 * "key = value" (or "key: value", or a key alone for an unset value), '#'
 * and ';' comment lines; a [_config] section whose active_profile names
 * the profile, and profile sections with the keys clientid, privatekey,
 * appkey, hostname, appownerpublickey, serverpublickeyid.
 */
#include "client_config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMPORT_MAX_BYTES (64 * 1024)
#define INI_MAX_ENTRIES	 256
#define ARRAY_LEN(a)	 (sizeof(a) / sizeof((a)[0]))

/* INI key -> client.json key. */
static const struct {
	const char *ini, *json;
} ini_keys[] = {
	{"clientid", KSM_CFG_CLIENT_ID},
	{"privatekey", KSM_CFG_PRIVATE_KEY},
	{"appkey", KSM_CFG_APP_KEY},
	{"hostname", KSM_CFG_HOSTNAME},
	{"appownerpublickey", KSM_CFG_APP_OWNER_PUBLIC_KEY},
	{"serverpublickeyid", KSM_CFG_SERVER_PUBLIC_KEY_ID},
	{"serverpublickey", KSM_CFG_SERVER_PUBLIC_KEY},
};

struct ini_entry {
	char *section, *key, *value; /* value NULL: a key alone */
};

struct ini {
	struct ini_entry e[INI_MAX_ENTRIES];
	size_t n;
};

static void ini_clear(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->e[i].section);
		free(ini->e[i].key);
		ksm_free_secret(ini->e[i].value);
	}
	ini->n = 0;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return ksm_strndup(s, n);
}

static ksm_status ini_add(struct ini *ini, const char *section, const char *key,
			  size_t klen, const char *val, size_t vlen,
			  bool has_value, ksm_error *err)
{
	struct ini_entry *e;

	if (ini->n == INI_MAX_ENTRIES)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "INI config: more than %d entries",
				     INI_MAX_ENTRIES);
	e = &ini->e[ini->n];
	e->section = ksm_strdup(section);
	e->key = trimmed(key, klen);
	e->value = has_value ? trimmed(val, vlen) : NULL;
	if (!e->section || !e->key || (has_value && !e->value)) {
		free(e->section);
		free(e->key);
		ksm_free_secret(e->value);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	for (char *p = e->key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	ini->n++;
	return KSM_OK;
}

static ksm_status ini_parse(const char *text, size_t len, struct ini *ini,
			    ksm_error *err)
{
	char section[128] = "";
	bool have_section = false;
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	ksm_status st = KSM_OK;

	while (p < end && st == KSM_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *s = p, *delim;
		size_t n;

		lineno++;
		p = nl ? nl + 1 : end;
		if (le > s && le[-1] == '\r')
			le--;
		if (s < le && isspace((unsigned char)*s)) {
			while (s < le && isspace((unsigned char)*s))
				s++;
			if (s == le)
				continue;
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "INI config line %u: continuation "
					     "lines are not supported",
					     lineno);
		}
		if (s == le || *s == '#' || *s == ';')
			continue;
		n = (size_t)(le - s);
		if (*s == '[') {
			if (s[n - 1] != ']' || n < 3 ||
			    n - 2 >= sizeof(section))
				return ksm_set_error(
					err, KSM_ERR_CONFIG,
					"INI config line %u: a bad "
					"[section] line",
					lineno);
			memcpy(section, s + 1, n - 2);
			section[n - 2] = '\0';
			have_section = true;
			continue;
		}
		if (!have_section)
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "INI config line %u: a key before "
					     "the first [section]",
					     lineno);
		/* configparser splits at the first '=' or ':'. */
		delim = s;
		while (delim < le && *delim != '=' && *delim != ':')
			delim++;
		if (delim == s)
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "INI config line %u: no key",
					     lineno);
		st = delim < le
			     ? ini_add(ini, section, s, (size_t)(delim - s),
				       delim + 1, (size_t)(le - delim - 1),
				       true, err)
			     : ini_add(ini, section, s, n, NULL, 0, false, err);
	}
	return st;
}

/* The last value of key in section, NULL if none (or a key alone). */
static const char *ini_get(const struct ini *ini, const char *section,
			   const char *key, bool *present)
{
	const char *v = NULL;

	if (present)
		*present = false;
	for (size_t i = 0; i < ini->n; i++)
		if (!strcmp(ini->e[i].section, section) &&
		    !strcmp(ini->e[i].key, key)) {
			v = ini->e[i].value;
			if (present)
				*present = true;
		}
	return v && *v ? v : NULL;
}

static bool ini_has_section(const struct ini *ini, const char *section)
{
	for (size_t i = 0; i < ini->n; i++)
		if (!strcmp(ini->e[i].section, section))
			return true;
	return false;
}

/* active_profile, else _default, else the only profile. */
static ksm_status ini_profile(const struct ini *ini, const char **out,
			      ksm_error *err)
{
	const char *active = ini_get(ini, "_config", "active_profile", NULL);
	const char *only = NULL;

	*out = NULL;
	if (active) {
		if (!ini_has_section(ini, active))
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "INI config: active_profile names "
					     "a profile that is not there");
		*out = active;
		return KSM_OK;
	}
	if (ini_has_section(ini, "_default")) {
		*out = "_default";
		return KSM_OK;
	}
	for (size_t i = 0; i < ini->n; i++) {
		const char *s = ini->e[i].section;

		if (!strcmp(s, "_config") || (only && !strcmp(only, s)))
			continue;
		if (only)
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "INI config: several profiles and "
					     "no active_profile: export one "
					     "with 'ksm profile export NAME'");
		only = s;
	}
	if (!only)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "INI config: no profile section");
	*out = only;
	return KSM_OK;
}

static ksm_status config_from_ini(const char *text, size_t len,
				  ksm_client_config **out, ksm_error *err)
{
	struct ini *ini = calloc(1, sizeof(*ini));
	ksm_client_config *cfg = NULL;
	const char *profile, *storage;
	ksm_status st;

	*out = NULL;
	if (!ini)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ini_parse(text, len, ini, err);
	if (st == KSM_OK)
		st = ini_profile(ini, &profile, err);
	if (st != KSM_OK)
		goto out;
	storage = ini_get(ini, profile, "storage", NULL);
	if (storage && strcmp(storage, "internal") != 0) {
		st = ksm_set_error(err, KSM_ERR_CONFIG,
				   "INI config: the profile's keys are kept "
				   "elsewhere (storage = %.32s), not in the "
				   "file",
				   storage);
		goto out;
	}
	st = ksm_client_config_new(&cfg, err);
	for (size_t i = 0; st == KSM_OK && i < ARRAY_LEN(ini_keys); i++) {
		const char *v = ini_get(ini, profile, ini_keys[i].ini, NULL);

		/* Keys, ids and host names: printable ASCII, no blank. */
		for (const char *q = v; q && *q && st == KSM_OK; q++)
			if (*q <= ' ' || *q > '~')
				st = ksm_set_error(err, KSM_ERR_CONFIG,
						   "INI config: %s holds a "
						   "character it cannot have",
						   ini_keys[i].ini);
		if (v && st == KSM_OK)
			st = ksm_client_config_set(cfg, ini_keys[i].json, v,
						   err);
	}
	if (st == KSM_OK) {
		*out = cfg;
		cfg = NULL;
	}
out:
	ksm_client_config_free(cfg);
	ini_clear(ini);
	free(ini);
	return st;
}

/* Keys as standard base64 with padding, as the SDKs' JSON export writes
 * them (the CLI's profiles may hold either alphabet). */
static ksm_status normalize_b64(ksm_client_config *cfg, const char *key,
				ksm_error *err)
{
	const char *v = ksm_client_config_get(cfg, key);
	uint8_t *raw = NULL;
	size_t n = 0;
	char *std;
	ksm_status st;

	if (!v)
		return KSM_OK;
	if (ksm_b64_decode(v, strlen(v), &raw, &n) != KSM_OK || n == 0) {
		ksm_free_wiped(raw, n);
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config's %s is not base64", key);
	}
	std = ksm_b64_encode(raw, n, false);
	ksm_free_wiped(raw, n);
	if (!std)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ksm_client_config_set(cfg, key, std, err);
	ksm_free_secret(std);
	return st;
}

/* A bound device's config, with a host name where a region code was. */
static ksm_status normalize(ksm_client_config *cfg, ksm_error *err)
{
	static const char *const b64[] = {KSM_CFG_CLIENT_ID,
					  KSM_CFG_PRIVATE_KEY, KSM_CFG_APP_KEY};
	const char *h = ksm_client_config_get(cfg, KSM_CFG_HOSTNAME);
	char *host = NULL;
	ksm_status st;

	if (!ksm_client_config_get(cfg, KSM_CFG_APP_KEY) &&
	    ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY))
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config holds a one-time token, not "
				     "a bound device: give the token with "
				     "--token-file instead");
	if (!h || !ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID) ||
	    !ksm_client_config_get(cfg, KSM_CFG_PRIVATE_KEY) ||
	    !ksm_client_config_get(cfg, KSM_CFG_APP_KEY))
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config lacks hostname, clientId, "
				     "privateKey or appKey: it is not a bound "
				     "device's");
	st = ksm_host_from_spec(h, &host, err);
	if (st != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config's hostname: %s", err->message);
	st = ksm_client_config_set(cfg, KSM_CFG_HOSTNAME, host, err);
	free(host);
	for (size_t i = 0; st == KSM_OK && i < ARRAY_LEN(b64); i++)
		st = normalize_b64(cfg, b64[i], err);
	return st;
}

/* Base64 of JSON or INI, wrapped lines allowed. */
static ksm_status decode_wrapped(const char *text, size_t len, uint8_t **out,
				 size_t *outlen)
{
	char *flat = malloc(len + 1);
	size_t n = 0;
	ksm_status st;

	if (!flat)
		return KSM_ERR_NOMEM;
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)text[i]))
			flat[n++] = text[i];
	st = n ? ksm_b64_decode(flat, n, out, outlen) : KSM_ERR_INVALID;
	ksm_free_wiped(flat, len + 1);
	return st;
}

static bool looks_like(const char *s, size_t n, char first)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	return n && *s == first;
}

static ksm_status parse_plain(const char *text, size_t len, bool base64,
			      ksm_client_config **out, const char **format,
			      ksm_error *err)
{
	if (looks_like(text, len, '{')) {
		*format = base64 ? "base64 JSON" : "JSON";
		return ksm_client_config_parse(text, len, "the JSON config",
					       out, err);
	}
	if (looks_like(text, len, '[')) {
		*format = base64 ? "base64 INI" : "INI";
		return config_from_ini(text, len, out, err);
	}
	return ksm_set_error(err, KSM_ERR_CONFIG,
			     "the config is neither JSON, base64 of JSON, a "
			     "keeper.ini nor base64 of one ('ksm profile "
			     "export')");
}

ksm_status ksm_client_config_import(const char *text, size_t len,
				    ksm_client_config **out,
				    const char **format, ksm_error *err)
{
	const char *fmt = NULL;
	uint8_t *dec = NULL;
	size_t dlen = 0;
	ksm_status st;

	*out = NULL;
	if (format)
		*format = NULL;
	if (!text || len > IMPORT_MAX_BYTES)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config is empty or larger than %d "
				     "bytes",
				     IMPORT_MAX_BYTES);
	if (memchr(text, '\0', len))
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "the config holds a NUL byte");
	if (looks_like(text, len, '{') || looks_like(text, len, '[')) {
		st = parse_plain(text, len, false, out, &fmt, err);
	} else if (decode_wrapped(text, len, &dec, &dlen) == KSM_OK &&
		   !memchr(dec, '\0', dlen)) {
		st = parse_plain((const char *)dec, dlen, true, out, &fmt, err);
	} else {
		st = parse_plain(text, 0, false, out, &fmt, err);
	}
	ksm_free_wiped(dec, dlen);
	if (st == KSM_OK)
		st = normalize(*out, err);
	if (st != KSM_OK) {
		ksm_client_config_free(*out);
		*out = NULL;
		return st == KSM_ERR_NOMEM ? st : KSM_ERR_CONFIG;
	}
	if (format)
		*format = fmt;
	return KSM_OK;
}
