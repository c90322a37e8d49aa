/* SPDX-License-Identifier: MIT */
/*
 * transport.c - libcurl requests for the KSM client.
 */
#include "transport.h"
#include "proxy.h"

#include <curl/curl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Debian's system CA directory; kept when ca_file adds one CA. */
#define SYSTEM_CA_PATH "/etc/ssl/certs"

struct ksm_http {
	CURL *curl; /* reused: keeps the TLS connection alive */
	char *ca_file;
	bool has_proxy;
	ksm_proxy_url proxy; /* user and password included */
	char *proxy_ca_file;
	char **no_proxy;
	size_t n_no_proxy;
};

struct body_buf {
	uint8_t *data;
	size_t len, cap, max;
	bool too_big;
};

/* Only the Date header is of interest (ksmctl status shows clock skew). */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	size_t n = size * nmemb;
	time_t *date = ud;
	char buf[128];

	if (n > 5 && n < sizeof(buf) && strncasecmp(ptr, "Date:", 5) == 0) {
		memcpy(buf, ptr + 5, n - 5);
		buf[n - 5] = '\0';
		*date = curl_getdate(buf, NULL);
		if (*date < 0)
			*date = 0;
	}
	return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static ksm_status http_set_proxy(ksm_http *h, const ksm_http_options *o,
				 ksm_error *err)
{
	if (!o->proxy || !*o->proxy)
		return KSM_OK;
	if (ksm_proxy_parse(o->proxy, &h->proxy) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "proxy in ksm.conf is not "
				     "http[s]://[USER[:PASSWORD]@]HOST:PORT");
	h->has_proxy = true;
	if (o->proxy_password) {
		ksm_free_secret(h->proxy.password);
		if (!(h->proxy.password = ksm_strdup(o->proxy_password)))
			return KSM_ERR_NOMEM;
	}
	if (o->proxy_ca_file &&
	    !(h->proxy_ca_file = ksm_strdup(o->proxy_ca_file)))
		return KSM_ERR_NOMEM;
	for (size_t i = 0; i < o->n_no_proxy; i++) {
		char *item = ksm_strdup(o->no_proxy[i]);

		if (!item ||
		    !ksm_strv_push(&h->no_proxy, &h->n_no_proxy, item)) {
			free(item);
			return KSM_ERR_NOMEM;
		}
	}
	return KSM_OK;
}

ksm_status ksm_http_new(const ksm_http_options *o, ksm_http **out,
			ksm_error *err)
{
	static const ksm_http_options none = {0};
	ksm_http *h;
	ksm_status st;

	*out = NULL;
	if (!o)
		o = &none;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "cannot initialise libcurl");
	h = calloc(1, sizeof(*h));
	if (!h || !(h->curl = curl_easy_init()) ||
	    (o->ca_file && !(h->ca_file = ksm_strdup(o->ca_file)))) {
		ksm_http_free(h);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	st = http_set_proxy(h, o, err);
	if (st != KSM_OK) {
		ksm_http_free(h);
		return st == KSM_ERR_NOMEM
			       ? ksm_set_error(err, st, "out of memory")
			       : st;
	}
	*out = h;
	return KSM_OK;
}

void ksm_http_free(ksm_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	ksm_proxy_url_clear(&h->proxy);
	free(h->proxy_ca_file);
	for (size_t i = 0; i < h->n_no_proxy; i++)
		free(h->no_proxy[i]);
	free(h->no_proxy);
	free(h);
}

void ksm_http_response_clear(ksm_http_response *resp)
{
	if (!resp)
		return;
	ksm_free_wiped(resp->body, resp->len);
	memset(resp, 0, sizeof(*resp));
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct body_buf *b = ud;
	size_t n = size * nmemb;

	if (n > b->max - b->len) {
		b->too_big = true;
		return 0; /* abort the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		uint8_t *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		/* Not realloc: the old buffer may hold secrets; wipe it. */
		p = malloc(cap);
		if (!p)
			return 0;
		if (b->data) {
			memcpy(p, b->data, b->len);
			ksm_free_wiped(b->data, b->cap);
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	return n;
}

static ksm_status map_curl_error(CURLcode rc, const char *url,
				 const char *detail, ksm_error *err)
{
	ksm_status st;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		st = KSM_ERR_TIMEOUT;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		st = KSM_ERR_TLS;
		break;
	default:
		st = KSM_ERR_NETWORK;
	}
	/* No query string: file download URLs carry a presigned one. */
	ksm_set_error(err, st, "%.*s: %s%s%s%s", (int)strcspn(url, "?"), url,
		      st == KSM_ERR_TIMEOUT ? "time budget ran out: " : "",
		      curl_easy_strerror(rc), detail && *detail ? " - " : "",
		      detail ? detail : "");
	if (st == KSM_ERR_TLS && err)
		ksm_error_prefix(err, "TLS check failed (set ca_file in "
				      "ksm.conf if the server uses a private "
				      "CA)");
	return st;
}

/* "HOST[:PORT]" of an https:// URL. */
static void url_hostport(const char *url, char *buf, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(buf, cap, "%.*s", (int)n, p);
}

/*
 * The proxy's part of a failure, with its fix; KSM_OK when the failure was
 * not the proxy's (the caller then reports curl's error as usual). The
 * proxy is named by its display form: never its user or password.
 */
static ksm_status map_proxy_error(ksm_http *h, CURLcode rc, const char *target,
				  ksm_error *err)
{
	const char *px = h->proxy.display;
	long code = 0, verify = 0;

	curl_easy_getinfo(h->curl, CURLINFO_HTTP_CONNECTCODE, &code);
	curl_easy_getinfo(h->curl, CURLINFO_PROXY_SSL_VERIFYRESULT, &verify);
	if (rc == CURLE_COULDNT_RESOLVE_PROXY)
		return ksm_set_error(
			err, KSM_ERR_NETWORK,
			"the proxy %s: its name does not resolve: "
			"check proxy in ksm.conf and the host's DNS",
			px);
	/* Squid answers 407 to wrong credentials too, tinyproxy 401. */
	if ((code == 407 || code == 401) && h->proxy.user)
		return ksm_set_error(
			err, KSM_ERR_NETWORK,
			"the proxy %s refused the user name and "
			"password (HTTP %ld): check the user in "
			"proxy and the password (proxy_password_file "
			"or the proxy URL) in ksm.conf",
			px, code);
	if (code == 407 || code == 401)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "the proxy %s needs a user name and "
				     "password (HTTP %ld): set proxy = "
				     "%s://USER@%s:%u and proxy_password_file "
				     "in ksm.conf",
				     px, code,
				     h->proxy.https ? "https" : "http",
				     h->proxy.host, h->proxy.port);
	if (code >= 500)
		return ksm_set_error(
			err, KSM_ERR_NETWORK,
			"the proxy %s could not reach %s (HTTP %ld "
			"to CONNECT): the proxy's own way to Keeper "
			"(DNS, firewall) is broken, or the service "
			"is down",
			px, target, code);
	if (code >= 300)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "the proxy %s refused to connect to %s "
				     "(HTTP %ld to CONNECT): allow CONNECT to "
				     "%s on the proxy, or list the host in "
				     "no_proxy if it can be reached directly",
				     px, target, code, target);
	if (h->proxy.https && verify != 0)
		return ksm_set_error(err, KSM_ERR_TLS,
				     "the proxy %s: its certificate is not "
				     "trusted (%s): set proxy_ca_file in "
				     "ksm.conf to the CA that issued it",
				     px, X509_verify_cert_error_string(verify));
	if (rc == CURLE_COULDNT_CONNECT && code == 0)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "cannot connect to the proxy %s: check "
				     "that it runs and that proxy in ksm.conf "
				     "names it (or list the server's host, %s, "
				     "in no_proxy to go direct)",
				     px, target);
	return KSM_OK;
}

/* A CONNECT tunnel through ksm.conf's proxy, with its credentials. */
static void set_proxy_options(ksm_http *h)
{
	CURL *c = h->curl;

	curl_easy_setopt(c, CURLOPT_PROXYTYPE,
			 h->proxy.https ? (long)CURLPROXY_HTTPS
					: (long)CURLPROXY_HTTP);
	curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
	if (h->proxy.user) {
		curl_easy_setopt(c, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_PROXYUSERNAME, h->proxy.user);
		curl_easy_setopt(c, CURLOPT_PROXYPASSWORD,
				 h->proxy.password ? h->proxy.password : "");
	}
	if (h->proxy.https) {
		curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
		if (h->proxy_ca_file) {
			curl_easy_setopt(c, CURLOPT_PROXY_CAINFO,
					 h->proxy_ca_file);
			curl_easy_setopt(c, CURLOPT_PROXY_CAPATH,
					 SYSTEM_CA_PATH);
		}
	}
}

ksm_status ksm_http_request(ksm_http *h, const char *url,
			    const char *const *headers, const uint8_t *body,
			    size_t len, bool post, size_t max_response,
			    uint64_t deadline, ksm_http_response *resp,
			    ksm_error *err)
{
	struct curl_slist *hl = NULL, *tmp;
	struct body_buf b = {.max = max_response};
	char errbuf[CURL_ERROR_SIZE] = "";
	uint64_t now = ksm_monotonic_ms();
	long left, sent = 0;
	CURL *c = h->curl;
	CURLcode rc;
	ksm_status st = KSM_OK;
	char target[300];
	bool via_proxy;

	memset(resp, 0, sizeof(*resp));
	resp->unsent = true; /* until curl says otherwise */
	if (now >= deadline)
		return ksm_set_error(err, KSM_ERR_TIMEOUT,
				     "%s: time budget ran out before the "
				     "request",
				     url);
	left = (long)(deadline - now);
	for (; headers && *headers; headers++) {
		tmp = curl_slist_append(hl, *headers);
		if (!tmp) {
			curl_slist_free_all(hl);
			return ksm_set_error(err, KSM_ERR_NOMEM,
					     "out of memory");
		}
		hl = tmp;
	}
	/* No "Expect: 100-continue" round trip on bigger bodies. */
	tmp = curl_slist_append(hl, "Expect:");
	if (tmp)
		hl = tmp;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	url_hostport(url, target, sizeof(target));
	via_proxy = h->has_proxy &&
		    !ksm_no_proxy_match(h->no_proxy, h->n_no_proxy, target);
	/* No proxy unless configured: "" also makes libcurl ignore the
	 * https_proxy/ALL_PROXY environment variables, and an explicit
	 * NOPROXY its no_proxy one (ksm.conf's no_proxy is decided above). */
	curl_easy_setopt(c, CURLOPT_PROXY, via_proxy ? h->proxy.display : "");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "");
	if (via_proxy)
		set_proxy_options(h);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, SYSTEM_CA_PATH);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, left);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ksm-unix/" KSM_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->date);
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(c);
	/* Request bytes written (headers and all): 0 when the name did not
	 * resolve or the connection or TLS handshake never came up. */
	if (curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent) != CURLE_OK ||
	    sent > 0 || rc == CURLE_OK)
		resp->unsent = false;
	resp->too_big = b.too_big;
	if (b.too_big) {
		st = ksm_set_error(err, KSM_ERR_PROTOCOL,
				   "%s: response larger than %zu bytes", url,
				   max_response);
	} else if (rc != CURLE_OK) {
		st = via_proxy ? map_proxy_error(h, rc, target, err) : KSM_OK;
		if (st == KSM_OK) {
			st = map_curl_error(rc, url, errbuf, err);
			if (via_proxy && err)
				ksm_error_prefix(err, "through the proxy %s",
						 h->proxy.display);
		}
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (!b.data)
			b.data = calloc(1, 1);
		if (!b.data) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		} else {
			b.data[b.len] = '\0';
			resp->body = b.data;
			resp->len = b.len;
			b.data = NULL;
		}
	}
	if (b.data)
		ksm_free_wiped(b.data, b.cap);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hl);
	return st;
}
