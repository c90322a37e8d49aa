/* SPDX-License-Identifier: MIT */
/*
 * nss_ksm.h - internals of libnss_ksm.so.2 (not installed).
 *
 * map.c     the shared, reference-counted mapping of the snapshot
 * fill.c    copying snapshot entries into the caller's struct and buffer
 * nss_ksm.c the glibc NSS entry points (the only exported symbols)
 */
#ifndef NSS_KSM_H
#define NSS_KSM_H

#include "snapshot_reader.h"

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <sys/types.h>

#ifndef KSM_NSS_SNAPSHOT_PATH
#define KSM_NSS_SNAPSHOT_PATH "/var/lib/ksm/snapshot"
#endif

/* Tests only: secure_getenv, so ignored in setuid/setgid programs. */
#define KSM_NSS_SNAPSHOT_ENV "KSM_NSS_SNAPSHOT"

/*
 * fill.c. Each returns 0, or ERANGE when buf is too small (the caller's
 * structs are then unspecified and the caller retries with a bigger buffer).
 */
int ksm_nss_fill_passwd(const ksm_snap *s, const struct ksm_snap_user *u,
			struct passwd *pw, char *buf, size_t buflen);
int ksm_nss_fill_group(const ksm_snap *s, const struct ksm_snap_group *g,
		       struct group *gr, char *buf, size_t buflen);
/*
 * The initgroups_dyn contract: append u's supplementary gids to
 * (*groupsp)[*start..], skipping skip and gids already present, growing the
 * array with realloc up to limit (limit <= 0: no limit). Returns 0 or
 * ENOMEM (the gids added so far stay).
 */
int ksm_nss_add_groups(const ksm_snap *s, const struct ksm_snap_user *u,
		       gid_t skip, long int *start, long int *size,
		       gid_t **groupsp, long int limit);

/* map.c */
struct ksm_nss_map;

/*
 * The current snapshot, re-mapped first if the file was replaced; the
 * returned reference keeps the mapping alive until ksm_nss_release. On
 * failure returns NULL and sets *st (MISSING, CORRUPT, NEWER or IO).
 */
struct ksm_nss_map *ksm_nss_acquire(ksm_snap_status *st);
void ksm_nss_release(struct ksm_nss_map *m);
const ksm_snap *ksm_nss_snap(const struct ksm_nss_map *m);

/* Enumeration cursors (one per database, process-wide, as nss_files). */
enum ksm_nss_db { KSM_NSS_PASSWD, KSM_NSS_GROUP, KSM_NSS_NDB };

/* setXXent: restart db's cursor on the current snapshot. */
enum nss_status ksm_nss_setent(enum ksm_nss_db db);
/* endXXent: drop the cursor and its reference. */
void ksm_nss_endent(enum ksm_nss_db db);
/*
 * getXXent_r: under the module lock, call fill(snap, pos, ...) for the
 * cursor's position and advance past it when it returns 0. fill returns 0,
 * ERANGE, ENOENT for "position pos is past the end" or EIO for "the entry
 * is damaged" (UNAVAIL); it may skip entries by advancing *pos itself.
 */
typedef int ksm_nss_ent_fill(const ksm_snap *s, uint32_t *pos, void *result,
			     char *buf, size_t buflen);
enum nss_status ksm_nss_getent(enum ksm_nss_db db, ksm_nss_ent_fill *fill,
			       void *result, char *buf, size_t buflen,
			       int *errnop);

#endif
