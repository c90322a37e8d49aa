/*
 * accounts_build.c - all accounts of the vault: per-record rules, then the
 * cross checks. A name or id claimed twice is refused for every claimant
 * (design.md: "never resolved silently"), and so is one that a local
 * account already has.
 */
#include "accounts.h"
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

static void check_local(struct cand *c, const ksm_local_db *local)
{
	const char *who;
	uint32_t gid;

	if (ksm_local_user_by_name(local, c->a.name)) {
		c->why = "the name belongs to a local account";
	} else if ((who = ksm_local_user_by_uid(local, c->a.uid))) {
		snprintf(c->whybuf, sizeof(c->whybuf),
			 "uid %u belongs to the local account %s", c->a.uid, who);
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

static ksm_group *find_group(ksm_accounts *as, const char *name)
{
	for (size_t i = 0; i < as->n_groups; i++)
		if (strcmp(as->groups[i].name, name) == 0)
			return &as->groups[i];
	return NULL;
}

static ksm_group *find_gid(ksm_accounts *as, uint32_t gid, const ksm_group *not)
{
	for (size_t i = 0; i < as->n_groups; i++)
		if (as->groups[i].gid == gid && &as->groups[i] != not)
			return &as->groups[i];
	return NULL;
}

static ksm_group *new_group(ksm_accounts *as, const char *name, uint32_t gid,
			    bool local)
{
	ksm_group *p = realloc(as->groups, (as->n_groups + 1) * sizeof(*p));

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

static void drop_group(ksm_accounts *as, ksm_group *g)
{
	size_t i = (size_t)(g - as->groups);

	free(g->name);
	free(g->members);
	memmove(g, g + 1, (as->n_groups - i - 1) * sizeof(*g));
	as->n_groups--;
}

/*
 * Private groups first (one per gid, named after its first user), then the
 * names in 'groups': local groups by their local gid, others as vault
 * groups with a stable gid. A vault group whose gid is taken is refused.
 */
static ksm_status build_groups(ksm_accounts *as, const ksm_conf *conf,
			       const ksm_local_db *local)
{
	ksm_group *g;

	for (size_t i = 0; i < as->n_accounts; i++) {
		ksm_account *a = &as->accounts[i];

		if (find_gid(as, a->gid, NULL) || find_group(as, a->name))
			continue;
		if (!new_group(as, a->name, a->gid, false))
			return KSM_ERR_NOMEM;
	}
	for (size_t i = 0; i < as->n_accounts; i++) {
		ksm_account *a = &as->accounts[i];

		for (size_t j = 0; j < a->n_groups; j++) {
			uint32_t gid;
			char seed[64];

			g = find_group(as, a->groups[j]);
			if (!g && ksm_local_db_group(local, a->groups[j], &gid))
				g = new_group(as, a->groups[j], gid, true);
			else if (!g) {
				snprintf(seed, sizeof(seed), "group:%s",
					 a->groups[j]);
				g = new_group(as, a->groups[j],
					      ksm_derived_id(seed, conf->gid_min,
							     conf->gid_max),
					      false);
			}
			if (!g || !add_member(g, i))
				return KSM_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < as->n_groups;) {
		const char *owner;
		ksm_group *other;

		g = &as->groups[i];
		if (g->local) {
			i++;
			continue;
		}
		owner = ksm_local_group_by_gid(local, g->gid);
		other = find_gid(as, g->gid, g);
		if (!owner && !other) {
			i++;
			continue;
		}
		if (ksm_add_refusal(as, "", g->name, false,
				    "group %s dropped: gid %u is also the %s "
				    "group %s",
				    g->name, g->gid, owner ? "local" : "vault",
				    owner ? owner : other->name) != KSM_OK)
			return KSM_ERR_NOMEM;
		drop_group(as, g);
	}
	return KSM_OK;
}

ksm_status ksm_accounts_build(const ksm_secrets *s, const ksm_conf *conf,
			      const ksm_local_db *local, ksm_accounts **out,
			      ksm_error *err)
{
	size_t n = ksm_secrets_count(s), nc = 0;
	struct cand *c = calloc(n ? n : 1, sizeof(*c));
	struct cand **v = calloc(n ? n : 1, sizeof(*v));
	ksm_accounts *as = calloc(1, sizeof(*as));
	ksm_status st = KSM_ERR_NOMEM;

	*out = NULL;
	if (!c || !v || !as)
		goto out;
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
			st = ksm_add_refusal(as, ksm_record_uid(r),
					     login && strlen(login) <= 32 &&
							     !strpbrk(login, "\n\r\t:")
						     ? login
						     : "",
					     true, "%s", rerr.message);
			free(login);
			if (st != KSM_OK)
				goto out;
			continue;
		}
		check_local(&c[nc], local);
		v[nc] = &c[nc];
		nc++;
	}
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
	free(c);
	free(v);
	ksm_accounts_free(as);
	if (st != KSM_OK)
		ksm_set_error(err, st, "out of memory");
	return st;
}
