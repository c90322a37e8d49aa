/*
 * ksmctl_status.c - "ksmctl status": is this host bound, can it reach the
 * server, is its clock right, how long does a request take.
 */
#include "ksmctl.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_status(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_error err = {0};
	const char *host = "";
	bool json = false, reachable = false;
	long long skew = 0;
	unsigned long long rtt = 0;
	time_t sdate = 0;
	ksm_status st;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ksmctl_usage_error(k, "usage: status [--json]");
		json = true;
	}
	st = ksm_client_from_conf(k->conf, &c, &err);
	if (st == KSM_OK && !ksm_client_is_bound(c)) {
		/* Status must not spend a one-time token by binding. */
		st = KSM_ERR_NOT_BOUND;
		snprintf(err.message, sizeof(err.message),
			 "%s holds a one-time token but is not bound yet: run "
			 "'ksmctl init'",
			 k->conf->client_config);
		ksm_client_free(c);
		c = NULL;
	}
	if (st == KSM_OK) {
		host = ksm_config_get(ksm_client_config(c), KSM_CFG_HOSTNAME);
		st = ksm_get_secrets(c, NULL, k->conf->timeout_sync_ms, &s, &err);
		reachable = st == KSM_OK;
		rtt = ksm_client_last_rtt_ms(c);
		sdate = ksm_client_server_date(c);
		if (sdate)
			skew = (long long)(time(NULL) - sdate);
	}
	rc = ksmctl_exit_code(st);
	if (json) {
		printf("{\"client_config\":");
		ksmctl_json_string(stdout, k->conf->client_config);
		printf(",\"bound\":%s,\"hostname\":", c ? "true" : "false");
		ksmctl_json_string(stdout, host);
		printf(",\"reachable\":%s,\"records\":%zu,\"latency_ms\":%llu",
		       reachable ? "true" : "false", ksm_secrets_count(s), rtt);
		if (sdate)
			printf(",\"clock_skew_s\":%lld", skew);
		printf(",\"error\":");
		ksmctl_json_string(stdout, st == KSM_OK ? "" : err.message);
		printf("}\n");
	} else {
		printf("client config: %s (%s)\n", k->conf->client_config,
		       c ? "bound" : "not usable");
		if (c)
			printf("server:        %s (%s)\n", host,
			       reachable ? "reachable" : "NOT reachable");
		if (reachable)
			printf("records:       %zu\nlatency:       %llu ms\n",
			       ksm_secrets_count(s), rtt);
		if (sdate)
			printf("clock:         %+lld s against the server%s\n",
			       skew,
			       skew > 30 || skew < -30 ? " - fix the clock (TOTP "
							 "and expiry depend on it)"
						       : "");
		if (st != KSM_OK)
			printf("problem:       %s\n", err.message);
	}
	ksm_secrets_free(s);
	ksm_client_free(c);
	return rc;
}
