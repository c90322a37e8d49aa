/* SPDX-License-Identifier: MIT */
/*
 * ksm-authorized-keys - sshd's AuthorizedKeysCommand for vault accounts.
 *
 *   AuthorizedKeysCommand /usr/sbin/ksm-authorized-keys %u %f
 *
 * Cached path (the usual one): map the snapshot, print the user's keys, exit.
 * It links only libc and ksm-core's base, snapshot and ipc layers, so it
 * costs about as much as cat(1): no libcurl, no OpenSSL, no credential.
 * Live path, only when the snapshot is older than keys_max_age: ask ksmd
 * for the user's keys within timeout_keys; if it cannot answer, serve the
 * snapshot's keys until keys_max_stale, then nothing. A local account of
 * the same name gets nothing from here (its own authorized_keys serve it).
 * It never exits non-zero for "no keys" (sshd would log an error for every
 * local user), and what it prints is always a validated key line.
 */
#include "base.h"
#include "ipc_client.h"
#include "login.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static void logmsg(int prio, const char *fmt, ...) KSM_PRINTF(2, 3);

static void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

/* ksmd and the snapshot hold validated lines; still, nothing that is not
 * one plain key line goes to sshd (no newline, no options). */
static size_t print_line(const char *line, const char *fp, const char *want)
{
	if ((want && strcmp(fp, want) != 0) || !ksm_login_key_line_ok(line))
		return 0;
	printf("%s\n", line);
	return 1;
}

static size_t print_snapshot_keys(const ksm_snap *s,
				  const struct ksm_snap_user *u,
				  const char *want)
{
	size_t n = 0;

	/* u was checked by the lookup (its CRC covers its keys). */
	for (uint32_t i = 0; i < u->n_keys && (uint64_t)u->keys + i < s->n_keys;
	     i++) {
		const struct ksm_snap_key *k = &s->keys[u->keys + i];

		n += print_line(ksm_snap_str(s, k->line),
				ksm_snap_str(s, k->fingerprint), want);
	}
	return n;
}

/* The live path: ksmd reads the record (the keys user holds no
 * credential). */
static size_t serve_live(const ksm_settings *conf, const ksm_snap *s,
			 const struct ksm_snap_user *u, const char *user,
			 const char *want, int64_t age, uint64_t t0)
{
	uint64_t spent = ksm_monotonic_ms() - t0;
	unsigned budget = spent < conf->timeout_keys_ms
				  ? conf->timeout_keys_ms - (unsigned)spent
				  : 0;
	ksm_ipc_msg req = {0}, resp = {0};
	const struct ksm_ipc_field *key, *fp;
	const char *result = NULL, *msg;
	ksm_error err = {0};
	size_t n = 0, pk = 0, pf = 0;

	if (!ksm_ipc_add_str(&req, "op", "keys") &&
	    !ksm_ipc_add_str(&req, "user", user) &&
	    !ksm_ipc_add_u64(&req, "budget_ms",
			     budget > 200 ? budget - 200 : budget) &&
	    ksm_ipc_call(conf, &req, &resp, 1u << 20, budget, &err) == KSM_OK)
		result = ksm_ipc_get(&resp, "result");
	msg = ksm_ipc_get(&resp, "message");
	if (!msg)
		msg = result ? result : err.message;
	if (result && !strcmp(result, "ok")) {
		while ((key = ksm_ipc_next(&resp, "key", &pk)) &&
		       (fp = ksm_ipc_next(&resp, "fp", &pf)))
			n += print_line((const char *)key->val,
					(const char *)fp->val, want);
		logmsg(LOG_INFO,
		       "%s: %zu key(s) from the vault (snapshot %llds old)",
		       user, n, (long long)age);
	} else if (result &&
		   (!strcmp(result, "denied") || !strcmp(result, "expired") ||
		    !strcmp(result, "unknown"))) {
		/* The vault says no: the snapshot must not say yes. */
		logmsg(LOG_WARNING, "%s: no keys: %s", user, msg);
	} else if (ksm_login_keys_stale_ok(conf, age)) {
		n = print_snapshot_keys(s, u, want);
		logmsg(LOG_WARNING,
		       "%s: live refresh failed (%s%s); serving %zu snapshot "
		       "key(s), %llds old",
		       user,
		       err.code == KSM_ERR_TIMEOUT ? "timeout_keys budget: "
						   : "",
		       msg, n, (long long)age);
	} else {
		logmsg(LOG_WARNING,
		       "%s: live refresh failed (%s) and the snapshot is older "
		       "than keys_max_stale (%llds): no keys",
		       user, msg, (long long)age);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return n;
}

int main(int argc, char **argv)
{
	const char *conf_path = NULL, *user, *want = NULL;
	uint64_t t0 = ksm_monotonic_ms();
	ksm_settings *conf = NULL;
	ksm_error err = {0};
	ksm_login l = {0};
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
	/* Lazy: the cost of one lookup must not grow with the vault. A
	 * local account of that name wins over the vault's. */
	switch (ksm_login_find(conf->snapshot, KSM_SNAP_LAZY, user, &l)) {
	case KSM_LOGIN_VAULT:
		break;
	case KSM_LOGIN_NO_SNAPSHOT:
		logmsg(LOG_ERR,
		       "snapshot %s is %s: no vault keys (run ksmctl "
		       "sync)",
		       conf->snapshot, ksm_snap_status_str(l.snap_st));
		goto out;
	case KSM_LOGIN_DAMAGED: {
		char name[64];

		/* sshd passes any name: logged sanitized and cut. */
		ksm_text_sanitize(name, sizeof(name), user, NULL);
		logmsg(LOG_ERR,
		       "snapshot %s: the entry %s leads to is damaged: no "
		       "vault keys (run ksmctl sync)",
		       conf->snapshot, name);
		goto out;
	}
	default:
		goto out; /* local or unknown: quietly nothing */
	}
	if (ksm_login_expired(l.u, now)) {
		logmsg(LOG_NOTICE, "%s: account expired (valid_until): no keys",
		       user);
		goto out;
	}
	age = now - l.snap.h->generated_at;
	if (!ksm_login_keys_live(conf, age))
		print_snapshot_keys(&l.snap, l.u, want);
	else
		serve_live(conf, &l.snap, l.u, user, want, age, t0);
out:
	fflush(stdout);
	ksm_login_close(&l);
	ksm_settings_free(conf);
	closelog();
	return 0;
}
