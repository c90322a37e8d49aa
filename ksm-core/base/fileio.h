/* SPDX-License-Identifier: MIT */
/*
 * fileio.h - reading small files safely and replacing files atomically.
 */
#ifndef KSM_FILEIO_H
#define KSM_FILEIO_H

#include "base.h"

#include <sys/stat.h>
#include <sys/types.h>

/*
 * Write data to path atomically: a new file beside it (O_EXCL, mode),
 * fsync, rename over path, fsync the directory. On failure path is as it
 * was and the temporary file is gone.
 */
KSM_HIDDEN ksm_status ksm_atomic_write(const char *path, const void *data,
				       size_t len, mode_t mode, ksm_error *err);

/* The same, the new file getting group gid before it is filled. */
KSM_HIDDEN ksm_status ksm_atomic_write_group(const char *path, const void *data,
					     size_t len, mode_t mode, gid_t gid,
					     ksm_error *err);

/* The same with owner uid and group gid ((uid_t)-1, (gid_t)-1: the
 * writer's), given to the new file before it is filled. */
KSM_HIDDEN ksm_status ksm_atomic_write_owned(const char *path, const void *data,
					     size_t len, mode_t mode, uid_t uid,
					     gid_t gid, ksm_error *err);

/*
 * strerror(e), and for EROFS the likely cause and fix: a systemd sandbox
 * (ProtectSystem=) that leaves the place read-only. For the messages of
 * every write that may meet one (the snapshot, its status, the store).
 */
KSM_HIDDEN const char *ksm_write_error(int e);

/*
 * Read a whole regular file of at most max bytes (O_NOFOLLOW is not used:
 * admins symlink configs). *st (may be NULL) gets fstat of the open file.
 * *data is NUL-terminated; wipe it if it may hold secrets.
 */
KSM_HIDDEN ksm_status ksm_read_file(const char *path, size_t max, char **data,
				    size_t *len, struct stat *st,
				    ksm_error *err);

#endif
