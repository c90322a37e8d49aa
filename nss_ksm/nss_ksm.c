/* SPDX-License-Identifier: MIT */
/*
 * nss_ksm.c - glibc NSS entry points of libnss_ksm.so.2: vault users and
 * groups from the snapshot that ksmctl sync writes (nsswitch.conf:
 * "passwd: files ksm", "group: files ksm").
 *
 * Status discipline (what glibc and nss_files do):
 *   found                      NSS_STATUS_SUCCESS
 *   no such entry, end of enum NSS_STATUS_NOTFOUND, *errnop = ENOENT
 *   caller's buffer too small  NSS_STATUS_TRYAGAIN, *errnop = ERANGE (glibc
 *                              retries with a bigger one; an enumeration
 *                              returns the same entry again)
 *   snapshot missing,          NSS_STATUS_UNAVAIL, *errnop = ENOENT
 *   unreadable, corrupt, from
 *   a newer version; the entry
 *   (or the index leading to
 *   it, or a section an
 *   enumeration walks) damaged
 *   out of memory (initgroups) NSS_STATUS_TRYAGAIN, *errnop = ENOMEM
 *
 * Why ENOENT with UNAVAIL: the status tells glibc the source could not
 * answer; the errno is what getpwnam_r() returns to the program when ksm is
 * the last source and nobody found the name. ENOENT is one of the values
 * POSIX programs take for "no such user", so a host whose snapshot is
 * missing or damaged behaves as if it had no vault users, and a lookup of a
 * local-only name (useradd, ls -l with a stray uid) is not turned into a
 * hard error; EIO there breaks programs that treat any error as fatal. The
 * damage is reported by ksmctl status and the keys helper, which read the
 * same file; the module itself never prints (nss_wrapper/nss-pam-ldapd do
 * the same for an unreachable backend).
 *
 * Groups marked local in the snapshot (vault users' membership in a group of
 * /etc/group such as sudo) hold only their vault members. getgrnam/getgrgid
 * answer them, so that "group: files [SUCCESS=merge] ksm" shows
 * sudo:x:27:localuser,alice (with plain "files ksm" the files entry wins and
 * ours is never asked). Enumeration skips them: files lists them already, and
 * a second "sudo" line with only vault members would mislead tools that build
 * a name -> members map from getent group. The membership reaches processes
 * through initgroups_dyn, which returns all of a user's supplementary gids,
 * local and vault (initgroups, getgrouplist, id, sshd, sudo, setpriv).
 *
 * Users whose valid_until has passed are still resolved (files they own
 * keep their owner's name); pam_ksm's account stage refuses the login.
 */
#include "nss_ksm.h"

#include <errno.h>
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

extern nss_getpwnam_r _nss_ksm_getpwnam_r EXPORT;
extern nss_getpwuid_r _nss_ksm_getpwuid_r EXPORT;
extern nss_setpwent _nss_ksm_setpwent EXPORT;
extern nss_getpwent_r _nss_ksm_getpwent_r EXPORT;
extern nss_endpwent _nss_ksm_endpwent EXPORT;
extern nss_getgrnam_r _nss_ksm_getgrnam_r EXPORT;
extern nss_getgrgid_r _nss_ksm_getgrgid_r EXPORT;
extern nss_setgrent _nss_ksm_setgrent EXPORT;
extern nss_getgrent_r _nss_ksm_getgrent_r EXPORT;
extern nss_endgrent _nss_ksm_endgrent EXPORT;
extern nss_initgroups_dyn _nss_ksm_initgroups_dyn EXPORT;

static enum nss_status unavail(int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_UNAVAIL;
}

static enum nss_status notfound(int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

static enum nss_status filled(int rc, int *errnop)
{
	if (rc == 0)
		return NSS_STATUS_SUCCESS;
	*errnop = rc;
	return NSS_STATUS_TRYAGAIN;
}

/* getpw{nam,uid}_r, getgr{nam,gid}_r: one lookup in one snapshot. */
enum key_kind { BY_NAME, BY_ID };
enum db { PASSWD, GROUP };

/* Find the entry and fill out (a struct passwd or struct group). */
static ksm_snap_found find_fill(const ksm_snap *s, enum db db,
				enum key_kind kind, const char *name,
				uint32_t id, void *out, char *buf,
				size_t buflen, int *rc)
{
	const struct ksm_snap_user *u = NULL;
	const struct ksm_snap_group *g = NULL;
	ksm_snap_found f = KSM_SNAP_NOTFOUND;

	if (db == PASSWD && kind == BY_ID)
		f = ksm_snap_find_user_by_uid(s, id, &u);
	else if (db == PASSWD && name)
		f = ksm_snap_find_user_by_name(s, name, &u);
	else if (db == GROUP && kind == BY_ID)
		f = ksm_snap_find_group_by_gid(s, id, &g);
	else if (db == GROUP && name)
		f = ksm_snap_find_group_by_name(s, name, &g);
	*rc = 0;
	if (u)
		*rc = ksm_nss_fill_passwd(s, u, out, buf, buflen);
	else if (g)
		*rc = ksm_nss_fill_group(s, g, out, buf, buflen);
	return f;
}

/* A damaged entry (or the bucket that leads to it) is answered as a
 * damaged snapshot is: this source cannot answer. */
static enum nss_status lookup(enum db db, enum key_kind kind, const char *name,
			      uint32_t id, void *out, char *buf, size_t buflen,
			      int *errnop)
{
	struct ksm_nss_map *m;
	ksm_snap_status st;
	enum nss_status ret;
	ksm_snap_found f;
	int rc;

	m = ksm_nss_acquire(&st);
	if (!m)
		return unavail(errnop);
	f = find_fill(ksm_nss_snap(m), db, kind, name, id, out, buf, buflen,
		      &rc);
	ret = f == KSM_SNAP_FOUND     ? filled(rc, errnop)
	      : f == KSM_SNAP_DAMAGED ? unavail(errnop)
				      : notfound(errnop);
	ksm_nss_release(m);
	return ret;
}

enum nss_status _nss_ksm_getpwnam_r(const char *name, struct passwd *pw,
				    char *buf, size_t buflen, int *errnop)
{
	return lookup(PASSWD, BY_NAME, name, 0, pw, buf, buflen, errnop);
}

enum nss_status _nss_ksm_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
				    size_t buflen, int *errnop)
{
	return lookup(PASSWD, BY_ID, NULL, uid, pw, buf, buflen, errnop);
}

enum nss_status _nss_ksm_getgrnam_r(const char *name, struct group *gr,
				    char *buf, size_t buflen, int *errnop)
{
	return lookup(GROUP, BY_NAME, name, 0, gr, buf, buflen, errnop);
}

enum nss_status _nss_ksm_getgrgid_r(gid_t gid, struct group *gr, char *buf,
				    size_t buflen, int *errnop)
{
	return lookup(GROUP, BY_ID, NULL, gid, gr, buf, buflen, errnop);
}

/* Enumeration: users in uid order, vault groups in gid order. */
static int pwent_fill(const ksm_snap *s, uint32_t *pos, void *result, char *buf,
		      size_t buflen)
{
	const struct ksm_snap_user *u;

	switch (ksm_snap_user_at(s, *pos, &u)) {
	case KSM_SNAP_FOUND:
		return ksm_nss_fill_passwd(s, u, result, buf, buflen);
	case KSM_SNAP_NOTFOUND:
		return ENOENT;
	default:
		return EIO;
	}
}

static int grent_fill(const ksm_snap *s, uint32_t *pos, void *result, char *buf,
		      size_t buflen)
{
	const struct ksm_snap_group *g;
	ksm_snap_found f;

	while ((f = ksm_snap_group_at(s, *pos, &g)) == KSM_SNAP_FOUND &&
	       g->local)
		(*pos)++;
	if (f == KSM_SNAP_FOUND)
		return ksm_nss_fill_group(s, g, result, buf, buflen);
	return f == KSM_SNAP_NOTFOUND ? ENOENT : EIO;
}

enum nss_status _nss_ksm_setpwent(int stayopen)
{
	return ksm_nss_setent(KSM_NSS_PASSWD);
}

enum nss_status _nss_ksm_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
				    int *errnop)
{
	return ksm_nss_getent(KSM_NSS_PASSWD, pwent_fill, pw, buf, buflen,
			      errnop);
}

enum nss_status _nss_ksm_endpwent(void)
{
	ksm_nss_endent(KSM_NSS_PASSWD);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_ksm_setgrent(int stayopen)
{
	return ksm_nss_setent(KSM_NSS_GROUP);
}

enum nss_status _nss_ksm_getgrent_r(struct group *gr, char *buf, size_t buflen,
				    int *errnop)
{
	return ksm_nss_getent(KSM_NSS_GROUP, grent_fill, gr, buf, buflen,
			      errnop);
}

enum nss_status _nss_ksm_endgrent(void)
{
	ksm_nss_endent(KSM_NSS_GROUP);
	return NSS_STATUS_SUCCESS;
}

/*
 * A user's supplementary groups (glibc's initgroups, getgrouplist, id): the
 * gids the snapshot lists for the user, local ones (sudo) and vault ones.
 * SUCCESS when the user is a vault user, even with no groups; glibc asks the
 * next source either way.
 */
enum nss_status _nss_ksm_initgroups_dyn(const char *user, gid_t group,
					long int *start, long int *size,
					gid_t **groupsp, long int limit,
					int *errnop)
{
	const struct ksm_snap_user *u = NULL;
	struct ksm_nss_map *m;
	const ksm_snap *s;
	ksm_snap_status st;
	enum nss_status ret;
	ksm_snap_found f;
	int rc;

	m = ksm_nss_acquire(&st);
	if (!m)
		return unavail(errnop);
	s = ksm_nss_snap(m);
	f = user ? ksm_snap_find_user_by_name(s, user, &u) : KSM_SNAP_NOTFOUND;
	if (f == KSM_SNAP_DAMAGED) {
		ret = unavail(errnop);
	} else if (f == KSM_SNAP_NOTFOUND) {
		ret = notfound(errnop);
	} else {
		rc = ksm_nss_add_groups(s, u, group, start, size, groupsp,
					limit);
		if (rc == 0) {
			ret = NSS_STATUS_SUCCESS;
		} else {
			*errnop = rc;
			ret = NSS_STATUS_TRYAGAIN;
		}
	}
	ksm_nss_release(m);
	return ret;
}
