/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_status.c - "ksmctl status": is this host bound, can it reach the
 * server, is its clock right, how long does a request take, and what did
 * the last sync leave (snapshot age and counts, last result). --json is
 * for monitoring; --local skips the server request.
 *
 * Exit code: the server check's (3, 4, 5), else 1 when the snapshot is
 * unusable, older than keys_max_stale, or the last sync failed, else 0.
 */
#include "ksmctl.h"
#include "ksmctl_laststate.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct status {
	const char *host;
	bool bound, asked, reachable;
	size_t records;
	unsigned long long rtt;
	time_t server_date;
	ksm_status st;
	ksm_error err;
	struct ksmctl_snapshot_summary snap;
	json_object *last; /* SNAPSHOT.status or NULL */
	char problem[700]; /* the local problem, if any */
};

static void check_server(struct ksmctl *k, struct status *S)
{
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	uint64_t t0;
	bool broker = ksmctl_ksmd_running(k);

	/* The config (as root) for the host; the request through ksmd. */
	S->st = ksm_client_from_settings(k->conf, &c, &S->err);
	if (S->st == KSM_OK && !ksm_client_is_bound(c)) {
		/* Status must not spend a one-time token by binding. */
		S->st = KSM_ERR_NOT_BOUND;
		snprintf(S->err.message, sizeof(S->err.message),
			 "%s holds a one-time token but is not bound yet: run "
			 "'ksmctl init'",
			 k->conf->client_config);
		goto out;
	}
	if (S->st != KSM_OK)
		goto out;
	S->bound = true;
	S->host = ksm_client_config_get(ksm_client_get_config(c),
					KSM_CFG_HOSTNAME);
	S->host = S->host ? strdup(S->host) : NULL;
	if (!S->asked)
		goto out;
	t0 = ksm_monotonic_ms();
	S->st = ksmctl_get_secrets(k, broker ? NULL : c, NULL, "read", &s,
				   &S->err);
	S->reachable = S->st == KSM_OK;
	S->records = ksm_secrets_count(s);
	S->rtt = broker ? ksm_monotonic_ms() - t0 : ksm_client_last_rtt_ms(c);
	S->server_date = broker ? 0 : ksm_client_server_date(c);
out:
	ksm_secrets_free(s);
	ksm_client_free(c);
}

/* What the admin must do about local state, in one sentence. */
static void check_local(const ksm_settings *conf, struct status *S, time_t now)
{
	long long age = now - S->snap.generated_at;

	if (!S->snap.ok)
		snprintf(S->problem, sizeof(S->problem),
			 "snapshot %s is %s: run 'ksmctl sync'", conf->snapshot,
			 S->snap.state);
	else if (S->last && !ksmctl_last_ok(S->last))
		snprintf(
			S->problem, sizeof(S->problem),
			"the last sync failed (%s); the snapshot of %lld s ago "
			"is still served",
			ksmctl_last_str(S->last, "message") ?: "no message",
			age);
	else if (age > (long long)conf->keys_max_stale)
		snprintf(S->problem, sizeof(S->problem),
			 "snapshot is %lld s old, more than keys_max_stale "
			 "(%u s): is ksm-sync.timer running?",
			 age, conf->keys_max_stale);
}

static void print_json(const struct ksmctl *k, const struct status *S,
		       time_t now)
{
	printf("{\"client_config\":");
	ksmctl_json_string(stdout, k->conf->client_config);
	printf(",\"bound\":%s,\"hostname\":", S->bound ? "true" : "false");
	ksmctl_json_string(stdout, S->host ? S->host : "");
	if (S->asked)
		printf(",\"reachable\":%s,\"records\":%zu,\"latency_ms\":%llu",
		       S->reachable ? "true" : "false", S->records, S->rtt);
	else
		printf(",\"reachable\":null");
	if (S->server_date)
		printf(",\"clock_skew_s\":%lld",
		       (long long)(now - S->server_date));
	printf(",\"error\":");
	ksmctl_json_string(stdout, S->st == KSM_OK ? "" : S->err.message);
	printf(",\"snapshot\":{\"path\":");
	ksmctl_json_string(stdout, k->conf->snapshot);
	printf(",\"state\":");
	ksmctl_json_string(stdout, S->snap.state);
	if (S->snap.ok)
		printf(",\"generated_at\":%lld,\"age_s\":%lld,\"accounts\":%u,"
		       "\"groups\":%u",
		       S->snap.generated_at,
		       (long long)now - S->snap.generated_at, S->snap.accounts,
		       S->snap.groups);
	printf("},\"last_sync\":");
	if (S->last) {
		printf("{\"time\":%lld,\"ok\":%s,\"message\":",
		       ksmctl_last_int(S->last, "time"),
		       ksmctl_last_ok(S->last) ? "true" : "false");
		ksmctl_json_string(stdout,
				   ksmctl_last_str(S->last, "message") ?: "");
		printf(",\"refused\":%zu}", ksmctl_last_refused(S->last));
	} else {
		printf("null");
	}
	printf(",\"problem\":");
	ksmctl_json_string(stdout, S->problem);
	printf("}\n");
}

static void print_text(const struct ksmctl *k, const struct status *S,
		       time_t now)
{
	long long skew = (long long)(now - S->server_date);

	printf("client config: %s (%s)\n", k->conf->client_config,
	       S->bound ? "bound" : "not usable");
	if (S->bound && S->asked)
		printf("server:        %s (%s)\n", S->host ? S->host : "",
		       S->reachable ? "reachable" : "NOT reachable");
	if (S->reachable)
		printf("records:       %zu\nlatency:       %llu ms\n",
		       S->records, S->rtt);
	if (S->server_date)
		printf("clock:         %+lld s against the server%s\n", skew,
		       skew > 30 || skew < -30 ? " - fix the clock (TOTP and "
						 "expiry depend on it)"
					       : "");
	if (S->snap.ok)
		printf("snapshot:      %s, %u accounts, %u groups, %lld s "
		       "old\n",
		       k->conf->snapshot, S->snap.accounts, S->snap.groups,
		       (long long)now - S->snap.generated_at);
	else
		printf("snapshot:      %s (%s)\n", k->conf->snapshot,
		       S->snap.state);
	if (S->last)
		printf("last sync:     %s, %lld s ago: %s\n",
		       ksmctl_last_ok(S->last) ? "ok" : "FAILED",
		       (long long)now - ksmctl_last_int(S->last, "time"),
		       ksmctl_last_str(S->last, "message") ?: "");
	if (S->st != KSM_OK)
		printf("problem:       %s\n", S->err.message);
	if (S->problem[0])
		printf("problem:       %s\n", S->problem);
}

int cmd_status(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"local", no_argument, NULL, 'l'},
		{"prometheus", optional_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	const char *prom_path = NULL;
	bool prom = false;
	struct status S = {.asked = true};
	bool json = false;
	time_t now;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "jl", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'l')
			S.asked = false;
		else if (opt == 'p')
			prom = true, prom_path = optarg;
		else
			return ksmctl_usage_error(
				k, "usage: status [--json] [--local] "
				   "[--prometheus[=PATH]]");
	}
	if (optind != argc)
		return ksmctl_usage_error(k, "usage: status [--json] [--local] "
					     "[--prometheus[=PATH]]");
	/* Monitoring's own writer (ksmctl_metrics.c): no vault request. */
	if (prom)
		return ksmctl_metrics(k, prom_path);
	check_server(k, &S);
	now = time(NULL);
	ksmctl_snapshot_summary(k->conf, &S.snap);
	S.last = ksmctl_last_sync_load(k->conf);
	check_local(k->conf, &S, now);
	if (json)
		print_json(k, &S, now);
	else
		print_text(k, &S, now);
	rc = ksmctl_exit_code(S.st);
	if (rc == EXIT_OK && S.problem[0])
		rc = EXIT_FAIL;
	json_object_put(S.last);
	free((char *)S.host);
	return rc;
}
