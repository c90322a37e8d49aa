/* SPDX-License-Identifier: MIT */
/*
 * nss_threads - many threads look users and groups up through
 * libnss_ksm.so.2 while another thread replaces the snapshot (write a temp
 * file, rename it over) again and again, alternating two versions.
 *
 *   nss_threads MODULE SNAPSHOT V1 V2 USERS GROUPS THREADS LOOKUPS REWRITES
 *
 * SNAPSHOT is the path the module reads (KSM_NSS_SNAPSHOT); it must hold V1
 * at the start. V1 and V2 (written by tests/nss/test_nss_threads.sh) have
 * USERS users u0000.. with uid 100000+i and GROUPS groups g00.. with gid
 * 300000+k; every field that can differ says which version it came from:
 *   v1: gecos "v1 uNNNN",        home /home/v1/uNNNN, shell /bin/v1,
 *       group gK members { u_i : i % GROUPS == K }
 *   v2: gecos "version-2 uNNNN", home /v2home/uNNNN,  shell /bin/v2sh,
 *       group gK members { u_i : i % GROUPS == (K + 1) % GROUPS }
 * Every answer must be wholly v1 or wholly v2 (never torn or mixed), every
 * lookup must succeed (the file always exists: rename is atomic), a short
 * buffer must give TRYAGAIN/ERANGE, and one more thread enumerates passwd
 * over and over: each enumeration must be complete and from one version.
 * Prints the figures; exits 1 on any wrong answer.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

static pwnam_fn *getpwnam_k;
static pwuid_fn *getpwuid_k;
static grnam_fn *getgrnam_k;
static grgid_fn *getgrgid_k;
static setent_fn *setpwent_k;
static pwent_fn *getpwent_k;
static endent_fn *endpwent_k;

static int n_users, n_groups, n_threads;
static long n_lookups;
static int n_rewrites;
static const char *snap_path;
static char *ver_data[2];
static size_t ver_len[2];

static atomic_long done_lookups;
static atomic_long count_v[3]; /* by version */
static atomic_long count_bad, count_unavail, count_erange, count_enum;
static atomic_int readers_left;
static atomic_int rewrites_done;

#define BUFLEN 4096

static void bad(const char *what, const char *detail)
{
	static atomic_int shown;

	atomic_fetch_add(&count_bad, 1);
	if (atomic_fetch_add(&shown, 1) < 10)
		fprintf(stderr, "nss_threads: wrong answer: %s: %s\n", what,
			detail);
}

/* The version a passwd entry says it is from (1, 2), or 0 if torn. */
static int pw_version(const struct passwd *pw, int i)
{
	char name[16], want[64];
	int v;

	snprintf(name, sizeof(name), "u%04d", i);
	if (strcmp(pw->pw_name, name) != 0 || pw->pw_uid != 100000u + i ||
	    pw->pw_gid != 100000u + i || strcmp(pw->pw_passwd, "x") != 0)
		return 0;
	if (!strncmp(pw->pw_gecos, "v1 ", 3))
		v = 1;
	else if (!strncmp(pw->pw_gecos, "version-2 ", 10))
		v = 2;
	else
		return 0;
	snprintf(want, sizeof(want), v == 1 ? "v1 %s" : "version-2 %s", name);
	if (strcmp(pw->pw_gecos, want) != 0)
		return 0;
	snprintf(want, sizeof(want), v == 1 ? "/home/v1/%s" : "/v2home/%s",
		 name);
	if (strcmp(pw->pw_dir, want) != 0)
		return 0;
	if (strcmp(pw->pw_shell, v == 1 ? "/bin/v1" : "/bin/v2sh") != 0)
		return 0;
	return v;
}

static int gr_version(const struct group *gr, int k)
{
	char name[16];
	int n = 0, v = 0;

	snprintf(name, sizeof(name), "g%02d", k);
	if (strcmp(gr->gr_name, name) != 0 || gr->gr_gid != 300000u + k)
		return 0;
	for (char **m = gr->gr_mem; *m; m++, n++) {
		int i = atoi(*m + 1), mv;

		if (i % n_groups == k)
			mv = 1;
		else if (i % n_groups == (k + 1) % n_groups)
			mv = 2;
		else
			return 0;
		if (v && mv != v)
			return 0; /* mixed */
		v = mv;
	}
	/* The member count must be the whole set of that version. */
	{
		int want = 0, kk = v == 2 ? (k + 1) % n_groups : k;

		for (int i = 0; i < n_users; i++)
			want += i % n_groups == kk;
		if (n != want)
			return 0;
	}
	return v;
}

static void *reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	char *buf = malloc(BUFLEN);
	struct passwd pw;
	struct group gr;

	if (!buf)
		abort();
	for (long n = 0; n < n_lookups; n++) {
		int op = rand_r(&seed) % 8, e = 0, v;
		int i = rand_r(&seed) % n_users, k = rand_r(&seed) % n_groups;
		/* Every 16th lookup first with a buffer far too small. */
		size_t len = n % 16 == 0 ? 8 : BUFLEN;
		char name[16], detail[64];
		enum nss_status st;

	again:
		if (op < 6) {
			snprintf(name, sizeof(name), "u%04d", i);
			st = op < 4 ? getpwnam_k(name, &pw, buf, len, &e)
				    : getpwuid_k(100000 + i, &pw, buf, len, &e);
		} else {
			snprintf(name, sizeof(name), "g%02d", k);
			st = op == 6 ? getgrnam_k(name, &gr, buf, len, &e)
				     : getgrgid_k(300000 + k, &gr, buf, len,
						  &e);
		}
		if (len < BUFLEN) {
			if (st == NSS_STATUS_TRYAGAIN && e == ERANGE)
				atomic_fetch_add(&count_erange, 1);
			else
				bad(name, "short buffer without ERANGE");
			len = BUFLEN;
			goto again;
		}
		if (st != NSS_STATUS_SUCCESS) {
			snprintf(detail, sizeof(detail), "status %d errno %d",
				 st, e);
			if (st == NSS_STATUS_UNAVAIL)
				atomic_fetch_add(&count_unavail, 1);
			bad(name, detail);
			continue;
		}
		v = op < 6 ? pw_version(&pw, i) : gr_version(&gr, k);
		if (!v)
			bad(name, "torn or mixed answer");
		atomic_fetch_add(&count_v[v], 1);
		atomic_fetch_add_explicit(&done_lookups, 1,
					  memory_order_relaxed);
	}
	free(buf);
	atomic_fetch_sub(&readers_left, 1);
	return NULL;
}

/* Whole enumerations, each complete and from one version. */
static void *enumerator(void *arg)
{
	char *buf = malloc(BUFLEN);
	struct passwd pw;

	if (!buf)
		abort();
	while (atomic_load(&readers_left) > 0) {
		int n = 0, v = 0, e = 0;
		enum nss_status st;

		if (setpwent_k(0) != NSS_STATUS_SUCCESS) {
			bad("setpwent", "not SUCCESS");
			break;
		}
		while ((st = getpwent_k(&pw, buf, BUFLEN, &e)) ==
		       NSS_STATUS_SUCCESS) {
			int pv = pw_version(&pw, n);

			if (!pv || (v && pv != v))
				bad(pw.pw_name, "enumeration torn or mixed");
			v = pv;
			n++;
		}
		endpwent_k();
		if (st != NSS_STATUS_NOTFOUND || n != n_users)
			bad("getpwent", "enumeration incomplete");
		atomic_fetch_add(&count_enum, 1);
	}
	free(buf);
	return NULL;
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0) {
		perror("nss_threads: write");
		exit(2);
	}
}

static void *rewriter(void *arg)
{
	char tmp[4096];
	long total = (long)n_threads * n_lookups;

	snprintf(tmp, sizeof(tmp), "%s.tmp", snap_path);
	for (int r = 0; r < n_rewrites; r++) {
		/* Spread the rewrites over the whole run. */
		long due = total * (r + 1) / (n_rewrites + 1);

		while (atomic_load_explicit(&done_lookups,
					    memory_order_relaxed) < due &&
		       atomic_load(&readers_left) > 0)
			usleep(200);
		write_file(tmp, ver_data[(r + 1) % 2], ver_len[(r + 1) % 2]);
		if (rename(tmp, snap_path) != 0) {
			perror("nss_threads: rename");
			exit(2);
		}
		atomic_fetch_add(&rewrites_done, 1);
	}
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *d;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !(d = malloc(st.st_size)) ||
	    read(fd, d, st.st_size) != st.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	*len = (size_t)st.st_size;
	return d;
}

static void *need(void *mod, const char *name)
{
	void *p = dlsym(mod, name);

	if (!p) {
		fprintf(stderr, "nss_threads: %s\n", dlerror());
		exit(2);
	}
	return p;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pthread_t *th, en, rw;
	double secs;
	void *mod;

	if (argc != 10) {
		fprintf(stderr,
			"usage: nss_threads MODULE SNAPSHOT V1 V2 USERS "
			"GROUPS THREADS LOOKUPS REWRITES\n");
		return 2;
	}
	mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!mod) {
		fprintf(stderr, "nss_threads: %s\n", dlerror());
		return 2;
	}
	getpwnam_k = need(mod, "_nss_ksm_getpwnam_r");
	getpwuid_k = need(mod, "_nss_ksm_getpwuid_r");
	getgrnam_k = need(mod, "_nss_ksm_getgrnam_r");
	getgrgid_k = need(mod, "_nss_ksm_getgrgid_r");
	setpwent_k = need(mod, "_nss_ksm_setpwent");
	getpwent_k = need(mod, "_nss_ksm_getpwent_r");
	endpwent_k = need(mod, "_nss_ksm_endpwent");
	snap_path = argv[2];
	ver_data[0] = slurp(argv[3], &ver_len[0]);
	ver_data[1] = slurp(argv[4], &ver_len[1]);
	n_users = atoi(argv[5]);
	n_groups = atoi(argv[6]);
	n_threads = atoi(argv[7]);
	n_lookups = atol(argv[8]);
	n_rewrites = atoi(argv[9]);
	if (n_users < 1 || n_groups < 1 || n_threads < 1 || n_lookups < 1)
		return 2;
	th = calloc((size_t)n_threads, sizeof(*th));
	if (!th)
		return 2;
	atomic_store(&readers_left, n_threads);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < n_threads; t++)
		if (pthread_create(&th[t], NULL, reader, (void *)(uintptr_t)t))
			return 2;
	if (pthread_create(&en, NULL, enumerator, NULL) ||
	    pthread_create(&rw, NULL, rewriter, NULL))
		return 2;
	for (int t = 0; t < n_threads; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(en, NULL);
	pthread_join(rw, NULL);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("threads %d x lookups %ld = %ld in %.2f s (%.0f lookups/s), "
	       "rewrites %d\n",
	       n_threads, n_lookups, (long)n_threads * n_lookups, secs,
	       (double)n_threads * (double)n_lookups / secs,
	       atomic_load(&rewrites_done));
	printf("answers v1 %ld, v2 %ld; short-buffer ERANGE %ld; whole "
	       "enumerations %ld\n",
	       atomic_load(&count_v[1]), atomic_load(&count_v[2]),
	       atomic_load(&count_erange), atomic_load(&count_enum));
	printf("wrong %ld (unavailable %ld)\n", atomic_load(&count_bad),
	       atomic_load(&count_unavail));
	free(th);
	free(ver_data[0]);
	free(ver_data[1]);
	return atomic_load(&count_bad) == 0 &&
			       atomic_load(&rewrites_done) == n_rewrites
		       ? 0
		       : 1;
}
