/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_sync.c - "ksmctl sync" (records -> accounts -> snapshot); what
 * it published is read back by "ksmctl users" (ksmctl_users.c).
 *
 * Next to the snapshot, SNAPSHOT.status (0644, nothing secret) keeps the
 * last sync's result and refusals for `ksmctl users` and monitoring.
 */
#include "ksmctl.h"
#include "ksmctl_laststate.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

/*
 * What the vault said of itself (appData's name, the device's expiresOn
 * in seconds, 0 for none, and its warnings); a sync that did not read the
 * vault keeps what the last one that did wrote.
 */
static void add_vault_info(json_object *o, const ksm_settings *conf,
			   const ksm_secrets *s)
{
	static const char *const keys[] = {"app_name", "device_expires_on",
					   "warnings"};
	json_object *w, *last, *v;

	if (!s) {
		last = ksmctl_last_sync_load(conf);
		for (size_t i = 0; last && i < sizeof(keys) / sizeof(*keys);
		     i++)
			if (json_object_object_get_ex(last, keys[i], &v))
				json_object_object_add(o, keys[i],
						       json_object_get(v));
		json_object_put(last);
		return;
	}
	json_object_object_add(o, "app_name",
			       json_object_new_string(ksm_secrets_app_name(s)));
	json_object_object_add(
		o, "device_expires_on",
		json_object_new_int64(ksm_secrets_expires_on(s) > 0
					      ? ksm_secrets_expires_on(s) / 1000
					      : 0));
	w = json_object_new_array();
	for (size_t i = 0; i < ksm_secrets_warning_count(s); i++)
		json_object_array_add(
			w, json_object_new_string(ksm_secrets_warning(s, i)));
	json_object_object_add(o, "warnings", w);
}

/* SNAPSHOT.status: {"time","ok","message","accounts","groups","refused":[..],
 * "clock_skew_s" (when the server answered), "app_name",
 * "device_expires_on","warnings":[..]} */
static void write_status(const ksm_settings *conf, bool ok, const char *message,
			 const ksm_accounts *as, const ksm_secrets *s)
{
	json_object *o = json_object_new_object(),
		    *ref = json_object_new_array();
	char *path = ksmctl_sync_status_path(conf->snapshot);
	const char *text;
	ksm_error err = {0};
	long long skew;

	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	/* For "ksmctl check": the clock as this sync's answer showed it. */
	if (ksmctl_server_clock(&skew))
		json_object_object_add(o, "clock_skew_s",
				       json_object_new_int64(skew));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(
		o, "accounts",
		json_object_new_int64(as ? (int64_t)as->n_accounts : -1));
	json_object_object_add(
		o, "groups",
		json_object_new_int64(as ? (int64_t)as->n_groups : -1));
	for (size_t i = 0; as && i < as->n_refusals; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(
			r, "record",
			json_object_new_string(as->refusals[i].record_uid));
		json_object_object_add(
			r, "name",
			json_object_new_string(as->refusals[i].name));
		json_object_object_add(
			r, "reason",
			json_object_new_string(as->refusals[i].reason));
		json_object_object_add(
			r, "account",
			json_object_new_boolean(as->refusals[i].whole_account));
		json_object_array_add(ref, r);
	}
	json_object_object_add(o, "refused", ref);
	add_vault_info(o, conf, s);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
	if (path && ksm_write_file_atomic(path, text, strlen(text), 0644,
					  &err) != KSM_OK)
		fprintf(stderr, "ksmctl: %s\n", err.message);
	free(path);
	json_object_put(o);
}

/* kept: what is still in place ("the old snapshot is kept", ...); s: what
 * the vault answered, if it did. */
static int sync_fail(struct ksmctl *k, const ksm_error *err, const char *kept,
		     const ksm_secrets *s)
{
	char msg[600];

	/* Name the budget that ran out, as the keys helper and pam_ksm do. */
	snprintf(msg, sizeof(msg), "%s%s",
		 err->code == KSM_ERR_TIMEOUT ? "timeout_sync budget: " : "",
		 err->message);
	fprintf(stderr, "ksmctl: sync failed, %s: %s\n", kept, msg);
	syslog(LOG_ERR, "sync failed, %s: %s", kept, msg);
	write_status(k->conf, false, msg, NULL, s);
	return ksmctl_exit_code(err->code);
}

int cmd_sync(struct ksmctl *k, int argc, char **argv)
{
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_local_db *local = NULL;
	ksm_accounts *as = NULL;
	ksm_error err = {0};
	struct ksmctl_sync_info info;
	size_t whole = 0, hashed = 0;
	char msg[256];
	int rc;

	if (argc != 1)
		return ksmctl_usage_error(k, "usage: sync");
	openlog("ksmctl", LOG_PID, LOG_AUTHPRIV);
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK) {
		write_status(k->conf, false, "no usable client config", NULL,
			     NULL);
		return rc;
	}
	if (ksmctl_sync_read(k, c, &s, &info, &err) != KSM_OK ||
	    ksm_local_db_load(NULL, NULL, &local, &err) != KSM_OK ||
	    ksm_accounts_build(s, k->conf, local, &as, &err) != KSM_OK) {
		rc = sync_fail(k, &err, "the old snapshot is kept", s);
		goto out;
	}
	for (size_t i = 0; i < ksm_secrets_warning_count(s); i++) {
		fprintf(stderr, "ksmctl: the vault warns: %s\n",
			ksm_secrets_warning(s, i));
		syslog(LOG_WARNING, "the vault warns: %s",
		       ksm_secrets_warning(s, i));
	}
	for (size_t i = 0; i < as->n_refusals; i++) {
		const ksm_refusal *r = &as->refusals[i];

		whole += r->whole_account;
		fprintf(stderr, "ksmctl: refused %s%s%s%s: %s\n",
			r->whole_account ? "record " : "", r->record_uid,
			*r->name ? " " : "", r->name, r->reason);
		syslog(LOG_WARNING, "refused %s %s: %s", r->record_uid, r->name,
		       r->reason);
	}
	ksmctl_ensure_parent_dir(k->conf->snapshot);
	if (ksm_snapshot_write(as, k->conf->snapshot, time(NULL), &err) !=
	    KSM_OK) {
		rc = sync_fail(k, &err, "the old snapshot is kept", s);
		goto out;
	}
	/* The offline verifiers are ksmd's alone: it kept them in step with
	 * this read (purpose "sync"); without ksmd they are left as they
	 * are (nothing can use them then). */
	hashed = info.verifiers_made;
	if (info.verifiers_error[0]) {
		err.code = KSM_ERR_IO;
		snprintf(err.message, sizeof(err.message), "ksmd: %s",
			 info.verifiers_error);
		rc = sync_fail(k, &err,
			       "the new snapshot is written but the offline "
			       "verifiers are the old ones",
			       s);
		goto out;
	}
	snprintf(msg, sizeof(msg),
		 "%zu accounts, %zu groups, %zu refused, %zu "
		 "keys or groups dropped, %zu offline "
		 "verifiers made",
		 as->n_accounts, as->n_groups, whole, as->n_refusals - whole,
		 hashed);
	write_status(k->conf, true, msg, as, s);
	printf("sync: %s; snapshot %s\n", msg, k->conf->snapshot);
	syslog(LOG_INFO, "sync: %s", msg);
	rc = EXIT_OK;
out:
	ksm_accounts_free(as);
	ksm_local_db_free(local);
	ksm_secrets_free(s);
	ksm_client_free(c);
	closelog();
	return rc;
}
