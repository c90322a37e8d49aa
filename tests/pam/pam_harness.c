/* SPDX-License-Identifier: MIT */
/*
 * pam_harness.c - drive libpam directly for the pam_ksm tests.
 *
 *   pam_harness [options] SERVICE USER OP...
 *
 * The service file is read from -c CONFDIR with pam_start_confdir()
 * (Linux-PAM >= 1.4), so a test needs no file under /etc/pam.d. The
 * conversation is scripted: PAM_PROMPT_ECHO_OFF is answered with the
 * password, PAM_PROMPT_ECHO_ON with the TOTP code (or the user name if
 * the prompt asks for a login). Secrets come from the environment, never
 * from argv (ps would show them): PAM_HARNESS_PASSWORD, PAM_HARNESS_TOTP.
 * PAM_HARNESS_DELAY_MS makes the password prompt take that long (a user
 * typing slowly).
 *
 * OPs, run in order on one handle, each printing "OP: PAM_NAME: text":
 *   auth acct setcred delcred open close chauthtok
 *   keycheck[=NAME]  after open: find the user key ksm:NAME (default
 *                    password) in the session keyring and check it: value
 *                    equals $PAM_HARNESS_EXPECT (never printed), owner uid
 *                    = -u UID, no group/other permission bits, a timeout
 *                    within -T SECONDS (+-60 s) if given; prints
 *                    "keycheck NAME: ok ..." or "keycheck NAME: FAIL ...".
 *   nokey[=NAME]     the session keyring has no ksm:NAME key.
 *   revcheck         after close: every key keycheck found is revoked
 *                    (keyctl_read fails with EKEYREVOKED).
 *   userread[=NAME]  fork, become -u UID (keeping the session keyring)
 *                    and read ksm:NAME as the user: "userread NAME: ok".
 *   end              pam_end now (the ops after it get a new handle).
 *   leakselftest     strdup the password and free it unwiped (positive
 *                    control of tests/pam/freecheck.so).
 *
 * -n N repeats the op list N times, each with its own pam_start/pam_end,
 * and prints a JSON line with the CPU (getrusage) and wall time per round
 * and the number of rounds where every op succeeded (benchmarks).
 * -q prints only failures and the final JSON. Exit status: 0 when every op
 * returned PAM_SUCCESS (or an ok check), 1 otherwise, 2 on usage errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <keyutils.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *password, *totp;
static bool quiet;
static int n_prompts;

#define MAX_KEYS 16
static key_serial_t checked[MAX_KEYS];
static int n_checked;

static const char *pam_name(int rc)
{
	switch (rc) {
#define N(x)                                                                   \
	case x:                                                                \
		return #x;
		N(PAM_SUCCESS)
		N(PAM_OPEN_ERR)
		N(PAM_SYMBOL_ERR)
		N(PAM_SERVICE_ERR)
		N(PAM_SYSTEM_ERR)
		N(PAM_BUF_ERR)
		N(PAM_PERM_DENIED)
		N(PAM_AUTH_ERR)
		N(PAM_CRED_INSUFFICIENT)
		N(PAM_AUTHINFO_UNAVAIL)
		N(PAM_USER_UNKNOWN)
		N(PAM_MAXTRIES)
		N(PAM_NEW_AUTHTOK_REQD)
		N(PAM_ACCT_EXPIRED)
		N(PAM_SESSION_ERR)
		N(PAM_CRED_UNAVAIL)
		N(PAM_CRED_EXPIRED)
		N(PAM_CRED_ERR)
		N(PAM_NO_MODULE_DATA)
		N(PAM_CONV_ERR)
		N(PAM_AUTHTOK_ERR)
		N(PAM_AUTHTOK_RECOVERY_ERR)
		N(PAM_AUTHTOK_LOCK_BUSY)
		N(PAM_AUTHTOK_DISABLE_AGING)
		N(PAM_TRY_AGAIN)
		N(PAM_IGNORE)
		N(PAM_ABORT)
		N(PAM_AUTHTOK_EXPIRED)
		N(PAM_MODULE_UNKNOWN)
		N(PAM_BAD_ITEM)
		N(PAM_CONV_AGAIN)
		N(PAM_INCOMPLETE)
#undef N
	}
	return "PAM_?";
}

static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *appdata)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)appdata;
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *m = msg[i]->msg ? msg[i]->msg : "";
		const char *answer = NULL;

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			n_prompts++;
			/* A user who takes a while to type. */
			if (getenv("PAM_HARNESS_DELAY_MS"))
				usleep((useconds_t)atoi(
					       getenv("PAM_HARNESS_DELAY_MS")) *
				       1000);
			if (!quiet)
				printf("prompt-off: %s\n", m);
			answer = password;
			break;
		case PAM_PROMPT_ECHO_ON:
			n_prompts++;
			if (!quiet)
				printf("prompt-on: %s\n", m);
			answer = totp;
			break;
		case PAM_ERROR_MSG:
			if (!quiet)
				printf("error-msg: %s\n", m);
			break;
		case PAM_TEXT_INFO:
			if (!quiet)
				printf("info-msg: %s\n", m);
			break;
		default:
			break;
		}
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			if (!answer) {
				/* Nothing scripted for this prompt. */
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(answer);
			if (!r[i].resp) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_BUF_ERR;
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* The key's line in /proc/keys: its timeout column ("perm", "11h", ...). */
static long key_timeout_seconds(key_serial_t k)
{
	FILE *f = fopen("/proc/keys", "re");
	char line[512];
	long secs = -2;

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		unsigned long id;
		char flags[16], usage[16], tmo[16];

		if (sscanf(line, "%lx %15s %15s %15s", &id, flags, usage,
			   tmo) != 4 ||
		    (key_serial_t)id != k)
			continue;
		if (!strcmp(tmo, "perm")) {
			secs = -1;
		} else {
			char unit = tmo[strlen(tmo) - 1];
			long v = strtol(tmo, NULL, 10);

			secs = unit == 'w'   ? v * 7 * 86400
			       : unit == 'd' ? v * 86400
			       : unit == 'h' ? v * 3600
			       : unit == 'm' ? v * 60
					     : v;
		}
		break;
	}
	fclose(f);
	return secs;
}

static bool keycheck(const char *name, long want_uid, long want_ttl)
{
	char desc[128], *info = NULL;
	void *value = NULL;
	const char *expect = getenv("PAM_HARNESS_EXPECT");
	key_serial_t k;
	long len;
	bool ok = true;
	char why[512] = "";
	unsigned uid = 0, gid = 0, perm = 0;
	long ttl;

	snprintf(desc, sizeof(desc), "ksm:%s", name);
	k = (key_serial_t)keyctl_search(KEY_SPEC_SESSION_KEYRING, "user", desc,
					0);
	if (k < 0) {
		printf("keycheck %s: FAIL not in the session keyring: %s\n",
		       name, strerror(errno));
		return false;
	}
	if (n_checked < MAX_KEYS)
		checked[n_checked++] = k;
	len = keyctl_read_alloc(k, &value);
	if (len < 0) {
		printf("keycheck %s: FAIL unreadable: %s\n", name,
		       strerror(errno));
		return false;
	}
	if (expect && ((size_t)len != strlen(expect) ||
		       memcmp(value, expect, (size_t)len) != 0)) {
		ok = false;
		strcat(why, " value differs from PAM_HARNESS_EXPECT;");
	}
	if (value)
		explicit_bzero(value, (size_t)len);
	free(value);
	if (keyctl_describe_alloc(k, &info) < 0 ||
	    sscanf(info, "%*[^;];%u;%u;%x;", &uid, &gid, &perm) != 3) {
		printf("keycheck %s: FAIL cannot describe: %s\n", name,
		       strerror(errno));
		free(info);
		return false;
	}
	free(info);
	if (want_uid >= 0 && uid != (unsigned)want_uid) {
		ok = false;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " owner uid %u, wanted %ld;", uid, want_uid);
	}
	/* Possessor and user bits only: no group, no other. */
	if (perm & 0x0000ffffu) {
		ok = false;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " group/other permissions %08x;", perm);
	}
	if (!(perm & KEY_USR_READ) || !(perm & KEY_POS_READ)) {
		ok = false;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " not readable by possessor and user (%08x);", perm);
	}
	if (perm & (KEY_USR_WRITE | KEY_POS_WRITE)) {
		ok = false;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " writable (%08x);", perm);
	}
	ttl = key_timeout_seconds(k);
	/* /proc/keys rounds down to its largest unit (12h shows as 11h). */
	if (want_ttl >= 0 &&
	    (ttl < 0 || ttl > want_ttl ||
	     ttl < want_ttl -
			     (want_ttl < 60	     ? 1
			      : want_ttl < 3600	     ? 60
			      : want_ttl < 86400     ? 3600
			      : want_ttl < 7 * 86400 ? 86400
						     : 7 * 86400) -
			     60)) {
		ok = false;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " timeout %ld s, wanted about %ld s;", ttl, want_ttl);
	}
	printf("keycheck %s: %s serial=%d uid=%u gid=%u perm=%08x timeout=%ld "
	       "len=%ld%s\n",
	       name, ok ? "ok" : "FAIL", k, uid, gid, perm, ttl, len, why);
	return ok;
}

static bool nokey(const char *name)
{
	char desc[128];
	key_serial_t k;

	snprintf(desc, sizeof(desc), "ksm:%s", name);
	k = (key_serial_t)keyctl_search(KEY_SPEC_SESSION_KEYRING, "user", desc,
					0);
	printf("nokey %s: %s\n", name, k < 0 ? "ok" : "FAIL key present");
	return k < 0;
}

static bool revcheck(void)
{
	bool ok = n_checked > 0;

	for (int i = 0; i < n_checked; i++) {
		char c;
		long r = keyctl_read(checked[i], &c, 1);

		if (r >= 0 || errno != EKEYREVOKED) {
			printf("revcheck: FAIL key %d %s\n", checked[i],
			       r >= 0 ? "still readable" : strerror(errno));
			ok = false;
		}
	}
	if (ok)
		printf("revcheck: ok %d key(s) revoked\n", n_checked);
	else if (n_checked == 0)
		printf("revcheck: FAIL no key was checked before\n");
	return ok;
}

/* The user, not root, reads the key through the session keyring. */
static bool userread(const char *name, long uid, long gid)
{
	char desc[128];
	pid_t pid;
	int st;

	if (uid < 0) {
		printf("userread %s: FAIL needs -u UID\n", name);
		return false;
	}
	snprintf(desc, sizeof(desc), "ksm:%s", name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *expect = getenv("PAM_HARNESS_EXPECT");
		void *v = NULL;
		key_serial_t k;
		long len;

		if (setgroups(0, NULL) != 0 ||
		    setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0 ||
		    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
			_exit(3);
		k = (key_serial_t)keyctl_search(KEY_SPEC_SESSION_KEYRING,
						"user", desc, 0);
		if (k < 0)
			_exit(4);
		len = keyctl_read_alloc(k, &v);
		if (len < 0)
			_exit(5);
		if (expect && ((size_t)len != strlen(expect) ||
			       memcmp(v, expect, (size_t)len)))
			_exit(6);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		printf("userread %s: FAIL fork\n", name);
		return false;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("userread %s: ok\n", name);
		return true;
	}
	printf("userread %s: FAIL child status %d (3 setuid, 4 search, "
	       "5 read, 6 value)\n",
	       name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return false;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: pam_harness [-c CONFDIR] [-u UID] [-g GID] "
			"[-T TTL] [-n N] [-q] SERVICE USER OP...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service, *user;
	long want_uid = -1, want_gid = -1, want_ttl = -1, rounds = 1;
	int opt, failures = 0, good_rounds = 0;
	struct rusage ru0, ru1;
	double w0, w1;

	while ((opt = getopt(argc, argv, "+c:u:g:T:n:q")) != -1) {
		switch (opt) {
		case 'c':
			confdir = optarg;
			break;
		case 'u':
			want_uid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			want_gid = strtol(optarg, NULL, 10);
			break;
		case 'T':
			want_ttl = strtol(optarg, NULL, 10);
			break;
		case 'n':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 3 || rounds < 1)
		usage();
	service = argv[optind];
	user = argv[optind + 1];
	password = getenv("PAM_HARNESS_PASSWORD");
	totp = getenv("PAM_HARNESS_TOTP");
	if (want_gid < 0)
		want_gid = want_uid;
	setvbuf(stdout, NULL, _IOLBF, 0);

	getrusage(RUSAGE_SELF, &ru0);
	w0 = now_ms();
	for (long round = 0; round < rounds; round++) {
		struct pam_conv pc = {conv, NULL};
		pam_handle_t *pamh = NULL;
		int rc = PAM_SUCCESS, last = PAM_SUCCESS, fails = 0;

		for (int i = optind + 2; i < argc; i++) {
			const char *op = argv[i];
			const char *eq = strchr(op, '=');
			const char *arg = eq ? eq + 1 : "password";
			size_t oplen = eq ? (size_t)(eq - op) : strlen(op);
			bool check_ok = true, is_check = false;

#define IS(s) (oplen == strlen(s) && !strncmp(op, s, oplen))
			if (!pamh) {
				rc = pam_start_confdir(service, user, &pc,
						       confdir, &pamh);
				if (rc != PAM_SUCCESS) {
					printf("pam_start: %s: %s\n",
					       pam_name(rc),
					       pam_strerror(NULL, rc));
					return 1;
				}
			}
			if (IS("auth")) {
				rc = pam_authenticate(pamh, 0);
			} else if (IS("acct")) {
				rc = pam_acct_mgmt(pamh, 0);
			} else if (IS("setcred")) {
				rc = pam_setcred(pamh, PAM_ESTABLISH_CRED);
			} else if (IS("delcred")) {
				rc = pam_setcred(pamh, PAM_DELETE_CRED);
			} else if (IS("open")) {
				rc = pam_open_session(pamh, 0);
			} else if (IS("close")) {
				rc = pam_close_session(pamh, 0);
			} else if (IS("chauthtok")) {
				rc = pam_chauthtok(pamh, 0);
			} else if (IS("end")) {
				rc = pam_end(pamh, last);
				pamh = NULL;
			} else if (IS("keycheck")) {
				is_check = true;
				check_ok = keycheck(arg, want_uid, want_ttl);
			} else if (IS("nokey")) {
				is_check = true;
				check_ok = nokey(arg);
			} else if (IS("revcheck")) {
				is_check = true;
				check_ok = revcheck();
			} else if (IS("userread")) {
				is_check = true;
				check_ok = userread(arg, want_uid, want_gid);
			} else if (IS("leakselftest")) {
				char *p = strdup(password ? password : "x");

				is_check = true;
				free(p); /* deliberately not wiped */
			} else {
				fprintf(stderr, "unknown op %s\n", op);
				return 2;
			}
#undef IS
			if (is_check) {
				if (!check_ok)
					fails++;
				continue;
			}
			last = rc;
			if (rc != PAM_SUCCESS)
				fails++;
			if (!quiet || rc != PAM_SUCCESS)
				printf("%.*s: %s: %s\n", (int)oplen, op,
				       pam_name(rc), pam_strerror(pamh, rc));
		}
		if (pamh)
			pam_end(pamh, last);
		if (fails == 0)
			good_rounds++;
		failures += fails;
	}
	w1 = now_ms();
	getrusage(RUSAGE_SELF, &ru1);
	if (rounds > 1 || quiet) {
		double user_ms = tv_ms(ru1.ru_utime) - tv_ms(ru0.ru_utime);
		double sys_ms = tv_ms(ru1.ru_stime) - tv_ms(ru0.ru_stime);

		printf("{\"rounds\": %ld, \"ok_rounds\": %d, \"prompts\": %d, "
		       "\"cpu_ms_per_round\": %.3f, \"user_ms_per_round\": "
		       "%.3f, "
		       "\"sys_ms_per_round\": %.3f, \"wall_ms_per_round\": "
		       "%.3f}\n",
		       rounds, good_rounds, n_prompts,
		       (user_ms + sys_ms) / (double)rounds,
		       user_ms / (double)rounds, sys_ms / (double)rounds,
		       (w1 - w0) / (double)rounds);
	}
	return failures ? 1 : 0;
}
