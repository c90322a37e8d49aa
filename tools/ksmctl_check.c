/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check.c - "ksmctl check [--json]", the host doctor: runs every
 * check (ksmctl_check.h), prints one line per finding with the command
 * that fixes each failure, and exits 0 only when every check passed.
 *
 * --json: {"ok":BOOL,"passed":N,"failed":N,"skipped":N,"checks":[{"check":
 * NAME,"status":"ok"|"fail"|"skip","message":TEXT,"fix":TEXT}, ...]}, the
 * checks always in the same order, each at least once.
 */
#include "ksmctl_check.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_OUT_MAX (1u << 20)

void check_add(struct check_report *r, const char *check, enum check_verdict v,
	       const char *fix, const char *fmt, ...)
{
	struct check_entry *e;
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct check_entry *grown = realloc(r->e, cap * sizeof(*grown));

		if (!grown) {
			r->oom = true;
			return;
		}
		r->e = grown;
		r->cap = cap;
	}
	e = &r->e[r->n++];
	e->check = check;
	e->verdict = v;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	snprintf(e->fix, sizeof(e->fix), "%s", fix ? fix : "");
}

const char *check_self(const struct check_report *r, const char *args,
		       char *buf, size_t n)
{
	snprintf(buf, n, "%s %s", r->self, args);
	return buf;
}

const char *check_sshd_reload(const struct check_report *r)
{
	return r->systemd ? "systemctl reload ssh"
			  : "kill -HUP \"$(cat /run/sshd.pid)\"";
}

/* Append what fd has to *buf; false at end of file or error. */
static bool drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t got = read(fd, chunk, sizeof(chunk));
	char *grown;

	if (got < 0 && errno == EINTR)
		return true;
	if (got <= 0)
		return false;
	if (*len + (size_t)got > RUN_OUT_MAX)
		return true; /* keep reading, drop the excess */
	grown = realloc(*buf, *len + (size_t)got + 1);
	if (!grown)
		return false;
	*buf = grown;
	memcpy(*buf + *len, chunk, (size_t)got);
	*len += (size_t)got;
	(*buf)[*len] = '\0';
	return true;
}

static void child(const char *const argv[], int out_fd, int err_fd)
{
	/* pam-auth-update asks debconf: never a question here. */
	static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
				    "LC_ALL=C",
				    "DEBIAN_FRONTEND=noninteractive", NULL};
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(err_fd, STDERR_FILENO) < 0)
		_exit(126);
	execve(argv[0], (char *const *)argv, env);
	_exit(127);
}

int check_run(const char *const argv[], unsigned timeout_ms, char **out,
	      char **err)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, status = 0, rc = -1;
	char *bufs[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	uint64_t deadline = ksm_monotonic_ms() + timeout_ms;
	bool open_[2] = {true, true};
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0)
		goto out;
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		child(argv, po[1], pe[1]);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	while (open_[0] || open_[1]) {
		struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
		uint64_t now = ksm_monotonic_ms();

		if (!open_[0])
			p[0].fd = -1;
		if (!open_[1])
			p[1].fd = -1;
		if (now >= deadline ||
		    (poll(p, 2, (int)(deadline - now)) < 0 && errno != EINTR))
			break;
		for (int i = 0; i < 2; i++)
			if (open_[i] && p[i].revents &&
			    !drain(i ? pe[0] : po[0], &bufs[i], &lens[i]))
				open_[i] = false;
	}
	if (open_[0] || open_[1])
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!open_[0] && !open_[1] && WIFEXITED(status))
		rc = WEXITSTATUS(status);
out:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	if (out)
		*out = bufs[0] ? bufs[0] : strdup("");
	else
		free(bufs[0]);
	if (err)
		*err = bufs[1] ? bufs[1] : strdup("");
	else
		free(bufs[1]);
	return rc;
}

static void check_conf(struct check_report *r)
{
	const struct ksmctl *k = r->k;
	const char *path = k->conf_path ? k->conf_path : KSM_DEFAULT_CONF;
	char fix[1400];

	if (!k->conf_error) {
		check_add(r, "conf", CHECK_OK, NULL, "%s parses%s", path,
			  access(path, F_OK) == 0
				  ? ""
				  : " (missing: every default)");
		return;
	}
	snprintf(fix, sizeof(fix),
		 "correct the line it names (ksm.conf(5)), e.g. 'editor %s', "
		 "then: %s check",
		 path, r->self);
	check_add(r, "conf", CHECK_FAIL, fix,
		  "%s; the checks below use the defaults",
		  k->conf_error->message);
}

static const char *verdict_name(enum check_verdict v, bool json)
{
	switch (v) {
	case CHECK_OK:
		return "ok";
	case CHECK_FAIL:
		return json ? "fail" : "FAIL";
	default:
		return "skip";
	}
}

static void print_text(const struct check_report *r, size_t counts[3])
{
	for (size_t i = 0; i < r->n; i++) {
		const struct check_entry *e = &r->e[i];

		printf("%-5s %-14s %s\n", verdict_name(e->verdict, false),
		       e->check, e->message);
		if (e->verdict == CHECK_FAIL && e->fix[0])
			printf("%-5s %-14s fix: %s\n", "", "", e->fix);
	}
	printf("checks: %zu ok, %zu failed, %zu skipped\n", counts[CHECK_OK],
	       counts[CHECK_FAIL], counts[CHECK_SKIP]);
}

static void print_json(const struct check_report *r, size_t counts[3])
{
	printf("{\"ok\":%s,\"passed\":%zu,\"failed\":%zu,\"skipped\":%zu,"
	       "\"checks\":[",
	       counts[CHECK_FAIL] ? "false" : "true", counts[CHECK_OK],
	       counts[CHECK_FAIL], counts[CHECK_SKIP]);
	for (size_t i = 0; i < r->n; i++) {
		const struct check_entry *e = &r->e[i];

		printf("%s{\"check\":", i ? "," : "");
		ksmctl_json_string(stdout, e->check);
		printf(",\"status\":\"%s\",\"message\":",
		       verdict_name(e->verdict, true));
		ksmctl_json_string(stdout, e->message);
		printf(",\"fix\":");
		ksmctl_json_string(stdout, e->fix);
		printf("}");
	}
	printf("]}\n");
}

int cmd_check(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	static void (*const checks[])(struct check_report *) = {
		check_conf,  check_client_config, check_ksmd, check_snapshot,
		check_sshd,  check_nsswitch,	  check_pam,  check_timer,
		check_clock, check_device,
	};
	struct check_report r = {.k = k};
	size_t counts[3] = {0, 0, 0};
	bool json = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ksmctl_usage_error(k, "usage: check [--json]");
		json = true;
	}
	if (optind != argc)
		return ksmctl_usage_error(k, "usage: check [--json]");
	r.systemd = access(CHECK_SYSTEMD, F_OK) == 0;
	if (k->conf_path && !strpbrk(k->conf_path, "'\\ \t\n"))
		snprintf(r.self, sizeof(r.self), "ksmctl --conf %s",
			 k->conf_path);
	else if (k->conf_path)
		snprintf(r.self, sizeof(r.self), "ksmctl --conf PATH");
	else
		snprintf(r.self, sizeof(r.self), "ksmctl");
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		checks[i](&r);
	if (r.oom) {
		fprintf(stderr, "ksmctl: check: out of memory\n");
		free(r.e);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < r.n; i++)
		counts[r.e[i].verdict]++;
	if (json)
		print_json(&r, counts);
	else
		print_text(&r, counts);
	rc = counts[CHECK_FAIL] ? EXIT_FAIL : EXIT_OK;
	free(r.e);
	return rc;
}
