/*
 * localdb.c - local users and groups, read from the files themselves (not
 * through NSS, which may include nss_ksm and so the vault's own accounts).
 */
#include "accounts.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
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

ksm_status ksm_local_db_load(const char *passwd_path, const char *group_path,
			     ksm_local_db **out, ksm_error *err)
{
	ksm_local_db *db = calloc(1, sizeof(*db));
	FILE *f = NULL;
	ksm_status st = KSM_OK;

	*out = NULL;
	if (!db)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	f = fopen(passwd_path ? passwd_path : "/etc/passwd", "re");
	if (!f) {
		st = ksm_set_error(err, KSM_ERR_IO, "cannot read %s: %s",
				   passwd_path ? passwd_path : "/etc/passwd",
				   strerror(errno));
		goto out;
	}
	for (struct passwd *pw; (pw = fgetpwent(f));)
		if (!push(&db->users, &db->n_users, pw->pw_name, pw->pw_uid)) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			goto out;
		}
	fclose(f);
	f = fopen(group_path ? group_path : "/etc/group", "re");
	if (!f) {
		st = ksm_set_error(err, KSM_ERR_IO, "cannot read %s: %s",
				   group_path ? group_path : "/etc/group",
				   strerror(errno));
		goto out;
	}
	for (struct group *gr; (gr = fgetgrent(f));)
		if (!push(&db->groups, &db->n_groups, gr->gr_name, gr->gr_gid)) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			goto out;
		}
out:
	if (f)
		fclose(f);
	if (st != KSM_OK)
		ksm_local_db_free(db);
	else
		*out = db;
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
	const struct entry *e = db ? by_name(db->groups, db->n_groups, name) : NULL;

	if (e && gid)
		*gid = e->id;
	return e != NULL;
}

const char *ksm_local_user_by_name(const ksm_local_db *db, const char *name)
{
	const struct entry *e = db ? by_name(db->users, db->n_users, name) : NULL;

	return e ? e->name : NULL;
}

const char *ksm_local_user_by_uid(const ksm_local_db *db, uint32_t uid)
{
	const struct entry *e = db ? by_id(db->users, db->n_users, uid) : NULL;

	return e ? e->name : NULL;
}

const char *ksm_local_group_by_gid(const ksm_local_db *db, uint32_t gid)
{
	const struct entry *e = db ? by_id(db->groups, db->n_groups, gid) : NULL;

	return e ? e->name : NULL;
}
