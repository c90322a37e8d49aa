/* SPDX-License-Identifier: MIT */
/*
 * accounts_build.c - all accounts of the vault: per-record rules, then the
 * cross checks. A name or id claimed twice is refused for every claimant
 * (docs/design.md: "never resolved silently"), and so is one that a local
 * account already has.
 */
#include "accounts.h"
#include "local_db.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cand {
	ksm_account a;
	const char *why; /* NULL: still publishable */
	char whybuf[160];
};

static int by_name(const void *x, const void *y)
{
	const struct cand *const *a = x, *const *b = y;

	return strcmp((*a)->a.name, (*b)->a.name);
}

static int by_uid(const void *x, const void *y)
{
	const struct cand *const *a = x, *const *b = y;

	return (*a)->a.uid < (*b)->a.uid ? -1 : (*a)->a.uid > (*b)->a.uid;
}

/* Mark every member of a run of equal keys in the sorted array. */
static void refuse_duplicates(struct cand **v, size_t n,
			      int (*cmp)(const void *, const void *),
			      const char *what)
{
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i;

		while (j + 1 < n && cmp(&v[i], &v[j + 1]) == 0)
			j++;
		for (size_t k = i; j > i && k <= j; k++) {
			const struct cand *other = v[k == i ? i + 1 : i];

			snprintf(v[k]->whybuf, sizeof(v[k]->whybuf),
				 "%s is also claimed by record %s; neither is "
				 "published",
				 what, other->a.record_uid);
			v[k]->why = v[k]->whybuf;
		}
		i = j;
	}
}

/* Short, and nothing a log or terminal could take for more (no control
 * characters, no ':'). */
static bool loggable_name(const char *s)
{
	return ksm_text_clean(s, 32, ":");
}

static void check_local(struct cand *c, const ksm_local_db *local)
{
	const char *who;
	uint32_t gid;

	if (ksm_local_user_by_name(local, c->a.name)) {
		c->why = "the name belongs to a local account";
	} else if ((who = ksm_local_user_by_uid(local, c->a.uid))) {
		snprintf(c->whybuf, sizeof(c->whybuf),
			 "uid %u belongs to the local account %s", c->a.uid,
			 who);
		c->why = c->whybuf;
	} else if ((who = ksm_local_group_by_gid(local, c->a.gid))) {
		snprintf(c->whybuf, sizeof(c->whybuf),
			 "gid %u belongs to the local group %s", c->a.gid, who);
		c->why = c->whybuf;
	} else if (ksm_local_db_group(local, c->a.name, &gid)) {
		c->why = "a local group has the same name as this user's "
			 "private group";
	}
}

/*
 * Group lookups by name and gid during the build: open addressing over
 * group indexes (+1; 0 is empty). Linear scans made a 10,000-account sync
 * quadratic.
 */
struct gindex {
	size_t cap;
	size_t *by_name, *by_gid;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool gindex_init(struct gindex *ix, size_t n)
{
	ix->cap = 16;
	while (ix->cap < 2 * n + 16)
		ix->cap *= 2;
	ix->by_name = calloc(ix->cap, sizeof(size_t));
	ix->by_gid = calloc(ix->cap, sizeof(size_t));
	return ix->by_name && ix->by_gid;
}

static void gindex_free(struct gindex *ix)
{
	free(ix->by_name);
	free(ix->by_gid);
}

static ksm_group *find_group(ksm_accounts *as, const struct gindex *ix,
			     const char *name)
{
	for (size_t h = hash_str(name) & (ix->cap - 1); ix->by_name[h];
	     h = (h + 1) & (ix->cap - 1))
		if (!strcmp(as->groups[ix->by_name[h] - 1].name, name))
			return &as->groups[ix->by_name[h] - 1];
	return NULL;
}

static ksm_group *find_gid(ksm_accounts *as, const struct gindex *ix,
			   uint32_t gid)
{
	for (size_t h = (gid * 2654435761u) & (ix->cap - 1); ix->by_gid[h];
	     h = (h + 1) & (ix->cap - 1))
		if (as->groups[ix->by_gid[h] - 1].gid == gid)
			return &as->groups[ix->by_gid[h] - 1];
	return NULL;
}

static ksm_group *new_group(ksm_accounts *as, struct gindex *ix,
			    const char *name, uint32_t gid, bool local)
{
	ksm_group *p = realloc(as->groups, (as->n_groups + 1) * sizeof(*p));
	size_t h;

	if (!p)
		return NULL;
	as->groups = p;
	p += as->n_groups;
	memset(p, 0, sizeof(*p));
	p->name = ksm_strdup(name);
	p->gid = gid;
	p->local = local;
	if (!p->name)
		return NULL;
	as->n_groups++;
	for (h = hash_str(name) & (ix->cap - 1); ix->by_name[h];
	     h = (h + 1) & (ix->cap - 1))
		;
	ix->by_name[h] = as->n_groups;
	if (!find_gid(as, ix, gid)) {
		for (h = (gid * 2654435761u) & (ix->cap - 1); ix->by_gid[h];
		     h = (h + 1) & (ix->cap - 1))
			;
		ix->by_gid[h] = as->n_groups;
	}
	return p;
}

static bool add_member(ksm_group *g, size_t account)
{
	size_t *p = realloc(g->members, (g->n_members + 1) * sizeof(*p));

	if (!p)
		return false;
	g->members = p;
	p[g->n_members++] = account;
	return true;
}

static const ksm_group *sort_groups;

static int gid_order(const void *x, const void *y)
{
	uint32_t a = sort_groups[*(const size_t *)x].gid;
	uint32_t b = sort_groups[*(const size_t *)y].gid;

	return a < b ? -1 : a > b;
}

/*
 * A supplementary vault group whose gid a private group, a local group or
 * another vault group also has is refused (private groups win). Groups
 * [0, n_private) are the private ones.
 */
static ksm_status drop_gid_clashes(ksm_accounts *as, const ksm_local_db *local,
				   size_t n_private)
{
	size_t n = as->n_groups, *order = malloc((n ? n : 1) * sizeof(*order));
	bool *drop = calloc(n ? n : 1, sizeof(*drop));
	size_t kept = 0;
	ksm_status st = KSM_ERR_NOMEM;

	if (!order || !drop)
		goto out;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_groups = as->groups;
	qsort(order, n, sizeof(*order), gid_order);
	for (size_t i = 0; i < n; i++) {
		size_t g = order[i];
		const ksm_group *gr = &as->groups[g];
		const char *owner = ksm_local_group_by_gid(local, gr->gid);
		bool shared =
			(i > 0 && as->groups[order[i - 1]].gid == gr->gid) ||
			(i + 1 < n && as->groups[order[i + 1]].gid == gr->gid);

		if (gr->local || g < n_private || (!shared && !owner))
			continue;
		drop[g] = true;
		if (ksm_add_refusal(as, "", gr->name, false,
				    "group %s dropped: gid %u is also %s",
				    gr->name, gr->gid,
				    owner ? "a local group's"
					  : "another group's") != KSM_OK)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (drop[i]) {
			free(as->groups[i].name);
			free(as->groups[i].members);
		} else {
			as->groups[kept++] = as->groups[i];
		}
	}
	as->n_groups = kept;
	st = KSM_OK;
out:
	free(order);
	free(drop);
	return st;
}

/*
 * May a record's 'groups' field put its account into this local group?
 * Only the ones local_groups lists: membership of disk, shadow or docker
 * is root in disguise, so an editor of a vault record must not be able to
 * grant it. The root group is never allowed, not even by "*".
 */
static bool in_list(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], "*") || !strcmp(v[i], name))
			return true;
	return false;
}

/* admin_groups are the host administrator's choice, not a record's: an
 * account linked with is_admin joins them even if local_groups does not
 * list them (never gid 0). */
static bool local_group_allowed(const ksm_settings *conf, const char *name,
				uint32_t gid, const ksm_account *a)
{
	if (gid == 0)
		return false;
	if (a->host_admin &&
	    in_list(conf->admin_groups, conf->n_admin_groups, name))
		return true;
	return in_list(conf->local_groups, conf->n_local_groups, name);
}

/*
 * Private groups first (one per gid, named after its first user), then the
 * names in 'groups': local groups by their local gid, others as vault
 * groups with a stable gid. A vault group whose gid is taken is refused.
 */
static ksm_status build_groups(ksm_accounts *as, const ksm_settings *conf,
			       const ksm_local_db *local)
{
	struct gindex ix;
	size_t names = as->n_accounts, n_private;
	ksm_status st = KSM_ERR_NOMEM;
	ksm_group *g;

	for (size_t i = 0; i < as->n_accounts; i++)
		names += as->accounts[i].n_groups;
	if (!gindex_init(&ix, names))
		goto out;
	for (size_t i = 0; i < as->n_accounts; i++) {
		ksm_account *a = &as->accounts[i];

		if (find_gid(as, &ix, a->gid) || find_group(as, &ix, a->name))
			continue;
		if (!new_group(as, &ix, a->name, a->gid, false))
			goto out;
	}
	n_private = as->n_groups;
	for (size_t i = 0; i < as->n_accounts; i++) {
		ksm_account *a = &as->accounts[i];

		for (size_t j = 0; j < a->n_groups; j++) {
			uint32_t gid;
			char seed[64];

			g = find_group(as, &ix, a->groups[j]);
			if (!g &&
			    ksm_local_db_group(local, a->groups[j], &gid)) {
				if (!local_group_allowed(conf, a->groups[j],
							 gid, a)) {
					if (ksm_add_refusal(
						    as, a->record_uid, a->name,
						    false,
						    gid == 0 ? "group %s "
							       "dropped: "
							       "gid 0 is never "
							       "joined"
							     : "group %s "
							       "dropped: "
							       "a local group "
							       "not "
							       "listed in "
							       "local_groups",
						    a->groups[j]) != KSM_OK)
						goto out;
					continue;
				}
				g = new_group(as, &ix, a->groups[j], gid, true);
			} else if (!g) {
				snprintf(seed, sizeof(seed), "group:%s",
					 a->groups[j]);
				g = new_group(as, &ix, a->groups[j],
					      ksm_derived_id(seed,
							     conf->gid_min,
							     conf->gid_max),
					      false);
			}
			if (!g || !add_member(g, i))
				goto out;
		}
	}
	st = drop_gid_clashes(as, local, n_private);
out:
	gindex_free(&ix);
	return st;
}

/* admin_groups for an account linked with is_admin (each name once). */
static ksm_status add_admin_groups(ksm_account *a, const ksm_settings *conf)
{
	for (size_t i = 0; i < conf->n_admin_groups; i++) {
		char *g;

		if (in_list(a->groups, a->n_groups, conf->admin_groups[i]))
			continue;
		g = ksm_strdup(conf->admin_groups[i]);
		if (!g || !ksm_strv_push(&a->groups, &a->n_groups, g)) {
			free(g);
			return KSM_ERR_NOMEM;
		}
	}
	return KSM_OK;
}

/*
 * host_record: is the account on this host? One that is not is listed as
 * off_host (why, for ksmctl users) and left out.
 */
static ksm_status scope_account(ksm_accounts *as, const ksm_host_scope *h,
				const ksm_settings *conf, ksm_account *a,
				bool *keep)
{
	ksm_status st;

	*keep = true;
	if (!h->active)
		return KSM_OK;
	if (ksm_host_scope_has(h, a->record_uid, &a->host_admin))
		return a->host_admin ? add_admin_groups(a, conf) : KSM_OK;
	*keep = false;
	st = ksm_add_refusal(as, a->record_uid, a->name, true,
			     "not linked to this host's pamMachine %s "
			     "(host_record)",
			     ksm_record_uid(h->machine));
	if (st == KSM_OK)
		as->refusals[as->n_refusals - 1].off_host = true;
	return st;
}

/* Linked records that are not accounts here: say so (off_host). */
static ksm_status note_linked_non_accounts(ksm_accounts *as,
					   const ksm_host_scope *h,
					   const ksm_secrets *s,
					   const struct cand *c, size_t nc)
{
	for (size_t i = 0; i < h->n; i++) {
		const ksm_record *r = ksm_secrets_find(s, h->members[i]);
		bool found = false;
		ksm_status st;

		for (size_t j = 0; j < nc && !found; j++)
			found = !strcmp(c[j].a.record_uid, h->members[i]);
		for (size_t j = 0; j < as->n_refusals && !found; j++)
			found = !strcmp(as->refusals[j].record_uid,
					h->members[i]);
		if (found || (r && !strcmp(ksm_record_type(r), "pamMachine")))
			continue;
		st = ksm_add_refusal(
			as, h->members[i], "", true,
			r ? "linked to this host's pamMachine, but not an "
			    "account record (type %s, or outside "
			    "account_folders, or no login)"
			  : "linked to this host's pamMachine, but not in "
			    "the vault's answer (is it shared with this "
			    "application?)%s",
			r ? ksm_record_type(r) : "");
		if (st != KSM_OK)
			return st;
		as->refusals[as->n_refusals - 1].off_host = true;
	}
	return KSM_OK;
}

ksm_status ksm_accounts_build(const ksm_secrets *s, const ksm_settings *conf,
			      const ksm_local_db *local, ksm_accounts **out,
			      ksm_error *err)
{
	size_t n = ksm_secrets_count(s), nc = 0;
	struct cand *c = calloc(n ? n : 1, sizeof(*c));
	struct cand **v = calloc(n ? n : 1, sizeof(*v));
	ksm_accounts *as = calloc(1, sizeof(*as));
	ksm_host_scope h = {0};
	ksm_status st = KSM_ERR_NOMEM;
	bool keep;

	*out = NULL;
	if (!c || !v || !as ||
	    ksm_add_unreadable_refusals(as, s, conf) != KSM_OK)
		goto out;
	st = ksm_host_scope_resolve(s, conf, &h, err);
	if (st != KSM_OK)
		goto out_keep_err;
	st = KSM_ERR_NOMEM;
	if (h.active) {
		as->host_record_uid = ksm_strdup(ksm_record_uid(h.machine));
		as->host_record_title = ksm_strdup(ksm_record_title(h.machine));
		as->host_linked = h.n;
		if (!as->host_record_uid || !as->host_record_title)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const ksm_record *r = ksm_secrets_record(s, i);
		ksm_error rerr = {0};
		ksm_status rs;

		/* The same record twice (shortcuts, direct + folder): once. */
		if (ksm_secrets_find(s, ksm_record_uid(r)) != r)
			continue;
		rs = ksm_account_from_record(r, conf, &c[nc].a, as, &rerr);
		if (rs == KSM_ERR_NOT_FOUND)
			continue;
		if (rs == KSM_ERR_NOMEM)
			goto out;
		if (rs != KSM_OK) {
			char *login = ksm_record_first_value(r, "login");

			/* The refused name is only logged if it is clean. */
			st = ksm_add_refusal(
				as, ksm_record_uid(r),
				login && loggable_name(login) ? login : "",
				true, "%s", rerr.message);
			free(login);
			if (st != KSM_OK)
				goto out;
			continue;
		}
		if (scope_account(as, &h, conf, &c[nc].a, &keep) != KSM_OK) {
			ksm_account_clear(&c[nc].a);
			goto out;
		}
		if (!keep) {
			ksm_account_clear(&c[nc].a);
			continue;
		}
		check_local(&c[nc], local);
		v[nc] = &c[nc];
		nc++;
	}
	if (h.active && note_linked_non_accounts(as, &h, s, c, nc) != KSM_OK)
		goto out;
	refuse_duplicates(v, nc, by_name, "the name");
	refuse_duplicates(v, nc, by_uid, "the uid");
	as->accounts = calloc(nc ? nc : 1, sizeof(*as->accounts));
	if (!as->accounts)
		goto out;
	for (size_t i = 0; i < nc; i++) {
		if (c[i].why) {
			if (ksm_add_refusal(as, c[i].a.record_uid, c[i].a.name,
					    true, "%s", c[i].why) != KSM_OK)
				goto out;
			ksm_account_clear(&c[i].a);
			continue;
		}
		as->accounts[as->n_accounts++] = c[i].a;
		memset(&c[i].a, 0, sizeof(c[i].a));
	}
	if (build_groups(as, conf, local) != KSM_OK)
		goto out;
	*out = as;
	as = NULL;
	st = KSM_OK;
out:
	for (size_t i = 0; c && i < nc; i++)
		ksm_account_clear(&c[i].a);
	if (st != KSM_OK)
		ksm_set_error(err, st, "out of memory");
out_keep_err:
	ksm_host_scope_clear(&h);
	free(c);
	free(v);
	ksm_accounts_free(as);
	return st;
}
