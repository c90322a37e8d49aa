/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_snapview.c - snapshot accounts in text and JSON for "ksmctl
 * users" and "ksmctl explain" (see ksmctl_snapview.h).
 */
#include "ksmctl_snapview.h"
#include "ksmctl.h"
#include "login.h"

#include <string.h>

static void group_text(const ksm_snap *s, uint32_t gid, char *out, size_t cap)
{
	const struct ksm_snap_group *g = ksm_snap_group_by_gid(s, gid);
	size_t n = strlen(out);

	if (n >= cap - 1)
		return;
	snprintf(out + n, cap - n, "%s%s(%u%s)", n ? "," : "",
		 g ? ksm_snap_str(s, g->name) : "?", gid,
		 g && g->local ? ",local" : "");
}

void ksmctl_snap_groups_text(const ksm_snap *s, const struct ksm_snap_user *u,
			     char *out, size_t cap)
{
	out[0] = '\0';
	group_text(s, u->gid, out, cap);
	for (uint32_t i = 0; i < u->n_groups; i++)
		group_text(s, s->ids[u->groups + i], out, cap);
}

static void group_json(FILE *f, const ksm_snap *s, uint32_t gid, bool first)
{
	const struct ksm_snap_group *g = ksm_snap_group_by_gid(s, gid);

	fprintf(f, "%s{\"name\":", first ? "" : ",");
	ksmctl_json_string(f, g ? ksm_snap_str(s, g->name) : "");
	fprintf(f, ",\"gid\":%u,\"local\":%s}", gid,
		g && g->local ? "true" : "false");
}

void ksmctl_snap_user_json(FILE *f, const ksm_snap *s,
			   const struct ksm_snap_user *u, int64_t now)
{
	static const char *const strs[] = {"name", "gecos", "home", "shell",
					   "record"};
	const uint32_t offs[] = {u->name, u->gecos, u->home, u->shell,
				 u->record_uid};

	fputc('{', f);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", strs[i]);
		ksmctl_json_string(f, ksm_snap_str(s, offs[i]));
	}
	fprintf(f, ",\"uid\":%u,\"gid\":%u,\"password\":%s,\"totp\":%s", u->uid,
		u->gid, u->flags & KSM_SNAP_HAS_PASSWORD ? "true" : "false",
		u->flags & KSM_SNAP_HAS_TOTP ? "true" : "false");
	fputs(",\"valid_until\":", f);
	ksmctl_json_time(f, u->valid_until);
	fprintf(f, ",\"expired\":%s,\"groups\":[",
		ksm_login_expired(u, now) ? "true" : "false");
	group_json(f, s, u->gid, true);
	for (uint32_t i = 0; i < u->n_groups; i++)
		group_json(f, s, s->ids[u->groups + i], false);
	fputs("],\"keys\":[", f);
	for (uint32_t i = 0; i < u->n_keys; i++) {
		const struct ksm_snap_key *k = &s->keys[u->keys + i];

		fprintf(f, "%s{\"fingerprint\":", i ? "," : "");
		ksmctl_json_string(f, ksm_snap_str(s, k->fingerprint));
		fputs(",\"line\":", f);
		ksmctl_json_string(f, ksm_snap_str(s, k->line));
		fputc('}', f);
	}
	fputs("]}", f);
}

void ksmctl_snap_json(FILE *f, const char *path, const ksm_snap *s, int64_t now)
{
	fputs("{\"path\":", f);
	ksmctl_json_string(f, path);
	fputs(",\"generated_at\":", f);
	ksmctl_json_time(f, s->h->generated_at);
	fprintf(f, ",\"age_s\":%lld,\"accounts\":%u,\"groups\":%u}",
		(long long)(now - s->h->generated_at), s->h->n_users,
		s->h->n_groups);
}
