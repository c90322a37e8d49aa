/* SPDX-License-Identifier: MIT */
/*
 * accounts_build.c - all accounts of the vault: per-record rules, then the
 * cross checks. A name or id claimed twice is refused for every claimant
 * (docs/design.md: "never resolved silently"), but for an id the account
 * that held it at the last sync, and so is one that a local account
 * already has.
 */
#include "accounts.h"
#include "get_secrets.h"
#include "local_db.h"
#include "record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cand {
	ksm_account a;
	const char *why; /* NULL: still publishable */
	char whybuf[256];
	bool gid_derived;	 /* no gid custom field */
	bool held_uid, held_gid; /* the record had them at the last sync */
	/* A record refused as a whole (a bad value) that still claims its
	 * ids: only a.record_uid, a.uid and a.gid are set. */
	bool ghost;
};

enum claim { CLAIM_NAME, CLAIM_UID, CLAIM_GID };

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

static int by_gid(const void *x, const void *y)
{
	const struct cand *const *a = x, *const *b = y;

	return (*a)->a.gid < (*b)->a.gid ? -1 : (*a)->a.gid > (*b)->a.gid;
}

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* The first reason a candidate is refused for is the one it is told. */
static void refuse(struct cand *c, const char *fmt, ...) KSM_PRINTF(2, 3);
static void refuse(struct cand *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why)
		return;
	va_start(ap, fmt);
	vsnprintf(c->whybuf, sizeof(c->whybuf), fmt, ap);
	va_end(ap);
	c->why = c->whybuf;
}

/*
 * Ids every candidate claims (sorted), and the local ones, for a suggestion
 * of a free id to put in a custom field.
 */
struct taken {
	uint32_t *ids;
	size_t n;
	const ksm_local_db *local;
	enum claim kind;
};

static bool taken_has(const struct taken *t, uint32_t id)
{
	if (bsearch(&id, t->ids, t->n, sizeof(*t->ids), u32_cmp))
		return true;
	return t->kind == CLAIM_UID
		       ? ksm_local_user_by_uid(t->local, id) != NULL
		       : ksm_local_group_by_gid(t->local, id) != NULL;
}

/* A free id for the record, the same on every host that sees this vault
 * (but for local ids): derived from "RECORD_UID/k", k = 1, 2, ... */
static uint32_t suggest(const struct taken *t, const char *record_uid,
			const ksm_settings *conf)
{
	uint32_t lo = t->kind == CLAIM_UID ? conf->derived_uid_min
					   : conf->derived_gid_min;
	uint32_t hi = t->kind == CLAIM_UID ? conf->derived_uid_max
					   : conf->derived_gid_max;
	uint32_t id = 0;

	for (unsigned k = 1; k <= 64; k++) {
		char seed[96];

		snprintf(seed, sizeof(seed), "%s/%u", record_uid, k);
		id = ksm_derived_id(seed, lo, hi);
		if (!taken_has(t, id))
			break;
	}
	return id;
}

static bool holds(const struct cand *c, enum claim k)
{
	return k == CLAIM_UID ? c->held_uid : k == CLAIM_GID && c->held_gid;
}

/*
 * Refuse the claimants of every run of equal keys in the sorted array:
 * all of them (docs/design.md, "never resolved silently"), except the one
 * that held a uid or gid at the last sync, which keeps it. Without that,
 * a record added in the vault whose derived uid collides would knock out
 * the account that has the uid, and its files, today.
 */
static void refuse_duplicates(struct cand **v, size_t n, enum claim kind,
			      const struct taken *t, const ksm_settings *conf)
{
	int (*cmp)(const void *, const void *) = kind == CLAIM_NAME  ? by_name
						 : kind == CLAIM_UID ? by_uid
								     : by_gid;
	const char *what = kind == CLAIM_NAME  ? "name"
			   : kind == CLAIM_UID ? "uid"
					       : "gid";

	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		size_t j = i, holder = SIZE_MAX, holders = 0;

		while (j + 1 < n && cmp(&v[i], &v[j + 1]) == 0)
			j++;
		for (size_t k = i; j > i && k <= j; k++)
			if (holds(v[k], kind)) {
				holder = k;
				holders++;
			}
		if (holders != 1)
			holder = SIZE_MAX;
		for (size_t k = i; j > i && k <= j; k++) {
			const struct cand *other = v[holder != SIZE_MAX ? holder
						     : k == i		? i + 1
									: i];
			char hint[96] = "";

			if (k == holder)
				continue;
			if (kind != CLAIM_NAME)
				snprintf(hint, sizeof(hint),
					 " (set the %s custom field of %s to "
					 "a free %s, e.g. %u)",
					 what,
					 holder != SIZE_MAX ? "this record"
							    : "one of them",
					 what,
					 suggest(t, v[k]->a.record_uid, conf));
			if (holder != SIZE_MAX)
				refuse(v[k],
				       "the %s is also claimed by record %s, "
				       "which held it at the last sync%s",
				       what, other->a.record_uid, hint);
			else
				refuse(v[k],
				       "the %s is also claimed by record %s; "
				       "neither is published%s",
				       what, other->a.record_uid, hint);
		}
		i = j;
	}
}

/* The uid and derived-gid checks: ids claimed twice (see above). */
static bool refuse_id_duplicates(struct cand **v, size_t n,
				 const ksm_local_db *local,
				 const ksm_settings *conf)
{
	struct taken t = {.ids = malloc((n ? n : 1) * sizeof(uint32_t)),
			  .n = n,
			  .local = local};
	struct cand **derived = malloc((n ? n : 1) * sizeof(*derived));
	size_t nd = 0;

	if (!t.ids || !derived) {
		free(t.ids);
		free(derived);
		return false;
	}
	t.kind = CLAIM_UID;
	for (size_t i = 0; i < n; i++)
		t.ids[i] = v[i]->a.uid;
	qsort(t.ids, n, sizeof(*t.ids), u32_cmp);
	refuse_duplicates(v, n, CLAIM_UID, &t, conf);
	/* A shared custom gid is a shared group, on purpose; a derived gid
	 * (or the uid as gid) that another account also has is an accident. */
	t.kind = CLAIM_GID;
	for (size_t i = 0; i < n; i++) {
		t.ids[i] = v[i]->a.gid;
		if (v[i]->gid_derived)
			derived[nd++] = v[i];
	}
	qsort(t.ids, n, sizeof(*t.ids), u32_cmp);
	refuse_duplicates(derived, nd, CLAIM_GID, &t, conf);
	free(t.ids);
	free(derived);
	return true;
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
				g = new_group(
					as, &ix, a->groups[j],
					ksm_derived_id(seed,
						       conf->derived_gid_min,
						       conf->derived_gid_max),
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

/*
 * An account_folders entry that names no folder the answer shows would
 * silently publish nothing from it (a typo, or the folder no longer shared
 * with the application): an error, so that the old snapshot is kept.
 */
static ksm_status check_folders(const ksm_secrets *s, const ksm_settings *conf,
				ksm_error *err)
{
	for (size_t i = 0; i < conf->n_account_folders; i++)
		if (!ksm_secrets_sees_folder(s, conf->account_folders[i]))
			return ksm_set_error(
				err, KSM_ERR_CONFIG,
				"account_folders names %.64s, but no folder "
				"the application sees has that UID (a typo, a "
				"folder not shared with the application, or a "
				"subfolder without records)",
				conf->account_folders[i]);
	return KSM_OK;
}

/* What the last sync says of the candidate's ids. */
static void note_prior(struct cand *c, const ksm_record *r,
		       const ksm_prior *prior)
{
	const struct ksm_prior_id *p = ksm_prior_find(prior, c->a.record_uid);
	const ksm_field *f = NULL;

	c->gid_derived = ksm_record_find_field(r, KSM_CUSTOM, "gid", &f) ==
			 KSM_ERR_NOT_FOUND;
	c->held_uid = p && p->uid == c->a.uid;
	c->held_gid = p && p->gid == c->a.gid;
}

/*
 * A record refused as a whole for a value (its shell, its gecos, ...) is
 * still a user of the vault: it keeps claiming the uid and gid it would
 * have, so that a new record deriving them is refused instead of taking
 * them (and the refused user's files) until the record is fixed. False
 * when its ids cannot be told (a bad uid or gid field).
 */
static bool add_ghost(struct cand *c, const ksm_record *r,
		      const ksm_settings *conf, const ksm_prior *prior)
{
	memset(c, 0, sizeof(*c));
	if (ksm_account_ids(r, conf, &c->a.uid, &c->a.gid) != KSM_OK)
		return false;
	c->a.record_uid = ksm_strdup(ksm_record_uid(r));
	if (!c->a.record_uid)
		return false;
	c->ghost = true;
	c->why = "refused above";
	note_prior(c, r, prior);
	return true;
}

ksm_status ksm_accounts_build(const ksm_secrets *s, const ksm_settings *conf,
			      const ksm_local_db *local, ksm_accounts **out,
			      ksm_error *err)
{
	return ksm_accounts_build_since(s, conf, local, NULL, out, err);
}

ksm_status ksm_accounts_build_since(const ksm_secrets *s,
				    const ksm_settings *conf,
				    const ksm_local_db *local,
				    const ksm_prior *prior, ksm_accounts **out,
				    ksm_error *err)
{
	size_t n = ksm_secrets_count(s), nc = 0, nn = 0;
	struct cand *c = NULL;
	struct cand **v = NULL, **named = NULL; /* named: without ghosts */
	ksm_accounts *as = NULL;
	ksm_host_scope h = {0};
	ksm_status st;
	bool keep;

	*out = NULL;
	st = check_folders(s, conf, err);
	if (st != KSM_OK)
		return st;
	st = KSM_ERR_NOMEM;
	c = calloc(n ? n : 1, sizeof(*c));
	v = calloc(n ? n : 1, sizeof(*v));
	named = calloc(n ? n : 1, sizeof(*named));
	as = calloc(1, sizeof(*as));
	if (!c || !v || !named || !as ||
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
			if (rs == KSM_ERR_INVALID &&
			    add_ghost(&c[nc], r, conf, prior)) {
				v[nc] = &c[nc];
				nc++;
			}
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
		note_prior(&c[nc], r, prior);
		v[nc] = &c[nc];
		nc++;
		named[nn++] = &c[nc - 1];
	}
	if (h.active && note_linked_non_accounts(as, &h, s, c, nc) != KSM_OK)
		goto out;
	refuse_duplicates(named, nn, CLAIM_NAME, NULL, conf);
	if (!refuse_id_duplicates(v, nc, local, conf))
		goto out;
	as->accounts = calloc(nc ? nc : 1, sizeof(*as->accounts));
	if (!as->accounts)
		goto out;
	for (size_t i = 0; i < nc; i++) {
		if (c[i].ghost) { /* its refusal is recorded already */
			ksm_account_clear(&c[i].a);
			continue;
		}
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
	free(named);
	ksm_accounts_free(as);
	return st;
}
