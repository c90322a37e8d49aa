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
#include "ksmctl_check_parse.h"

#define CHECK_PAM_DIR	"/etc/pam.d"
#define CHECK_NSSWITCH	"/etc/nsswitch.conf"
#define CHECK_SSHD	"/usr/sbin/sshd"
#define CHECK_SSHD_CONF "/etc/ssh/sshd_config"
#define CHECK_SSHD_DIR	"/etc/ssh"
#define CHECK_SYSTEMD	"/run/systemd/system"
/* Where the doctor asks for our sshd snippet to go: before drop-ins such
 * as systemd-userdb's 20-systemd-userdb.conf (sshd keeps the first). */
#define CHECK_SSHD_DROPIN  "/etc/ssh/sshd_config.d/10-ksm.conf"
#define CHECK_SSHD_PIDFILE "/run/sshd.pid"
#define CHECK_SSHD_TIMEOUT 10000
#define CHECK_SYSTEMCTL	   "/usr/bin/systemctl"
#define CHECK_SYNC_TIMER   "ksm-sync.timer"
/* Where ksm-metrics.service writes (dist/ksm-metrics.service.in). */
#define CHECK_METRICS_FILE    "/var/lib/prometheus/node-exporter/ksm.prom"
#define CHECK_PAM_AUTH_UPDATE "/usr/sbin/pam-auth-update"
#define CHECK_PAM_CONFIGS     "/usr/share/pam-configs"
#define CHECK_PAM_PROFILE     CHECK_PAM_CONFIGS "/ksm"
#ifndef KSM_PKGDATADIR
#define KSM_PKGDATADIR "/usr/share/ksm-unix"
#endif
#ifndef KSM_SBINDIR
#define KSM_SBINDIR "/usr/sbin"
#endif
/* What the packages ship: the sshd snippet and the nsswitch.conf tool. */
#define CHECK_SSHD_SNIPPET  KSM_PKGDATADIR "/sshd_config.d/ksm.conf"
#define CHECK_NSSWITCH_TOOL KSM_SBINDIR "/ksm-nsswitch"

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

/* The rules of every file of CHECK_PAM_DIR, by name (the doctor's and
 * ksmctl unenroll's view of the PAM stacks). */
struct check_pam_file {
	char *name;
	struct ksmctl_pam_line *lines;
	size_t n;
};
struct check_pam_dir {
	struct check_pam_file *f;
	size_t n;
};
/* False when the directory cannot be read or memory ran out. */
bool check_pam_dir_load(struct check_pam_dir *d);
void check_pam_dir_free(struct check_pam_dir *d);
/* Every file sshd reads, in its order: sshd_config and what its Include
 * lines name (before a Match block), each with its text. */
typedef void (*check_sshd_file_fn)(void *ctx, const char *path,
				   const char *text, size_t len);
void check_sshd_files(check_sshd_file_fn visit, void *ctx);

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
