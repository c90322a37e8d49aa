/* SPDX-License-Identifier: MIT */
/*
 * spawnbench.c - wall time of short-lived commands, taking turns, the way
 * sshd runs an AuthorizedKeysCommand: posix_spawn with stdin /dev/null and
 * stdout a pipe that is read to EOF, then waitpid.
 *
 *   spawnbench N WARMUP NAME_A [VAR=VALUE...] CMD_A... ::: NAME_B ... [::: ...]
 *
 * Runs WARMUP rounds, then N rounds; in each round every command runs once,
 * the order rotating from round to round. VAR=VALUE words after a NAME are
 * set in that command's environment only (as env(1) would, without its
 * exec), so that commands differing in their environment take turns too.
 * Prints one line per measured run: "NAME ROUND NANOSECONDS". Exits
 * non-zero if any run exits non-zero.
 * Build: cc -O2 -o spawnbench bench/spawnbench.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
	const char *name;
	char **argv;
	char **envp; /* environ, or its copy with the command's VAR=VALUE */
};

/* environ with the assignments set[0..n) replacing or adding entries. */
static char **with_env(char **set, int n)
{
	size_t total = 0, k = 0;
	char **env;

	while (environ[total])
		total++;
	env = calloc(total + (size_t)n + 1, sizeof(*env));
	if (!env)
		exit(2);
	for (int i = 0; i < n; i++)
		env[k++] = set[i];
	for (size_t e = 0; e < total; e++) {
		int dup = 0;

		for (int i = 0; i < n && !dup; i++) {
			size_t len = (size_t)(strchr(set[i], '=') - set[i]) + 1;

			dup = strncmp(environ[e], set[i], len) == 0;
		}
		if (!dup)
			env[k++] = environ[e];
	}
	return env;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long run(const struct cmd *c, int devnull)
{
	posix_spawn_file_actions_t fa;
	char buf[65536];
	int p[2], st;
	pid_t pid;
	long long t0, t1;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, devnull, 2);
	t0 = now_ns();
	if (posix_spawn(&pid, c->argv[0], &fa, NULL, c->argv, c->envp) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	close(p[1]);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	t1 = now_ns();
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct cmd cmds[8];
	int n, warm, nc = 0, devnull;

	if (argc < 5)
		goto usage;
	n = atoi(argv[1]);
	warm = atoi(argv[2]);
	for (int i = 3; i < argc && nc < 8;) {
		char **set;
		int nset = 0;

		cmds[nc].name = argv[i++];
		set = &argv[i];
		while (i < argc && argv[i][0] != '/' && strchr(argv[i], '='))
			i++, nset++;
		cmds[nc].envp = nset ? with_env(set, nset) : environ;
		cmds[nc].argv = &argv[i];
		while (i < argc && strcmp(argv[i], ":::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
		if (!cmds[nc].argv[0])
			goto usage;
		nc++;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int r = -warm; r < n; r++) {
		for (int k = 0; k < nc; k++) {
			const struct cmd *c = &cmds[((r + warm) + k) % nc];
			long long t = run(c, devnull);

			if (t < 0) {
				fprintf(stderr, "spawnbench: %s failed\n",
					c->name);
				return 1;
			}
			if (r >= 0)
				printf("%s %d %lld\n", c->name, r, t);
		}
	}
	return 0;
usage:
	fprintf(stderr,
		"usage: spawnbench N WARMUP NAME [VAR=VALUE...] CMD... ::: "
		"NAME ...\n");
	return 2;
}
