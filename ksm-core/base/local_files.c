/* SPDX-License-Identifier: MIT */
/*
 * local_files.c - scanning /etc/passwd and /etc/group with the reentrant
 * fgetpwent_r/fgetgrent_r (PAM modules run in threaded programs).
 */
#include "local_files.h"
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Long group lines (many members) need more than the usual 1 KiB. */
#define LINE_BUF_START 4096
#define LINE_BUF_MAX   (1u << 20)

/* One entry into buf; ERANGE leaves the stream at that entry (glibc). */
static int next_entry(FILE *f, bool group, void *ent, char *buf, size_t cap,
		      void **res)
{
	if (group)
		return fgetgrent_r(f, ent, buf, cap, (struct group **)res);
	return fgetpwent_r(f, ent, buf, cap, (struct passwd **)res);
}

static ksm_status scan(const char *path, bool group, ksm_passwd_fn pw_fn,
		       ksm_group_fn gr_fn, void *ctx, ksm_error *err)
{
	size_t cap = LINE_BUF_START;
	union {
		struct passwd pw;
		struct group gr;
	} ent;
	void *res;
	char *buf, *bigger;
	ksm_status st = KSM_OK;
	FILE *f = fopen(path, "re");
	int rc;

	if (!f)
		return ksm_set_error(err, KSM_ERR_IO, "cannot read %s: %s",
				     path, strerror(errno));
	buf = malloc(cap);
	for (;;) {
		if (!buf) {
			st = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
			break;
		}
		rc = next_entry(f, group, &ent, buf, cap, &res);
		if (rc == ERANGE && cap < LINE_BUF_MAX) {
			cap *= 2;
			bigger = realloc(buf, cap);
			if (!bigger)
				free(buf);
			buf = bigger;
			continue;
		}
		if (rc != 0 || !res)
			break;
		if (group ? !gr_fn(res, ctx) : !pw_fn(res, ctx))
			break;
	}
	free(buf);
	fclose(f);
	return st;
}

ksm_status ksm_passwd_file_scan(const char *path, ksm_passwd_fn fn, void *ctx,
				ksm_error *err)
{
	return scan(path ? path : KSM_PASSWD_FILE, false, fn, NULL, ctx, err);
}

ksm_status ksm_group_file_scan(const char *path, ksm_group_fn fn, void *ctx,
			       ksm_error *err)
{
	return scan(path ? path : KSM_GROUP_FILE, true, NULL, fn, ctx, err);
}

struct find_name {
	const char *name;
	bool found;
	uid_t uid;
	gid_t gid;
};

static bool match_name(const struct passwd *pw, void *ctx)
{
	struct find_name *q = ctx;

	q->found = strcmp(pw->pw_name, q->name) == 0;
	if (q->found) {
		q->uid = pw->pw_uid;
		q->gid = pw->pw_gid;
	}
	return !q->found;
}

bool ksm_passwd_file_user(const char *path, const char *name, uid_t *uid,
			  gid_t *gid)
{
	struct find_name q = {name, false, 0, 0};

	if (!name ||
	    ksm_passwd_file_scan(path, match_name, &q, NULL) != KSM_OK ||
	    !q.found)
		return false;
	if (uid)
		*uid = q.uid;
	if (gid)
		*gid = q.gid;
	return true;
}

bool ksm_passwd_file_has(const char *path, const char *name)
{
	return ksm_passwd_file_user(path, name, NULL, NULL);
}
