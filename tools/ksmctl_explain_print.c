/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_explain_print.c - what ksmctl_explain.c found, as text for the
 * admin or as one JSON object (--json). Nothing here decides.
 */
#include "ksmctl_explain.h"
#include "ksmctl_laststate.h"
#include "ksmctl_snapview.h"

#include <string.h>

static const char *kind_name(ksm_login_kind k)
{
	static const char *const names[] = {"vault", "local", "unknown",
					    "no_snapshot", "no_name"};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static const char *str(const struct explain *e, const char *key)
{
	const char *v = explain_ksmd_str(e, key);

	return v ? v : "";
}

/* "ssh-ed25519 alice@test": the key's type and comment. */
static void key_label(const char *line, char *out, size_t cap)
{
	const char *sp = strchr(line, ' ');
	const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;

	snprintf(out, cap, "%.*s%s%s", (int)(sp ? (size_t)(sp - line) : 0),
		 line, sp2 ? " " : "", sp2 ? sp2 + 1 : "");
}

static void text_account(const struct explain *e)
{
	const ksm_snap *s = &e->entry.snap;
	const struct ksm_snap_user *u = e->entry.u;
	char buf[1024];

	printf("%-12s record %s: uid %u, gid %u, home %s, shell %s, gecos "
	       "\"%s\"%s\n",
	       "account", ksm_snap_str(s, u->record_uid), u->uid, u->gid,
	       ksm_snap_str(s, u->home), ksm_snap_str(s, u->shell),
	       ksm_snap_str(s, u->gecos),
	       e->local ? " (shadowed by the local account)" : "");
	ksmctl_snap_groups_text(s, u, buf, sizeof(buf));
	printf("%-12s %s\n", "groups", buf);
	if (u->valid_until)
		printf("%-12s %s%s\n", "expiry",
		       ksmctl_iso_time(u->valid_until, buf, sizeof(buf)),
		       ksm_login_expired(u, e->now) ? " (passed)" : "");
	else
		printf("%-12s none\n", "expiry");
	printf("%-12s %s\n", "password",
	       u->flags & KSM_SNAP_HAS_PASSWORD
		       ? "on: the record has one"
		       : "off: the record has none (key logins only)");
	printf("%-12s %s\n", "one-time",
	       u->flags & KSM_SNAP_HAS_TOTP
		       ? "on: the record has a oneTimeCode"
		       : "off: the record has no oneTimeCode");
}

static void text_snapshot(const struct explain *e)
{
	const ksm_login *l = &e->entry;
	char when[40];

	if (l->kind == KSM_LOGIN_NO_SNAPSHOT || l->kind == KSM_LOGIN_NO_NAME)
		printf("%-12s %s: %s\n", "snapshot", e->conf->snapshot,
		       ksm_snap_status_str(l->snap_st));
	else
		printf("%-12s %s: ok, %u accounts, written %s (%lld s ago)\n",
		       "snapshot", e->conf->snapshot, l->snap.h->n_users,
		       ksmctl_iso_time(l->snap.h->generated_at, when,
				       sizeof(when)),
		       (long long)(e->now - l->snap.h->generated_at));
}

static void text_last_sync(const struct explain *e)
{
	struct ksmctl_refusal r;
	long long t = ksmctl_last_int(e->last, "time");
	char when[40];

	if (!e->last) {
		printf("%-12s none recorded\n", "last sync");
		return;
	}
	printf("%-12s %s, %s: %s\n", "last sync",
	       t > 0 ? ksmctl_iso_time(t, when, sizeof(when)) : "?",
	       ksmctl_last_ok(e->last) ? "ok" : "FAILED",
	       ksmctl_last_str(e->last, "message") ?: "");
	for (size_t i = 0; ksmctl_last_refusal(e->last, i, &r); i++)
		if (r.record[0] && !strcmp(r.name, e->user))
			printf("%-12s %s record %s: %s\n", "",
			       r.whole_account ? "refused" : "dropped from",
			       r.record, r.reason);
}

static void text_step(const char *label, const struct explain_step *s)
{
	printf("%-12s %s: %s\n", label, s->answer, s->why);
}

void explain_print_text(const struct explain *e)
{
	printf("%s\n\n", e->summary);
	if (e->entry.kind == KSM_LOGIN_VAULT)
		text_account(e);
	text_snapshot(e);
	text_last_sync(e);
	putchar('\n');
	text_step("nss", &e->nss_step);
	text_step("keys", &e->keys_step);
	if (e->keys.kind == KSM_LOGIN_VAULT &&
	    strcmp(e->keys_step.answer, "none") != 0)
		for (uint32_t i = 0; i < e->keys.u->n_keys; i++) {
			const struct ksm_snap_key *k =
				&e->keys.snap.keys[e->keys.u->keys + i];
			const char *line = ksm_snap_str(&e->keys.snap, k->line);
			char label[300];

			key_label(line, label, sizeof(label));
			printf("%-12s %s %s%s\n", "",
			       ksm_snap_str(&e->keys.snap, k->fingerprint),
			       label,
			       ksm_login_key_line_ok(line)
				       ? ""
				       : " (withheld: not a plain key line)");
		}
	text_step("pam auth", &e->auth);
	text_step("pam account", &e->account);
	text_step("pam session", &e->session);
	text_step("pam password", &e->password);
	text_step("offline", &e->offline);
	if (e->ksmd_up)
		printf("%-12s for ksmd %s (its snapshot %s); %llu wrong live "
		       "password(s) within auth_failure_window (%llu s), "
		       "max_auth_failures %llu\n",
		       "ksmd", str(e, "why"), str(e, "snapshot"),
		       (unsigned long long)explain_ksmd_num(e, "auth_failures"),
		       (unsigned long long)explain_ksmd_num(
			       e, "auth_failure_window"),
		       (unsigned long long)explain_ksmd_num(
			       e, "max_auth_failures"));
	else
		printf("%-12s %s\n", "ksmd", e->ksmd_error);
}

static void json_step(const char *key, const struct explain_step *s, bool comma)
{
	printf("%s\"%s\":{\"answer\":", comma ? "," : "", key);
	ksmctl_json_string(stdout, s->answer);
	fputs(",\"why\":", stdout);
	ksmctl_json_string(stdout, s->why);
	putchar('}');
}

static void json_snapshot(const struct explain *e)
{
	const ksm_login *l = &e->entry;

	if (l->kind == KSM_LOGIN_NO_SNAPSHOT || l->kind == KSM_LOGIN_NO_NAME) {
		fputs("{\"path\":", stdout);
		ksmctl_json_string(stdout, e->conf->snapshot);
		fputs(",\"state\":", stdout);
		ksmctl_json_string(stdout, ksm_snap_status_str(l->snap_st));
		putchar('}');
	} else {
		ksmctl_snap_json(stdout, e->conf->snapshot, &l->snap, e->now);
	}
}

static void json_last_sync(const struct explain *e)
{
	struct ksmctl_refusal r;
	long long t = ksmctl_last_int(e->last, "time");
	bool first = true;

	if (!e->last) {
		fputs("null", stdout);
		return;
	}
	fputs("{\"time\":", stdout);
	ksmctl_json_time(stdout, t > 0 ? t : 0);
	printf(",\"ok\":%s,\"message\":",
	       ksmctl_last_ok(e->last) ? "true" : "false");
	ksmctl_json_string(stdout, ksmctl_last_str(e->last, "message"));
	fputs(",\"refused\":[", stdout);
	for (size_t i = 0; ksmctl_last_refusal(e->last, i, &r); i++) {
		if (!r.record[0] || strcmp(r.name, e->user) != 0)
			continue;
		printf("%s{\"record\":", first ? "" : ",");
		ksmctl_json_string(stdout, r.record);
		fputs(",\"reason\":", stdout);
		ksmctl_json_string(stdout, r.reason);
		printf(",\"account\":%s}", r.whole_account ? "true" : "false");
		first = false;
	}
	fputs("]}", stdout);
}

static void json_keys(const struct explain *e)
{
	json_step("keys", &e->keys_step, true);
	/* The snapshot's keys, and whether the helper hands each to sshd
	 * (none at all when the answer is "none"). */
	fputs(",\"key_list\":[", stdout);
	for (uint32_t i = 0;
	     e->keys.kind == KSM_LOGIN_VAULT && i < e->keys.u->n_keys; i++) {
		const struct ksm_snap_key *k =
			&e->keys.snap.keys[e->keys.u->keys + i];
		const char *line = ksm_snap_str(&e->keys.snap, k->line);

		printf("%s{\"fingerprint\":", i ? "," : "");
		ksmctl_json_string(stdout,
				   ksm_snap_str(&e->keys.snap, k->fingerprint));
		fputs(",\"line\":", stdout);
		ksmctl_json_string(stdout, line);
		printf(",\"served\":%s}",
		       strcmp(e->keys_step.answer, "none") != 0 &&
				       ksm_login_key_line_ok(line)
			       ? "true"
			       : "false");
	}
	putchar(']');
}

static void json_ksmd(const struct explain *e)
{
	int64_t confirmed = (int64_t)explain_ksmd_num(e, "confirmed");

	printf(",\"ksmd\":{\"answered\":%s,\"error\":",
	       e->ksmd_up ? "true" : "false");
	ksmctl_json_string(stdout, e->ksmd_up ? "" : e->ksmd_error);
	if (e->ksmd_up) {
		printf(",\"vault_user\":%s,\"why\":",
		       explain_ksmd_num(e, "vault_user") ? "true" : "false");
		ksmctl_json_string(stdout, str(e, "why"));
		fputs(",\"snapshot\":", stdout);
		ksmctl_json_string(stdout, str(e, "snapshot"));
		printf(",\"auth_failures\":%llu,\"max_auth_failures\":%llu,"
		       "\"auth_failure_window_s\":%llu,\"locked\":%s",
		       (unsigned long long)explain_ksmd_num(e, "auth_failures"),
		       (unsigned long long)explain_ksmd_num(
			       e, "max_auth_failures"),
		       (unsigned long long)explain_ksmd_num(
			       e, "auth_failure_window"),
		       explain_ksmd_num(e, "locked") ? "true" : "false");
	}
	putchar('}');
	fputs(",\"offline\":{\"answer\":", stdout);
	ksmctl_json_string(stdout, e->offline.answer);
	fputs(",\"why\":", stdout);
	ksmctl_json_string(stdout, e->offline.why);
	printf(",\"verifier\":%s",
	       explain_ksmd_num(e, "verifier") ? "true" : "false");
	if (explain_ksmd_num(e, "verifier")) {
		fputs(",\"record\":", stdout);
		ksmctl_json_string(stdout, str(e, "verifier_record"));
		fputs(",\"confirmed\":", stdout);
		ksmctl_json_time(stdout, confirmed);
		printf(",\"age_s\":%lld,\"failures\":%llu",
		       (long long)(e->now - confirmed),
		       (unsigned long long)explain_ksmd_num(
			       e, "offline_failures"));
	}
	printf(",\"offline_max_age_s\":%llu,\"offline_max_failures\":%llu}",
	       (unsigned long long)explain_ksmd_num(e, "offline_max_age"),
	       (unsigned long long)explain_ksmd_num(e, "offline_max_failures"));
}

void explain_print_json(const struct explain *e)
{
	fputs("{\"user\":", stdout);
	ksmctl_json_string(stdout, e->user);
	printf(",\"kind\":\"%s\",\"served\":%s,\"expired\":%s,\"summary\":",
	       kind_name(e->who.kind), e->served ? "true" : "false",
	       e->expired ? "true" : "false");
	ksmctl_json_string(stdout, e->summary);
	fputs(",\"local_account\":", stdout);
	if (e->local)
		printf("{\"uid\":%u}", (unsigned)e->local_uid);
	else
		fputs("null", stdout);
	fputs(",\"snapshot\":", stdout);
	json_snapshot(e);
	fputs(",\"account\":", stdout);
	if (e->entry.kind == KSM_LOGIN_VAULT)
		ksmctl_snap_user_json(stdout, &e->entry.snap, e->entry.u,
				      e->now);
	else
		fputs("null", stdout);
	fputs(",\"last_sync\":", stdout);
	json_last_sync(e);
	json_step("nss", &e->nss_step, true);
	fputs(",\"nss_snapshot\":", stdout);
	ksmctl_json_string(stdout, e->nss_path);
	fputs(",\"getpwnam\":", stdout);
	if (e->pw_found) {
		printf("{\"uid\":%u,\"gid\":%u,\"home\":", (unsigned)e->pw_uid,
		       (unsigned)e->pw_gid);
		ksmctl_json_string(stdout, e->pw_home);
		fputs(",\"shell\":", stdout);
		ksmctl_json_string(stdout, e->pw_shell);
		fputs(",\"source\":", stdout);
		ksmctl_json_string(stdout, e->pw_source);
		putchar('}');
	} else {
		fputs("null", stdout);
	}
	json_keys(e);
	fputs(",\"pam\":{", stdout);
	json_step("auth", &e->auth, false);
	json_step("account", &e->account, true);
	json_step("session", &e->session, true);
	json_step("password", &e->password, true);
	putchar('}');
	json_ksmd(e);
	fputs("}\n", stdout);
}
