/* SPDX-License-Identifier: MIT */
/*
 * local_files.h - reading /etc/passwd and /etc/group themselves, never
 * through NSS (which may be nss_ksm, and so the vault's own accounts).
 * Thread-safe (fgetpwent_r), libc only.
 */
#ifndef KSM_LOCAL_FILES_H
#define KSM_LOCAL_FILES_H

#include "defs.h"

#include <grp.h>
#include <pwd.h>

#define KSM_PASSWD_FILE "/etc/passwd"
#define KSM_GROUP_FILE	"/etc/group"

/* Called for each entry; return false to stop the scan. */
typedef bool (*ksm_passwd_fn)(const struct passwd *pw, void *ctx);
typedef bool (*ksm_group_fn)(const struct group *gr, void *ctx);

/* Each entry of a passwd-format file (path NULL: /etc/passwd). */
KSM_HIDDEN ksm_status ksm_passwd_file_scan(const char *path, ksm_passwd_fn fn,
					   void *ctx, ksm_error *err);
/* Each entry of a group-format file (path NULL: /etc/group). */
KSM_HIDDEN ksm_status ksm_group_file_scan(const char *path, ksm_group_fn fn,
					  void *ctx, ksm_error *err);
/* Is name a user of the passwd file (path NULL: /etc/passwd)? */
KSM_HIDDEN bool ksm_passwd_file_has(const char *path, const char *name);
/* Its uid and primary gid (either may be NULL); false if there is none. */
KSM_HIDDEN bool ksm_passwd_file_user(const char *path, const char *name,
				     uid_t *uid, gid_t *gid);

#endif
