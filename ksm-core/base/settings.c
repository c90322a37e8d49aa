/* SPDX-License-Identifier: MIT */
/*
 * settings.c - ksm.conf: "key = value" lines with '#' comments.
 *
 * Option names are part of the contract (docs/design.md, "ksm.conf").
 * Unknown options are errors: a typo in a security setting must not pass
 * silently.
 */
#include "fileio.h"
#include "proxy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONF_MAX_BYTES	       (256 * 1024)
#define DEFAULT_SESSION_SECRET "password keeper://{record}/field/password"

ksm_status ksm_parse_duration(const char *s, unsigned *seconds)
{
	char *end = NULL;
	unsigned long long v, mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return KSM_ERR_INVALID;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return KSM_ERR_INVALID;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return KSM_ERR_INVALID;
	}
	if (*end && end[1])
		return KSM_ERR_INVALID;
	if (v > UINT32_MAX / mult)
		return KSM_ERR_INVALID;
	*seconds = (unsigned)(v * mult);
	return KSM_OK;
}

/* Seconds with an optional fraction ("3", "0.5") -> milliseconds. */
static ksm_status parse_budget_ms(const char *s, unsigned *ms)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 3600 ||
	    v * 1000.0 + 0.5 < 1.0)
		return KSM_ERR_INVALID;
	*ms = (unsigned)(v * 1000.0 + 0.5);
	return KSM_OK;
}

static ksm_status parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
	unsigned long a, b;
	char *end = NULL;

	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || end == s || *end != '-')
		return KSM_ERR_INVALID;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (errno || end == s || *end || a == 0 || a > b || b >= UINT32_MAX)
		return KSM_ERR_INVALID;
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return KSM_OK;
}

static ksm_status parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return KSM_ERR_INVALID;
	return KSM_OK;
}

static ksm_status set_str(char **dst, const char *v)
{
	char *copy = ksm_strdup(v);

	if (!copy)
		return KSM_ERR_NOMEM;
	free(*dst);
	*dst = copy;
	return KSM_OK;
}

static void strv_clear(char ***v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

/* A whole number from 0 to max. */
static ksm_status parse_count(const char *v, unsigned max, unsigned *out)
{
	char *end = NULL;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		return KSM_ERR_INVALID;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n > max)
		return KSM_ERR_INVALID;
	*out = (unsigned)n;
	return KSM_OK;
}

/* Comma separated, blanks around items ignored; replaces the old list. */
static ksm_status parse_list(char ***v, size_t *n, const char *text)
{
	const char *p = text;

	strv_clear(v, n);
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *item;

		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			item = ksm_strndup(p, len);
			if (!item || !ksm_strv_push(v, n, item)) {
				free(item);
				return KSM_ERR_NOMEM;
			}
		}
		p += e ? (size_t)(e - p) + 1 : strlen(p);
	}
	return KSM_OK;
}

/*
 * account_folders: folder UIDs (1-64 characters of the URL-safe base64
 * alphabet, as record UIDs). Anything else is an error naming the entry,
 * never a folder that matches nothing: "UID # comment" would otherwise
 * silently give 0 accounts (ksm.conf has whole-line comments only).
 */
static ksm_status parse_folders(ksm_settings *c, const char *v, char *why,
				size_t whylen)
{
	ksm_status st =
		parse_list(&c->account_folders, &c->n_account_folders, v);

	for (size_t i = 0; st == KSM_OK && i < c->n_account_folders; i++) {
		const char *f = c->account_folders[i];
		size_t n =
			strspn(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789-_");

		if (n == strlen(f) && n <= 64)
			continue;
		snprintf(why, whylen,
			 "account_folders: '%.64s' is not a folder UID (1 to "
			 "64 of A-Z a-z 0-9 - _)%s",
			 f,
			 strchr(f, '#') ? "; a comment must be on a line of "
					  "its own"
					: "");
		st = KSM_ERR_INVALID;
	}
	return st;
}

/*
 * max_account_drop: "P%", "N" or both ("10%, 5"): a sync may remove at most
 * the larger of N accounts and P % of the previous snapshot's.
 */
static ksm_status parse_drop(ksm_settings *c, const char *v)
{
	char **items = NULL;
	size_t n = 0;
	bool pct = false, cnt = false;
	ksm_status st = parse_list(&items, &n, v);

	if (st == KSM_OK && (n == 0 || n > 2))
		st = KSM_ERR_INVALID;
	for (size_t i = 0; st == KSM_OK && i < n; i++) {
		size_t len = strlen(items[i]);
		bool is_pct = len > 1 && items[i][len - 1] == '%';
		unsigned val;

		if (is_pct)
			items[i][len - 1] = '\0';
		if ((is_pct ? pct : cnt) ||
		    parse_count(items[i], is_pct ? 100 : 10000000, &val) !=
			    KSM_OK) {
			st = KSM_ERR_INVALID;
			break;
		}
		if (is_pct) {
			pct = true;
			c->max_drop_percent = val;
		} else {
			cnt = true;
			c->max_drop_count = val;
		}
	}
	if (st == KSM_OK) {
		if (!pct)
			c->max_drop_percent = 0;
		if (!cnt)
			c->max_drop_count = 0;
	}
	strv_clear(&items, &n);
	return st;
}

/* "NAME NOTATION"; the first explicit one replaces the default list. */
static ksm_status add_session_secret(ksm_settings *c, const char *v,
				     bool *replaced_default)
{
	const char *sp = v;
	ksm_session_secret *a, *s;
	size_t nlen;

	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	nlen = (size_t)(sp - v);
	while (isspace((unsigned char)*sp))
		sp++;
	if (nlen == 0 || nlen > 64 || !*sp)
		return KSM_ERR_INVALID;
	for (size_t i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("_-.", v[i]))
			return KSM_ERR_INVALID;
	if (!*replaced_default) {
		for (size_t i = 0; i < c->n_session_secrets; i++) {
			free(c->session_secrets[i].name);
			free(c->session_secrets[i].notation);
		}
		c->n_session_secrets = 0;
		*replaced_default = true;
	}
	a = realloc(c->session_secrets,
		    (c->n_session_secrets + 1) * sizeof(*a));
	if (!a)
		return KSM_ERR_NOMEM;
	c->session_secrets = a;
	s = &a[c->n_session_secrets];
	s->name = ksm_strndup(v, nlen);
	s->notation = ksm_strdup(sp);
	if (!s->name || !s->notation) {
		free(s->name);
		free(s->notation);
		return KSM_ERR_NOMEM;
	}
	c->n_session_secrets++;
	return KSM_OK;
}

/*
 * A size in bytes: "auto" (0: the default), or a whole number of MiB with
 * an optional unit M or G ("512M", "2G", "300"); from 1 MiB to 64 GiB.
 */
static ksm_status parse_size(const char *v, size_t *out)
{
	unsigned long long n;
	char *end = NULL;

	if (!strcmp(v, "auto")) {
		*out = 0;
		return KSM_OK;
	}
	if (!isdigit((unsigned char)*v))
		return KSM_ERR_INVALID;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || n > 64 * 1024)
		return KSM_ERR_INVALID;
	if ((*end == 'G' || *end == 'g') && !end[1])
		n *= 1024;
	else if (*end && !((*end == 'M' || *end == 'm') && !end[1]))
		return KSM_ERR_INVALID;
	if (n < 1 || n > 64 * 1024 || (uint64_t)n << 20 > SIZE_MAX)
		return KSM_ERR_INVALID;
	*out = (size_t)(n << 20);
	return KSM_OK;
}

/* "N/DURATION", e.g. "90/10s": at least one request in a window of at
 * least one second. */
static ksm_status parse_rate(const char *v, unsigned *n, unsigned *window)
{
	const char *slash = strchr(v, '/');
	char count[16];

	if (!slash || (size_t)(slash - v) >= sizeof(count))
		return KSM_ERR_INVALID;
	memcpy(count, v, (size_t)(slash - v));
	count[slash - v] = '\0';
	if (parse_count(count, 100000, n) != KSM_OK || *n == 0 ||
	    ksm_parse_duration(slash + 1, window) != KSM_OK || *window == 0)
		return KSM_ERR_INVALID;
	return KSM_OK;
}

/* The proxy URL (proxy.h); an empty value means none. It may hold the
 * proxy's password: the old value is wiped. */
static ksm_status set_proxy(ksm_settings *c, const char *v)
{
	ksm_proxy_url p;
	ksm_status st = KSM_OK;

	if (*v && ksm_proxy_parse(v, &p) != KSM_OK)
		return KSM_ERR_INVALID;
	if (*v)
		ksm_proxy_url_clear(&p);
	ksm_free_secret(c->proxy);
	c->proxy = NULL;
	if (*v && !(c->proxy = ksm_strdup(v)))
		st = KSM_ERR_NOMEM;
	return st;
}

static ksm_status set_no_proxy(ksm_settings *c, const char *v)
{
	ksm_status st = parse_list(&c->no_proxy, &c->n_no_proxy, v);

	for (size_t i = 0; st == KSM_OK && i < c->n_no_proxy; i++)
		if (!ksm_no_proxy_item_ok(c->no_proxy[i]))
			st = KSM_ERR_INVALID;
	return st;
}

/* "none" (NULL), "auto", or a record UID (the B64U alphabet). */
static ksm_status set_host_record(ksm_settings *c, const char *v)
{
	size_t n = strlen(v);

	if (!strcmp(v, "none")) {
		free(c->host_record);
		c->host_record = NULL;
		return KSM_OK;
	}
	if (!n || n > 64 ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
		      "mnopqrstuvwxyz0123456789-_") != n)
		return KSM_ERR_INVALID;
	return set_str(&c->host_record, v);
}

static ksm_status set_option(ksm_settings *c, const char *k, const char *v,
			     bool *replaced_default, char *why, size_t whylen)
{
	if (!strcmp(k, "client_config"))
		return set_str(&c->client_config, v);
	if (!strcmp(k, "ca_file"))
		return set_str(&c->ca_file, v);
	if (!strcmp(k, "client_version"))
		return set_str(&c->client_version, v);
	if (!strcmp(k, "snapshot"))
		return set_str(&c->snapshot, v);
	if (!strcmp(k, "private_store"))
		return set_str(&c->private_store, v);
	if (!strcmp(k, "account_folders"))
		return parse_folders(c, v, why, whylen);
	if (!strcmp(k, "local_groups"))
		return parse_list(&c->local_groups, &c->n_local_groups, v);
	if (!strcmp(k, "uid_range"))
		return parse_range(v, &c->uid_min, &c->uid_max);
	if (!strcmp(k, "gid_range"))
		return parse_range(v, &c->gid_min, &c->gid_max);
	if (!strcmp(k, "derived_uid_range"))
		return parse_range(v, &c->derived_uid_min, &c->derived_uid_max);
	if (!strcmp(k, "derived_gid_range"))
		return parse_range(v, &c->derived_gid_min, &c->derived_gid_max);
	if (!strcmp(k, "max_account_drop"))
		return parse_drop(c, v);
	if (!strcmp(k, "home_template"))
		return set_str(&c->home_template, v);
	if (!strcmp(k, "default_shell"))
		return set_str(&c->default_shell, v);
	if (!strcmp(k, "keys_max_age"))
		return ksm_parse_duration(v, &c->keys_max_age);
	if (!strcmp(k, "keys_max_stale"))
		return ksm_parse_duration(v, &c->keys_max_stale);
	if (!strcmp(k, "snapshot_warn_age"))
		return ksm_parse_duration(v, &c->snapshot_warn_age);
	if (!strcmp(k, "offline_max_age"))
		return ksm_parse_duration(v, &c->offline_max_age);
	if (!strcmp(k, "offline_max_failures"))
		return parse_count(v, 1000, &c->offline_max_failures);
	if (!strcmp(k, "session_secret"))
		return add_session_secret(c, v, replaced_default);
	if (!strcmp(k, "session_secret_ttl"))
		return ksm_parse_duration(v, &c->session_secret_ttl);
	if (!strcmp(k, "timeout_auth"))
		return parse_budget_ms(v, &c->timeout_auth_ms);
	if (!strcmp(k, "timeout_keys"))
		return parse_budget_ms(v, &c->timeout_keys_ms);
	if (!strcmp(k, "timeout_sync"))
		return parse_budget_ms(v, &c->timeout_sync_ms);
	if (!strcmp(k, "ksmd_socket"))
		return set_str(&c->ksmd_socket, v);
	if (!strcmp(k, "ksmd_user"))
		return set_str(&c->ksmd_user, v);
	if (!strcmp(k, "keys_user"))
		return set_str(&c->keys_user, v);
	if (!strcmp(k, "request_budget"))
		return parse_rate(v, &c->request_budget, &c->request_window);
	if (!strcmp(k, "max_auth_failures"))
		return parse_count(v, 64, &c->max_auth_failures);
	if (!strcmp(k, "auth_failure_window"))
		return ksm_parse_duration(v, &c->auth_failure_window);
	if (!strcmp(k, "auth_reuse")) {
		/* Each second of it is one in which a rotated-away password
		 * may still be accepted: a minute at most. */
		unsigned s;

		if (ksm_parse_duration(v, &s) != KSM_OK || s > 60)
			return KSM_ERR_INVALID;
		c->auth_reuse = s;
		return KSM_OK;
	}
	if (!strcmp(k, "max_response_size"))
		return parse_size(v, &c->max_response_size);
	if (!strcmp(k, "offline_verifiers")) {
		if (strcmp(v, "login") && strcmp(v, "all"))
			return KSM_ERR_INVALID;
		c->offline_verifiers_all = !strcmp(v, "all");
		return KSM_OK;
	}
	if (!strcmp(k, "insecure_client_config"))
		return parse_bool(v, &c->insecure_client_config);
	if (!strcmp(k, "proxy"))
		return set_proxy(c, v);
	if (!strcmp(k, "proxy_password_file"))
		return set_str(&c->proxy_password_file, v);
	if (!strcmp(k, "proxy_ca_file"))
		return set_str(&c->proxy_ca_file, v);
	if (!strcmp(k, "no_proxy"))
		return set_no_proxy(c, v);
	if (!strcmp(k, "keys_from_private_key"))
		return parse_bool(v, &c->keys_from_private_key);
	if (!strcmp(k, "host_record"))
		return set_host_record(c, v);
	if (!strcmp(k, "admin_groups"))
		return parse_list(&c->admin_groups, &c->n_admin_groups, v);
	if (!strcmp(k, "end_sessions"))
		return parse_bool(v, &c->end_sessions);
	if (!strcmp(k, "end_sessions_grace"))
		return ksm_parse_duration(v, &c->end_sessions_grace);
	return KSM_ERR_NOT_FOUND;
}

static ksm_status conf_defaults(ksm_settings **out)
{
	ksm_settings *c = calloc(1, sizeof(*c));
	bool dummy = false;

	*out = NULL;
	if (!c)
		return KSM_ERR_NOMEM;
	c->uid_min = c->gid_min = 200000;
	c->uid_max = c->gid_max = 299999;
	/* systemd's unused 0x70000000-0x7FFDFFFF: above the container ranges,
	 * below the foreign range and the 31-bit boundary (docs/decisions.md,
	 * "Derived uids"). */
	c->derived_uid_min = c->derived_gid_min = 1879048192u;
	c->derived_uid_max = c->derived_gid_max = 2147352575u;
	c->max_drop_percent = 10;
	c->max_drop_count = 5;
	c->keys_max_age = 5 * 60;
	c->keys_from_private_key = true;
	c->end_sessions = true;
	c->end_sessions_grace = 5;
	c->keys_max_stale = 24 * 3600;
	c->snapshot_warn_age = 15 * 60;
	c->offline_max_age = 86400;
	c->offline_max_failures = 5;
	c->session_secret_ttl = 12 * 3600;
	c->timeout_auth_ms = 3000;
	c->timeout_keys_ms = 2000;
	c->timeout_sync_ms = 30000;
	/* Below Keeper's per-device limits, so the device never throttles. */
	c->request_budget = 90;
	c->request_window = 10;
	c->max_auth_failures = 5;
	c->auth_failure_window = 15 * 60;
	c->auth_reuse = 5;
	if (set_str(&c->client_config, SYSCONFDIR_KSM "/client.json") ||
	    set_str(&c->client_version, KSM_DEFAULT_CLIENT_VERSION) ||
	    set_str(&c->snapshot, "/var/lib/ksm/snapshot") ||
	    set_str(&c->private_store, "/var/lib/ksmd/private") ||
	    set_str(&c->ksmd_socket, "/run/ksm/ksmd.sock") ||
	    set_str(&c->ksmd_user, "ksmd") ||
	    set_str(&c->keys_user, "ksm-keys") ||
	    set_str(&c->home_template, "/home/%u") ||
	    set_str(&c->default_shell, "/bin/bash") ||
	    add_session_secret(c, DEFAULT_SESSION_SECRET, &dummy)) {
		ksm_settings_free(c);
		return KSM_ERR_NOMEM;
	}
	*out = c;
	return KSM_OK;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

ksm_status ksm_settings_parse(const char *text, size_t len, const char *what,
			      ksm_settings **out, ksm_error *err)
{
	char *copy = NULL, *line, *next, why[200];
	bool replaced_default = false;
	ksm_settings *c = NULL;
	unsigned lineno = 0;
	ksm_status st;

	*out = NULL;
	if (conf_defaults(&c) != KSM_OK || !(copy = ksm_strndup(text, len))) {
		ksm_settings_free(c);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	if (memchr(text, '\0', len)) {
		st = ksm_set_error(err, KSM_ERR_CONFIG,
				   "%s: contains a NUL byte", what);
		goto out;
	}
	for (line = copy; line; line = next) {
		char *eq, *key, *val;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (!*line || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			st = ksm_set_error(err, KSM_ERR_CONFIG,
					   "%s:%u: expected 'option = value'",
					   what, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		why[0] = '\0';
		st = set_option(c, key, val, &replaced_default, why,
				sizeof(why));
		if (st == KSM_ERR_NOT_FOUND) {
			st = ksm_set_error(err, KSM_ERR_CONFIG,
					   "%s:%u: unknown option '%.64s' (see "
					   "ksm.conf(5))",
					   what, lineno, key);
			goto out;
		}
		if (st != KSM_OK && !strcmp(key, "proxy")) {
			/* Never the value: it may hold the password. */
			st = ksm_set_error(
				err,
				st == KSM_ERR_NOMEM ? KSM_ERR_NOMEM
						    : KSM_ERR_CONFIG,
				"%s:%u: bad value for proxy: expected "
				"http://[USER[:PASSWORD]@]HOST:PORT or "
				"https://[USER[:PASSWORD]@]HOST:PORT",
				what, lineno);
			goto out;
		}
		if (st == KSM_ERR_INVALID && why[0]) {
			st = ksm_set_error(err, KSM_ERR_CONFIG, "%s:%u: %s",
					   what, lineno, why);
			goto out;
		}
		if (st != KSM_OK) {
			st = ksm_set_error(
				err,
				st == KSM_ERR_NOMEM ? KSM_ERR_NOMEM
						    : KSM_ERR_CONFIG,
				"%s:%u: bad value for %.64s: '%.128s'", what,
				lineno, key, val);
			goto out;
		}
	}
	*out = c;
	c = NULL;
	st = KSM_OK;
out:
	/* The text may hold the proxy's password. */
	if (copy)
		ksm_free_wiped(copy, len + 1);
	ksm_settings_free(c);
	return st;
}

ksm_status ksm_settings_load(const char *path, ksm_settings **out,
			     ksm_error *err)
{
	char *text = NULL;
	size_t len = 0;
	ksm_status st;

	if (!path)
		path = KSM_DEFAULT_CONF;
	st = ksm_read_file(path, CONF_MAX_BYTES, &text, &len, NULL, err);
	if (st == KSM_ERR_NOT_FOUND) {
		st = conf_defaults(out);
		return st == KSM_OK ? st
				    : ksm_set_error(err, st, "out of memory");
	}
	if (st != KSM_OK)
		return st;
	st = ksm_settings_parse(text, len, path, out, err);
	ksm_free_wiped(text, len);
	return st;
}

void ksm_settings_free(ksm_settings *c)
{
	if (!c)
		return;
	free(c->client_config);
	free(c->ca_file);
	free(c->client_version);
	free(c->snapshot);
	free(c->private_store);
	strv_clear(&c->account_folders, &c->n_account_folders);
	strv_clear(&c->local_groups, &c->n_local_groups);
	free(c->home_template);
	free(c->default_shell);
	free(c->ksmd_socket);
	free(c->ksmd_user);
	free(c->keys_user);
	for (size_t i = 0; i < c->n_session_secrets; i++) {
		free(c->session_secrets[i].name);
		free(c->session_secrets[i].notation);
	}
	free(c->session_secrets);
	ksm_free_secret(c->proxy);
	free(c->proxy_password_file);
	free(c->proxy_ca_file);
	strv_clear(&c->no_proxy, &c->n_no_proxy);
	free(c->host_record);
	strv_clear(&c->admin_groups, &c->n_admin_groups);
	free(c);
}
