/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_sync.c - "ksmctl sync" (records -> accounts -> snapshot, with
 * --dry-run and the drop guard); what it published is read back by
 * "ksmctl users" (ksmctl_users.c).
 *
 * Next to the snapshot, SNAPSHOT.status (0644, nothing secret) keeps the
 * last sync's result and refusals for `ksmctl users` and monitoring.
 */
#include "ksmctl.h"
#include "ksmctl_diff.h"
#include "ksmctl_laststate.h"
#include "ksmctl_sessions.h"

#include <errno.h>
#include <getopt.h>
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

/* host_record: {"record","title","linked","admins":[names],
 * "admin_groups":[..]} and "off_host":[{"record","name","reason"}]. */
static void add_host_record(json_object *o, const ksm_settings *conf,
			    const ksm_accounts *as, json_object *off)
{
	json_object *h = json_object_new_object(),
		    *adm = json_object_new_array(),
		    *ag = json_object_new_array();

	json_object_object_add(h, "record",
			       json_object_new_string(as->host_record_uid));
	json_object_object_add(h, "title",
			       json_object_new_string(as->host_record_title));
	json_object_object_add(h, "linked",
			       json_object_new_int64((int64_t)as->host_linked));
	for (size_t i = 0; i < as->n_accounts; i++)
		if (as->accounts[i].host_admin)
			json_object_array_add(
				adm,
				json_object_new_string(as->accounts[i].name));
	for (size_t i = 0; i < conf->n_admin_groups; i++)
		json_object_array_add(
			ag, json_object_new_string(conf->admin_groups[i]));
	json_object_object_add(h, "admins", adm);
	json_object_object_add(h, "admin_groups", ag);
	json_object_object_add(o, "host_record", h);
	json_object_object_add(o, "off_host", off);
}

/* SNAPSHOT.status: {"time","ok","message","accounts","groups","refused":[..],
 * "clock_skew_s" (when the server answered), "app_name",
 * "device_expires_on","warnings":[..]} */
static void write_status(const ksm_settings *conf, bool ok, const char *message,
			 const ksm_accounts *as, const ksm_secrets *s)
{
	json_object *o = json_object_new_object(),
		    *ref = json_object_new_array(),
		    *off = json_object_new_array();
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

		json_object_array_add(as->refusals[i].off_host ? off : ref, r);
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
	}
	json_object_object_add(o, "refused", ref);
	if (as && as->host_record_uid)
		add_host_record(o, conf, as, off);
	else
		json_object_put(off);
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

/* The refusals of a build, as a sync prints and logs them. */
static size_t report_refusals(const ksm_accounts *as, bool log)
{
	size_t whole = 0;

	for (size_t i = 0; i < as->n_refusals; i++) {
		const ksm_refusal *r = &as->refusals[i];

		/* Other hosts' accounts: counted, listed by ksmctl users. */
		if (r->off_host)
			continue;
		whole += r->whole_account;
		fprintf(stderr, "ksmctl: refused %s%s%s%s: %s\n",
			r->whole_account ? "record " : "", r->record_uid,
			*r->name ? " " : "", r->name, r->reason);
		if (log)
			syslog(LOG_WARNING, "refused %s %s: %s", r->record_uid,
			       r->name, r->reason);
	}
	return whole;
}

/* host_record: the account records that are not on this host. */
static size_t count_off_host(const ksm_accounts *as)
{
	size_t n = 0;

	for (size_t i = 0; i < as->n_refusals; i++)
		n += as->refusals[i].off_host;
	return n;
}

/* What the drop guard counted, as every report of it says it. */
static void drop_message(const ksm_drop_check *d, const ksm_settings *conf,
			 char *buf, size_t len)
{
	snprintf(buf, len,
		 "%zu of the %zu accounts of the snapshot would be removed, "
		 "max_account_drop (%u%%, %u) allows %zu",
		 d->removed, d->before, conf->max_drop_percent,
		 conf->max_drop_count, d->allowed);
}

/*
 * sync --dry-run: the snapshot the sync would write, against the one in
 * place, and whether the drop guard would let it through. Writes nothing:
 * no snapshot, no SNAPSHOT.status, no log, and the read is not a "sync"
 * one, so ksmd leaves its offline verifiers alone.
 */
static int dry_run(struct ksmctl *k, const ksm_accounts *as,
		   const ksm_drop_check *drop, bool force)
{
	ksm_snap old = {0}, new = {0}; /* from_memory reads .mapped */
	uint8_t *img = NULL;
	size_t len = 0, whole;
	ksm_error err = {0};
	struct ksmctl_diff_counts c;
	bool have_old;
	char msg[600];
	int rc = EXIT_OK;

	if (ksm_snapshot_build(as, time(NULL), &img, &len, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	if (ksm_snap_from_memory(img, len, &new) != KSM_SNAPST_OK) {
		free(img);
		fprintf(stderr, "ksmctl: the snapshot built does not read "
				"back\n");
		return EXIT_FAIL;
	}
	have_old = ksm_snap_open(k->conf->snapshot, &old) == KSM_SNAPST_OK;
	whole = report_refusals(as, false);
	printf("dry run, nothing written; against %s%s:\n", k->conf->snapshot,
	       have_old ? "" : " (none usable: every account is new)");
	ksmctl_diff_print(stdout, have_old ? &old : NULL, &new, &c);
	printf("sync --dry-run: %zu accounts (%zu added, %zu removed, %zu "
	       "changed), %zu groups (%zu added, %zu removed, %zu changed), "
	       "%zu refused, %zu keys or groups dropped\n",
	       as->n_accounts, c.users_added, c.users_removed, c.users_changed,
	       as->n_groups, c.groups_added, c.groups_removed, c.groups_changed,
	       whole, as->n_refusals - whole - count_off_host(as));
	if (drop->refused) {
		drop_message(drop, k->conf, msg, sizeof(msg));
		printf("sync --dry-run: the sync would be %s: %s%s\n",
		       force ? "forced past the drop guard"
			     : "refused by the drop guard",
		       msg, force ? "" : " ('ksmctl sync --force' accepts it)");
		rc = force ? EXIT_OK : EXIT_FAIL;
	}
	if (have_old)
		ksm_snap_close(&old);
	ksm_snap_close(&new);
	free(img);
	return rc;
}

static int sync_usage(struct ksmctl *k)
{
	return ksmctl_usage_error(k, "usage: sync [--dry-run] [--force]");
}

int cmd_sync(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"force", no_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	ksm_client *c = NULL;
	ksm_secrets *s = NULL;
	ksm_local_db *local = NULL;
	ksm_prior *prior = NULL;
	ksm_accounts *as = NULL;
	ksm_error err = {0};
	struct ksmctl_sync_info info;
	ksm_drop_check drop;
	struct ksmctl_prev prev = {0};
	size_t whole, hashed = 0, off_host;
	bool dry = false, force = false;
	char msg[600];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "nf", opts, NULL)) != -1) {
		if (opt == 'n')
			dry = true;
		else if (opt == 'f')
			force = true;
		else
			return sync_usage(k);
	}
	if (optind != argc)
		return sync_usage(k);
	openlog("ksmctl", LOG_PID, LOG_AUTHPRIV);
	rc = ksmctl_client(k, &c);
	if (rc != EXIT_OK) {
		if (!dry)
			write_status(k->conf, false, "no usable client config",
				     NULL, NULL);
		goto out;
	}
	if (ksmctl_sync_read(k, c, dry ? "read" : "sync", force, &s, &info,
			     &err) != KSM_OK ||
	    ksm_local_db_load(NULL, NULL, &local, &err) != KSM_OK ||
	    ksm_prior_load(k->conf->snapshot, &prior, &err) != KSM_OK ||
	    ksm_accounts_build_since(s, k->conf, local, prior, &as, &err) !=
		    KSM_OK) {
		rc = dry ? ksmctl_fail(k, &err)
			 : sync_fail(k, &err, "the old snapshot is kept", s);
		goto out;
	}
	ksm_accounts_drop_check(as, prior, k->conf, &drop);
	for (size_t i = 0; i < ksm_secrets_warning_count(s); i++) {
		fprintf(stderr, "ksmctl: the vault warns: %s\n",
			ksm_secrets_warning(s, i));
		if (!dry)
			syslog(LOG_WARNING, "the vault warns: %s",
			       ksm_secrets_warning(s, i));
	}
	if (dry) {
		rc = dry_run(k, as, &drop, force);
		goto out;
	}
	whole = report_refusals(as, true);
	off_host = count_off_host(as);
	if (drop.refused && !force) {
		char why[400];

		drop_message(&drop, k->conf, why, sizeof(why));
		snprintf(msg, sizeof(msg),
			 "refused by the drop guard: %s; see them with 'ksmctl "
			 "sync --dry-run', accept them with 'ksmctl sync "
			 "--force'",
			 why);
		fprintf(stderr, "ksmctl: sync %s; the old snapshot is kept\n",
			msg);
		syslog(LOG_ERR, "sync %s; the old snapshot is kept", msg);
		write_status(k->conf, false, msg, NULL, s);
		rc = EXIT_FAIL;
		goto out;
	}
	if (drop.refused)
		syslog(LOG_WARNING,
		       "sync forced past the drop guard: %zu of %zu accounts "
		       "removed",
		       drop.removed, drop.before);
	ksmctl_ensure_parent_dir(k->conf->snapshot);
	ksmctl_prev_load(k->conf, &prev);
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
	/* The new snapshot is in place: nobody new can log in as an account
	 * that is gone; now end what still runs (as root). */
	ksmctl_end_sessions(k->conf, &prev, as);
	snprintf(msg, sizeof(msg),
		 "%zu accounts, %zu groups, %zu refused, %zu "
		 "keys or groups dropped, %zu offline "
		 "verifiers made",
		 as->n_accounts, as->n_groups, whole,
		 as->n_refusals - whole - off_host, hashed);
	if (as->host_record_uid)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
			 "; host_record %s: %zu linked, %zu records not "
			 "on this host",
			 as->host_record_uid, as->host_linked, off_host);
	write_status(k->conf, true, msg, as, s);
	printf("sync: %s; snapshot %s\n", msg, k->conf->snapshot);
	syslog(LOG_INFO, "sync: %s", msg);
	rc = EXIT_OK;
out:
	ksmctl_prev_free(&prev);
	ksm_accounts_free(as);
	ksm_prior_free(prior);
	ksm_local_db_free(local);
	ksm_secrets_free(s);
	ksm_client_free(c);
	closelog();
	return rc;
}
