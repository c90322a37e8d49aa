/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_unenroll_host.c - the rest of unenroll, in its order: ksm out of
 * nsswitch.conf (ksm-nsswitch, the package's tool); the timers and ksmd's
 * socket disabled and ksmd stopped, so that no sync writes a snapshot
 * again and no ksmd keeps the device key in memory or rewrites its
 * verifiers; then the device key, the snapshot, the last sync's result,
 * the verifiers and the metrics file removed.
 */
#include "fileio.h"
#include "ipc_io.h"
#include "ksmctl_laststate.h"
#include "ksmctl_unenroll.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NSS_MAX		 (1u << 20)
#define SYSTEMCTL_MS	 30000
#define KSMD_STOP_MS	 10000
#define NSSWITCH_TOOL_MS 10000

static bool nss_names_ksm(bool *ok)
{
	struct ksmctl_nss_line p, g;
	char *text = NULL;
	size_t len = 0;

	*ok = ksm_read_file(CHECK_NSSWITCH, NSS_MAX, &text, &len, NULL, NULL) ==
	      KSM_OK;
	if (!*ok)
		return false;
	ksmctl_nss_parse(text, len, "passwd", &p);
	ksmctl_nss_parse(text, len, "group", &g);
	free(text);
	return p.has_ksm || g.has_ksm;
}

void unenroll_nsswitch(struct unenroll *u)
{
	const char *argv[] = {CHECK_NSSWITCH_TOOL, "disable", NULL};
	bool readable;

	if (!nss_names_ksm(&readable)) {
		if (!readable)
			unenroll_note(u, "%s cannot be read: left as it is",
				      CHECK_NSSWITCH);
		return;
	}
	if (access(CHECK_NSSWITCH_TOOL, X_OK) != 0) {
		unenroll_refuse(u,
				"%s names ksm, and %s is missing: take ksm "
				"out of its passwd and group lines by hand",
				CHECK_NSSWITCH, CHECK_NSSWITCH_TOOL);
		return;
	}
	unenroll_plan(u, "%s disable (ksm out of %s)", CHECK_NSSWITCH_TOOL,
		      CHECK_NSSWITCH);
	if (!u->act ||
	    !unenroll_run(u, "ksm-nsswitch disable", argv, NSSWITCH_TOOL_MS))
		return;
	if (nss_names_ksm(&readable))
		unenroll_fail(u, "%s still names ksm", CHECK_NSSWITCH);
	else
		unenroll_done(u, "ksm out of the passwd and group lines of %s",
			      CHECK_NSSWITCH);
}

/* systemctl VERB UNIT exits 0 (is-enabled, is-active). */
static bool unit_is(const char *verb, const char *unit)
{
	const char *argv[] = {CHECK_SYSTEMCTL, verb, unit, NULL};

	return check_run(argv, SYSTEMCTL_MS, NULL, NULL) == 0;
}

static void systemd_units(struct unenroll *u)
{
	static const char *const units[] = {CHECK_SYNC_TIMER,
					    "ksm-metrics.timer", "ksmd.socket"};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		const char *argv[] = {CHECK_SYSTEMCTL, "disable", "--now",
				      units[i], NULL};

		if (u->failed || (!unit_is("is-enabled", units[i]) &&
				  !unit_is("is-active", units[i])))
			continue;
		unenroll_plan(u, "systemctl disable --now %s", units[i]);
		if (u->act && unenroll_run(u, "systemctl disable --now", argv,
					   SYSTEMCTL_MS))
			unenroll_done(u, "%s disabled and stopped", units[i]);
	}
	if (!u->failed && unit_is("is-active", "ksmd.service")) {
		const char *argv[] = {CHECK_SYSTEMCTL, "stop", "ksmd.service",
				      NULL};

		unenroll_plan(u, "systemctl stop ksmd.service");
		if (u->act && unenroll_run(u, "systemctl stop ksmd.service",
					   argv, SYSTEMCTL_MS))
			unenroll_done(u, "ksmd stopped");
	}
}

/* The pid of the process that listens on ksmd's socket (SO_PEERCRED),
 * 0 when nobody does or it is not visible from here. */
static pid_t ksmd_pid(const ksm_settings *conf)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	pid_t pid = 0;
	int fd;

	if (strlen(conf->ksmd_socket) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, conf->ksmd_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    ksm_ipc_peer(fd, NULL, NULL, &pid) != KSM_OK)
		pid = 0;
	close(fd);
	return pid;
}

/* "ksmd" for ksmd; "" when the process is gone (or a zombie). */
static void proc_name(pid_t pid, char *name, size_t n)
{
	char path[64], buf[512] = "";
	FILE *f;
	char *close_paren;

	name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "re")))
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	/* "PID (COMM) STATE ..." */
	close_paren = strrchr(buf, ')');
	if (!strchr(buf, '(') || !close_paren || close_paren[1] != ' ' ||
	    close_paren[2] == 'Z')
		return;
	*close_paren = '\0';
	snprintf(name, n, "%s", strchr(buf, '(') + 1);
}

static void stop_ksmd(struct unenroll *u)
{
	const ksm_settings *c = u->r.k->conf;
	pid_t pid = ksmd_pid(c);
	uint64_t deadline;
	char name[64];

	/* Socket activation: systemd (pid 1) listens; systemd_units. */
	if (!pid || (pid == 1 && u->r.systemd))
		return;
	proc_name(pid, name, sizeof(name));
	if (pid == 1 || pid == getpid() || strcmp(name, "ksmd") != 0) {
		unenroll_refuse(u,
				"%s is served by pid %ld (%s), not a ksmd "
				"started by hand: stop ksmd yourself, then "
				"run unenroll again",
				c->ksmd_socket, (long)pid,
				name[0] ? name : "not visible here");
		return;
	}
	unenroll_plan(u, "stop ksmd (pid %ld, on %s)", (long)pid,
		      c->ksmd_socket);
	if (!u->act)
		return;
	if (kill(pid, SIGTERM) != 0) {
		unenroll_fail(u, "cannot stop ksmd (pid %ld): %s", (long)pid,
			      strerror(errno));
		return;
	}
	deadline = ksm_monotonic_ms() + KSMD_STOP_MS;
	do {
		struct timespec ts = {0, 50 * 1000 * 1000};

		proc_name(pid, name, sizeof(name));
		if (!name[0])
			break;
		nanosleep(&ts, NULL);
	} while (ksm_monotonic_ms() < deadline);
	if (name[0])
		unenroll_fail(u, "ksmd (pid %ld) did not stop within %u s",
			      (long)pid, KSMD_STOP_MS / 1000);
	else
		unenroll_done(u, "ksmd (pid %ld) stopped", (long)pid);
}

void unenroll_services(struct unenroll *u)
{
	if (u->r.systemd)
		systemd_units(u);
	else if (access(u->r.k->conf->client_config, F_OK) == 0)
		unenroll_note(u, "systemd is not running: no timer or socket "
				 "to disable (if cron runs 'ksmctl sync', take "
				 "it out)");
	/* Without systemd, or one started by hand beside it. */
	if (!u->failed)
		stop_ksmd(u);
	if (u->act && !u->failed && ksmctl_ksmd_running(u->r.k))
		unenroll_fail(u, "ksmd still answers on %s",
			      u->r.k->conf->ksmd_socket);
}

void unenroll_files(struct unenroll *u)
{
	const ksm_settings *c = u->r.k->conf;
	char *status = ksmctl_sync_status_path(c->snapshot), lock[4096];
	const struct {
		const char *path, *what;
	} files[] = {
		{c->client_config, "the device key"},
		{c->snapshot, "the vault accounts"},
		{status, "the last sync's result"},
		{c->private_store, "ksmd's offline verifiers"},
		{lock, "their lock"},
		{CHECK_METRICS_FILE, "the node_exporter metrics"},
	};
	struct stat st;

	/* ksm-core/accounts/private_store.c locks PATH.lock. */
	snprintf(lock, sizeof(lock), "%s.lock", c->private_store);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && !u->failed;
	     i++) {
		if (!files[i].path || lstat(files[i].path, &st) != 0)
			continue;
		unenroll_plan(u, "remove %s (%s)", files[i].path,
			      files[i].what);
		if (!u->act)
			continue;
		if (unlink(files[i].path) != 0 && errno != ENOENT)
			unenroll_fail(u, "cannot remove %s: %s", files[i].path,
				      strerror(errno));
		else
			unenroll_done(u, "removed %s (%s)", files[i].path,
				      files[i].what);
	}
	free(status);
}
