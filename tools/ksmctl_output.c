/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_output.c - the files ksmctl writes secrets into (interpolate,
 * secret download): replaced atomically (a reader sees the old file or the
 * new one, never a part), with the mode asked for whatever the umask, and
 * the owner and group of the file they replace.
 */
#include "fileio.h"
#include "ksmctl.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool ksmctl_parse_mode(const char *s, unsigned *mode)
{
	char *end;
	unsigned long v;

	if (!s || !*s || strspn(s, "01234567") != strlen(s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return false;
	*mode = (unsigned)v;
	return true;
}

/*
 * May the new file take like's owner and group? Not when someone else
 * could have put the old file there: in a directory that group or
 * others may write (/tmp), a file planted by a user would otherwise be
 * handed the secrets. Then the writer keeps it, and says so.
 */
static bool owner_trusted(const char *path, const struct stat *like)
{
	char *copy = strdup(path);
	struct stat dir;
	bool ok;

	if (like->st_uid == geteuid() && like->st_gid == getegid()) {
		free(copy);
		return true;
	}
	ok = copy && stat(dirname(copy), &dir) == 0 &&
	     !(dir.st_mode & (S_IWGRP | S_IWOTH));
	if (!ok)
		fprintf(stderr,
			"ksmctl: %s: its directory is writable by others: "
			"not keeping its owner (uid %ld, gid %ld)\n",
			path, (long)like->st_uid, (long)like->st_gid);
	free(copy);
	return ok;
}

ksm_status ksmctl_write_file(const char *path, const void *data, size_t len,
			     unsigned mode, const struct stat *like,
			     ksm_error *err)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	struct stat st;

	if (!strcmp(path, "-")) {
		if ((len && fwrite(data, 1, len, stdout) != len) ||
		    fflush(stdout) != 0)
			return ksm_set_error(err, KSM_ERR_IO,
					     "cannot write to standard "
					     "output: %s",
					     strerror(errno));
		return KSM_OK;
	}
	if (lstat(path, &st) == 0) {
		/* rename would replace the link, not what it points to. */
		if (S_ISLNK(st.st_mode))
			return ksm_set_error(err, KSM_ERR_IO,
					     "%s is a symbolic link: name the "
					     "file it points to",
					     path);
		if (!S_ISREG(st.st_mode))
			return ksm_set_error(err, KSM_ERR_IO,
					     "%s is not a regular file", path);
		if (!like)
			like = &st;
	} else if (errno != ENOENT) {
		return ksm_set_error(err, KSM_ERR_IO, "cannot use %s: %s", path,
				     strerror(errno));
	}
	if (like && !owner_trusted(path, like))
		like = NULL;
	if (like && like->st_uid != geteuid())
		uid = like->st_uid;
	if (like && like->st_gid != getegid())
		gid = like->st_gid;
	return ksm_atomic_write_owned(path, data, len, (mode_t)mode, uid, gid,
				      err);
}
