/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check.h - "ksmctl check", the host doctor: the report the checks
 * fill (ksmctl_check.c) and the checks, by concern: the host's own files
 * and ksmd (ksmctl_check_host.c), sshd (ksmctl_check_sshd.c), PAM and NSS
 * (ksmctl_check_pam.c).
 *
 * The paths are the system's (below), never taken from the environment:
 * root runs this. Tests give it their files in a mount namespace.
 */
#ifndef KSMCTL_CHECK_H
#define KSMCTL_CHECK_H

#include "ksmctl.h"

#define CHECK_PAM_DIR	"/etc/pam.d"
#define CHECK_NSSWITCH	"/etc/nsswitch.conf"
#define CHECK_SSHD	"/usr/sbin/sshd"
#define CHECK_SSHD_CONF "/etc/ssh/sshd_config"
#define CHECK_SSHD_DIR	"/etc/ssh"
#define CHECK_SYSTEMD	"/run/systemd/system"
/* Where the doctor asks for our sshd snippet to go: before drop-ins such
 * as systemd-userdb's 20-systemd-userdb.conf (sshd keeps the first). */
#define CHECK_SSHD_DROPIN "/etc/ssh/sshd_config.d/10-ksm.conf"

enum check_verdict { CHECK_OK, CHECK_FAIL, CHECK_SKIP };

struct check_entry {
	const char *check; /* its stable name: conf, client_config, ... */
	enum check_verdict verdict;
	char message[1024];
	char fix[1024]; /* with CHECK_FAIL: a command that fixes it */
};

struct check_report {
	const struct ksmctl *k;
	bool systemd;	/* systemd runs (CHECK_SYSTEMD exists) */
	char self[600]; /* "ksmctl", with --conf PATH when one was given */
	struct check_entry *e;
	size_t n, cap;
	bool oom;
};

/* One finding; fix may be NULL (then ""), message is printf-like. */
void check_add(struct check_report *r, const char *check, enum check_verdict v,
	       const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Run argv[0] (an absolute path) with argv, no shell, a clean
 * environment and standard input from /dev/null, for at most timeout_ms;
 * its standard output (and error) in *out (and *err, either may be NULL;
 * NUL-terminated, at most 1 MiB each, free them). Returns its exit
 * status, or -1 when it could not run or did not end in time. */
int check_run(const char *const argv[], unsigned timeout_ms, char **out,
	      char **err);
/* "SELF ARGS" (ksmctl with this run's --conf) into buf. */
const char *check_self(const struct check_report *r, const char *args,
		       char *buf, size_t n);
/* How to reload sshd on this host. */
const char *check_sshd_reload(const struct check_report *r);

void check_client_config(struct check_report *r);
void check_ksmd(struct check_report *r);
void check_snapshot(struct check_report *r);
void check_timer(struct check_report *r);
void check_clock(struct check_report *r);
void check_device(struct check_report *r);
void check_sshd(struct check_report *r);
void check_nsswitch(struct check_report *r);
void check_pam(struct check_report *r);

#endif
