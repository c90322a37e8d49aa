/* SPDX-License-Identifier: MIT */
/*
 * transport.c - libcurl requests for the KSM client.
 */
#include "transport.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Debian's system CA directory; kept when ca_file adds one CA. */
#define SYSTEM_CA_PATH "/etc/ssl/certs"

struct ksm_http {
	CURL *curl; /* reused: keeps the TLS connection alive */
	char *ca_file;
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

ksm_status ksm_http_new(const char *ca_file, ksm_http **out, ksm_error *err)
{
	ksm_http *h;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return ksm_set_error(err, KSM_ERR_NETWORK,
				     "cannot initialise libcurl");
	h = calloc(1, sizeof(*h));
	if (!h || !(h->curl = curl_easy_init()) ||
	    (ca_file && !(h->ca_file = ksm_strdup(ca_file)))) {
		ksm_http_free(h);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
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
	/* No proxy unless configured: "" also makes libcurl ignore the
	 * https_proxy/ALL_PROXY environment variables. */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
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
	if (b.too_big) {
		st = ksm_set_error(err, KSM_ERR_PROTOCOL,
				   "%s: response larger than %zu bytes", url,
				   max_response);
	} else if (rc != CURLE_OK) {
		st = map_curl_error(rc, url, errbuf, err);
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
