/* SPDX-License-Identifier: MIT */
/*
 * proxy.h - ksm.conf's proxy: its URL and the no_proxy list (internal).
 * libc only: ksm.conf's parser checks the values, the transport uses them.
 *
 * The URL is http:// or https://, an optional USER[:PASSWORD]@ (with %XX
 * escapes for ':' '@' '%' and the like), a host name, IPv4 address or
 * [IPv6] address, and a port: http://[USER[:PASSWORD]@]HOST:PORT[/].
 */
#ifndef KSM_PROXY_H
#define KSM_PROXY_H

#include "defs.h"

typedef struct ksm_proxy_url {
	bool https;
	char host[256]; /* as written; an IPv6 address keeps its [] */
	unsigned port;
	char *user;	/* NULL: none; percent-decoded */
	char *password; /* NULL: none; percent-decoded; secret */
	/* "http://HOST:PORT": what messages and curl see (no user, no
	 * password). */
	char display[300];
} ksm_proxy_url;

/* Parse url; KSM_ERR_INVALID for anything else. Clear out afterwards
 * (also on failure). */
KSM_HIDDEN ksm_status ksm_proxy_parse(const char *url, ksm_proxy_url *out);
KSM_HIDDEN void ksm_proxy_url_clear(ksm_proxy_url *p);
/* Is item a valid no_proxy entry: "*", a host name or domain (".corp.example"
 * or "corp.example"), an IPv4 address or an IPv6 address (with or without
 * []), never with a port? */
KSM_HIDDEN bool ksm_no_proxy_item_ok(const char *item);
/*
 * Does the server hostport ("HOST", "HOST:PORT", "[V6]:PORT") bypass the
 * proxy? "*" matches every host; a name matches itself and its subdomains
 * (a leading dot is ignored); addresses match exactly. Case-insensitive;
 * ports are ignored.
 */
KSM_HIDDEN bool ksm_no_proxy_match(char *const *no_proxy, size_t n,
				   const char *hostport);

/*
 * Does ksm.conf at conf_path (NULL: the default) hold the proxy's password
 * in conf->proxy while every local user may read the file? *mode gets its
 * mode. The callers warn: the password belongs in proxy_password_file.
 */
KSM_HIDDEN bool ksm_proxy_password_exposed(const char *conf_path,
					   const ksm_settings *conf,
					   unsigned *mode);

#endif
