/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check_host.c - the doctor's checks of ksm-unix's own state: the
 * client config (owner, mode, bound), ksmd (ping), the snapshot (owner,
 * mode, age, nss_ksm's path), ksm-sync.timer, the clock and the device's
 * expiry.
 */
#include "ksmctl_check.h"
#include "ksmctl_laststate.h"
#include "local_files.h"
#include "snapshot_reader.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SKEW_MAX_S	  30
#define EXPIRY_WARN_S	  (7 * 86400LL)
#define CLOCK_FRESH_S	  86400
#define REBIND		  "init --force --token -"
#define SYSTEMCTL_TIMEOUT 5000
#ifndef KSM_NSS_SNAPSHOT_PATH
#define KSM_NSS_SNAPSHOT_PATH "/var/lib/ksm/snapshot"
#endif

static const char *conf_path(const struct check_report *r)
{
	return r->k->conf_path ? r->k->conf_path : KSM_DEFAULT_CONF;
}

void check_client_config(struct check_report *r)
{
	const ksm_settings *c = r->k->conf;
	const char *path = c->client_config, *user = c->ksmd_user;
	ksm_client_config *cfg = NULL;
	ksm_error err = {0};
	struct stat st;
	uid_t want = 0;
	char fix[1024], self[700];
	bool bad = false;

	if (c->insecure_client_config) {
		snprintf(fix, sizeof(fix),
			 "sed -i --follow-symlinks "
			 "'/^[[:space:]]*insecure_client_config/d' %s",
			 conf_path(r));
		check_add(r, "client_config", CHECK_FAIL, fix,
			  "insecure_client_config = yes turns the owner and "
			  "mode checks of %s off (for tests only)",
			  path);
	}
	if (stat(path, &st) != 0) {
		check_add(r, "client_config", CHECK_FAIL,
			  check_self(r, REBIND, self, sizeof(self)),
			  "no client config at %s (%s): this host is not "
			  "bound",
			  path, strerror(errno));
		return;
	}
	if (strcmp(user, "root") != 0 &&
	    !ksm_passwd_file_user(NULL, user, &want, NULL)) {
		snprintf(fix, sizeof(fix),
			 "useradd --system --user-group --home-dir "
			 "/var/lib/ksmd "
			 "--shell /usr/sbin/nologin %s && chown %s %s",
			 user, user, path);
		check_add(r, "client_config", CHECK_FAIL, fix,
			  "ksmd_user %s is not a user of /etc/passwd: ksmd "
			  "cannot start",
			  user);
		return;
	}
	if (st.st_uid != want) {
		snprintf(fix, sizeof(fix), "chown %s %s", user, path);
		check_add(r, "client_config", CHECK_FAIL, fix,
			  "%s is owned by uid %u, not by ksmd_user %s (uid "
			  "%u): ksmd cannot use it",
			  path, (unsigned)st.st_uid, user, (unsigned)want);
		bad = true;
	}
	if ((st.st_mode & 07777) != 0600) {
		snprintf(fix, sizeof(fix), "chmod 0600 %s", path);
		check_add(r, "client_config", CHECK_FAIL, fix,
			  "%s has mode %04o, not 0600: it holds the device "
			  "key%s",
			  path, (unsigned)(st.st_mode & 07777),
			  st.st_mode & 077 ? ", and ksmd refuses it" : "");
		bad = true;
	}
	if (ksm_client_config_load_file(path, KSM_CLIENT_CONFIG_ALLOW_INSECURE,
					&cfg, &err) != KSM_OK) {
		check_add(r, "client_config", CHECK_FAIL,
			  check_self(r, REBIND, self, sizeof(self)),
			  "%s cannot be used: %s", path, err.message);
		return;
	}
	if (!ksm_client_config_get(cfg, KSM_CFG_APP_KEY)) {
		check_add(r, "client_config", CHECK_FAIL,
			  check_self(r, REBIND, self, sizeof(self)),
			  "%s is not bound (%s)", path,
			  ksm_client_config_get(cfg, KSM_CFG_CLIENT_KEY)
				  ? "it holds an unused one-time token"
				  : "no appKey");
		bad = true;
	} else if (!bad) {
		check_add(r, "client_config", CHECK_OK, NULL,
			  "%s: bound to %s, owned by %s, mode 0600", path,
			  ksm_client_config_get(cfg, KSM_CFG_HOSTNAME) ?: "?",
			  user);
	}
	ksm_client_config_free(cfg);
}

void check_ksmd(struct check_report *r)
{
	const ksm_settings *c = r->k->conf;
	struct ksmctl_ping p;
	char fix[1024];

	if (!ksmctl_ksmd_info(r->k, &p)) {
		if (r->systemd)
			snprintf(fix, sizeof(fix),
				 "systemctl enable --now ksmd.socket");
		else
			snprintf(fix, sizeof(fix), "ksmd --conf %s &",
				 conf_path(r));
		check_add(r, "ksmd", CHECK_FAIL, fix,
			  "ksmd does not answer: %s; vault passwords, live "
			  "keys and session secrets are off",
			  p.error);
		return;
	}
	if (strcmp(p.version, KSM_VERSION) != 0) {
		snprintf(fix, sizeof(fix), "%s",
			 r->systemd ? "systemctl restart ksmd"
				    : "stop the old ksmd, then: ksmd --conf "
				      "/etc/ksm/ksm.conf &");
		check_add(r, "ksmd", CHECK_FAIL, fix,
			  "ksmd on %s is version %s, ksmctl %s: restart it "
			  "after an upgrade",
			  c->ksmd_socket, p.version, KSM_VERSION);
		return;
	}
	if (p.requests && !p.bound) {
		check_add(
			r, "ksmd", CHECK_FAIL,
			r->systemd ? "systemctl restart ksmd" : NULL,
			"ksmd answers on %s, but its last vault request found "
			"no usable client config (it reads ksm.conf only when "
			"it starts)",
			c->ksmd_socket);
		return;
	}
	check_add(r, "ksmd", CHECK_OK, NULL,
		  "ksmd %s answers on %s (%llu vault requests)", p.version,
		  c->ksmd_socket, p.requests);
}

/* The snapshot file's owner and mode, and its directory's. */
static bool snapshot_file_ok(struct check_report *r, const char *path)
{
	struct stat st;
	char fix[1024], self[700], *copy = strdup(path),
				   *dir = copy ? dirname(copy) : NULL;
	bool ok = true;

	if (stat(path, &st) != 0) {
		check_add(r, "snapshot", CHECK_FAIL,
			  check_self(r, "sync", self, sizeof(self)),
			  "no snapshot at %s (%s): no vault users on this host",
			  path, strerror(errno));
		free(copy);
		return false;
	}
	if (st.st_uid != 0 || (st.st_mode & 022) || !(st.st_mode & 004)) {
		snprintf(fix, sizeof(fix),
			 "chown root:root %s && chmod 0644 %s", path, path);
		check_add(r, "snapshot", CHECK_FAIL, fix,
			  "%s is uid %u, mode %04o: it must be root's, "
			  "writable by nobody else and readable by all "
			  "(nss_ksm runs in every process)",
			  path, (unsigned)st.st_uid,
			  (unsigned)(st.st_mode & 07777));
		ok = false;
	}
	if (dir && stat(dir, &st) == 0 &&
	    (!(st.st_mode & 001) || (st.st_mode & 022) || st.st_uid != 0)) {
		snprintf(fix, sizeof(fix),
			 "chown root:root %s && chmod 0755 %s", dir, dir);
		check_add(r, "snapshot", CHECK_FAIL, fix,
			  "%s is uid %u, mode %04o: it must be root's and "
			  "0755 (every process reads the snapshot in it)",
			  dir, (unsigned)st.st_uid,
			  (unsigned)(st.st_mode & 07777));
		ok = false;
	}
	free(copy);
	return ok;
}

void check_snapshot(struct check_report *r)
{
	const ksm_settings *c = r->k->conf;
	struct ksmctl_snapshot_summary sum;
	json_object *last;
	long long age;
	char fix[1400], self[700];
	bool ok;

	if (strcmp(c->snapshot, KSM_NSS_SNAPSHOT_PATH) != 0) {
		snprintf(fix, sizeof(fix),
			 "sed -i --follow-symlinks 's|^[[:space:]]*snapshot"
			 "[[:space:]]*=.*|snapshot = %s|' %s && %s sync",
			 KSM_NSS_SNAPSHOT_PATH, conf_path(r), r->self);
		check_add(r, "snapshot", CHECK_FAIL, fix,
			  "ksm.conf's snapshot is %s, but nss_ksm reads %s "
			  "(built in): getent and id do not see the accounts",
			  c->snapshot, KSM_NSS_SNAPSHOT_PATH);
	}
	if (!snapshot_file_ok(r, c->snapshot))
		return;
	ksmctl_snapshot_summary(c, &sum);
	if (!sum.ok) {
		check_add(r, "snapshot", CHECK_FAIL,
			  check_self(r, "sync", self, sizeof(self)),
			  "%s is %s: no vault users on this host", c->snapshot,
			  sum.state);
		return;
	}
	age = (long long)time(NULL) - sum.generated_at;
	last = ksmctl_last_sync_load(c);
	ok = age <= (long long)c->snapshot_warn_age;
	if (!ok && last && !ksmctl_last_ok(last))
		check_add(r, "snapshot", CHECK_FAIL,
			  check_self(r, "sync", self, sizeof(self)),
			  "%s is %lld s old, more than snapshot_warn_age (%u "
			  "s); the last sync failed: %s",
			  c->snapshot, age, c->snapshot_warn_age,
			  ksmctl_last_str(last, "message") ?: "?");
	else if (!ok)
		check_add(r, "snapshot", CHECK_FAIL,
			  check_self(r, "sync", self, sizeof(self)),
			  "%s is %lld s old, more than snapshot_warn_age (%u "
			  "s): see the timer check",
			  c->snapshot, age, c->snapshot_warn_age);
	else
		check_add(r, "snapshot", CHECK_OK, NULL,
			  "%s: %u accounts, %u groups, %lld s old", c->snapshot,
			  sum.accounts, sum.groups, age);
	json_object_put(last);
}

void check_timer(struct check_report *r)
{
	const char *enabled[] = {CHECK_SYSTEMCTL, "is-enabled",
				 CHECK_SYNC_TIMER, NULL};
	const char *active[] = {CHECK_SYSTEMCTL, "is-active", CHECK_SYNC_TIMER,
				NULL};
	const char *fix = "systemctl enable --now ksm-sync.timer";
	char *out = NULL, *out2 = NULL;
	int rc, rc2;

	if (!r->systemd) {
		check_add(r, "timer", CHECK_SKIP, NULL,
			  "skipped: systemd is not running; run 'ksmctl sync' "
			  "every 5 minutes some other way (cron)");
		return;
	}
	rc = check_run(enabled, SYSTEMCTL_TIMEOUT, &out, NULL);
	rc2 = check_run(active, SYSTEMCTL_TIMEOUT, &out2, NULL);
	if (out)
		out[strcspn(out, "\n")] = '\0';
	if (out2)
		out2[strcspn(out2, "\n")] = '\0';
	if (rc != 0)
		check_add(
			r, "timer", CHECK_FAIL, fix,
			"ksm-sync.timer is not enabled (systemctl is-enabled: "
			"%s): the snapshot is not kept fresh",
			out && *out ? out : "no answer");
	else if (rc2 != 0)
		check_add(r, "timer", CHECK_FAIL, fix,
			  "ksm-sync.timer is enabled but not active "
			  "(systemctl is-active: %s)",
			  out2 && *out2 ? out2 : "no answer");
	else
		check_add(r, "timer", CHECK_OK, NULL,
			  "ksm-sync.timer is enabled and active");
	free(out);
	free(out2);
}

/* A number of SNAPSHOT.status; false when absent or not a number. */
static bool last_number(json_object *last, const char *key, long long *v)
{
	json_object *o;

	if (!last || !json_object_object_get_ex(last, key, &o) ||
	    !(json_object_is_type(o, json_type_int) ||
	      json_object_is_type(o, json_type_double)))
		return false;
	*v = (long long)json_object_get_int64(o);
	return true;
}

void check_clock(struct check_report *r)
{
	struct ksmctl_ping p;
	json_object *last = ksmctl_last_sync_load(r->k->conf);
	long long skew = 0, at = 0, now = (long long)time(NULL);
	const char *src = NULL;
	char fix[300];

	if (ksmctl_ksmd_info(r->k, &p) && p.clock_known &&
	    now - p.clock_at <= CLOCK_FRESH_S) {
		skew = p.clock_skew;
		at = p.clock_at;
		src = "ksmd's latest vault answer";
	} else if (last_number(last, "clock_skew_s", &skew)) {
		at = ksmctl_last_int(last, "time");
		src = "the last sync";
	}
	json_object_put(last);
	if (!src) {
		check_add(r, "clock", CHECK_SKIP, NULL,
			  "unknown: no vault answer seen yet (ksmctl sync "
			  "records one)");
		return;
	}
	snprintf(fix, sizeof(fix), "%s",
		 r->systemd ? "timedatectl set-ntp true"
			    : "apt-get install chrony");
	if (skew > SKEW_MAX_S || skew < -SKEW_MAX_S)
		check_add(r, "clock", CHECK_FAIL, fix,
			  "the clock is %+lld s off the server's (%s, %lld s "
			  "ago): one-time codes and expiry depend on it",
			  skew, src, now - at);
	else
		check_add(r, "clock", CHECK_OK, NULL,
			  "%+lld s against the server (%s, %lld s ago)", skew,
			  src, now - at);
}

void check_device(struct check_report *r)
{
	json_object *last = ksmctl_last_sync_load(r->k->conf);
	long long exp = -1, now = (long long)time(NULL);
	char when[32], fix[900];
	time_t t;
	struct tm tm;

	snprintf(fix, sizeof(fix),
		 "extend the device's access in Keeper (the application's "
		 "Devices), or bind a new device: %s " REBIND,
		 r->self);
	if (!last_number(last, "device_expires_on", &exp))
		exp = -1;
	json_object_put(last);
	if (exp < 0) {
		check_add(r, "device", CHECK_SKIP, NULL,
			  "unknown: the last sync recorded no device expiry");
		return;
	}
	if (exp == 0) {
		check_add(r, "device", CHECK_OK, NULL,
			  "the device's access does not expire");
		return;
	}
	t = (time_t)exp;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (exp <= now)
		check_add(r, "device", CHECK_FAIL, fix,
			  "the device's access expired at %s", when);
	else if (exp - now <= EXPIRY_WARN_S)
		check_add(r, "device", CHECK_FAIL, fix,
			  "the device's access expires at %s, in %lld h", when,
			  (exp - now) / 3600);
	else
		check_add(r, "device", CHECK_OK, NULL,
			  "the device's access expires at %s", when);
}
