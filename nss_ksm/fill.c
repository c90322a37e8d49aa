/* SPDX-License-Identifier: MIT */
/*
 * fill.c - snapshot entries into struct passwd / struct group and the
 * caller's buffer. Everything the caller gets points into its own buffer,
 * never into the mapping: the mapping may be replaced and unmapped as soon
 * as the lookup returns. The entries come checked from the reader; every
 * index is bounded again here all the same (ksm_snap_str too), so that not
 * even a file rewritten in place during the copy makes it read elsewhere.
 */
#include "nss_ksm.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * pw_passwd and gr_passwd are "x", as in a shadowed /etc/passwd: the
 * password is not here. It lives in the vault (rotated by KeeperPAM) and
 * pam_ksm checks it; nss_ksm provides no shadow database, so anything that
 * reads the hash through NSS (pam_unix) finds none and fails closed. "x" is
 * what admins and tools expect for "look elsewhere"; "*" would suggest a
 * locked account to tools like passwd -S.
 */
static const char no_password[] = "x";

struct packer {
	char *p;
	size_t left;
};

static char *put_str(struct packer *k, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (n > k->left)
		return NULL;
	d = memcpy(k->p, s, n);
	k->p += n;
	k->left -= n;
	return d;
}

static void *put_array(struct packer *k, size_t n, size_t size, size_t align)
{
	size_t pad = (align - (uintptr_t)k->p % align) % align;
	void *d;

	if (pad > k->left || n > (k->left - pad) / size)
		return NULL;
	d = k->p + pad;
	k->p += pad + n * size;
	k->left -= pad + n * size;
	return d;
}

int ksm_nss_fill_passwd(const ksm_snap *s, const struct ksm_snap_user *u,
			struct passwd *pw, char *buf, size_t buflen)
{
	struct packer k = {buf, buflen};

	pw->pw_name = put_str(&k, ksm_snap_str(s, u->name));
	pw->pw_passwd = put_str(&k, no_password);
	pw->pw_gecos = put_str(&k, ksm_snap_str(s, u->gecos));
	pw->pw_dir = put_str(&k, ksm_snap_str(s, u->home));
	pw->pw_shell = put_str(&k, ksm_snap_str(s, u->shell));
	pw->pw_uid = u->uid;
	pw->pw_gid = u->gid;
	if (!pw->pw_name || !pw->pw_passwd || !pw->pw_gecos || !pw->pw_dir ||
	    !pw->pw_shell)
		return ERANGE;
	return 0;
}

int ksm_nss_fill_group(const ksm_snap *s, const struct ksm_snap_group *g,
		       struct group *gr, char *buf, size_t buflen)
{
	struct packer k = {buf, buflen};
	char **mem;

	/* The member pointers first: they need alignment, strings do not. */
	mem = put_array(&k, (size_t)g->n_members + 1, sizeof(char *),
			_Alignof(char *));
	if (!mem)
		return ERANGE;
	for (uint32_t i = 0; i < g->n_members; i++) {
		size_t at = (size_t)g->members + i;
		uint32_t who = at < s->n_ids ? s->ids[at] : UINT32_MAX;

		mem[i] = put_str(&k,
				 who < s->n_users
					 ? ksm_snap_str(s, s->users[who].name)
					 : "");
		if (!mem[i])
			return ERANGE;
	}
	mem[g->n_members] = NULL;
	gr->gr_name = put_str(&k, ksm_snap_str(s, g->name));
	gr->gr_passwd = put_str(&k, no_password);
	gr->gr_gid = g->gid;
	gr->gr_mem = mem;
	if (!gr->gr_name || !gr->gr_passwd)
		return ERANGE;
	return 0;
}

static bool has_gid(const gid_t *list, long int n, gid_t gid)
{
	for (long int i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

int ksm_nss_add_groups(const ksm_snap *s, const struct ksm_snap_user *u,
		       gid_t skip, long int *start, long int *size,
		       gid_t **groupsp, long int limit)
{
	for (uint32_t i = 0;
	     i < u->n_groups && (size_t)u->groups + i < s->n_ids; i++) {
		gid_t gid = s->ids[u->groups + i];

		if (gid == skip || has_gid(*groupsp, *start, gid))
			continue;
		if (*start >= *size) {
			long int n = *size <= 0		    ? 16
				     : *size > LONG_MAX / 2 ? LONG_MAX
							    : *size * 2;
			gid_t *grown;

			if (limit > 0 && *size >= limit)
				return 0; /* full: glibc wants no more */
			if (limit > 0 && n > limit)
				n = limit;
			if ((unsigned long)n > SIZE_MAX / sizeof(gid_t))
				return ENOMEM;
			/* The one allocation initgroups_dyn's contract asks
			 * for. */
			grown = realloc(*groupsp, (size_t)n * sizeof(gid_t));
			if (!grown)
				return ENOMEM;
			*groupsp = grown;
			*size = n;
		}
		(*groupsp)[(*start)++] = gid;
	}
	return 0;
}
