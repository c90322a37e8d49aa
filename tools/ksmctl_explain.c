/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_explain.c - "ksmctl explain USER [--json]": what NSS, sshd's key
 * lookup (ksm-authorized-keys) and each stage of pam_ksm will do for USER
 * now, and why. No vault request and nothing written.
 *
 * Every answer comes from the code the consumer itself runs: who the name
 * is, expiry, where keys come from and when a code is asked are the
 * functions of ksm-core/login that pam_ksm, the keys helper and ksmd call;
 * the snapshot is opened with the reader and the check each consumer uses
 * (lazy for pam_ksm, nss_ksm, ksmd and the keys helper: each checks the
 * entry it reads); NSS is this
 * host's own getpwnam; what only ksmd knows (its view of the name, the
 * user's recent failures, the offline verifier in its store) is ksmd's
 * "explain" answer. The PAM codes named are those of pam_ksm's stages for
 * each kind of name (tests/integration/test_explain.sh runs the real
 * module next to this command for each case).
 */
#include "ksmctl_explain.h"
#include "ipc_client.h"
#include "ksmctl_laststate.h"
#include "local_files.h"

#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef KSM_NSS_SNAPSHOT_PATH
#define KSM_NSS_SNAPSHOT_PATH "/var/lib/ksm/snapshot"
#endif
#define EXPLAIN_MS 2000

static void step(struct explain_step *s, const char *answer, const char *fmt,
		 ...) KSM_PRINTF(3, 4);

static void step(struct explain_step *s, const char *answer, const char *fmt,
		 ...)
{
	va_list ap;

	s->answer = answer;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

const char *explain_ksmd_str(const struct explain *e, const char *key)
{
	return e->ksmd_up ? ksm_ipc_get(&e->ksmd, key) : NULL;
}

uint64_t explain_ksmd_num(const struct explain *e, const char *key)
{
	return e->ksmd_up ? ksm_ipc_get_u64(&e->ksmd, key, 0) : 0;
}

/* ksmd's own answer for the name (its snapshot, its failure counts, its
 * store): one "explain" request, no vault request. */
static void ask_ksmd(const struct ksmctl *k, struct explain *e)
{
	ksm_ipc_msg req = {0};
	ksm_error err = {0};
	const char *result = NULL, *msg;

	if (!ksm_ipc_add_str(&req, "op", "explain") &&
	    !ksm_ipc_add_str(&req, "user", e->user) &&
	    ksm_ipc_call(k->conf, &req, &e->ksmd, 65536, EXPLAIN_MS, &err) ==
		    KSM_OK)
		result = ksm_ipc_get(&e->ksmd, "result");
	e->ksmd_reached = result != NULL;
	e->ksmd_up = result && !strcmp(result, "ok");
	msg = ksm_ipc_get(&e->ksmd, "message");
	if (!e->ksmd_up && result)
		snprintf(e->ksmd_error, sizeof(e->ksmd_error),
			 "ksmd answered: %s (an older ksmd?)",
			 msg ? msg : result);
	else if (!e->ksmd_up)
		snprintf(e->ksmd_error, sizeof(e->ksmd_error), "%s",
			 err.message[0] ? err.message : "no answer");
	ksm_ipc_clear(&req);
}

/* The host's own NSS (nsswitch.conf), as sshd, sudo and id see it. */
static void ask_nss(struct explain *e)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	const char *p = secure_getenv("KSM_NSS_SNAPSHOT");

	/* nss_ksm: its compiled-in path (or, outside set-user-ID programs,
	 * KSM_NSS_SNAPSHOT, as nss_ksm reads it), lazily as nss_ksm does. */
	e->nss_path = p && *p ? p : KSM_NSS_SNAPSHOT_PATH;
	ksm_login_lookup(e->nss_path, KSM_SNAP_LAZY, e->user, &e->nss);
	if (getpwnam_r(e->user, &pw, buf, sizeof(buf), &res) == 0 && res) {
		e->pw_found = true;
		e->pw_uid = pw.pw_uid;
		e->pw_gid = pw.pw_gid;
		snprintf(e->pw_home, sizeof(e->pw_home), "%s", pw.pw_dir);
		snprintf(e->pw_shell, sizeof(e->pw_shell), "%s", pw.pw_shell);
	}
	if (e->local)
		e->pw_source = e->pw_found ? "files" : "none";
	else if (e->pw_found && e->nss.u && e->nss.u->uid == e->pw_uid)
		e->pw_source = "ksm";
	else
		e->pw_source = e->pw_found ? "other" : "none";
}

static void decide_nss(struct explain *e)
{
	const char *u = e->user;

	if (!strcmp(e->pw_source, "files"))
		step(&e->nss_step, "files",
		     "getpwnam(%s): uid %u from /etc/passwd; files comes "
		     "first, so nss_ksm is not asked",
		     u, (unsigned)e->pw_uid);
	else if (!strcmp(e->pw_source, "ksm"))
		step(&e->nss_step, "ksm",
		     "getpwnam(%s): uid %u, home %s, shell %s, from nss_ksm "
		     "(%s)",
		     u, (unsigned)e->pw_uid, e->pw_home, e->pw_shell,
		     e->nss_path);
	else if (e->pw_found)
		step(&e->nss_step, "other",
		     "getpwnam(%s): uid %u from another NSS source, not from "
		     "nss_ksm's snapshot (%s)",
		     u, (unsigned)e->pw_uid, e->nss_path);
	else if (e->local)
		step(&e->nss_step, "none",
		     "getpwnam(%s) finds nothing although /etc/passwd has it: "
		     "does nsswitch.conf's passwd line lack files?",
		     u);
	else if (e->nss.kind == KSM_LOGIN_VAULT)
		step(&e->nss_step, "none",
		     "getpwnam(%s) finds nothing, but nss_ksm's snapshot (%s) "
		     "has %s: this host's nsswitch.conf does not ask ksm "
		     "('ksm-nsswitch enable')",
		     u, e->nss_path, u);
	else if (e->nss.kind == KSM_LOGIN_NO_SNAPSHOT)
		step(&e->nss_step, "none",
		     "getpwnam(%s) finds nothing; nss_ksm's snapshot %s is %s",
		     u, e->nss_path, ksm_snap_status_str(e->nss.snap_st));
	else
		step(&e->nss_step, "none",
		     "getpwnam(%s) finds nothing: no local account, and "
		     "nss_ksm's snapshot (%s) does not have it",
		     u, e->nss_path);
}

static void decide_keys(struct explain *e)
{
	const ksm_settings *c = e->conf;
	int64_t age;
	uint32_t n;

	switch (e->keys.kind) {
	case KSM_LOGIN_VAULT:
		break;
	case KSM_LOGIN_LOCAL:
		step(&e->keys_step, "none",
		     "a local account: ksm-authorized-keys prints nothing; "
		     "sshd uses the account's own authorized_keys");
		return;
	case KSM_LOGIN_NO_SNAPSHOT:
		step(&e->keys_step, "none",
		     "the snapshot %s is %s: no vault keys (logged; run "
		     "'ksmctl sync')",
		     c->snapshot, ksm_snap_status_str(e->keys.snap_st));
		return;
	default:
		step(&e->keys_step, "none",
		     "not a vault user: ksm-authorized-keys prints nothing");
		return;
	}
	n = e->keys.u->n_keys;
	if (ksm_login_expired(e->keys.u, e->now)) {
		step(&e->keys_step, "none",
		     "account expired (valid_until): no keys (logged)");
		return;
	}
	age = e->now - e->keys.snap.h->generated_at;
	if (!ksm_login_keys_live(c, age)) {
		step(&e->keys_step, "snapshot",
		     "%u key(s) from the snapshot, which is %lld s old (at "
		     "most keys_max_age, %u s)",
		     n, (long long)age, c->keys_max_age);
		return;
	}
	step(&e->keys_step, "live",
	     "the snapshot is %lld s old, more than keys_max_age (%u s): the "
	     "helper asks ksmd for the vault's current keys within "
	     "timeout_keys (%u ms)%s; when ksmd cannot answer, %s",
	     (long long)age, c->keys_max_age, c->timeout_keys_ms,
	     e->ksmd_up ? "" : ", but ksmd does not answer now",
	     ksm_login_keys_stale_ok(c, age)
		     ? "it serves the snapshot's keys below (younger than "
		       "keys_max_stale)"
		     : "none: the snapshot is older than keys_max_stale");
}

static void decide_auth(struct explain *e)
{
	const struct ksm_snap_user *u = e->who.u;
	const char *why = explain_ksmd_str(e, "why");
	char codes[200] = "";

	if (e->who.kind != KSM_LOGIN_VAULT) {
		step(&e->auth, "PAM_USER_UNKNOWN",
		     "%s: answered at once, without a prompt or ksmd; the next "
		     "module (pam_unix) decides",
		     e->who.kind == KSM_LOGIN_LOCAL
			     ? "a local account"
			     : ksm_login_why(e->who.kind));
		return;
	}
	for (int m = KSM_TOTP_IF_PRESENT; m <= KSM_TOTP_REQUIRED; m++)
		if (ksm_login_asks_code((enum ksm_totp_mode)m, u->flags))
			snprintf(codes + strlen(codes),
				 sizeof(codes) - strlen(codes), "%s%s",
				 codes[0] ? " or " : "",
				 m == KSM_TOTP_REQUIRED ? "totp=required"
							: "totp=if_present");
	if (!e->ksmd_reached)
		step(&e->auth, "PAM_AUTHINFO_UNAVAIL",
		     "asks the password, then ksmd does not answer (%s): vault "
		     "passwords fail closed within timeout_auth",
		     e->ksmd_error);
	else if (!e->ksmd_up)
		step(&e->auth, "unknown",
		     "asks the password; ksmd decides, and did not explain "
		     "(%s)",
		     e->ksmd_error);
	else if (!explain_ksmd_num(e, "vault_user"))
		step(&e->auth, "PAM_USER_UNKNOWN",
		     "asks the password; ksmd answers unknown: %s (ksmd reads "
		     "the snapshot %s)",
		     why ? why : "not a vault user",
		     explain_ksmd_str(e, "snapshot")
			     ? explain_ksmd_str(e, "snapshot")
			     : "?");
	else if (explain_ksmd_num(e, "locked"))
		step(&e->auth, "PAM_MAXTRIES",
		     "asks the password; ksmd refuses it without asking the "
		     "vault: %llu wrong passwords within auth_failure_window "
		     "(max_auth_failures %llu)",
		     (unsigned long long)explain_ksmd_num(e, "auth_failures"),
		     (unsigned long long)explain_ksmd_num(e,
							  "max_auth_failures"));
	else if (e->expired)
		step(&e->auth, "PAM_ACCT_EXPIRED",
		     "asks the password; ksmd checks valid_until in the vault "
		     "record, which the snapshot has as passed: expired");
	else if (!(u->flags & KSM_SNAP_HAS_PASSWORD))
		step(&e->auth, "PAM_AUTH_ERR",
		     "asks the password; the record has no password: password "
		     "logins are off (keys only)");
	else
		step(&e->auth, "vault_check",
		     "asks the password%s%s; ksmd checks it live against the "
		     "vault's current password within timeout_auth (%u ms), "
		     "and against the offline verifier only when the vault "
		     "cannot be reached",
		     codes[0] ? ", and the one-time code with " : "", codes,
		     e->conf->timeout_auth_ms);
}

/* setcred and open_session: the session keys, from ksmd's "session". */
static void decide_session(struct explain *e)
{
	const ksm_settings *c = e->conf;
	char names[400] = "";

	for (size_t i = 0; i < c->n_session_secrets; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%sksm:%s", i ? ", " : "", c->session_secrets[i].name);
	if (e->who.kind != KSM_LOGIN_VAULT)
		step(&e->session, "PAM_IGNORE", "not a vault user: nothing");
	else if (c->n_session_secrets == 0)
		step(&e->session, "PAM_IGNORE", "no session_secret configured");
	else if (!e->ksmd_reached)
		step(&e->session, "PAM_IGNORE",
		     "ksmd does not answer (%s): the login goes on without %s",
		     e->ksmd_error, names);
	else if (e->ksmd_up && !explain_ksmd_num(e, "vault_user"))
		step(&e->session, "PAM_IGNORE",
		     "ksmd answers unknown: the login goes on without %s",
		     names);
	else if (e->expired)
		step(&e->session, "PAM_IGNORE",
		     "ksmd gives an expired account no session secrets (the "
		     "account stage refuses the login anyway)");
	else
		step(&e->session, "PAM_SUCCESS",
		     "%s from ksmd into a new session keyring (a secret that "
		     "does not resolve is left out and logged)",
		     names);
}

static void decide_pam(struct explain *e)
{
	decide_auth(e);
	if (e->who.kind == KSM_LOGIN_LOCAL)
		step(&e->account, "PAM_IGNORE",
		     "a local account: not ours (pam_unix decides)");
	else if (e->who.kind != KSM_LOGIN_VAULT)
		step(&e->account, "PAM_USER_UNKNOWN",
		     "refused: not in the snapshot (logged)");
	else if (e->expired)
		step(&e->account, "PAM_ACCT_EXPIRED",
		     "refused: access expired (valid_until) (logged)");
	else
		step(&e->account, "PAM_SUCCESS", "%s",
		     e->who.u->valid_until ? "in the snapshot, valid_until not "
					     "passed"
					   : "in the snapshot, no expiry");
	decide_session(e);
	if (e->who.kind == KSM_LOGIN_VAULT)
		step(&e->password, "PAM_AUTHTOK_ERR",
		     "the password is kept and rotated in Keeper: changed "
		     "there, not here");
	else
		step(&e->password, "PAM_IGNORE", "not a vault user: not ours");
}

static void decide_offline(struct explain *e)
{
	long long age, max = (long long)explain_ksmd_num(e, "offline_max_age");
	unsigned long long fails = explain_ksmd_num(e, "offline_failures"),
			   maxf = explain_ksmd_num(e, "offline_max_failures");
	const char *err = explain_ksmd_str(e, "store_error");

	if (e->who.kind != KSM_LOGIN_VAULT)
		step(&e->offline, "none", "not a vault user");
	else if (!e->ksmd_up)
		step(&e->offline, "unknown",
		     "ksmd did not explain (%s): only ksmd reads its store",
		     e->ksmd_error);
	else if (err)
		step(&e->offline, "unusable", "%s", err);
	else if (!explain_ksmd_num(e, "verifier"))
		step(&e->offline, "none",
		     "no offline verifier: one is made at %s "
		     "(offline_verifiers = %s); until then a vault that cannot "
		     "be reached refuses the password",
		     !strcmp(explain_ksmd_str(e, "offline_verifiers") ?: "",
			     "all")
			     ? "the next sync or live login"
			     : "the first live login on this host",
		     explain_ksmd_str(e, "offline_verifiers") ?: "?");
	else {
		age = e->now - (long long)explain_ksmd_num(e, "confirmed");
		step(&e->offline,
		     !explain_ksmd_num(e, "verifier_usable") ? "unusable"
		     : age > max			     ? "too_old"
		     : fails >= maxf			     ? "locked"
							     : "usable",
		     "made from record %s at revision %llu, confirmed by the "
		     "vault %lld s ago (offline_max_age %lld s), %llu of %llu "
		     "consecutive offline failures%s",
		     explain_ksmd_str(e, "verifier_record") ?: "?",
		     (unsigned long long)explain_ksmd_num(e,
							  "verifier_revision"),
		     age, max, fails, maxf,
		     !explain_ksmd_num(e, "verifier_usable")
			     ? "; not a yescrypt verifier: never trusted"
			     : "");
	}
}

/* The last sync's word on the name: refused, or a key or group dropped. */
static bool refused_at_last_sync(const struct explain *e)
{
	struct ksmctl_refusal r;

	for (size_t i = 0; ksmctl_last_refusal(e->last, i, &r); i++)
		if (r.whole_account && r.record[0] && !strcmp(r.name, e->user))
			return true;
	return false;
}

static void decide_summary(struct explain *e)
{
	const char *u = e->user;
	struct ksmctl_refusal off;
	const char *machine;
	bool admin;
	size_t n;

	switch (e->who.kind) {
	case KSM_LOGIN_VAULT:
		snprintf(e->summary, sizeof(e->summary),
			 e->expired ? "%s: a vault user whose access has "
				      "expired (valid_until): not served"
				    : "%s: a vault user, served by ksm-unix",
			 u);
		/* host_record: why it is on this host. */
		machine = ksmctl_last_host_record(e->last, u, &admin);
		n = strlen(e->summary);
		if (machine)
			snprintf(e->summary + n, sizeof(e->summary) - n,
				 " (host_record: linked to this host's "
				 "pamMachine %s%s)",
				 machine,
				 admin ? " with is_admin, so in admin_groups"
				       : "");
		break;
	case KSM_LOGIN_LOCAL:
		snprintf(e->summary, sizeof(e->summary),
			 "%s: a local account (/etc/passwd, uid %u)%s: it "
			 "wins, ksm-unix leaves it to pam_unix and its own "
			 "authorized_keys",
			 u, (unsigned)e->local_uid,
			 e->entry.kind == KSM_LOGIN_VAULT
				 ? " shadows the vault user of the same name"
				 : "");
		break;
	case KSM_LOGIN_NO_SNAPSHOT:
		snprintf(e->summary, sizeof(e->summary),
			 "%s: not served: the snapshot %s is %s (run 'ksmctl "
			 "sync')",
			 u, e->conf->snapshot,
			 ksm_snap_status_str(e->who.snap_st));
		break;
	default:
		if (ksmctl_last_off_host(e->last, u, &off)) {
			snprintf(e->summary, sizeof(e->summary),
				 "%s: not on this host: record %s is %s", u,
				 off.record, off.reason);
			break;
		}
		snprintf(e->summary, sizeof(e->summary),
			 "%s: not a vault user: %s", u,
			 refused_at_last_sync(e)
				 ? "the last sync refused its record (below)"
				 : "no local account, and not in the snapshot "
				   "(no record with this login reached the "
				   "accounts: not shared, not in "
				   "account_folders, or no login field)");
	}
}

static int usage(struct ksmctl *k)
{
	return ksmctl_usage_error(k, "usage: explain USER [--json]");
}

int cmd_explain(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct explain e = {.conf = k->conf, .now = time(NULL)};
	bool json = false;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return usage(k);
		json = true;
	}
	if (optind + 1 != argc || !argv[optind][0])
		return usage(k);
	e.user = argv[optind];
	/* As pam_ksm, ksmd and the keys helper decide: a local account first,
	 * then the snapshot, opened lazily (the entry read is checked). */
	ksm_login_find(k->conf->snapshot, KSM_SNAP_LAZY, e.user, &e.who);
	ksm_login_find(k->conf->snapshot, KSM_SNAP_LAZY, e.user, &e.keys);
	ksm_login_lookup(k->conf->snapshot, 0, e.user, &e.entry);
	e.local = e.who.kind == KSM_LOGIN_LOCAL;
	if (e.local)
		ksm_passwd_file_user(NULL, e.user, &e.local_uid, NULL);
	e.expired = e.who.kind == KSM_LOGIN_VAULT &&
		    ksm_login_expired(e.who.u, e.now);
	e.served = e.who.kind == KSM_LOGIN_VAULT && !e.expired;
	e.last = ksmctl_last_sync_load(k->conf);
	ask_ksmd(k, &e);
	ask_nss(&e);
	decide_nss(&e);
	decide_keys(&e);
	decide_pam(&e);
	decide_offline(&e);
	decide_summary(&e);
	if (json)
		explain_print_json(&e);
	else
		explain_print_text(&e);
	rc = e.served ? EXIT_OK : EXIT_FAIL;
	ksm_ipc_clear(&e.ksmd);
	json_object_put(e.last);
	ksm_login_close(&e.who);
	ksm_login_close(&e.keys);
	ksm_login_close(&e.entry);
	ksm_login_close(&e.nss);
	return rc;
}
