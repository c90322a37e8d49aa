/* SPDX-License-Identifier: MIT */
/*
 * ksmd - the host's broker to Keeper Secrets Manager (ksmd(8)).
 *
 *   ksmd [--conf PATH] [--foreground]
 *
 * Under systemd it is socket activated (ksmd.socket hands over fd 3) and
 * runs as its own user; without systemd it makes ksm.conf's ksmd_socket
 * itself and, started as root, gives up root for ksmd_user once the
 * socket is bound. Its environment is its own: it is cleared at start, so
 * no proxy or TLS key-log variable reaches libcurl or OpenSSL.
 */
#include "ksmd.h"
#include "local_files.h"
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* LISTEN_FDS from systemd (sd_listen_fds(3) without libsystemd). */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (!pid || !fds || atol(pid) != (long)getpid() || atoi(fds) != 1)
		return -1;
	fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int own_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	char *dir, *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ksmd: ksmd_socket %s is too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	dir = strdup(path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		/* 0755 whatever the umask: the keys user must reach it. */
		if (mkdir(dir, 0755) == 0)
			chmod(dir, 0755);
		else if (errno != EEXIST)
			fprintf(stderr, "ksmd: cannot create %s: %s\n", dir,
				strerror(errno));
	}
	free(dir);
	/* A socket left by an earlier ksmd; never anything else. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(path, 0666) != 0 || listen(fd, 128) != 0) {
		fprintf(stderr, "ksmd: cannot listen on %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool drop_root(const ksm_settings *conf, const char *socket_path)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || !strcmp(conf->ksmd_user, "root"))
		return true;
	if (!ksm_passwd_file_user(NULL, conf->ksmd_user, &uid, &gid)) {
		fprintf(stderr,
			"ksmd: ksmd_user %s is not a local user: create it "
			"(systemd-sysusers) or set ksmd_user\n",
			conf->ksmd_user);
		return false;
	}
	if (socket_path && chown(socket_path, uid, gid) != 0)
		fprintf(stderr, "ksmd: chown %s: %s\n", socket_path,
			strerror(errno));
	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0 ||
	    setuid(0) == 0) {
		fprintf(stderr, "ksmd: cannot become %s: %s\n", conf->ksmd_user,
			strerror(errno));
		return false;
	}
	return true;
}

/* The offline store's directory (0700, ksmd's), if it is missing. */
static void make_store_dir(const char *path)
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			fprintf(stderr, "ksmd: cannot create %s: %s\n", dir,
				strerror(errno));
	}
	free(dir);
}

/* The file's mtime as "SECONDS.NANOSECONDS" ("0.000000000": missing). */
static void mtime_text(const char *path, char *out, size_t cap)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		sb.st_mtim = (struct timespec){0};
	snprintf(out, cap, "%lld.%09ld", (long long)sb.st_mtim.tv_sec,
		 sb.st_mtim.tv_nsec);
}

/* Which ksm.conf was read, and its mtime: read only now, at start. */
static void note_conf(struct ksmd *d)
{
	const char *path = d->conf_path ? d->conf_path : KSM_DEFAULT_CONF;

	if (!realpath(path, d->conf_real))
		snprintf(d->conf_real, sizeof(d->conf_real), "%s", path);
	mtime_text(path, d->conf_mtime, sizeof(d->conf_mtime));
}

bool ksmd_conf_changed(const struct ksmd *d)
{
	char now[sizeof(d->conf_mtime)];

	mtime_text(d->conf_path ? d->conf_path : KSM_DEFAULT_CONF, now,
		   sizeof(now));
	return strcmp(now, d->conf_mtime) != 0;
}

/* The proxy every request takes (never its password), and a warning when
 * ksm.conf shows that password to every local user. */
static void log_proxy(const struct ksmd *d)
{
	ksm_proxy_url p;
	unsigned mode;

	if (!d->conf->proxy || ksm_proxy_parse(d->conf->proxy, &p) != KSM_OK)
		return;
	ksmd_log(LOG_INFO,
		 "requests to Keeper go through the proxy %s (%zu no_proxy "
		 "entries)",
		 p.display, d->conf->n_no_proxy);
	ksm_proxy_url_clear(&p);
	if (ksm_proxy_password_exposed(d->conf_path, d->conf, &mode))
		ksmd_log(LOG_WARNING,
			 "%s holds the proxy's password and every local user "
			 "may read it (mode %04o): put the password in "
			 "proxy_password_file (0600, owned by %s) instead",
			 d->conf_path ? d->conf_path : KSM_DEFAULT_CONF, mode,
			 d->conf->ksmd_user);
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: ksmd [--conf PATH] [--foreground]\n"
		   "The host's broker to Keeper Secrets Manager; see "
		   "ksmd(8).\n");
	return rc;
}

int main(int argc, char **argv)
{
	struct ksmd d = {.keys_uid = (uid_t)-1};
	ksm_error err = {0};
	int lfd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--conf") && i + 1 < argc)
			d.conf_path = argv[++i];
		else if (!strcmp(argv[i], "--foreground"))
			d.foreground = true;
		else if (!strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		else
			return usage(stderr, 2);
	}
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	ksm_no_core_dumps(); /* the device key and every record it reads */
	ksmd_log_open(d.foreground);
	if (ksm_settings_load(d.conf_path, &d.conf, &err) != KSM_OK) {
		fprintf(stderr, "ksmd: %s\n", err.message);
		return 1;
	}
	note_conf(&d);
	lfd = activated_socket();
	if (lfd < 0)
		lfd = own_socket(d.conf->ksmd_socket);
	/* Nothing of the starter's environment reaches libcurl/OpenSSL. */
	clearenv();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (lfd < 0 || !drop_root(d.conf, d.conf->ksmd_socket))
		return 1;
	ksm_passwd_file_user(NULL, d.conf->keys_user, &d.keys_uid, NULL);
	make_store_dir(d.conf->private_store);
	if (ksmd_vault_init(&d, &err) != KSM_OK ||
	    ksmd_store_init(&d, &err) != KSM_OK) {
		fprintf(stderr, "ksmd: %s\n", err.message);
		return 1;
	}
	ksmd_stats_start();
	log_proxy(&d);
	ksmd_log(LOG_INFO, "listening on %s as uid %ld (keys_user %s)",
		 d.conf->ksmd_socket, (long)geteuid(), d.conf->keys_user);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED) {
				ksmd_log(LOG_ERR, "accept: %s",
					 strerror(errno));
				usleep(100 * 1000); /* EMFILE: no busy loop */
			}
			continue;
		}
		if (!ksmd_conn_start(&d, fd))
			close(fd);
	}
}
