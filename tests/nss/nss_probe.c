/* SPDX-License-Identifier: MIT */
/*
 * nss_probe - call libnss_ksm.so.2's entry points directly (dlopen), so that
 * tests see the NSS status and errno that glibc hides behind getent/id.
 *
 *   nss_probe MODULE CMD [ARGS] [CMD [ARGS]]...
 *
 * Commands (BUF: the buffer size handed to the module):
 *   pwnam NAME BUF | pwuid UID BUF | grnam NAME BUF | grgid GID BUF
 *   setpwent | getpwent BUF | endpwent | setgrent | getgrent BUF | endgrent
 *   allpw BUF | allgr BUF   enumerate to the end, doubling the buffer on
 *                           ERANGE and checking the retry gives the same entry
 *   initgroups USER GID SIZE LIMIT
 *   rename FROM TO          (replace the snapshot between two lookups)
 *   truncate PATH SIZE      (change the mapped file in place: shrink it,
 *   overwrite FROM TO        or copy FROM's bytes into TO as cp does)
 *
 * Each command prints "CMD: STATUS ERRNO[ ENTRY]", ENTRY as getent prints it.
 * Exit status 0 unless the arguments or the module are unusable.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum nss_status pwnam_fn(const char *, struct passwd *, char *, size_t,
				 int *);
typedef enum nss_status pwuid_fn(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status grnam_fn(const char *, struct group *, char *, size_t,
				 int *);
typedef enum nss_status grgid_fn(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status setent_fn(int);
typedef enum nss_status endent_fn(void);
typedef enum nss_status pwent_fn(struct passwd *, char *, size_t, int *);
typedef enum nss_status grent_fn(struct group *, char *, size_t, int *);
typedef enum nss_status initgroups_fn(const char *, gid_t, long int *,
				      long int *, gid_t **, long int, int *);

static void *mod;

static void *sym(const char *name)
{
	void *p = dlsym(mod, name);

	if (!p) {
		fprintf(stderr, "nss_probe: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static const char *status_name(enum nss_status st)
{
	switch (st) {
	case NSS_STATUS_SUCCESS:
		return "SUCCESS";
	case NSS_STATUS_NOTFOUND:
		return "NOTFOUND";
	case NSS_STATUS_UNAVAIL:
		return "UNAVAIL";
	case NSS_STATUS_TRYAGAIN:
		return "TRYAGAIN";
	case NSS_STATUS_RETURN:
		return "RETURN";
	default:
		return "?";
	}
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0:
		return "0";
	case ENOENT:
		return "ENOENT";
	case ERANGE:
		return "ERANGE";
	case ENOMEM:
		return "ENOMEM";
	case EIO:
		return "EIO";
	default:
		return "E?";
	}
}

static void print_pw(const char *cmd, enum nss_status st, int e,
		     const struct passwd *pw)
{
	printf("%s: %s %s", cmd, status_name(st), errno_name(e));
	if (st == NSS_STATUS_SUCCESS)
		printf(" %s:%s:%u:%u:%s:%s:%s", pw->pw_name, pw->pw_passwd,
		       (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, pw->pw_gecos,
		       pw->pw_dir, pw->pw_shell);
	putchar('\n');
}

static void print_gr(const char *cmd, enum nss_status st, int e,
		     const struct group *gr)
{
	printf("%s: %s %s", cmd, status_name(st), errno_name(e));
	if (st == NSS_STATUS_SUCCESS) {
		printf(" %s:%s:%u:", gr->gr_name, gr->gr_passwd,
		       (unsigned)gr->gr_gid);
		for (char **m = gr->gr_mem; *m; m++)
			printf("%s%s", m == gr->gr_mem ? "" : ",", *m);
	}
	putchar('\n');
}

/* A fresh buffer of exactly n bytes, so that a write past it shows under
 * ASan or valgrind. */
static char *buffer(size_t n)
{
	static char *b;

	free(b);
	b = malloc(n ? n : 1);
	if (!b)
		exit(2);
	return b;
}

static size_t num(const char *s)
{
	return (size_t)strtoull(s, NULL, 10);
}

/* Enumerate, doubling the buffer on ERANGE; the retry must give an entry
 * (the same one: the cursor must not move on ERANGE). */
static void all_pw(size_t n)
{
	setent_fn *set = sym("_nss_ksm_setpwent");
	pwent_fn *get = sym("_nss_ksm_getpwent_r");
	endent_fn *end = sym("_nss_ksm_endpwent");
	struct passwd pw;
	enum nss_status st;
	int e, count = 0, retries = 0;

	st = set(1);
	printf("setpwent: %s\n", status_name(st));
	for (;;) {
		char *b = buffer(n);

		e = 0;
		st = get(&pw, b, n, &e);
		if (st == NSS_STATUS_TRYAGAIN && e == ERANGE) {
			retries++;
			n *= 2;
			continue;
		}
		print_pw("getpwent", st, e, &pw);
		if (st != NSS_STATUS_SUCCESS)
			break;
		count++;
	}
	end();
	printf("allpw: %d entries, %d retries\n", count, retries);
}

static void all_gr(size_t n)
{
	setent_fn *set = sym("_nss_ksm_setgrent");
	grent_fn *get = sym("_nss_ksm_getgrent_r");
	endent_fn *end = sym("_nss_ksm_endgrent");
	struct group gr;
	enum nss_status st;
	int e, count = 0, retries = 0;

	st = set(1);
	printf("setgrent: %s\n", status_name(st));
	for (;;) {
		char *b = buffer(n);

		e = 0;
		st = get(&gr, b, n, &e);
		if (st == NSS_STATUS_TRYAGAIN && e == ERANGE) {
			retries++;
			n *= 2;
			continue;
		}
		print_gr("getgrent", st, e, &gr);
		if (st != NSS_STATUS_SUCCESS)
			break;
		count++;
	}
	end();
	printf("allgr: %d entries, %d retries\n", count, retries);
}

/* cp FROM TO over an existing TO: the same inode, truncated, rewritten. */
static int overwrite(const char *from, const char *to)
{
	char b[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_TRUNC);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, b, sizeof(b))) > 0)
		if (write(out, b, (size_t)n) != n) {
			n = -1;
			break;
		}
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		n = -1;
	return in < 0 || out < 0 || n < 0 ? -1 : 0;
}

static void probe_initgroups(const char *user, gid_t gid, long int size,
			     long int limit)
{
	initgroups_fn *f = sym("_nss_ksm_initgroups_dyn");
	long int start = 1;
	gid_t *groups = malloc((size_t)(size > 0 ? size : 1) * sizeof(gid_t));
	enum nss_status st;
	int e = 0;

	if (!groups)
		exit(2);
	groups[0] = gid; /* as glibc: the primary group is already there */
	if (size < 1)
		size = 1;
	st = f(user, gid, &start, &size, &groups, limit, &e);
	printf("initgroups: %s %s", status_name(st), errno_name(e));
	for (long int i = 0; i < start; i++)
		printf("%s%u", i ? "," : " ", (unsigned)groups[i]);
	printf(" (size %ld)\n", size);
	free(groups);
}

int main(int argc, char **argv)
{
	struct passwd pw;
	struct group gr;
	enum nss_status st;
	int e;

	if (argc < 3) {
		fprintf(stderr, "usage: nss_probe MODULE CMD [ARGS]...\n");
		return 2;
	}
	mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!mod) {
		fprintf(stderr, "nss_probe: %s\n", dlerror());
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *c = argv[i];
		int left = argc - i - 1;

#define NEED(n)                                                                \
	do {                                                                   \
		if (left < (n)) {                                              \
			fprintf(stderr, "nss_probe: %s needs %d args\n", c,    \
				(n));                                          \
			return 2;                                              \
		}                                                              \
	} while (0)
		e = 0;
		if (!strcmp(c, "pwnam")) {
			NEED(2);
			st = ((pwnam_fn *)sym("_nss_ksm_getpwnam_r"))(
				argv[i + 1], &pw, buffer(num(argv[i + 2])),
				num(argv[i + 2]), &e);
			print_pw(c, st, e, &pw);
			i += 2;
		} else if (!strcmp(c, "pwuid")) {
			NEED(2);
			st = ((pwuid_fn *)sym("_nss_ksm_getpwuid_r"))(
				(uid_t)num(argv[i + 1]), &pw,
				buffer(num(argv[i + 2])), num(argv[i + 2]), &e);
			print_pw(c, st, e, &pw);
			i += 2;
		} else if (!strcmp(c, "grnam")) {
			NEED(2);
			st = ((grnam_fn *)sym("_nss_ksm_getgrnam_r"))(
				argv[i + 1], &gr, buffer(num(argv[i + 2])),
				num(argv[i + 2]), &e);
			print_gr(c, st, e, &gr);
			i += 2;
		} else if (!strcmp(c, "grgid")) {
			NEED(2);
			st = ((grgid_fn *)sym("_nss_ksm_getgrgid_r"))(
				(gid_t)num(argv[i + 1]), &gr,
				buffer(num(argv[i + 2])), num(argv[i + 2]), &e);
			print_gr(c, st, e, &gr);
			i += 2;
		} else if (!strcmp(c, "setpwent") || !strcmp(c, "setgrent")) {
			st = ((setent_fn *)sym(
				c[3] == 'p' ? "_nss_ksm_setpwent"
					    : "_nss_ksm_setgrent"))(1);
			printf("%s: %s\n", c, status_name(st));
		} else if (!strcmp(c, "endpwent") || !strcmp(c, "endgrent")) {
			st = ((endent_fn *)sym(
				c[3] == 'p' ? "_nss_ksm_endpwent"
					    : "_nss_ksm_endgrent"))();
			printf("%s: %s\n", c, status_name(st));
		} else if (!strcmp(c, "getpwent")) {
			NEED(1);
			st = ((pwent_fn *)sym("_nss_ksm_getpwent_r"))(
				&pw, buffer(num(argv[i + 1])), num(argv[i + 1]),
				&e);
			print_pw(c, st, e, &pw);
			i += 1;
		} else if (!strcmp(c, "getgrent")) {
			NEED(1);
			st = ((grent_fn *)sym("_nss_ksm_getgrent_r"))(
				&gr, buffer(num(argv[i + 1])), num(argv[i + 1]),
				&e);
			print_gr(c, st, e, &gr);
			i += 1;
		} else if (!strcmp(c, "allpw")) {
			NEED(1);
			all_pw(num(argv[i + 1]));
			i += 1;
		} else if (!strcmp(c, "allgr")) {
			NEED(1);
			all_gr(num(argv[i + 1]));
			i += 1;
		} else if (!strcmp(c, "initgroups")) {
			NEED(4);
			probe_initgroups(argv[i + 1], (gid_t)num(argv[i + 2]),
					 (long)num(argv[i + 3]),
					 strtol(argv[i + 4], NULL, 10));
			i += 4;
		} else if (!strcmp(c, "rename")) {
			NEED(2);
			if (rename(argv[i + 1], argv[i + 2]) != 0) {
				perror("nss_probe: rename");
				return 2;
			}
			printf("rename: ok\n");
			i += 2;
		} else if (!strcmp(c, "truncate")) {
			NEED(2);
			if (truncate(argv[i + 1], (off_t)num(argv[i + 2])) !=
			    0) {
				perror("nss_probe: truncate");
				return 2;
			}
			printf("truncate: ok\n");
			i += 2;
		} else if (!strcmp(c, "overwrite")) {
			NEED(2);
			if (overwrite(argv[i + 1], argv[i + 2]) != 0) {
				perror("nss_probe: overwrite");
				return 2;
			}
			printf("overwrite: ok\n");
			i += 2;
		} else {
			fprintf(stderr, "nss_probe: unknown command %s\n", c);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
