/* SPDX-License-Identifier: MIT */
/*
 * local_db.c - local users and groups in memory, read from the files
 * themselves (local_files.h), for the account rules' collision checks.
 */
#include "local_db.h"
#include "local_files.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	char *name;
	uint32_t id;
};

struct ksm_local_db {
	struct entry *users, *groups;
	size_t n_users, n_groups;
};

static bool push(struct entry **v, size_t *n, const char *name, uint32_t id)
{
	struct entry *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return false;
	*v = p;
	p[*n].name = ksm_strdup(name);
	p[*n].id = id;
	if (!p[*n].name)
		return false;
	(*n)++;
	return true;
}

struct load {
	ksm_local_db *db;
	bool nomem;
};

static bool add_user(const struct passwd *pw, void *ctx)
{
	struct load *l = ctx;

	l->nomem =
		!push(&l->db->users, &l->db->n_users, pw->pw_name, pw->pw_uid);
	return !l->nomem;
}

static bool add_group(const struct group *gr, void *ctx)
{
	struct load *l = ctx;

	l->nomem = !push(&l->db->groups, &l->db->n_groups, gr->gr_name,
			 gr->gr_gid);
	return !l->nomem;
}

ksm_status ksm_local_db_load(const char *passwd_path, const char *group_path,
			     ksm_local_db **out, ksm_error *err)
{
	struct load l = {calloc(1, sizeof(ksm_local_db)), false};
	ksm_status st;

	*out = NULL;
	if (!l.db)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	st = ksm_passwd_file_scan(passwd_path, add_user, &l, err);
	if (st == KSM_OK && !l.nomem)
		st = ksm_group_file_scan(group_path, add_group, &l, err);
	if (st == KSM_OK && l.nomem)
		st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (st != KSM_OK)
		ksm_local_db_free(l.db);
	else
		*out = l.db;
	return st;
}

void ksm_local_db_free(ksm_local_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_users; i++)
		free(db->users[i].name);
	for (size_t i = 0; i < db->n_groups; i++)
		free(db->groups[i].name);
	free(db->users);
	free(db->groups);
	free(db);
}

static const struct entry *by_name(const struct entry *v, size_t n,
				   const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

static const struct entry *by_id(const struct entry *v, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

bool ksm_local_db_group(const ksm_local_db *db, const char *name, uint32_t *gid)
{
	const struct entry *e =
		db ? by_name(db->groups, db->n_groups, name) : NULL;

	if (e && gid)
		*gid = e->id;
	return e != NULL;
}

const char *ksm_local_user_by_name(const ksm_local_db *db, const char *name)
{
	const struct entry *e =
		db ? by_name(db->users, db->n_users, name) : NULL;

	return e ? e->name : NULL;
}

const char *ksm_local_user_by_uid(const ksm_local_db *db, uint32_t uid)
{
	const struct entry *e = db ? by_id(db->users, db->n_users, uid) : NULL;

	return e ? e->name : NULL;
}

const char *ksm_local_group_by_gid(const ksm_local_db *db, uint32_t gid)
{
	const struct entry *e =
		db ? by_id(db->groups, db->n_groups, gid) : NULL;

	return e ? e->name : NULL;
}
