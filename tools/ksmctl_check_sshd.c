/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check_sshd.c - the doctor's sshd check: "sshd -T" (the effective
 * configuration) must run ksm-authorized-keys as keys_user. sshd keeps the
 * first value it reads of a keyword, so an earlier drop-in (systemd-
 * userdb's 20-systemd-userdb.conf sets its own AuthorizedKeysCommand)
 * shadows ours; the config files are read as sshd reads them to name the
 * line that won.
 */
#include "fileio.h"
#include "ksmctl_check.h"
#include "ksmctl_check_parse.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SSHD_CONF_MAX (1u << 20)
#define INCLUDE_DEPTH 8
#define HELPER	      "ksm-authorized-keys"

struct scan {
	const char *keyword; /* NULL: visit every file */
	unsigned depth;
	check_sshd_file_fn visit;
	void *ctx;
};

static bool scan_file(struct scan *s, const char *path,
		      struct ksmctl_sshd_hit *hit);

static bool include(void *ctx, const char *pattern, struct ksmctl_sshd_hit *hit)
{
	struct scan *s = ctx;
	char full[1024];
	glob_t g;
	bool found = false;

	if (s->depth >= INCLUDE_DEPTH)
		return false;
	snprintf(full, sizeof(full), "%s%s%s",
		 pattern[0] == '/' ? "" : CHECK_SSHD_DIR,
		 pattern[0] == '/' ? "" : "/", pattern);
	if (glob(full, 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; !found && i < g.gl_pathc; i++) {
		s->depth++;
		found = scan_file(s, g.gl_pathv[i], hit);
		s->depth--;
	}
	globfree(&g);
	return found;
}

static bool scan_file(struct scan *s, const char *path,
		      struct ksmctl_sshd_hit *hit)
{
	char *text = NULL;
	size_t len = 0;
	bool found;

	if (ksm_read_file(path, SSHD_CONF_MAX, &text, &len, NULL, NULL) !=
	    KSM_OK)
		return false;
	if (s->visit)
		s->visit(s->ctx, path, text, len);
	found = ksmctl_sshd_config_first(text, len, path, s->keyword, include,
					 s, hit);
	free(text);
	return found;
}

/* Where sshd_config first sets keyword; false if nowhere. */
static bool first_set(const char *keyword, struct ksmctl_sshd_hit *hit)
{
	struct scan s = {keyword, 0, NULL, NULL};

	memset(hit, 0, sizeof(*hit));
	return scan_file(&s, CHECK_SSHD_CONF, hit);
}

void check_sshd_files(check_sshd_file_fn visit, void *ctx)
{
	struct scan s = {NULL, 0, visit, ctx};
	struct ksmctl_sshd_hit hit;

	memset(&hit, 0, sizeof(hit));
	scan_file(&s, CHECK_SSHD_CONF, &hit);
}

/* README's step 8: an Include, which a removed package cannot leave
 * dangling (sshd ignores an Include that matches nothing). */
static void install_fix(const struct check_report *r, char *fix, size_t n)
{
	snprintf(fix, n, "echo 'Include %s' >%s && sshd -t && %s",
		 CHECK_SSHD_SNIPPET, CHECK_SSHD_DROPIN, check_sshd_reload(r));
}

static void replace_fix(const struct check_report *r,
			const struct ksmctl_sshd_hit *hit, const char *line,
			char *fix, size_t n)
{
	snprintf(fix, n, "sed -i '%us|.*|%s|' %s && sshd -t && %s", hit->line,
		 line, hit->file, check_sshd_reload(r));
}

/* The command's program and whether its first argument is %u. */
static bool ours(const char *cmd, char *prog, size_t n, bool *user_arg)
{
	const char *sp = strpbrk(cmd, " \t");
	size_t len = sp ? (size_t)(sp - cmd) : strlen(cmd);

	snprintf(prog, n, "%.*s", (int)len, cmd);
	*user_arg = sp && !strncmp(sp + strspn(sp, " \t"), "%u", 2);
	return ksmctl_sshd_is_helper(cmd);
}

static void judge(struct check_report *r, const char *T)
{
	const char *keys_user = r->k->conf->keys_user;
	char cmd[KSMCTL_PAM_FIELD] = "", user[256] = "", prog[KSMCTL_PAM_FIELD];
	char fix[1024], line[KSMCTL_PAM_FIELD + 64], where[400] = "";
	struct ksmctl_sshd_hit hit;
	struct stat st;
	bool has_u, found, bad = false;

	ksmctl_sshd_T_value(T, "authorizedkeyscommand", cmd, sizeof(cmd));
	ksmctl_sshd_T_value(T, "authorizedkeyscommanduser", user, sizeof(user));
	found = first_set("AuthorizedKeysCommand", &hit);
	if (found)
		snprintf(where, sizeof(where), " (set first in %s:%u)",
			 hit.file, hit.line);
	if (!cmd[0] || !strcmp(cmd, "none")) {
		install_fix(r, fix, sizeof(fix));
		check_add(
			r, "sshd", CHECK_FAIL, fix,
			"sshd has no AuthorizedKeysCommand: vault users' keys "
			"are never asked for");
		return;
	}
	snprintf(line, sizeof(line), "AuthorizedKeysCommand %s %%u %%f",
		 "/usr/sbin/" HELPER);
	if (!ours(cmd, prog, sizeof(prog), &has_u)) {
		if (found)
			replace_fix(r, &hit, line, fix, sizeof(fix));
		else
			install_fix(r, fix, sizeof(fix));
		check_add(r, "sshd", CHECK_FAIL, fix,
			  "sshd's AuthorizedKeysCommand is '%s'%s, not " HELPER
			  ": sshd uses the first value it reads, so "
			  "ours is shadowed",
			  cmd, where);
		return;
	}
	if (stat(prog, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !(st.st_mode & 0111) || st.st_uid != 0 || (st.st_mode & 022)) {
		check_add(r, "sshd", CHECK_FAIL,
			  "apt-get install --reinstall ksm-tools",
			  "AuthorizedKeysCommand %s is missing, not executable "
			  "or not root's alone: sshd will not run it",
			  prog);
		bad = true;
	}
	if (!has_u) {
		snprintf(line, sizeof(line), "AuthorizedKeysCommand %s %%u %%f",
			 prog);
		if (found)
			replace_fix(r, &hit, line, fix, sizeof(fix));
		else
			install_fix(r, fix, sizeof(fix));
		check_add(r, "sshd", CHECK_FAIL, fix,
			  "AuthorizedKeysCommand '%s'%s does not pass the user "
			  "(%%u) first",
			  cmd, where);
		bad = true;
	}
	if (strcmp(user, keys_user) != 0) {
		snprintf(line, sizeof(line), "AuthorizedKeysCommandUser %s",
			 keys_user);
		if (first_set("AuthorizedKeysCommandUser", &hit))
			replace_fix(r, &hit, line, fix, sizeof(fix));
		else
			install_fix(r, fix, sizeof(fix));
		check_add(
			r, "sshd", CHECK_FAIL, fix,
			"sshd's AuthorizedKeysCommandUser is '%s'%s, but ksmd "
			"answers keys only to root and keys_user (%s)",
			user[0] ? user : "none",
			hit.line ? " (set first in that line)" : "", keys_user);
		bad = true;
	}
	if (!bad)
		check_add(r, "sshd", CHECK_OK, NULL,
			  "sshd -T: AuthorizedKeysCommand %s, as %s", cmd,
			  user);
}

void check_sshd(struct check_report *r)
{
	const char *argv[] = {CHECK_SSHD, "-T", NULL};
	char *out = NULL, *err = NULL;
	int rc;

	if (access(CHECK_SSHD, X_OK) != 0) {
		check_add(r, "sshd", CHECK_SKIP, NULL,
			  "skipped: %s is not installed", CHECK_SSHD);
		return;
	}
	if (geteuid() != 0) {
		check_add(r, "sshd", CHECK_SKIP, NULL,
			  "skipped: sshd -T needs root (run ksmctl check as "
			  "root)");
		return;
	}
	rc = check_run(argv, CHECK_SSHD_TIMEOUT, &out, &err);
	if (rc != 0) {
		if (err)
			err[strcspn(err, "\n")] = '\0';
		check_add(r, "sshd", CHECK_FAIL,
			  "sshd -t (it names the line to correct)",
			  "sshd -T failed (%s%d): %s",
			  rc < 0 ? "did not run or end, " : "exit ", rc,
			  err && *err ? err : "no message");
	} else {
		judge(r, out);
	}
	free(out);
	free(err);
}
