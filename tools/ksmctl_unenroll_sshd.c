/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_unenroll_sshd.c - our sshd drop-in out: every file sshd reads
 * (check_sshd_files) in /etc/ssh that holds nothing but our
 * AuthorizedKeysCommand and its user or an Include of the package's
 * snippet (ksmctl_sshd_only_ours: the README's 10-ksm.conf, a copy of the
 * snippet, a link to it) is removed. sshd must accept its configuration
 * before ("sshd -t"; otherwise nothing is touched) and after (otherwise
 * the files are put back as they were); then sshd is told to reload. Our
 * command set among other settings is the admin's to take out: refused,
 * with the line.
 */
#include "fileio.h"
#include "ksmctl_unenroll.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DROPINS_MAX 16
#define DROPIN_MAX  (64u << 10)

struct dropin {
	char path[PATH_MAX];
	char target[PATH_MAX]; /* a link's; "" for a file */
	char *text;	       /* a file's, to put it back */
	size_t len;
	struct stat st;
};

struct scan {
	struct unenroll *u;
	struct dropin d[DROPINS_MAX];
	size_t n;
};

static void visit(void *ctx, const char *path, const char *text, size_t len)
{
	struct scan *s = ctx;
	struct ksmctl_sshd_hit hit;
	struct dropin *d;

	memset(&hit, 0, sizeof(hit));
	/* The snippet itself, and anything outside /etc/ssh, is the
	 * packages' or the admin's. */
	if (!strncmp(path, CHECK_SSHD_DIR "/", sizeof(CHECK_SSHD_DIR)) &&
	    strcmp(path, CHECK_SSHD_CONF) != 0 &&
	    ksmctl_sshd_only_ours(text, len, CHECK_SSHD_SNIPPET)) {
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->d[i].path, path))
				return; /* included twice */
		if (s->n == DROPINS_MAX)
			return;
		d = &s->d[s->n++];
		snprintf(d->path, sizeof(d->path), "%s", path);
		return;
	}
	if (strcmp(path, CHECK_SSHD_SNIPPET) != 0 &&
	    ksmctl_sshd_config_first(text, len, path, "AuthorizedKeysCommand",
				     NULL, NULL, &hit) &&
	    ksmctl_sshd_is_helper(hit.value))
		unenroll_refuse(s->u,
				"%s:%u sets AuthorizedKeysCommand %s among "
				"other settings: take it (and its "
				"AuthorizedKeysCommandUser) out by hand, "
				"then run unenroll again",
				path, hit.line, hit.value);
}

/* sshd -t: true when sshd accepts its configuration; why otherwise. */
static bool sshd_ok(char *why, size_t n)
{
	const char *argv[] = {CHECK_SSHD, "-t", NULL};
	char *out = NULL, *err = NULL;
	int rc = check_run(argv, CHECK_SSHD_TIMEOUT, &out, &err);

	snprintf(why, n, "%.*s", (int)strcspn(err ? err : "", "\n"),
		 err ? err : "");
	if (rc != 0 && !why[0])
		snprintf(why, n, "exit %d", rc);
	free(out);
	free(err);
	return rc == 0;
}

static bool save(struct dropin *d)
{
	ssize_t n;

	if (lstat(d->path, &d->st) != 0)
		return false;
	if (S_ISLNK(d->st.st_mode)) {
		n = readlink(d->path, d->target, sizeof(d->target) - 1);
		if (n <= 0)
			return false;
		d->target[n] = '\0';
		return true;
	}
	return ksm_read_file(d->path, DROPIN_MAX, &d->text, &d->len, NULL,
			     NULL) == KSM_OK;
}

static void put_back(struct unenroll *u, const struct dropin *d)
{
	ksm_error err = {0};
	bool ok;

	if (d->target[0])
		ok = symlink(d->target, d->path) == 0;
	else
		ok = ksm_atomic_write_owned(d->path, d->text, d->len,
					    d->st.st_mode & 07777, d->st.st_uid,
					    d->st.st_gid, &err) == KSM_OK;
	if (ok)
		unenroll_note(u, "put %s back", d->path);
	else
		unenroll_fail(u,
			      "could not put %s back (%s): restore it by "
			      "hand",
			      d->path,
			      err.message[0] ? err.message : strerror(errno));
}

/* Tell a running sshd to read its configuration again. */
static void reload(struct unenroll *u)
{
	const char *argv[] = {CHECK_SYSTEMCTL, "try-reload-or-restart",
			      "ssh.service", NULL};
	char *text = NULL, comm[64] = "";
	size_t len = 0;
	long pid = 0;
	FILE *f;

	if (u->r.systemd) {
		if (unenroll_run(u, "systemctl try-reload-or-restart ssh", argv,
				 CHECK_SSHD_TIMEOUT))
			unenroll_done(u, "sshd reloaded (systemctl)");
		return;
	}
	if (ksm_read_file(CHECK_SSHD_PIDFILE, 64, &text, &len, NULL, NULL) ==
	    KSM_OK)
		pid = strtol(text, NULL, 10);
	free(text);
	text = NULL;
	if (pid > 1) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
		if ((f = fopen(p, "re"))) {
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
		}
	}
	if (pid > 1 && !strcmp(comm, "sshd\n") && kill((pid_t)pid, SIGHUP) == 0)
		unenroll_done(u, "sshd (pid %ld) told to reload (SIGHUP)", pid);
	else
		unenroll_note(u,
			      "no sshd found through %s: reload the sshd that "
			      "runs, if any, yourself",
			      CHECK_SSHD_PIDFILE);
}

void unenroll_sshd(struct unenroll *u)
{
	struct scan s = {.u = u};
	bool sshd = access(CHECK_SSHD, X_OK) == 0;
	char why[400];
	size_t removed = 0;

	check_sshd_files(visit, &s);
	if (!s.n)
		return;
	if (sshd && !sshd_ok(why, sizeof(why))) {
		unenroll_refuse(u,
				"sshd -t fails before any change (%s): correct "
				"sshd's configuration first",
				why);
		return;
	}
	for (size_t i = 0; i < s.n; i++)
		unenroll_plan(u, "remove %s (our sshd drop-in), then sshd -t",
			      s.d[i].path);
	if (!u->act)
		return;
	for (size_t i = 0; i < s.n; i++) {
		if (!save(&s.d[i]) || unlink(s.d[i].path) != 0) {
			unenroll_fail(u, "cannot remove %s: %s", s.d[i].path,
				      strerror(errno));
			break;
		}
		removed++;
	}
	if (!u->failed && sshd && !sshd_ok(why, sizeof(why)))
		unenroll_fail(u,
			      "sshd -t fails without our drop-in (%s): it is "
			      "put back",
			      why);
	if (u->failed) {
		for (size_t i = 0; i < removed; i++)
			put_back(u, &s.d[i]);
	} else {
		for (size_t i = 0; i < removed; i++)
			unenroll_done(u, "removed %s", s.d[i].path);
		if (sshd)
			unenroll_done(u, "sshd -t accepts the configuration");
		if (sshd)
			reload(u);
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.d[i].text);
}
