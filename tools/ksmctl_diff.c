/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_diff.c - the changes between two snapshots, as "ksmctl sync
 * --dry-run" prints them. Both sides are read with the snapshot reader,
 * so what is compared is what nss_ksm and the keys helper would serve.
 * Every string printed was validated by the sync that wrote it (names,
 * paths and gecos without ':' or control characters, keys canonical).
 */
#include "ksmctl_diff.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* qsort has no context argument; ksmctl is single-threaded. */
static const ksm_snap *sort_snap;

static int user_record_cmp(const void *x, const void *y)
{
	const struct ksm_snap_user *a = &sort_snap->users[*(const uint32_t *)x];
	const struct ksm_snap_user *b = &sort_snap->users[*(const uint32_t *)y];

	return strcmp(ksm_snap_str(sort_snap, a->record_uid),
		      ksm_snap_str(sort_snap, b->record_uid));
}

/* User indexes in record-UID order (NULL for no snapshot or no memory). */
static uint32_t *users_by_record(const ksm_snap *s, size_t *n)
{
	uint32_t *v;

	*n = s && s->h ? s->h->n_users : 0;
	v = malloc((*n ? *n : 1) * sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		v[i] = (uint32_t)i;
	sort_snap = s;
	qsort(v, *n, sizeof(*v), user_record_cmp);
	sort_snap = NULL;
	return v;
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A user's key fingerprints or supplementary group names, sorted. */
static const char **user_set(const ksm_snap *s, const struct ksm_snap_user *u,
			     bool keys, size_t *n)
{
	const char **v;

	*n = keys ? u->n_keys : u->n_groups;
	v = calloc(*n ? *n : 1, sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		if (keys) {
			v[i] = ksm_snap_str(s,
					    s->keys[u->keys + i].fingerprint);
		} else {
			const struct ksm_snap_group *g =
				ksm_snap_group_by_gid(s, s->ids[u->groups + i]);

			v[i] = g ? ksm_snap_str(s, g->name) : "?";
		}
	}
	qsort(v, *n, sizeof(*v), str_cmp);
	return v;
}

/* "~ user NAME: WHAT added X" / "removed X" for each difference. */
static bool diff_sets(FILE *f, const char *name, const char *what,
		      const ksm_snap *o, const struct ksm_snap_user *a,
		      const ksm_snap *n, const struct ksm_snap_user *b,
		      bool keys)
{
	size_t na, nb, i = 0, j = 0;
	const char **va = user_set(o, a, keys, &na);
	const char **vb = user_set(n, b, keys, &nb);
	bool changed = false;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(va[i], vb[j]);

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		fprintf(f, "~ user %s: %s %s %s\n", name, what,
			c < 0 ? "removed" : "added", c < 0 ? va[i] : vb[j]);
		changed = true;
		if (c < 0)
			i++;
		else
			j++;
	}
	free(va);
	free(vb);
	return changed;
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0)
		snprintf(buf, len, "never");
	else if (t < 0)
		snprintf(buf, len, "expired");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

static bool diff_text(FILE *f, const char *name, const char *what,
		      const char *x, const char *y)
{
	if (!strcmp(x, y))
		return false;
	fprintf(f, "~ user %s: %s '%s' -> '%s'\n", name, what, x, y);
	return true;
}

/* Print what changed between two entries of one record; changed? */
static bool diff_user(FILE *f, const ksm_snap *o, const struct ksm_snap_user *a,
		      const ksm_snap *n, const struct ksm_snap_user *b)
{
	const char *name = ksm_snap_str(n, b->name);
	bool changed = false;

	if (strcmp(ksm_snap_str(o, a->name), name)) {
		fprintf(f, "~ user %s: name %s -> %s\n", name,
			ksm_snap_str(o, a->name), name);
		changed = true;
	}
	if (a->uid != b->uid || a->gid != b->gid) {
		fprintf(f, "~ user %s: uid %u gid %u -> uid %u gid %u\n", name,
			a->uid, a->gid, b->uid, b->gid);
		changed = true;
	}
	changed |= diff_text(f, name, "gecos", ksm_snap_str(o, a->gecos),
			     ksm_snap_str(n, b->gecos));
	changed |= diff_text(f, name, "home", ksm_snap_str(o, a->home),
			     ksm_snap_str(n, b->home));
	changed |= diff_text(f, name, "shell", ksm_snap_str(o, a->shell),
			     ksm_snap_str(n, b->shell));
	if (a->valid_until != b->valid_until) {
		char ta[32], tb[32];

		fmt_time(a->valid_until, ta, sizeof(ta));
		fmt_time(b->valid_until, tb, sizeof(tb));
		fprintf(f, "~ user %s: expires %s -> %s\n", name, ta, tb);
		changed = true;
	}
	if ((a->flags ^ b->flags) & KSM_SNAP_HAS_PASSWORD) {
		fprintf(f, "~ user %s: password %s\n", name,
			b->flags & KSM_SNAP_HAS_PASSWORD ? "added" : "removed");
		changed = true;
	}
	if ((a->flags ^ b->flags) & KSM_SNAP_HAS_TOTP) {
		fprintf(f, "~ user %s: one-time code %s\n", name,
			b->flags & KSM_SNAP_HAS_TOTP ? "added" : "removed");
		changed = true;
	}
	changed |= diff_sets(f, name, "key", o, a, n, b, true);
	changed |= diff_sets(f, name, "group", o, a, n, b, false);
	return changed;
}

static void print_user(FILE *f, char sign, const ksm_snap *s,
		       const struct ksm_snap_user *u)
{
	fprintf(f, "%c user %s uid %u gid %u (record %s)\n", sign,
		ksm_snap_str(s, u->name), u->uid, u->gid,
		ksm_snap_str(s, u->record_uid));
}

static void diff_users(FILE *f, const ksm_snap *o, const ksm_snap *n,
		       struct ksmctl_diff_counts *c)
{
	size_t na, nb, i = 0, j = 0;
	uint32_t *va = users_by_record(o, &na), *vb = users_by_record(n, &nb);

	while (i < na || j < nb) {
		const struct ksm_snap_user *a =
			i < na ? &o->users[va[i]] : NULL;
		const struct ksm_snap_user *b =
			j < nb ? &n->users[vb[j]] : NULL;
		int cmp = !a   ? 1
			  : !b ? -1
			       : strcmp(ksm_snap_str(o, a->record_uid),
					ksm_snap_str(n, b->record_uid));

		if (cmp < 0) {
			print_user(f, '-', o, a);
			c->users_removed++;
			i++;
		} else if (cmp > 0) {
			print_user(f, '+', n, b);
			c->users_added++;
			j++;
		} else {
			c->users_changed += diff_user(f, o, a, n, b);
			i++;
			j++;
		}
	}
	free(va);
	free(vb);
}

/* Groups by name (GROUP_BY_NAME is sorted by strcmp). */
static void diff_groups(FILE *f, const ksm_snap *o, const ksm_snap *n,
			struct ksmctl_diff_counts *c)
{
	size_t na = o && o->h ? o->h->n_groups : 0, nb = n->h->n_groups;
	size_t i = 0, j = 0;

	while (i < na || j < nb) {
		const struct ksm_snap_group *a =
			i < na ? &o->groups[o->group_by_name[i]] : NULL;
		const struct ksm_snap_group *b =
			j < nb ? &n->groups[n->group_by_name[j]] : NULL;
		int cmp = !a   ? 1
			  : !b ? -1
			       : strcmp(ksm_snap_str(o, a->name),
					ksm_snap_str(n, b->name));

		if (cmp < 0) {
			fprintf(f, "- group %s gid %u%s\n",
				ksm_snap_str(o, a->name), a->gid,
				a->local ? " (local)" : "");
			c->groups_removed++;
			i++;
			continue;
		}
		if (cmp > 0) {
			fprintf(f, "+ group %s gid %u%s\n",
				ksm_snap_str(n, b->name), b->gid,
				b->local ? " (local)" : "");
			c->groups_added++;
			j++;
			continue;
		}
		if (a->gid != b->gid || !a->local != !b->local) {
			fprintf(f, "~ group %s: gid %u%s -> %u%s\n",
				ksm_snap_str(n, b->name), a->gid,
				a->local ? " (local)" : "", b->gid,
				b->local ? " (local)" : "");
			c->groups_changed++;
		}
		i++;
		j++;
	}
}

void ksmctl_diff_print(FILE *f, const ksm_snap *old, const ksm_snap *new,
		       struct ksmctl_diff_counts *counts)
{
	memset(counts, 0, sizeof(*counts));
	diff_users(f, old, new, counts);
	diff_groups(f, old, new, counts);
}
