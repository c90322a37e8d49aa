/* SPDX-License-Identifier: MIT */
/*
 * fileio.c - small-file reads and atomic replacement.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ksm_status write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return KSM_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return KSM_OK;
}

static void fsync_dir_of(const char *path)
{
	char *copy = ksm_strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

const char *ksm_write_error(int e)
{
	if (e == EROFS)
		return "Read-only file system (under a systemd unit with "
		       "ProtectSystem=, a path outside the unit's "
		       "ReadWritePaths= is read-only: add the directory to "
		       "ReadWritePaths= with 'systemctl edit UNIT', or keep "
		       "the default paths)";
	return strerror(e);
}

ksm_status ksm_atomic_write(const char *path, const void *data, size_t len,
			    mode_t mode, ksm_error *err)
{
	return ksm_atomic_write_group(path, data, len, mode, (gid_t)-1, err);
}

ksm_status ksm_atomic_write_group(const char *path, const void *data,
				  size_t len, mode_t mode, gid_t gid,
				  ksm_error *err)
{
	return ksm_atomic_write_owned(path, data, len, mode, (uid_t)-1, gid,
				      err);
}

ksm_status ksm_atomic_write_owned(const char *path, const void *data,
				  size_t len, mode_t mode, uid_t uid, gid_t gid,
				  ksm_error *err)
{
	char tmp[4096];
	int fd = -1, n;
	ksm_status st = KSM_ERR_IO;
	unsigned rnd = 0;

	for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
		if (getentropy(&rnd, sizeof(rnd)) != 0)
			rnd = (unsigned)getpid() + (unsigned)attempt;
		n = snprintf(tmp, sizeof(tmp), "%s.tmp.%08x", path, rnd);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "path too long: %s", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST)
			return ksm_set_error(err, KSM_ERR_IO,
					     "cannot create %s: %s", tmp,
					     ksm_write_error(errno));
	}
	if (fd < 0)
		return ksm_set_error(err, KSM_ERR_IO,
				     "cannot create a temporary file beside %s",
				     path);
	/* The owner and mode asked for (whatever the umask), before data. */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) != 0) {
		ksm_set_error(err, KSM_ERR_IO,
			      "cannot give %s owner %ld group %ld: %s", tmp,
			      uid == (uid_t)-1 ? -1L : (long)uid,
			      gid == (gid_t)-1 ? -1L : (long)gid,
			      strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != KSM_OK ||
	    fsync(fd) != 0) {
		ksm_set_error(err, KSM_ERR_IO, "cannot write %s: %s", tmp,
			      strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		ksm_set_error(err, KSM_ERR_IO, "cannot write %s: %s", tmp,
			      strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		ksm_set_error(err, KSM_ERR_IO, "cannot replace %s: %s", path,
			      ksm_write_error(errno));
		goto out;
	}
	fsync_dir_of(path);
	st = KSM_OK;
out:
	if (fd >= 0)
		close(fd);
	if (st != KSM_OK)
		unlink(tmp);
	return st;
}

ksm_status ksm_read_file(const char *path, size_t max, char **data, size_t *len,
			 struct stat *stp, ksm_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd;
	ksm_status ret = KSM_ERR_IO;

	*data = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ksm_set_error(
			err, errno == ENOENT ? KSM_ERR_NOT_FOUND : KSM_ERR_IO,
			"cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ksm_set_error(err, KSM_ERR_IO, "%s is not a regular file",
			      path);
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		ksm_set_error(err, KSM_ERR_IO, "%s is too large (%jd bytes)",
			      path, (intmax_t)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	if (stp)
		*stp = st;
	ret = KSM_OK;
out:
	free(buf);
	close(fd);
	return ret;
}

ksm_status ksm_write_file_atomic(const char *path, const void *data, size_t len,
				 unsigned mode, ksm_error *err)
{
	return ksm_atomic_write(path, data, len, (mode_t)mode, err);
}
