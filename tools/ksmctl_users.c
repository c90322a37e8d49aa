/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_users.c - "ksmctl users [--json]": what the snapshot publishes
 * (accounts with their groups, keys and expiry), and what the last sync
 * refused. Times in ISO 8601 UTC. No network.
 */
#include "ksmctl.h"
#include "ksmctl_laststate.h"
#include "ksmctl_snapview.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static void print_text(const struct ksmctl *k, const ksm_snap *s, int64_t now)
{
	char when[40];

	printf("%-16s %8s %8s %-5s %-20s %-22s %s\n", "NAME", "UID", "GID",
	       "KEYS", "EXPIRES", "RECORD", "GROUPS");
	for (uint32_t i = 0; i < s->h->n_users; i++) {
		const struct ksm_snap_user *u = &s->users[s->user_by_name[i]];
		char exp[40] = "-", groups[1024];

		if (u->valid_until)
			ksmctl_iso_time(u->valid_until, exp, sizeof(exp));
		ksmctl_snap_groups_text(s, u, groups, sizeof(groups));
		printf("%-16s %8u %8u %-5u %-20s %-22s %s\n",
		       ksm_snap_str(s, u->name), u->uid, u->gid, u->n_keys, exp,
		       ksm_snap_str(s, u->record_uid), groups);
	}
	printf("(%u accounts, %u groups; snapshot %s of %s, %lld s ago)\n",
	       s->h->n_users, s->h->n_groups, k->conf->snapshot,
	       ksmctl_iso_time(s->h->generated_at, when, sizeof(when)),
	       (long long)(now - s->h->generated_at));
	ksmctl_print_refusals(k->conf);
}

/* One refusal's common fields, as an unclosed JSON object (i > 0: after a
 * comma). */
static void print_refusal_json(size_t i, const struct ksmctl_refusal *r)
{
	printf("%s{\"record\":", i ? "," : "");
	ksmctl_json_string(stdout, r->record);
	fputs(",\"name\":", stdout);
	ksmctl_json_string(stdout, r->name);
	fputs(",\"reason\":", stdout);
	ksmctl_json_string(stdout, r->reason);
}

static void print_json(const struct ksmctl *k, const ksm_snap *s, int64_t now)
{
	json_object *last = ksmctl_last_sync_load(k->conf), *h;
	struct ksmctl_refusal r;

	fputs("{\"snapshot\":", stdout);
	ksmctl_snap_json(stdout, k->conf->snapshot, s, now);
	fputs(",\"accounts\":[", stdout);
	for (uint32_t i = 0; i < s->h->n_users; i++) {
		if (i)
			putchar(',');
		ksmctl_snap_user_json(stdout, s, &s->users[s->user_by_name[i]],
				      now);
	}
	fputs("],\"groups\":[", stdout);
	for (uint32_t i = 0; i < s->h->n_groups; i++) {
		const struct ksm_snap_group *g =
			&s->groups[s->group_by_name[i]];

		printf("%s{\"name\":", i ? "," : "");
		ksmctl_json_string(stdout, ksm_snap_str(s, g->name));
		printf(",\"gid\":%u,\"local\":%s,\"members\":[", g->gid,
		       g->local ? "true" : "false");
		for (uint32_t j = 0; j < g->n_members; j++) {
			uint32_t ui = s->ids[g->members + j];

			if (j)
				putchar(',');
			ksmctl_json_string(
				stdout,
				ui < s->h->n_users
					? ksm_snap_str(s, s->users[ui].name)
					: "");
		}
		fputs("]}", stdout);
	}
	fputs("],\"last_sync\":", stdout);
	if (last) {
		fputs("{\"time\":", stdout);
		ksmctl_json_time(stdout, ksmctl_last_int(last, "time") > 0
						 ? ksmctl_last_int(last, "time")
						 : 0);
		printf(",\"ok\":%s,\"message\":",
		       ksmctl_last_ok(last) ? "true" : "false");
		ksmctl_json_string(stdout, ksmctl_last_str(last, "message"));
		putchar('}');
	} else {
		fputs("null", stdout);
	}
	fputs(",\"refused\":[", stdout);
	for (size_t i = 0; ksmctl_last_refusal(last, i, &r); i++) {
		print_refusal_json(i, &r);
		printf(",\"account\":%s}", r.whole_account ? "true" : "false");
	}
	/* host_record: the pamMachine (as the sync wrote it) and why the
	 * other account records are not on this host. */
	fputs("],\"host_record\":", stdout);
	fputs(last && json_object_object_get_ex(last, "host_record", &h)
		      ? json_object_to_json_string_ext(h,
						       JSON_C_TO_STRING_PLAIN)
		      : "null",
	      stdout);
	fputs(",\"off_host\":[", stdout);
	for (size_t i = 0; ksmctl_last_off_host_at(last, i, &r); i++) {
		print_refusal_json(i, &r);
		putchar('}');
	}
	fputs("]}\n", stdout);
	json_object_put(last);
}

int cmd_users(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	ksm_snap s;
	ksm_snap_status st;
	int opt;

	while ((opt = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (opt != 'j')
			return ksmctl_usage_error(k, "usage: users [--json]");
		json = true;
	}
	if (optind != argc)
		return ksmctl_usage_error(k, "usage: users [--json]");
	/* The full check (checksum and every entry), as nss_ksm opens it. */
	st = ksm_snap_open(k->conf->snapshot, &s);
	if (st != KSM_SNAPST_OK) {
		fprintf(stderr,
			"ksmctl: snapshot %s is %s: run 'ksmctl sync'\n",
			k->conf->snapshot, ksm_snap_status_str(st));
		return EXIT_NOT_BOUND;
	}
	if (json)
		print_json(k, &s, time(NULL));
	else
		print_text(k, &s, time(NULL));
	ksm_snap_close(&s);
	return EXIT_OK;
}
