/* SPDX-License-Identifier: MIT */
/*
 * load_driver.c - the load tests' driver (tests/load).
 *
 *   load_driver burst CONFDIR SERVICE SPECFILE
 *     One child process per line of SPECFILE ("USER<TAB>PASSWORD<TAB>
 *     EXPECTED", EXPECTED a PAM code name such as PAM_SUCCESS, or several
 *     joined by "|" when either is right). Each child
 *     runs pam_start_confdir(), says it is ready and waits on a pipe; when
 *     all are ready the parent closes the pipe, which releases them all at
 *     once into pam_authenticate(); then pam_end(). The parent checks every
 *     result (and that a PAM_USER_UNKNOWN user was never prompted) and
 *     prints the outcomes, the wall time from the release to the last
 *     result, the latencies and the largest number of children that were
 *     inside pam_authenticate() at the same moment.
 *
 *   load_driver loop CONFDIR SERVICE USER EXPECTED N CHECKPOINT...
 *     N rounds of pam_start_confdir/pam_authenticate/pam_end in this one
 *     process (password: $LOAD_PASSWORD). After each CHECKPOINT round it
 *     prints "at ROUND: fds=.. rss_kb=.. hwm_kb=.. maps=.. heap=.." (open
 *     descriptors, VmRSS, VmHWM, lines of /proc/self/maps, bytes in use by
 *     malloc), and with $LOAD_WATCH_PID also " watch_rss_kb=.." (the VmRSS
 *     of that process: ksmd, which does the vault half of every round).
 *
 *   load_driver nss MODULE N SNAPSHOT ALT EVERY CHECKPOINT... -- USER:UID...
 *     N lookups through MODULE's _nss_ksm_getpwnam_r and _nss_ksm_getpwuid_r
 *     (alternating, cycling through the USER:UID pairs; each answer must
 *     name that user and uid). Every EVERY lookups SNAPSHOT is replaced by
 *     a copy of ALT or of itself (write temp + rename), so the module maps
 *     a new file. Checkpoints as for loop.
 *
 * Secrets come from the spec file or the environment, never from argv.
 * Exit status: 0 when every result was as expected, 1 otherwise, 2 on
 * usage errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <nss.h>
#include <poll.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 2048

static const char *const pam_names[] = {
	[PAM_SUCCESS] = "PAM_SUCCESS",
	[PAM_OPEN_ERR] = "PAM_OPEN_ERR",
	[PAM_SYMBOL_ERR] = "PAM_SYMBOL_ERR",
	[PAM_SERVICE_ERR] = "PAM_SERVICE_ERR",
	[PAM_SYSTEM_ERR] = "PAM_SYSTEM_ERR",
	[PAM_BUF_ERR] = "PAM_BUF_ERR",
	[PAM_PERM_DENIED] = "PAM_PERM_DENIED",
	[PAM_AUTH_ERR] = "PAM_AUTH_ERR",
	[PAM_CRED_INSUFFICIENT] = "PAM_CRED_INSUFFICIENT",
	[PAM_AUTHINFO_UNAVAIL] = "PAM_AUTHINFO_UNAVAIL",
	[PAM_USER_UNKNOWN] = "PAM_USER_UNKNOWN",
	[PAM_MAXTRIES] = "PAM_MAXTRIES",
	[PAM_NEW_AUTHTOK_REQD] = "PAM_NEW_AUTHTOK_REQD",
	[PAM_ACCT_EXPIRED] = "PAM_ACCT_EXPIRED",
	[PAM_SESSION_ERR] = "PAM_SESSION_ERR",
	[PAM_CRED_UNAVAIL] = "PAM_CRED_UNAVAIL",
	[PAM_CRED_EXPIRED] = "PAM_CRED_EXPIRED",
	[PAM_CRED_ERR] = "PAM_CRED_ERR",
	[PAM_NO_MODULE_DATA] = "PAM_NO_MODULE_DATA",
	[PAM_CONV_ERR] = "PAM_CONV_ERR",
	[PAM_AUTHTOK_ERR] = "PAM_AUTHTOK_ERR",
	[PAM_AUTHTOK_RECOVERY_ERR] = "PAM_AUTHTOK_RECOVERY_ERR",
	[PAM_AUTHTOK_LOCK_BUSY] = "PAM_AUTHTOK_LOCK_BUSY",
	[PAM_AUTHTOK_DISABLE_AGING] = "PAM_AUTHTOK_DISABLE_AGING",
	[PAM_TRY_AGAIN] = "PAM_TRY_AGAIN",
	[PAM_IGNORE] = "PAM_IGNORE",
	[PAM_ABORT] = "PAM_ABORT",
	[PAM_AUTHTOK_EXPIRED] = "PAM_AUTHTOK_EXPIRED",
	[PAM_MODULE_UNKNOWN] = "PAM_MODULE_UNKNOWN",
	[PAM_BAD_ITEM] = "PAM_BAD_ITEM",
	[PAM_CONV_AGAIN] = "PAM_CONV_AGAIN",
	[PAM_INCOMPLETE] = "PAM_INCOMPLETE",
};
#define N_PAM_NAMES ((int)(sizeof(pam_names) / sizeof(pam_names[0])))

static const char *pam_name(int rc)
{
	return rc >= 0 && rc < N_PAM_NAMES && pam_names[rc] ? pam_names[rc]
							    : "PAM_?";
}

static int pam_code(const char *name)
{
	for (int i = 0; i < N_PAM_NAMES; i++)
		if (pam_names[i] && !strcmp(pam_names[i], name))
			return i;
	return -1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The conversation: every echo-off prompt gets the password. */
struct conv_state {
	const char *password;
	int prompts;
};

static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *appdata)
{
	struct conv_state *cs = appdata;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
			continue;
		cs->prompts++;
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && cs->password)
			r[i].resp = strdup(cs->password);
		if (!r[i].resp) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_CONV_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ------------------------------------------------------------ burst */

struct spec {
	char *user, *password, *want;
	uint32_t expect; /* bit rc set: rc is right */
};

/* "PAM_AUTH_ERR|PAM_MAXTRIES" -> the bits of both; 0 if a name is wrong. */
static uint32_t pam_mask(const char *names)
{
	char copy[256], *save = NULL;
	uint32_t m = 0;

	snprintf(copy, sizeof(copy), "%s", names);
	for (char *t = strtok_r(copy, "|", &save); t;
	     t = strtok_r(NULL, "|", &save)) {
		int c = pam_code(t);

		if (c < 0 || c > 31)
			return 0;
		m |= 1u << c;
	}
	return m;
}

struct result {
	int idx, rc, prompts, start_rc;
	int64_t t_start, t_end;
};

static int read_spec(const char *path, struct spec *s, int cap)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int n = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *user = strtok(line, "\t\n");
		char *pw = strtok(NULL, "\t\n");
		char *want = strtok(NULL, "\t\n");

		if (!user)
			continue;
		if (!pw || !want || !pam_mask(want) || n == cap) {
			fprintf(stderr, "%s: bad line %d\n", path, n + 1);
			fclose(f);
			return -1;
		}
		s[n].user = strdup(user);
		s[n].password = strdup(pw);
		s[n].expect = pam_mask(want);
		s[n].want = strdup(want);
		explicit_bzero(line, sizeof(line));
		if (!s[n].user || !s[n].password || !s[n].want) {
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	return n;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		len -= (size_t)w;
	}
	return true;
}

/* Read exactly len bytes, waiting at most until deadline (ns). */
static bool read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int64_t left = (deadline - now_ns()) / 1000000;
		ssize_t r;

		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)left) <= 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

static void child(const char *confdir, const char *service,
		  const struct spec *s, int idx, int ready, int go, int out)
{
	struct conv_state cs = {s->password, 0};
	struct pam_conv pc = {conv, &cs};
	pam_handle_t *pamh = NULL;
	struct result r = {.idx = idx, .rc = -1};
	char c;

	r.start_rc = pam_start_confdir(service, s->user, &pc, confdir, &pamh);
	if (!write_all(ready, "r", 1))
		_exit(3);
	close(ready);
	/* Blocks until the parent closes the write end: all go at once. */
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	r.t_start = now_ns();
	if (r.start_rc == PAM_SUCCESS)
		r.rc = pam_authenticate(pamh, 0);
	r.t_end = now_ns();
	r.prompts = cs.prompts;
	if (pamh)
		pam_end(pamh, r.rc);
	/* One write of less than PIPE_BUF bytes: never interleaved. */
	_exit(write_all(out, &r, sizeof(r)) ? 0 : 4);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The largest number of [start, end] intervals that overlap. */
static int max_overlap(const struct result *res, int n)
{
	int64_t *ev = calloc((size_t)n * 2, sizeof(*ev));
	int best = 0, cur = 0;

	if (!ev)
		return -1;
	/* Starts as even values, ends as odd: at equal times, ends first. */
	for (int i = 0; i < n; i++) {
		ev[2 * i] = res[i].t_start * 2;
		ev[2 * i + 1] = res[i].t_end * 2 - 1;
	}
	qsort(ev, (size_t)n * 2, sizeof(*ev), cmp_i64);
	for (int i = 0; i < 2 * n; i++) {
		cur += (ev[i] & 1) ? -1 : 1;
		if (cur > best)
			best = cur;
	}
	free(ev);
	return best;
}

static int burst(const char *confdir, const char *service, const char *path)
{
	static struct spec s[MAX_CHILDREN];
	static struct result res[MAX_CHILDREN];
	static pid_t pids[MAX_CHILDREN];
	int64_t lat[MAX_CHILDREN];
	int ready[2], go[2], out[2], n, got = 0, bad = 0, crashed = 0;
	int counts[N_PAM_NAMES + 1] = {0};
	int64_t t_release, t_last, deadline;
	char *buf;

	n = read_spec(path, s, MAX_CHILDREN);
	if (n <= 0)
		return 2;
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) ||
	    pipe2(out, O_CLOEXEC)) {
		perror("pipe");
		return 2;
	}
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			close(go[1]); /* release those already started */
			return 2;
		}
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			close(out[0]);
			child(confdir, service, &s[i], i, ready[1], go[0],
			      out[1]);
		}
	}
	close(ready[1]);
	close(go[0]);
	close(out[1]);
	buf = malloc((size_t)n);
	deadline = now_ns() + 120 * 1000000000LL;
	if (!buf || !read_all(ready[0], buf, (size_t)n, deadline)) {
		fprintf(stderr, "burst: not every child got ready\n");
		free(buf);
		close(go[1]);
		return 1;
	}
	free(buf);
	t_release = now_ns();
	close(go[1]);
	deadline = t_release + 300 * 1000000000LL;
	t_last = t_release;
	for (got = 0; got < n; got++) {
		struct result r;

		if (!read_all(out[0], &r, sizeof(r), deadline))
			break;
		if (r.idx < 0 || r.idx >= n)
			break;
		res[r.idx] = r;
		t_last = now_ns();
	}
	for (int i = 0; i < n; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			crashed++;
			printf("CHILD %d (%s): %s %d\n", i, s[i].user,
			       WIFSIGNALED(st) ? "killed by signal" : "exit",
			       WIFSIGNALED(st) ? WTERMSIG(st)
					       : WEXITSTATUS(st));
		}
	}
	if (got < n) {
		printf("burst: only %d of %d results\n", got, n);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const struct result *r = &res[i];
		bool ok = r->start_rc == PAM_SUCCESS && r->rc >= 0 &&
			  r->rc < 32 && (s[i].expect & (1u << r->rc));

		/* Not ours: answered before any prompt, without network. */
		if (ok && r->rc == PAM_USER_UNKNOWN && r->prompts > 0)
			ok = false;
		if (!ok) {
			bad++;
			printf("MISMATCH %d %s: got %s%s (prompts %d), wanted "
			       "%s\n",
			       i, s[i].user,
			       r->start_rc != PAM_SUCCESS ? "pam_start " : "",
			       pam_name(r->start_rc != PAM_SUCCESS ? r->start_rc
								   : r->rc),
			       r->prompts, s[i].want);
		}
		counts[r->rc >= 0 && r->rc < N_PAM_NAMES ? r->rc
							 : N_PAM_NAMES]++;
		lat[i] = r->t_end - r->t_start;
		explicit_bzero(s[i].password, strlen(s[i].password));
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("burst: %d children released together; outcomes:", n);
	for (int i = 0; i <= N_PAM_NAMES; i++)
		if (counts[i])
			printf(" %s=%d",
			       i < N_PAM_NAMES ? pam_name(i) : "other",
			       counts[i]);
	printf("\nburst: wall %.0f ms from the release to the last result; "
	       "pam_authenticate latency p50 %.0f ms, p90 %.0f ms, max %.0f "
	       "ms; at most %d children inside pam_authenticate at once\n",
	       (double)(t_last - t_release) / 1e6, (double)lat[n / 2] / 1e6,
	       (double)lat[n * 9 / 10] / 1e6, (double)lat[n - 1] / 1e6,
	       max_overlap(res, n));
	printf("burst: %d mismatches, %d children failed\n", bad, crashed);
	return bad || crashed ? 1 : 0;
}

/* ------------------------------------------------------- resources */

/* A field (kB) of /proc/PID/status; pid 0: this process. */
static long proc_status_kb(long pid, const char *field)
{
	char path[64];
	FILE *f;
	char line[256];
	size_t len = strlen(field);
	long v = -1;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long status_kb(const char *field)
{
	return proc_status_kb(0, field);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		if (c == '\n')
			n++;
	fclose(f);
	return n;
}

static void checkpoint(long round)
{
	struct mallinfo2 mi = mallinfo2();
	const char *watch = getenv("LOAD_WATCH_PID");

	printf("at %ld: fds=%d rss_kb=%ld hwm_kb=%ld maps=%d heap=%zu", round,
	       count_fds(), status_kb("VmRSS"), status_kb("VmHWM"),
	       count_maps(), mi.uordblks);
	if (watch && *watch)
		printf(" watch_rss_kb=%ld",
		       proc_status_kb(strtol(watch, NULL, 10), "VmRSS"));
	printf("\n");
	fflush(stdout);
}

static bool is_checkpoint(long round, char **cps, int n_cps)
{
	for (int i = 0; i < n_cps; i++)
		if (strtol(cps[i], NULL, 10) == round)
			return true;
	return false;
}

/* ------------------------------------------------------------- loop */

static int loop(const char *confdir, const char *service, const char *user,
		const char *want_name, long rounds, char **cps, int n_cps)
{
	int want = pam_code(want_name), bad = 0;
	int64_t t0 = now_ns();

	if (want < 0 || rounds < 1)
		return 2;
	for (long round = 1; round <= rounds; round++) {
		struct conv_state cs = {getenv("LOAD_PASSWORD"), 0};
		struct pam_conv pc = {conv, &cs};
		pam_handle_t *pamh = NULL;
		int rc = pam_start_confdir(service, user, &pc, confdir, &pamh);

		if (rc == PAM_SUCCESS)
			rc = pam_authenticate(pamh, 0);
		if (pamh)
			pam_end(pamh, rc);
		if (rc != want && bad++ < 5)
			printf("MISMATCH round %ld: %s, wanted %s\n", round,
			       pam_name(rc), want_name);
		if (is_checkpoint(round, cps, n_cps))
			checkpoint(round);
	}
	printf("loop: %ld rounds, %d not %s; wall %.0f ms (%.2f ms per "
	       "round)\n",
	       rounds, bad, want_name, (double)(now_ns() - t0) / 1e6,
	       (double)(now_ns() - t0) / 1e6 / (double)rounds);
	return bad ? 1 : 0;
}

/* -------------------------------------------------------------- nss */

typedef enum nss_status pwnam_fn(const char *, struct passwd *, char *, size_t,
				 int *);
typedef enum nss_status pwuid_fn(uid_t, struct passwd *, char *, size_t, int *);

/* Copy src over dst by write-temp + rename (a new inode, as sync does). */
static bool replace_file(const char *dst, const char *src)
{
	char tmp[4096], buf[65536];
	int in, out;
	ssize_t r;
	bool ok = true;

	snprintf(tmp, sizeof(tmp), "%s.load-tmp", dst);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return false;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		close(in);
		return false;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (!write_all(out, buf, (size_t)r))
			ok = false;
	if (r < 0)
		ok = false;
	close(in);
	if (close(out) != 0)
		ok = false;
	return ok && rename(tmp, dst) == 0;
}

static int nss(int argc, char **argv)
{
	const char *module, *snapshot, *alt;
	long lookups, every;
	char **cps, **users = NULL, copy[4096];
	int n_cps = 0, n_users = 0, bad = 0, i;
	uid_t *uids;
	pwnam_fn *getpwnam_k;
	pwuid_fn *getpwuid_k;
	void *h;
	char buf[4096];
	int64_t t0;
	long replaced = 0;

	if (argc < 6)
		return 2;
	module = argv[0];
	lookups = strtol(argv[1], NULL, 10);
	snapshot = argv[2];
	alt = argv[3];
	every = strtol(argv[4], NULL, 10);
	cps = argv + 5;
	for (i = 5; i < argc && strcmp(argv[i], "--"); i++)
		n_cps++;
	if (i >= argc - 1 || lookups < 1 || every < 1)
		return 2;
	users = argv + i + 1;
	n_users = argc - i - 1;
	uids = calloc((size_t)n_users, sizeof(*uids));
	if (!uids)
		return 2;
	for (i = 0; i < n_users; i++) {
		char *colon = strchr(users[i], ':');

		if (!colon)
			return 2;
		*colon = '\0';
		uids[i] = (uid_t)strtoul(colon + 1, NULL, 10);
	}
	/* A second copy of the snapshot, so that both files can alternate. */
	snprintf(copy, sizeof(copy), "%s.load-self", snapshot);
	if (!replace_file(copy, snapshot)) {
		fprintf(stderr, "cannot copy %s\n", snapshot);
		return 2;
	}
	h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	getpwnam_k = (pwnam_fn *)dlsym(h, "_nss_ksm_getpwnam_r");
	getpwuid_k = (pwuid_fn *)dlsym(h, "_nss_ksm_getpwuid_r");
	if (!getpwnam_k || !getpwuid_k)
		return 2;
	t0 = now_ns();
	for (long n = 1; n <= lookups; n++) {
		struct passwd pw;
		int k = (int)((n / 2) % n_users), e = 0;
		enum nss_status st =
			n % 2 ? getpwnam_k(users[k], &pw, buf, sizeof(buf), &e)
			      : getpwuid_k(uids[k], &pw, buf, sizeof(buf), &e);

		if (st != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, users[k]) ||
		    pw.pw_uid != uids[k]) {
			if (bad++ < 5)
				printf("MISMATCH lookup %ld (%s %u): status "
				       "%d\n",
				       n, users[k], (unsigned)uids[k], (int)st);
		}
		if (n % every == 0) {
			if (!replace_file(snapshot,
					  replaced % 2 ? copy : alt)) {
				fprintf(stderr, "cannot replace %s\n",
					snapshot);
				return 2;
			}
			replaced++;
		}
		if (is_checkpoint(n, cps, n_cps))
			checkpoint(n);
	}
	printf("nss: %ld lookups (getpwnam_r and getpwuid_r), %d wrong, "
	       "snapshot replaced %ld times; wall %.0f ms (%.2f us per "
	       "lookup)\n",
	       lookups, bad, replaced, (double)(now_ns() - t0) / 1e6,
	       (double)(now_ns() - t0) / 1e3 / (double)lookups);
	unlink(copy);
	free(uids);
	return bad ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: load_driver burst CONFDIR SERVICE SPECFILE\n"
		"       load_driver loop CONFDIR SERVICE USER EXPECTED N "
		"CHECKPOINT...\n"
		"       load_driver nss MODULE N SNAPSHOT ALT EVERY "
		"CHECKPOINT... -- USER:UID...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && !strcmp(argv[1], "burst"))
		return burst(argv[2], argv[3], argv[4]);
	if (argc >= 7 && !strcmp(argv[1], "loop"))
		return loop(argv[2], argv[3], argv[4], argv[5],
			    strtol(argv[6], NULL, 10), argv + 7, argc - 7);
	if (argc >= 3 && !strcmp(argv[1], "nss"))
		return nss(argc - 2, argv + 2);
	usage();
	return 2;
}
