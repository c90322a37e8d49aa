/* SPDX-License-Identifier: MIT */
/*
 * nss-bench.c - nss_ksm against nss_files in one process (bench/run-nss.sh).
 *
 *   nss-bench [options] KSM_SO FILES_SO
 *
 * dlopens both modules (RTLD_NOW | RTLD_LOCAL) and calls their entry points
 * directly, as glibc's NSS does: _nss_ksm_getpwnam_r and
 * _nss_files_getpwnam_r (in glibc >= 2.34 the files module lives in libc.so.6;
 * dlsym through the libnss_files.so.2 handle finds it there), then
 * setpwent/getpwent_r/endpwent. nss_files reads /etc/passwd, so run this in
 * a mount namespace where a test passwd is bind-mounted there; nss_ksm reads
 * KSM_NSS_SNAPSHOT.
 *
 * Accounts are PREFIX%06d for i = 1..NUSERS with uid UIDBASE+i (what
 * run-nss.sh generates). Lookups are of uniformly random users (xorshift64,
 * fixed seed; each module gets its own sequence), each call timed on its own
 * with CLOCK_MONOTONIC and checked (SUCCESS, name, uid). The two modules take
 * turns: ROUNDS rounds, each a batch of KSM_N/ROUNDS ksm lookups and
 * FILES_N/ROUNDS files lookups, the order alternating. The first call of each
 * module (ksm maps the snapshot and checks its header then) is reported apart,
 * then WARM calls each are not measured. Enumerations: ENUM_REPS full
 * setpwent..endpwent passes per module, alternating.
 *
 * Memory: /proc/self/smaps_rollup, the smaps entry of the snapshot mapping
 * (matched by the snapshot's inode) and mallinfo2() at checkpoints. With -M
 * only the ksm side runs (lookups + one enumeration): the memory figures for
 * a snapshot of another size.
 *
 * Output: one JSON object on stdout. Exit 1 if any lookup gave a wrong
 * answer.  Build: cc -O2 -o nss-bench bench/nss-bench.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef enum nss_status getpwnam_fn(const char *, struct passwd *, char *,
				    size_t, int *);
typedef enum nss_status setpwent_fn(int);
typedef enum nss_status getpwent_fn(struct passwd *, char *, size_t, int *);
typedef enum nss_status endpwent_fn(void);

struct mod {
	const char *name;
	getpwnam_fn *getpwnam;
	setpwent_fn *setpwent;
	getpwent_fn *getpwent;
	endpwent_fn *endpwent;
	uint64_t rng;
	long long *t; /* per-lookup ns */
	int nt, cap;
	long long first_ns;
	long long *enum_ns;
	long enum_entries, enum_vault_entries;
	int nenum;
	int errors;
};

static int nusers = 100000;
static long uidbase = 200000;
static const char *prefix = "user";
static const char *snapshot;
static char buf[65536];

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void *sym(void *h, const char *mod, const char *fn)
{
	char name[128];
	void *p;

	snprintf(name, sizeof(name), "_nss_%s_%s", mod, fn);
	p = dlsym(h, name);
	if (!p) {
		fprintf(stderr, "nss-bench: %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static void load(struct mod *m, const char *so, const char *name, uint64_t seed)
{
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "nss-bench: %s\n", dlerror());
		exit(2);
	}
	m->name = name;
	m->getpwnam = sym(h, name, "getpwnam_r");
	m->setpwent = sym(h, name, "setpwent");
	m->getpwent = sym(h, name, "getpwent_r");
	m->endpwent = sym(h, name, "endpwent");
	m->rng = seed;
}

/* One timed lookup of a random user; returns its ns. */
static long long lookup(struct mod *m)
{
	char name[64];
	struct passwd pw;
	enum nss_status st;
	long long t0, t1;
	int i = (int)(xorshift(&m->rng) % (uint64_t)nusers) + 1, err = 0;

	snprintf(name, sizeof(name), "%s%06d", prefix, i);
	t0 = now_ns();
	st = m->getpwnam(name, &pw, buf, sizeof(buf), &err);
	t1 = now_ns();
	if (st != NSS_STATUS_SUCCESS || strcmp(pw.pw_name, name) != 0 ||
	    pw.pw_uid != (uid_t)(uidbase + i)) {
		if (m->errors++ < 5)
			fprintf(stderr,
				"nss-bench: %s: %s: status %d errno %d\n",
				m->name, name, st, err);
	}
	return t1 - t0;
}

static void batch(struct mod *m, int n)
{
	for (int k = 0; k < n; k++) {
		long long t = lookup(m);

		if (m->nt < m->cap)
			m->t[m->nt++] = t;
	}
}

static void enumerate(struct mod *m)
{
	struct passwd pw;
	long n = 0, vault = 0;
	long long t0, t1;
	int err;

	t0 = now_ns();
	m->setpwent(0);
	for (;;) {
		enum nss_status st = m->getpwent(&pw, buf, sizeof(buf), &err);

		if (st != NSS_STATUS_SUCCESS)
			break;
		n++;
		vault += pw.pw_uid > (uid_t)uidbase &&
			 pw.pw_uid <= (uid_t)(uidbase + nusers);
	}
	m->endpwent();
	t1 = now_ns();
	m->enum_ns[m->nenum++] = t1 - t0;
	if (m->nenum > 1 &&
	    (n != m->enum_entries || vault != m->enum_vault_entries))
		m->errors++;
	m->enum_entries = n;
	m->enum_vault_entries = vault;
	if (vault != nusers) {
		if (m->errors++ < 5)
			fprintf(stderr,
				"nss-bench: %s: enumeration gave %ld of %d "
				"users\n",
				m->name, vault, nusers);
	}
}

static int cmpll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static void stats(const char *key, long long *v, int n, int last)
{
	long long sum = 0;

	qsort(v, (size_t)n, sizeof(*v), cmpll);
	for (int i = 0; i < n; i++)
		sum += v[i];
	printf("\"%s\": {\"n\": %d, \"median_ns\": %lld, \"mean_ns\": %.1f, "
	       "\"p10_ns\": %lld, \"p90_ns\": %lld, \"p99_ns\": %lld, "
	       "\"min_ns\": %lld, \"max_ns\": %lld}%s",
	       key, n, n ? v[n / 2] : 0, n ? (double)sum / n : 0.0,
	       n ? v[n / 10] : 0, n ? v[n * 9 / 10] : 0,
	       n ? v[n * 99 / 100] : 0, n ? v[0] : 0, n ? v[n - 1] : 0,
	       last ? "" : ", ");
}

/* "Key:   123 kB" lines of a smaps block into kB values. */
struct smaps {
	long size, rss, pss, shared_clean, shared_dirty, private_clean,
		private_dirty, anonymous;
};

static void smaps_line(struct smaps *s, const char *line)
{
	static const struct {
		const char *k;
		size_t off;
	} keys[] = {
		{"Size:", offsetof(struct smaps, size)},
		{"Rss:", offsetof(struct smaps, rss)},
		{"Pss:", offsetof(struct smaps, pss)},
		{"Shared_Clean:", offsetof(struct smaps, shared_clean)},
		{"Shared_Dirty:", offsetof(struct smaps, shared_dirty)},
		{"Private_Clean:", offsetof(struct smaps, private_clean)},
		{"Private_Dirty:", offsetof(struct smaps, private_dirty)},
		{"Anonymous:", offsetof(struct smaps, anonymous)},
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t l = strlen(keys[i].k);

		if (strncmp(line, keys[i].k, l) == 0) {
			*(long *)((char *)s + keys[i].off) = atol(line + l);
			return;
		}
	}
}

static void print_smaps(const char *key, const struct smaps *s)
{
	printf("\"%s\": {\"size_kb\": %ld, \"rss_kb\": %ld, \"pss_kb\": %ld, "
	       "\"shared_clean_kb\": %ld, \"shared_dirty_kb\": %ld, "
	       "\"private_clean_kb\": %ld, \"private_dirty_kb\": %ld, "
	       "\"anonymous_kb\": %ld}",
	       key, s->size, s->rss, s->pss, s->shared_clean, s->shared_dirty,
	       s->private_clean, s->private_dirty, s->anonymous);
}

static int nchk;

static void checkpoint(const char *label)
{
	struct smaps all = {0}, snap = {0};
	char line[4096];
	struct stat st;
	int mappings = 0, in_snap = 0;
	struct mallinfo2 mi = mallinfo2();
	FILE *f;

	if ((f = fopen("/proc/self/smaps_rollup", "r"))) {
		while (fgets(line, sizeof(line), f))
			smaps_line(&all, line);
		fclose(f);
	}
	if (snapshot && stat(snapshot, &st) == 0 &&
	    (f = fopen("/proc/self/smaps", "r"))) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long lo, hi, off, ino;
			char perms[8], dev[16];

			if (sscanf(line, "%lx-%lx %7s %lx %15s %lu", &lo, &hi,
				   perms, &off, dev, &ino) == 6) {
				in_snap = ino == (unsigned long)st.st_ino;
				mappings += in_snap;
				continue;
			}
			if (in_snap)
				smaps_line(&snap, line);
		}
		fclose(f);
	}
	printf("%s{\"at\": \"%s\", ", nchk++ ? ", " : "", label);
	print_smaps("process", &all);
	printf(", \"snapshot_mappings\": %d, ", mappings);
	print_smaps("snapshot_mapping", &snap);
	printf(", \"malloc_in_use_bytes\": %zu, \"malloc_arena_bytes\": %zu, "
	       "\"malloc_mmapped_bytes\": %zu}",
	       mi.uordblks, mi.arena, mi.hblkhd);
}

int main(int argc, char **argv)
{
	int ksm_n = 20000, files_n = 500, rounds = 10, enum_reps = 5,
	    warm = 100;
	int mem_only = 0, opt;
	uint64_t seed = 1;
	struct mod ksm = {0}, files = {0};
	struct stat st;

	while ((opt = getopt(argc, argv, "n:m:r:e:w:u:b:p:s:S:M")) != -1) {
		switch (opt) {
		case 'n':
			ksm_n = atoi(optarg);
			break;
		case 'm':
			files_n = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'e':
			enum_reps = atoi(optarg);
			break;
		case 'w':
			warm = atoi(optarg);
			break;
		case 'u':
			nusers = atoi(optarg);
			break;
		case 'b':
			uidbase = atol(optarg);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 's':
			snapshot = optarg;
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'M':
			mem_only = 1;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != (mem_only ? 1 : 2) || rounds < 1 || nusers < 1)
		goto usage;
	if (!snapshot)
		snapshot = getenv("KSM_NSS_SNAPSHOT");

	ksm.cap = ksm_n;
	files.cap = files_n;
	ksm.t = calloc((size_t)ksm_n + 1, sizeof(long long));
	files.t = calloc((size_t)files_n + 1, sizeof(long long));
	ksm.enum_ns = calloc((size_t)enum_reps + 1, sizeof(long long));
	files.enum_ns = calloc((size_t)enum_reps + 1, sizeof(long long));
	/* Touch the sample arrays now, so that they are not counted as growth
	 * between the memory checkpoints. */
	memset(ksm.t, 1, ((size_t)ksm_n + 1) * sizeof(long long));
	memset(files.t, 1, ((size_t)files_n + 1) * sizeof(long long));

	printf("{\"users\": %d, \"snapshot\": \"%s\", \"snapshot_bytes\": "
	       "%lld, ",
	       nusers, snapshot ? snapshot : "",
	       snapshot && stat(snapshot, &st) == 0 ? (long long)st.st_size
						    : -1LL);
	if (!mem_only && stat("/etc/passwd", &st) == 0)
		printf("\"passwd_bytes\": %lld, ", (long long)st.st_size);
	printf("\"memory\": [");
	checkpoint("start");
	load(&ksm, argv[optind], "ksm", seed * 0x9E3779B97F4A7C15ULL + 1);
	if (!mem_only)
		load(&files, argv[optind + 1], "files",
		     seed * 0xD1B54A32D192ED03ULL + 7);
	checkpoint("after_dlopen");

	/* First calls: ksm maps and checks the whole snapshot here. */
	ksm.first_ns = lookup(&ksm);
	checkpoint("after_first_ksm_lookup");
	if (!mem_only)
		files.first_ns = lookup(&files);
	for (int k = 0; k < warm; k++) {
		lookup(&ksm);
		if (!mem_only && k < warm / 10 + 1)
			lookup(&files);
	}

	/* Taking turns. */
	for (int r = 0; r < rounds; r++) {
		int kn = ksm_n / rounds + (r < ksm_n % rounds);
		int fn = files_n / rounds + (r < files_n % rounds);

		if (mem_only) {
			batch(&ksm, kn);
		} else if (r % 2 == 0) {
			batch(&ksm, kn);
			batch(&files, fn);
		} else {
			batch(&files, fn);
			batch(&ksm, kn);
		}
	}
	checkpoint("after_ksm_lookups");
	for (int r = 0; r < (mem_only ? 1 : enum_reps); r++) {
		if (mem_only) {
			enumerate(&ksm);
		} else if (r % 2 == 0) {
			enumerate(&ksm);
			enumerate(&files);
		} else {
			enumerate(&files);
			enumerate(&ksm);
		}
	}
	checkpoint("after_enumerations");
	printf("], ");

	/* Cost of the timer itself (subtract nothing; for reading the figures).
	 */
	{
		long long c[1001];

		for (int i = 0; i < 1001; i++) {
			long long t0 = now_ns();

			c[i] = now_ns() - t0;
		}
		qsort(c, 1001, sizeof(c[0]), cmpll);
		printf("\"clock_overhead_median_ns\": %lld, ", c[500]);
	}
	printf("\"ksm\": {\"first_lookup_ns\": %lld, \"errors\": %d, "
	       "\"enum_entries\": %ld, ",
	       ksm.first_ns, ksm.errors, ksm.enum_entries);
	stats("getpwnam", ksm.t, ksm.nt, 0);
	stats("enumeration", ksm.enum_ns, ksm.nenum, 1);
	printf("}");
	if (!mem_only) {
		printf(", \"files\": {\"first_lookup_ns\": %lld, \"errors\": "
		       "%d, \"enum_entries\": %ld, ",
		       files.first_ns, files.errors, files.enum_entries);
		stats("getpwnam", files.t, files.nt, 0);
		stats("enumeration", files.enum_ns, files.nenum, 1);
		printf("}");
	}
	printf("}\n");
	return ksm.errors || files.errors ? 1 : 0;
usage:
	fprintf(stderr, "usage: nss-bench [-n KSM_N] [-m FILES_N] [-r ROUNDS] "
			"[-e ENUM_REPS] [-w WARM]\n"
			"                 [-u NUSERS] [-b UIDBASE] [-p PREFIX] "
			"[-s SNAPSHOT] [-S SEED]\n"
			"                 KSM_SO FILES_SO\n"
			"       nss-bench -M [options] KSM_SO    (memory "
			"figures, ksm only)\n");
	return 2;
}
