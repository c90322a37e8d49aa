/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_sessions.c - end_sessions: after `ksmctl sync` (as root) wrote a
 * snapshot, the running sessions of every account that expired
 * (valid_until) or left (the vault, or this host's links) end: through
 * logind (loginctl terminate-user) where it runs, then by signal (SIGHUP,
 * SIGKILL after end_sessions_grace) to every process whose real uid is the
 * account's. Never root, never a uid under 1000 or uid_min, never a uid
 * that /etc/passwd has (a local account) or that a current account still
 * holds. ksmd cannot do this: it runs as ksmd_user.
 */
#include "ksmctl_sessions.h"
#include "snapshot_reader.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

void ksmctl_prev_load(const ksm_settings *conf, struct ksmctl_prev *p)
{
	ksm_snap s;

	memset(p, 0, sizeof(*p));
	if (ksm_snap_open(conf->snapshot, &s) != KSM_SNAPST_OK)
		return;
	p->users = calloc(s.h->n_users ? s.h->n_users : 1, sizeof(*p->users));
	for (uint32_t i = 0; p->users && i < s.h->n_users; i++) {
		const struct ksm_snap_user *u = &s.users[i];

		snprintf(p->users[i].name, sizeof(p->users[i].name), "%s",
			 ksm_snap_str(&s, u->name));
		p->users[i].uid = u->uid;
		p->n++;
	}
	ksm_snap_close(&s);
}

void ksmctl_prev_free(struct ksmctl_prev *p)
{
	free(p->users);
	memset(p, 0, sizeof(*p));
}

/* /etc/passwd itself (never NSS: that would list our own accounts). */
static bool local_uid(uid_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool hit = false;

	if (!f)
		return true; /* cannot tell: leave the uid alone */
	while (!hit && (pw = fgetpwent(f)))
		hit = pw->pw_uid == uid;
	fclose(f);
	return hit;
}

static const ksm_account *account_by_uid(const ksm_accounts *as, uint32_t uid)
{
	for (size_t i = 0; i < as->n_accounts; i++)
		if (as->accounts[i].uid == uid)
			return &as->accounts[i];
	return NULL;
}

/* Why the account named name is gone from this host. */
static const char *why_gone(const ksm_accounts *as, const char *name)
{
	for (size_t i = 0; i < as->n_refusals; i++)
		if (as->refusals[i].whole_account &&
		    !strcmp(as->refusals[i].name, name))
			return as->refusals[i].off_host
				       ? "no longer linked to this host"
				       : "refused by this sync";
	return "left the vault";
}

/* The real uid of a process, or -1. */
static long long proc_uid(const char *pid)
{
	char path[64], line[256];
	long long uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Uid:", 4)) {
			uid = strtoll(line + 4, NULL, 10);
			break;
		}
	fclose(f);
	return uid;
}

/*
 * Signal pid if it is uid's. Through a pidfd taken before the uid is
 * read: were the pid reused in between, the signal would go to the
 * process read (ESRCH once it is gone), never to the newcomer.
 */
static int signal_pid(pid_t pid, uid_t uid, int sig)
{
	char name[24];
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), rc;

	if (fd < 0 && errno != ENOSYS)
		return -1; /* gone already */
	snprintf(name, sizeof(name), "%d", (int)pid);
	if (proc_uid(name) != (long long)uid) {
		rc = -1;
		errno = ESRCH;
	} else if (fd < 0) {
		rc = kill(pid, sig); /* a kernel before 5.3 */
	} else {
		rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	}
	if (fd >= 0) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return rc;
}

/* Send sig to every process of uid; the number signalled. */
static unsigned signal_uid(uid_t uid, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		pid_t pid;

		if (!isdigit((unsigned char)e->d_name[0]) ||
		    proc_uid(e->d_name) != (long long)uid)
			continue;
		pid = (pid_t)strtol(e->d_name, NULL, 10);
		/* Signal 0 counts what exists, even what we may not signal. */
		if (pid > 1 && pid != getpid() &&
		    (signal_pid(pid, uid, sig) == 0 ||
		     (sig == 0 && errno == EPERM)))
			n++;
	}
	closedir(d);
	return n;
}

static void logind_terminate(uid_t uid)
{
	char arg[16];
	pid_t pid;
	int status;

	if (access("/run/systemd/system", F_OK) != 0 ||
	    access("/usr/bin/loginctl", X_OK) != 0)
		return;
	snprintf(arg, sizeof(arg), "%u", (unsigned)uid);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/usr/bin/loginctl", "loginctl", "terminate-user", arg,
		      (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* End uid's processes; how many there were and how many needed SIGKILL. */
static unsigned end_uid(uid_t uid, unsigned grace, unsigned *killed)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	unsigned n;

	*killed = 0;
	logind_terminate(uid);
	n = signal_uid(uid, SIGHUP);
	if (!n)
		return 0;
	signal_uid(uid, SIGCONT); /* a stopped process sees SIGHUP too */
	for (unsigned i = 0; i < grace * 10 && signal_uid(uid, 0); i++)
		nanosleep(&tick, NULL);
	*killed = signal_uid(uid, SIGKILL);
	return n;
}

static void end_one(const ksm_settings *conf, uint32_t uid, const char *name,
		    const char *reason)
{
	unsigned n, killed;

	if (uid == 0 || uid < 1000 || uid < conf->uid_min || local_uid(uid))
		return;
	if (geteuid() != 0) {
		/* Only root may; say so when there is something to end. */
		if (signal_uid(uid, 0))
			fprintf(stderr,
				"ksmctl: end_sessions: not root: the "
				"processes of %s (uid %u) are left running "
				"(%s)\n",
				name, uid, reason);
		return;
	}
	n = end_uid(uid, conf->end_sessions_grace, &killed);
	if (!n)
		return;
	fprintf(stderr,
		"ksmctl: ended the sessions of %s (uid %u): %s; %u "
		"process(es) sent SIGHUP, %u killed after %us\n",
		name, uid, reason, n, killed, conf->end_sessions_grace);
	syslog(LOG_NOTICE,
	       "ended the sessions of %s (uid %u): %s; %u process(es) sent "
	       "SIGHUP, %u killed after %us",
	       name, uid, reason, n, killed, conf->end_sessions_grace);
}

void ksmctl_end_sessions(const ksm_settings *conf,
			 const struct ksmctl_prev *prev, const ksm_accounts *as)
{
	int64_t now = (int64_t)time(NULL);

	if (!conf->end_sessions)
		return;
	for (size_t i = 0; i < prev->n; i++) {
		const ksm_account *a = account_by_uid(as, prev->users[i].uid);

		if (!a)
			end_one(conf, prev->users[i].uid, prev->users[i].name,
				why_gone(as, prev->users[i].name));
	}
	for (size_t i = 0; i < as->n_accounts; i++) {
		const ksm_account *a = &as->accounts[i];

		if (a->valid_until && a->valid_until <= now &&
		    account_by_uid(as, a->uid) == a)
			end_one(conf, a->uid, a->name,
				"access expired (valid_until)");
	}
}
