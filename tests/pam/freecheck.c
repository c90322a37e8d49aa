/* SPDX-License-Identifier: MIT */
/*
 * freecheck.c - LD_PRELOAD free()/realloc() interposer: reports every heap
 * block that still holds a secret when it is given back to malloc.
 *
 *   FREECHECK_NEEDLE=secret [FREECHECK_LOG=file] LD_PRELOAD=freecheck.so CMD
 *
 * Before a block is freed (or moved by realloc, which frees the old copy
 * without wiping it), its whole usable size (malloc_usable_size) is
 * searched for the needle. Each hit is reported as one line
 *   freecheck: free|realloc SIZE bytes: OBJ:SYM <- OBJ:SYM <- ...
 * (the call chain, innermost first, by shared object and symbol), to
 * FREECHECK_LOG (appended) or stderr. At exit a summary line
 *   freecheck: N hit(s), M block(s) scanned
 * is written. A block that was wiped (explicit_bzero, OPENSSL_cleanse,
 * ksm_wipe) before free is not a hit, so this checks that secrets really
 * are wiped, where they are freed, not just that a wipe function exists.
 *
 * Not for use with valgrind (which replaces malloc itself).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void __libc_free(void *);
extern void *__libc_realloc(void *, size_t);

static const char *needle;
static size_t needle_len;
static int log_fd = 2;
static unsigned long hits, scanned;
static __thread int busy;

static void out(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(log_fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void report(const char *what, size_t size)
{
	void *frames[24];
	char line[4096];
	int n;
	size_t len;

	busy++;
	n = backtrace(frames, 24);
	len = (size_t)snprintf(line, sizeof(line),
			       "freecheck: %s %zu bytes:", what, size);
	/* Frame 0 is report(), 1 the hook itself. */
	for (int i = 2; i < n && len < sizeof(line) - 200; i++) {
		Dl_info di;
		const char *obj = "?", *sym = "?";

		if (dladdr(frames[i], &di)) {
			if (di.dli_fname) {
				obj = strrchr(di.dli_fname, '/');
				obj = obj ? obj + 1 : di.dli_fname;
			}
			if (di.dli_sname)
				sym = di.dli_sname;
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%s %s:%s", i > 2 ? " <-" : "", obj,
					sym);
	}
	snprintf(line + len, sizeof(line) - len, "\n");
	out(line);
	hits++;
	busy--;
}

static void scan(void *p, const char *what)
{
	size_t n;

	if (!p || !needle || busy)
		return;
	n = malloc_usable_size(p);
	scanned++;
	if (n >= needle_len && memmem(p, n, needle, needle_len))
		report(what, n);
}

void free(void *p)
{
	scan(p, "free");
	__libc_free(p);
}

void *realloc(void *p, size_t size)
{
	/* Only a block that is moved leaves its old copy behind. */
	if (p && size > malloc_usable_size(p))
		scan(p, "realloc");
	return __libc_realloc(p, size);
}

__attribute__((constructor)) static void init(void)
{
	const char *logp = getenv("FREECHECK_LOG");
	void *warm[2];

	needle = getenv("FREECHECK_NEEDLE");
	if (needle && !*needle)
		needle = NULL;
	needle_len = needle ? strlen(needle) : 0;
	if (logp && *logp) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0600);

		if (fd >= 0)
			log_fd = fd;
	}
	/* backtrace() loads libgcc_s on first use (which mallocs). */
	busy++;
	backtrace(warm, 2);
	busy--;
}

__attribute__((destructor)) static void fini(void)
{
	char line[128];

	if (!needle)
		return;
	snprintf(line, sizeof(line),
		 "freecheck: %lu hit(s), %lu block(s) "
		 "scanned\n",
		 hits, scanned);
	out(line);
}
