/* SPDX-License-Identifier: MIT */
/*
 * proxy.c - the proxy URL of ksm.conf and the no_proxy list (proxy.h).
 */
#include "proxy.h"
#include "mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define HOST_MAX 253

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* n bytes of s, %XX decoded; NULL when malformed or a control byte. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				goto bad;
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (strchr("/?#", ch) || isspace(ch)) {
			goto bad;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto bad;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
bad:
	ksm_free_wiped(out, n + 1);
	return NULL;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* "HOST:PORT" or "[V6]:PORT" (n bytes) into p. */
static bool parse_hostport(const char *s, size_t n, ksm_proxy_url *p)
{
	size_t hlen;
	const char *colon;
	unsigned long port = 0;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close == s + 1)
			return false;
		for (const char *q = s + 1; q < close; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' &&
			    *q != '.')
				return false;
		hlen = (size_t)(close - s) + 1;
	} else {
		hlen = 0;
		while (hlen < n && s[hlen] != ':') {
			if (!name_char(s[hlen]))
				return false;
			hlen++;
		}
		if (hlen == 0)
			return false;
	}
	if (hlen > HOST_MAX + 2 || hlen >= sizeof(p->host))
		return false;
	colon = s + hlen;
	if ((size_t)(colon - s) >= n || *colon != ':')
		return false; /* the port is required */
	for (const char *q = colon + 1; q < s + n; q++) {
		if (!isdigit((unsigned char)*q) || port > 65535)
			return false;
		port = port * 10 + (unsigned long)(*q - '0');
	}
	if (colon + 1 == s + n || port == 0 || port > 65535)
		return false;
	memcpy(p->host, s, hlen);
	p->host[hlen] = '\0';
	p->port = (unsigned)port;
	return true;
}

ksm_status ksm_proxy_parse(const char *url, ksm_proxy_url *p)
{
	const char *auth, *at = NULL, *end;
	size_t n;

	memset(p, 0, sizeof(*p));
	if (!url)
		return KSM_ERR_INVALID;
	if (!strncasecmp(url, "http://", 7)) {
		auth = url + 7;
	} else if (!strncasecmp(url, "https://", 8)) {
		auth = url + 8;
		p->https = true;
	} else {
		return KSM_ERR_INVALID;
	}
	n = strlen(auth);
	if (n && auth[n - 1] == '/')
		n--; /* "http://proxy:3128/" */
	end = auth + n;
	for (const char *q = auth; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t ulen =
			colon ? (size_t)(colon - auth) : (size_t)(at - auth);

		p->user = unescape(auth, ulen);
		if (!p->user || !*p->user)
			goto bad;
		if (colon) {
			p->password =
				unescape(colon + 1, (size_t)(at - colon - 1));
			if (!p->password)
				goto bad;
		}
		auth = at + 1;
	}
	if (!parse_hostport(auth, (size_t)(end - auth), p))
		goto bad;
	snprintf(p->display, sizeof(p->display), "%s://%s:%u",
		 p->https ? "https" : "http", p->host, p->port);
	return KSM_OK;
bad:
	ksm_proxy_url_clear(p);
	return KSM_ERR_INVALID;
}

void ksm_proxy_url_clear(ksm_proxy_url *p)
{
	if (!p)
		return;
	free(p->user);
	ksm_free_secret(p->password);
	memset(p, 0, sizeof(*p));
}

/* item without [] and a leading dot, as a pointer and length. */
static void item_core(const char *item, const char **s, size_t *n)
{
	*s = item;
	*n = strlen(item);
	if (*n >= 2 && item[0] == '[' && item[*n - 1] == ']') {
		(*s)++;
		*n -= 2;
	}
	if (*n && **s == '.') {
		(*s)++;
		(*n)--;
	}
}

bool ksm_no_proxy_item_ok(const char *item)
{
	const char *s;
	size_t n, colons = 0;

	if (!strcmp(item, "*"))
		return true;
	item_core(item, &s, &n);
	if (n == 0 || n > HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':')
			colons++;
		else if (!name_char(s[i]))
			return false;
	}
	/* Hosts without ports: one ':' would be HOST:PORT, never matched. */
	return colons != 1;
}

bool ksm_no_proxy_match(char *const *no_proxy, size_t n, const char *hostport)
{
	const char *h = hostport, *e;
	size_t hlen;

	if (!hostport)
		return false;
	if (*h == '[') {
		h++;
		e = strchr(h, ']');
		hlen = e ? (size_t)(e - h) : strlen(h);
	} else {
		e = strchr(h, ':');
		/* More than one ':' is a bare IPv6 address, no port. */
		hlen = e && !strchr(e + 1, ':') ? (size_t)(e - h) : strlen(h);
	}
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t len;

		if (!strcmp(no_proxy[i], "*"))
			return true;
		item_core(no_proxy[i], &s, &len);
		if (len == 0 || len > hlen)
			continue;
		if (!strncasecmp(h + hlen - len, s, len) &&
		    (len == hlen || h[hlen - len - 1] == '.'))
			return true;
	}
	return false;
}

bool ksm_proxy_password_exposed(const char *conf_path, const ksm_settings *conf,
				unsigned *mode)
{
	ksm_proxy_url p;
	struct stat st;
	bool has_password;

	*mode = 0;
	if (!conf->proxy || ksm_proxy_parse(conf->proxy, &p) != KSM_OK)
		return false;
	has_password = p.password != NULL;
	ksm_proxy_url_clear(&p);
	if (!has_password ||
	    stat(conf_path ? conf_path : KSM_DEFAULT_CONF, &st) != 0)
		return false;
	*mode = (unsigned)(st.st_mode & 07777);
	return (st.st_mode & S_IROTH) != 0;
}
