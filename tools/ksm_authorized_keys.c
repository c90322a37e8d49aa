/* SPDX-License-Identifier: MIT */
/*
 * ksm-authorized-keys - sshd's AuthorizedKeysCommand for vault accounts.
 *
 *   AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %u %f
 *
 * Cached path (the usual one): map the snapshot, print the user's keys, exit.
 * It links only libc and libksmlite, so it costs about as much as cat(1):
 * no libcurl, no OpenSSL, no config beyond ksm.conf.
 * Live path, only when the snapshot is older than keys_max_age: dlopen
 * libksm and fetch the user's record within timeout_keys; if that fails,
 * serve the snapshot's keys until keys_max_stale, then nothing.
 * It never exits non-zero for "no keys" (sshd would log an error for every
 * local user), and what it prints is always a validated key line.
 */
#include "base.h"
#include "snapshot_reader.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define LIBKSM_SONAME "libksm.so.0"

static void logmsg(int prio, const char *fmt, ...) KSM_PRINTF(2, 3);

static void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

static size_t print_line(const char *line, const char *fp, const char *want)
{
	if (want && strcmp(fp, want) != 0)
		return 0;
	printf("%s\n", line);
	return 1;
}

static size_t print_snapshot_keys(const ksm_snap *s,
				  const struct ksm_snap_user *u,
				  const char *want)
{
	size_t n = 0;

	for (uint32_t i = 0; i < u->n_keys; i++) {
		const struct ksm_snap_key *k = &s->keys[u->keys + i];

		n += print_line(ksm_snap_str(s, k->line),
				ksm_snap_str(s, k->fingerprint), want);
	}
	return n;
}

/* The live path: libksm is loaded only here. */
static ksm_status fetch_live(const ksm_settings *conf, const char *record_uid,
			     unsigned budget_ms, ksm_account *acct,
			     ksm_error *err, void **lib)
{
	ksm_fetch_account_fn fetch;

	*lib = dlopen(LIBKSM_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!*lib)
		return ksm_set_error(err, KSM_ERR_IO, "cannot load %s: %s",
				     LIBKSM_SONAME, dlerror());
	fetch = (ksm_fetch_account_fn)dlsym(*lib, KSM_FETCH_ACCOUNT_SYMBOL);
	if (!fetch)
		return ksm_set_error(err, KSM_ERR_IO, "%s has no %s",
				     LIBKSM_SONAME, KSM_FETCH_ACCOUNT_SYMBOL);
	return fetch(conf, record_uid, budget_ms, acct, err);
}

static size_t serve_live(const ksm_settings *conf, const ksm_snap *s,
			 const struct ksm_snap_user *u, const char *user,
			 const char *want, int64_t age, uint64_t t0)
{
	ksm_account acct = {0};
	ksm_error err = {0};
	void *lib = NULL;
	uint64_t spent = ksm_monotonic_ms() - t0;
	unsigned budget = spent < conf->timeout_keys_ms
				  ? conf->timeout_keys_ms - (unsigned)spent
				  : 0;
	size_t n = 0;
	ksm_status st;

	st = fetch_live(conf, ksm_snap_str(s, u->record_uid), budget, &acct,
			&err, &lib);
	if (st == KSM_OK && strcmp(acct.name, user) != 0) {
		st = ksm_set_error(&err, KSM_ERR_NOT_FOUND,
				   "the record now names another login");
	}
	if (st == KSM_OK) {
		for (size_t i = 0; i < acct.n_keys; i++)
			n += print_line(acct.keys[i], acct.fingerprints[i],
					want);
		logmsg(LOG_INFO,
		       "%s: %zu key(s) from the vault (snapshot %llds "
		       "old)",
		       user, n, (long long)age);
	} else if (st == KSM_ERR_NOT_FOUND || st == KSM_ERR_ACCESS_DENIED) {
		/* The vault says no: the snapshot must not say yes. */
		logmsg(LOG_WARNING, "%s: no keys: %s", user, err.message);
	} else if (age <= (int64_t)conf->keys_max_stale) {
		n = print_snapshot_keys(s, u, want);
		logmsg(LOG_WARNING,
		       "%s: live refresh failed (%s%s); serving %zu "
		       "snapshot key(s), %llds old",
		       user,
		       st == KSM_ERR_TIMEOUT ? "timeout_keys budget: " : "",
		       err.message, n, (long long)age);
	} else {
		logmsg(LOG_WARNING,
		       "%s: live refresh failed (%s) and the "
		       "snapshot is older than keys_max_stale "
		       "(%llds): no keys",
		       user, err.message, (long long)age);
	}
	if (lib) {
		ksm_account_clear_fn clear =
			(ksm_account_clear_fn)dlsym(lib, "ksm_account_clear");

		if (clear)
			clear(&acct);
		/* Not dlclose(): libcurl/OpenSSL may have atexit handlers. */
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *user, *want = NULL;
	uint64_t t0 = ksm_monotonic_ms();
	ksm_settings *conf = NULL;
	ksm_error err = {0};
	ksm_snap s = {0};
	const struct ksm_snap_user *u;
	ksm_snap_status sst;
	int64_t now = time(NULL), age;
	int argi = 1;

	signal(SIGPIPE, SIG_IGN);
	openlog("ksm-authorized-keys", LOG_PID, LOG_AUTHPRIV);
	if (argi + 1 < argc && strcmp(argv[argi], "--conf") == 0) {
		conf_path = argv[argi + 1];
		argi += 2;
	}
	/* No user name starts with '-': that is --help or a typo. */
	if (argc - argi < 1 || argc - argi > 2 || argv[argi][0] == '-') {
		bool help = argc - argi == 1 && !strcmp(argv[argi], "--help");

		fprintf(help ? stdout : stderr,
			"usage: ksm-authorized-keys [--conf PATH] USER "
			"[SHA256:FINGERPRINT]\n"
			"sshd's AuthorizedKeysCommand (%%u %%f): prints USER's "
			"SSH keys from the\nvault snapshot; see "
			"ksm-authorized-keys(8)\n");
		return help ? 0 : 2;
	}
	user = argv[argi];
	if (argc - argi == 2 && strncmp(argv[argi + 1], "SHA256:", 7) == 0)
		want = argv[argi + 1];
	if (ksm_settings_load(conf_path, &conf, &err) != KSM_OK) {
		logmsg(LOG_ERR, "%s", err.message);
		return 0;
	}
	/* Lazy: the cost of one lookup must not grow with the vault. */
	sst = ksm_snap_open_flags(conf->snapshot, KSM_SNAP_LAZY, &s);
	if (sst != KSM_SNAPST_OK) {
		logmsg(LOG_ERR,
		       "snapshot %s is %s: no vault keys (run ksmctl "
		       "sync)",
		       conf->snapshot, ksm_snap_status_str(sst));
		goto out;
	}
	u = ksm_snap_user_by_name(&s, user);
	if (!u)
		goto out; /* a local user, or unknown: quietly nothing */
	if (u->valid_until && u->valid_until < now) {
		logmsg(LOG_NOTICE, "%s: account expired (valid_until): no keys",
		       user);
		goto out;
	}
	age = now - s.h->generated_at;
	if (age <= (int64_t)conf->keys_max_age)
		print_snapshot_keys(&s, u, want);
	else
		serve_live(conf, &s, u, user, want, age, t0);
out:
	fflush(stdout);
	ksm_snap_close(&s);
	ksm_settings_free(conf);
	closelog();
	return 0;
}
