/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_status.c - "ksmctl status": is this host bound, can it reach the
 * server (and does the vault accept the device), is its clock right, how
 * long does a request take, when does the device expire, and what did the
 * last sync leave (snapshot age and counts, last result, refusals).
 * --json is for monitoring; --local skips the server request.
 *
 * Exit code: the server check's (3, 4, 5), else 1 for a problem (snapshot
 * unusable or older than keys_max_stale, last sync failed, device
 * expired), else 7 for a warning (snapshot older than snapshot_warn_age,
 * records refused by the last sync, device expiring within 7 days, clock
 * off by more than 30 s), else 0. Every hint is a command that works.
 */
#include "ksmctl.h"
#include "ksmctl_laststate.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPIRY_WARN_S (7 * 86400LL)
#define SKEW_WARN_S   30
#define WARN_MAX      4
#define REBIND_HINT   "ksmctl init --force --token -"

struct status {
	const char *host;
	bool bound, asked, reachable, clock_known;
	size_t records;
	unsigned long long rtt;
	long long skew,
		expires_on; /* expires_on: epoch s, 0 none, -1 unknown */
	ksm_status st;
	ksm_error err;
	struct ksmctl_snapshot_summary snap;
	json_object *last; /* SNAPSHOT.status or NULL */
	char problem[700]; /* the local problem, if any */
	char warn[WARN_MAX][300];
	unsigned n_warn;
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
			 "%s holds a one-time token but is not bound yet: "
			 "bind with a new token: ksmctl init --force --token -",
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
	S->clock_known = ksmctl_server_clock(&S->skew);
	if (S->reachable)
		S->expires_on = ksm_secrets_expires_on(s) / 1000;
out:
	ksm_secrets_free(s);
	ksm_client_free(c);
}

/* What the server's answer means for the device, in a few words. */
static const char *server_state(const struct status *S)
{
	if (!S->bound || !S->asked)
		return NULL;
	switch (S->st) {
	case KSM_OK:
		return "reachable";
	case KSM_ERR_ACCESS_DENIED:
	case KSM_ERR_TOKEN:
	case KSM_ERR_KEY:
	case KSM_ERR_CLIENT_VERSION:
		return "refused";
	case KSM_ERR_HTTP:
	case KSM_ERR_THROTTLED:
		return "failing";
	case KSM_ERR_NETWORK:
	case KSM_ERR_TIMEOUT:
	case KSM_ERR_TLS:
		return "unreachable";
	default:
		return "error";
	}
}

static const char *server_text(const struct status *S)
{
	switch (S->st) {
	case KSM_OK:
		return "reachable";
	case KSM_ERR_ACCESS_DENIED:
		return "reachable, but the vault refused this device (403)";
	case KSM_ERR_TOKEN:
		return "reachable, but the vault refused the token";
	case KSM_ERR_KEY:
		return "reachable, but it refused our server key";
	case KSM_ERR_CLIENT_VERSION:
		return "reachable, but it refused client_version";
	case KSM_ERR_HTTP:
		return "reachable, but failing (HTTP 5xx)";
	case KSM_ERR_THROTTLED:
		return "reachable, but throttling this device";
	case KSM_ERR_NETWORK:
	case KSM_ERR_TIMEOUT:
	case KSM_ERR_TLS:
		return "NOT reachable";
	default:
		return "error";
	}
}

static void add_warn(struct status *S, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add_warn(struct status *S, const char *fmt, ...)
{
	va_list ap;

	if (S->n_warn >= WARN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(S->warn[S->n_warn++], sizeof(S->warn[0]), fmt, ap);
	va_end(ap);
}

/* Device expiry: the live answer's, else what the last sync recorded. */
static void device_expiry(struct status *S)
{
	if (S->reachable)
		return; /* check_server set it */
	S->expires_on = ksmctl_last_int(S->last, "device_expires_on");
	if (S->expires_on < 0)
		S->expires_on = -1;
}

static void fmt_time(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

/* The server's own warnings, as the last sync that reached it wrote them
 * (printable ASCII already; any JSON is tolerated). */
static void vault_warnings(struct status *S)
{
	json_object *w = NULL;

	if (!S->last || !json_object_object_get_ex(S->last, "warnings", &w) ||
	    !json_object_is_type(w, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(w); i++) {
		json_object *e = json_object_array_get_idx(w, i);

		if (json_object_is_type(e, json_type_string))
			add_warn(S, "the vault warns: %s",
				 json_object_get_string(e));
	}
}

/* What the admin must do about local state, in one sentence, and the
 * warnings: each with a command that works. */
static void check_local(const ksm_settings *conf, struct status *S, time_t now)
{
	long long age = now - S->snap.generated_at;
	size_t refused = ksmctl_last_refused(S->last);
	char when[32];

	if (S->expires_on > 0)
		fmt_time(S->expires_on, when, sizeof(when));
	if (!S->snap.ok)
		snprintf(S->problem, sizeof(S->problem),
			 "snapshot %s is %s: run 'ksmctl sync'", conf->snapshot,
			 S->snap.state);
	else if (S->last && !ksmctl_last_ok(S->last))
		snprintf(
			S->problem, sizeof(S->problem),
			"the last sync failed (%s); the snapshot of %lld s ago "
			"is still served: fix that, then run 'ksmctl sync'",
			ksmctl_last_str(S->last, "message") ?: "no message",
			age);
	else if (age > (long long)conf->keys_max_stale)
		snprintf(S->problem, sizeof(S->problem),
			 "snapshot is %lld s old, more than keys_max_stale "
			 "(%u s): run 'ksmctl sync', and 'ksmctl check' to see "
			 "why ksm-sync.timer did not",
			 age, conf->keys_max_stale);
	else if (S->expires_on > 0 && S->expires_on <= now)
		snprintf(S->problem, sizeof(S->problem),
			 "the device's access expired at %s: extend it in "
			 "Keeper (the application's Devices), or bind a new "
			 "device: " REBIND_HINT,
			 when);
	if (S->snap.ok && age > (long long)conf->snapshot_warn_age &&
	    age <= (long long)conf->keys_max_stale)
		add_warn(S,
			 "snapshot is %lld s old, more than snapshot_warn_age "
			 "(%u s): run 'ksmctl sync', and 'ksmctl check' to see "
			 "why ksm-sync.timer did not",
			 age, conf->snapshot_warn_age);
	if (S->last && ksmctl_last_ok(S->last) && refused)
		add_warn(S,
			 "the last sync refused %zu record(s), key(s) or "
			 "group(s): see 'ksmctl users' and fix them in the "
			 "vault",
			 refused);
	if (S->expires_on > now && S->expires_on - now <= EXPIRY_WARN_S)
		add_warn(
			S,
			"the device's access expires at %s (in %lld h): extend "
			"it in Keeper (the application's Devices), or bind a "
			"new device: " REBIND_HINT,
			when, (S->expires_on - now) / 3600);
	vault_warnings(S);
	if (S->clock_known && (S->skew > SKEW_WARN_S || S->skew < -SKEW_WARN_S))
		add_warn(S,
			 "the clock is %+lld s off the server's (TOTP and "
			 "expiry depend on it): timedatectl set-ntp true",
			 S->skew);
}

static void print_json(const struct ksmctl *k, const struct status *S,
		       time_t now)
{
	const char *state = server_state(S);

	printf("{\"client_config\":");
	ksmctl_json_string(stdout, k->conf->client_config);
	printf(",\"bound\":%s,\"hostname\":", S->bound ? "true" : "false");
	ksmctl_json_string(stdout, S->host ? S->host : "");
	if (S->asked)
		printf(",\"reachable\":%s,\"records\":%zu,\"latency_ms\":%llu",
		       S->reachable ? "true" : "false", S->records, S->rtt);
	else
		printf(",\"reachable\":null");
	printf(",\"server_state\":");
	if (state)
		ksmctl_json_string(stdout, state);
	else
		printf("null");
	if (S->clock_known)
		printf(",\"clock_skew_s\":%lld", S->skew);
	printf(",\"device_expires_on\":");
	if (S->expires_on >= 0)
		printf("%lld", S->expires_on);
	else
		printf("null");
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
	printf(",\"warnings\":[");
	for (unsigned i = 0; i < S->n_warn; i++) {
		printf(i ? "," : "");
		ksmctl_json_string(stdout, S->warn[i]);
	}
	printf("]}\n");
}

static void print_text(const struct ksmctl *k, const struct status *S,
		       time_t now)
{
	char when[32];

	printf("client config: %s (%s)\n", k->conf->client_config,
	       S->bound ? "bound" : "not usable");
	if (S->bound && S->asked)
		printf("server:        %s (%s)\n", S->host ? S->host : "",
		       server_text(S));
	if (S->reachable)
		printf("records:       %zu\nlatency:       %llu ms\n",
		       S->records, S->rtt);
	if (S->clock_known)
		printf("clock:         %+lld s against the server\n", S->skew);
	if (S->expires_on > 0) {
		fmt_time(S->expires_on, when, sizeof(when));
		printf("device:        access expires at %s\n", when);
	} else if (S->expires_on == 0) {
		printf("device:        access does not expire\n");
	}
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
	if (S->st == KSM_ERR_ACCESS_DENIED)
		printf("hint:          the vault refused this device: if it "
		       "was removed or revoked in Keeper, bind a new one with "
		       "a new one-time token: " REBIND_HINT "\n");
	if (S->problem[0])
		printf("problem:       %s\n", S->problem);
	for (unsigned i = 0; i < S->n_warn; i++)
		printf("warning:       %s\n", S->warn[i]);
}

static const char status_usage[] =
	"usage: status [--json] [--local] [--prometheus[=PATH]]";

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
	struct status S = {.asked = true, .expires_on = -1};
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
			return ksmctl_usage_error(k, status_usage);
	}
	if (optind != argc)
		return ksmctl_usage_error(k, status_usage);
	/* Monitoring's own writer (ksmctl_metrics.c): no vault request. */
	if (prom)
		return ksmctl_metrics(k, prom_path);
	check_server(k, &S);
	now = time(NULL);
	ksmctl_snapshot_summary(k->conf, &S.snap);
	S.last = ksmctl_last_sync_load(k->conf);
	device_expiry(&S);
	check_local(k->conf, &S, now);
	if (json)
		print_json(k, &S, now);
	else
		print_text(k, &S, now);
	rc = ksmctl_exit_code(S.st);
	if (rc == EXIT_OK && S.problem[0])
		rc = EXIT_FAIL;
	if (rc == EXIT_OK && S.n_warn)
		rc = EXIT_WARN;
	json_object_put(S.last);
	free((char *)S.host);
	return rc;
}
