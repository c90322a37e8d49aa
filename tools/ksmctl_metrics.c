/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_metrics.c - "ksmctl status --prometheus[=PATH]": the host's
 * figures as node_exporter textfile metrics (Prometheus text format 0.0.4),
 * to standard output or atomically to PATH (ksm-metrics.timer writes
 * /var/lib/prometheus/node-exporter/ksm.prom).
 *
 * Read from what is on the host only, never a vault request: the snapshot
 * (age, accounts), SNAPSHOT.status (the last sync's time, result and
 * refusals, the device's expiry when the sync recorded it) and ksmd's ping
 * answer (its counters since it started; docs/ksmd-protocol.md §4.1).
 */
#include "ipc_msg.h"
#include "ksmctl.h"
#include "ksmctl_laststate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void metric(FILE *f, const char *name, const char *type,
		   const char *help, long long value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", name, help, name,
		type, name, value);
}

/* Refusals of the last sync: whole accounts, and keys or groups dropped. */
static void count_refusals(json_object *last, long long *records,
			   long long *items)
{
	json_object *ref, *r, *acc;

	*records = *items = 0;
	if (!last || !json_object_object_get_ex(last, "refused", &ref) ||
	    !json_object_is_type(ref, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(ref); i++) {
		r = json_object_array_get_idx(ref, i);
		if (json_object_is_type(r, json_type_object) &&
		    json_object_object_get_ex(r, "account", &acc) &&
		    !json_object_get_boolean(acc))
			(*items)++;
		else
			(*records)++;
	}
}

static void sync_metrics(FILE *f, const ksm_settings *conf, time_t now)
{
	struct ksmctl_snapshot_summary snap;
	json_object *last = ksmctl_last_sync_load(conf);
	long long refused, dropped, expires;

	ksmctl_snapshot_summary(conf, &snap);
	metric(f, "ksm_snapshot_valid", "gauge",
	       "1 if the snapshot is there and passes its checks", snap.ok);
	if (snap.ok) {
		metric(f, "ksm_snapshot_generated_timestamp_seconds", "gauge",
		       "when the snapshot was written (the last good sync)",
		       snap.generated_at);
		metric(f, "ksm_snapshot_age_seconds", "gauge",
		       "seconds since the snapshot was written",
		       (long long)now - snap.generated_at);
		metric(f, "ksm_snapshot_accounts", "gauge",
		       "vault accounts the snapshot publishes", snap.accounts);
		metric(f, "ksm_snapshot_groups", "gauge",
		       "groups the snapshot publishes", snap.groups);
	}
	if (last) {
		count_refusals(last, &refused, &dropped);
		metric(f, "ksm_last_sync_timestamp_seconds", "gauge",
		       "when the last sync ran (also a failed one)",
		       ksmctl_last_int(last, "time"));
		metric(f, "ksm_last_sync_success", "gauge",
		       "1 if the last sync succeeded", ksmctl_last_ok(last));
		metric(f, "ksm_last_sync_refused_records", "gauge",
		       "records the last sync refused as accounts", refused);
		metric(f, "ksm_last_sync_dropped_items", "gauge",
		       "keys or groups the last sync dropped from accounts",
		       dropped);
		/* Written by the sync when Keeper tells the device's expiry
		 * (expiresOn); unix seconds (milliseconds are taken too). */
		expires = ksmctl_last_int(last, "device_expires_on");
		if (expires > 100000000000LL)
			expires /= 1000;
		if (expires > 0)
			metric(f, "ksm_device_expires_timestamp_seconds",
			       "gauge",
			       "when Keeper stops answering this device "
			       "(its access expiry)",
			       expires);
	}
	json_object_put(last);
}

static const struct {
	const char *field, *name, *help;
} ksmd_counters[] = {
	{"requests", "ksm_ksmd_vault_requests_total",
	 "requests ksmd sent to Keeper since it started"},
	{"budget_refused", "ksm_ksmd_budget_refusals_total",
	 "requests ksmd did not send because request_budget was used up"},
	{"throttled", "ksm_ksmd_throttled_total",
	 "reads that Keeper throttled until their budget ran out"},
	{"unreachable", "ksm_ksmd_unreachable_total",
	 "reads that could not reach Keeper (network, proxy, TLS, timeout, "
	 "5xx)"},
	{"auth_offline_ok", "ksm_ksmd_offline_acceptances_total",
	 "passwords accepted by the offline verifier (vault unreachable)"},
	{"refused", "ksm_ksmd_refused_requests_total",
	 "requests refused because their asker may not make them"},
};

static const struct {
	const char *field, *verdict;
} auth_verdicts[] = {
	{"auth_live_ok", "accepted_live"},
	{"auth_offline_ok", "accepted_offline"},
	{"auth_wrong", "wrong"},
	{"auth_locked", "locked"},
	{"auth_unavail", "unavailable"},
};

static void ksmd_metrics(FILE *f, const struct ksmctl *k)
{
	ksm_ipc_msg resp = {0};
	bool up = ksmctl_ksmd_ping(k, &resp);

	metric(f, "ksm_ksmd_up", "gauge", "1 if ksmd answered a ping", up);
	if (!up)
		goto out;
	metric(f, "ksm_ksmd_start_time_seconds", "gauge",
	       "when ksmd started (its counters start at 0 then)",
	       (long long)ksm_ipc_get_u64(&resp, "started", 0));
	metric(f, "ksm_ksmd_bound", "gauge",
	       "1 if ksmd's last vault request found a bound client config",
	       (long long)ksm_ipc_get_u64(&resp, "bound", 0));
	metric(f, "ksm_ksmd_requests_in_window", "gauge",
	       "vault requests in the current request_budget window",
	       (long long)ksm_ipc_get_u64(&resp, "in_window", 0));
	for (size_t i = 0; i < sizeof(ksmd_counters) / sizeof(ksmd_counters[0]);
	     i++)
		metric(f, ksmd_counters[i].name, "counter",
		       ksmd_counters[i].help,
		       (long long)ksm_ipc_get_u64(&resp, ksmd_counters[i].field,
						  0));
	fputs("# HELP ksm_ksmd_password_checks_total password checks ksmd "
	      "answered, by verdict\n"
	      "# TYPE ksm_ksmd_password_checks_total counter\n",
	      f);
	for (size_t i = 0; i < sizeof(auth_verdicts) / sizeof(auth_verdicts[0]);
	     i++)
		fprintf(f,
			"ksm_ksmd_password_checks_total{verdict=\"%s\"} "
			"%llu\n",
			auth_verdicts[i].verdict,
			(unsigned long long)ksm_ipc_get_u64(
				&resp, auth_verdicts[i].field, 0));
out:
	ksm_ipc_clear(&resp);
}

int ksmctl_metrics(struct ksmctl *k, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	ksm_error err = {0};
	FILE *f = open_memstream(&text, &len);
	int rc = EXIT_OK;

	if (!f) {
		fprintf(stderr, "ksmctl: out of memory\n");
		return EXIT_FAIL;
	}
	sync_metrics(f, k->conf, time(NULL));
	ksmd_metrics(f, k);
	if (fclose(f) != 0 || !text) {
		fprintf(stderr, "ksmctl: out of memory\n");
		free(text);
		return EXIT_FAIL;
	}
	if (!path)
		rc = fwrite(text, 1, len, stdout) == len ? EXIT_OK : EXIT_FAIL;
	else if (ksm_write_file_atomic(path, text, len, 0644, &err) != KSM_OK)
		rc = ksmctl_fail(k, &err);
	free(text);
	return rc;
}
