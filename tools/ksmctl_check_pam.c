/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check_pam.c - the doctor's login-stack checks: every pam_ksm line
 * of /etc/pam.d is fail-safe (a broken ksm.conf, a stopped ksmd or a
 * missing snapshot never locks out root or a local user), sshd's auth and
 * account stacks reach pam_ksm, and nsswitch.conf's passwd and group lines
 * name ksm after files.
 */
#include "fileio.h"
#include "ksmctl_check.h"
#include "ksmctl_check_parse.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAM_FILE_MAX  (1u << 20)
#define PAM_FILES_MAX 512
#define INCLUDE_DEPTH 8

/* The lines pam_ksm(8) documents as fail-safe, for a stack that lacks them. */
static const char auth_line[] =
	"auth [success=done user_unknown=ignore service_err=ignore "
	"module_unknown=ignore default=die] pam_ksm.so";
static const char account_line[] =
	"account [success=done new_authtok_reqd=done ignore=ignore "
	"user_unknown=ignore service_err=ignore module_unknown=ignore "
	"default=die] pam_ksm.so";

void check_pam_dir_free(struct check_pam_dir *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->f[i].name);
		free(d->f[i].lines);
	}
	free(d->f);
}

bool check_pam_dir_load(struct check_pam_dir *d)
{
	struct dirent **ents = NULL;
	int n = scandir(CHECK_PAM_DIR, &ents, NULL, alphasort);
	bool ok = n >= 0;

	memset(d, 0, sizeof(*d));
	if (n > 0 && !(d->f = calloc((size_t)n, sizeof(*d->f))))
		ok = false;
	for (int i = 0; i < n; i++) {
		char path[1024], *text = NULL;
		size_t len = 0;
		struct stat st;
		struct check_pam_file *f = ok ? &d->f[d->n] : NULL;

		snprintf(path, sizeof(path), "%s/%s", CHECK_PAM_DIR,
			 ents[i]->d_name);
		if (f && ents[i]->d_name[0] != '.' && d->n < PAM_FILES_MAX &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    ksm_read_file(path, PAM_FILE_MAX, &text, &len, NULL,
				  NULL) == KSM_OK) {
			f->name = strdup(ents[i]->d_name);
			if (!f->name ||
			    !ksmctl_pam_parse(text, len, &f->lines, &f->n)) {
				free(f->name);
				ok = false;
			} else {
				d->n++;
			}
		}
		free(text);
		free(ents[i]);
	}
	free(ents);
	return ok;
}

static const struct check_pam_file *find(const struct check_pam_dir *d,
					 const char *name)
{
	const char *base = strrchr(name, '/');

	/* An absolute include is followed only inside the PAM directory. */
	if (base &&
	    strncmp(name, CHECK_PAM_DIR "/", sizeof(CHECK_PAM_DIR)) != 0)
		return NULL;
	base = base ? base + 1 : name;
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->f[i].name, base))
			return &d->f[i];
	return NULL;
}

/* Does the type's stack of f reach pam_ksm, includes followed? */
static bool reaches(const struct check_pam_dir *d,
		    const struct check_pam_file *f, const char *type,
		    unsigned depth)
{
	for (size_t i = 0; f && depth < INCLUDE_DEPTH && i < f->n; i++) {
		const struct ksmctl_pam_line *l = &f->lines[i];
		bool all = !strcmp(l->type, "@include");

		if (!all && strcmp(l->type, type) != 0)
			continue;
		if (ksmctl_pam_is_include(l)) {
			if (reaches(d, find(d, l->module), type, depth + 1))
				return true;
		} else if (ksmctl_pam_is_ksm(l)) {
			return true;
		}
	}
	return false;
}

/* sed can take the new line as it is (no quote, no backslash). */
static bool sed_safe(const char *s)
{
	return !strpbrk(s, "'\\\n");
}

static void unsafe_line(struct check_report *r, const struct check_pam_file *f,
			const struct ksmctl_pam_line *l, const char *why,
			const char *fixed)
{
	char line[4 * KSMCTL_PAM_FIELD], fix[6 * KSMCTL_PAM_FIELD];

	snprintf(line, sizeof(line), "%s%s %s %s%s%s", l->dash ? "-" : "",
		 l->type, fixed, l->module, l->args[0] ? " " : "", l->args);
	if (!l->continued && sed_safe(line))
		snprintf(fix, sizeof(fix), "sed -i '%uc %s' %s/%s", l->lineno,
			 line, CHECK_PAM_DIR, f->name);
	else
		snprintf(fix, sizeof(fix), "edit line %u of %s/%s to read: %s",
			 l->lineno, CHECK_PAM_DIR, f->name, line);
	check_add(r, "pam", CHECK_FAIL, fix,
		  "%s/%s:%u: %s %s pam_ksm.so is not fail-safe (%s): a broken "
		  "ksm.conf, a missing pam_ksm.so or a user who is not a vault "
		  "user fails the %s stack, root and local users included",
		  CHECK_PAM_DIR, f->name, l->lineno, l->type, l->control, why,
		  l->type);
}

/* The line before which a missing pam_ksm line of type goes in f. */
static unsigned insert_at(const struct check_pam_file *f, const char *type)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->lines[i].type, type) ||
		    (!strcmp(f->lines[i].type, "@include") &&
		     strstr(f->lines[i].module, type)))
			return f->lines[i].lineno;
	return 0;
}

static void missing(struct check_report *r, const struct check_pam_file *sshd,
		    const char *type)
{
	char fix[1024];
	unsigned at = insert_at(sshd, type);
	const char *text = !strcmp(type, "auth") ? auth_line : account_line;

	if (access(CHECK_PAM_AUTH_UPDATE, X_OK) == 0 &&
	    access(CHECK_PAM_PROFILE, F_OK) == 0 && insert_at(sshd, "common-"))
		snprintf(fix, sizeof(fix), "pam-auth-update --enable ksm");
	else if (at)
		snprintf(fix, sizeof(fix), "sed -i '%ui %s' %s/sshd", at, text,
			 CHECK_PAM_DIR);
	else
		snprintf(fix, sizeof(fix), "sed -i '$a %s' %s/sshd", text,
			 CHECK_PAM_DIR);
	check_add(r, "pam", CHECK_FAIL, fix,
		  "sshd's %s stack (%s/sshd and what it includes) has no "
		  "pam_ksm: %s",
		  type, CHECK_PAM_DIR,
		  !strcmp(type, "auth")
			  ? "vault users cannot log in with a password"
			  : "sshd's account stage refuses vault users");
}

void check_pam(struct check_report *r)
{
	struct check_pam_dir d;
	const struct check_pam_file *sshd;
	size_t lines = 0, files = 0, before = r->n;

	if (!check_pam_dir_load(&d)) {
		check_add(r, "pam", CHECK_FAIL, NULL,
			  "cannot read the PAM files of %s", CHECK_PAM_DIR);
		check_pam_dir_free(&d);
		return;
	}
	for (size_t i = 0; i < d.n; i++) {
		bool any = false;

		for (size_t j = 0; j < d.f[i].n; j++) {
			const struct ksmctl_pam_line *l = &d.f[i].lines[j];
			char why[256], fixed[KSMCTL_PAM_FIELD + 128];

			if (!ksmctl_pam_is_ksm(l))
				continue;
			lines++;
			any = true;
			if (!ksmctl_pam_failsafe(l, why, sizeof(why), fixed,
						 sizeof(fixed)))
				unsafe_line(r, &d.f[i], l, why, fixed);
		}
		files += any;
	}
	sshd = find(&d, "sshd");
	if (sshd && !reaches(&d, sshd, "auth", 0))
		missing(r, sshd, "auth");
	if (sshd && !reaches(&d, sshd, "account", 0))
		missing(r, sshd, "account");
	if (r->n == before)
		check_add(r, "pam", CHECK_OK, NULL,
			  "%zu pam_ksm line(s) in %zu file(s) of %s, all "
			  "fail-safe%s",
			  lines, files, CHECK_PAM_DIR,
			  sshd ? "; sshd's auth and account reach pam_ksm"
			       : "; no sshd service");
	check_pam_dir_free(&d);
}

/* s with the characters of a basic regular expression escaped. */
static void bre_escape(const char *s, char *out, size_t n)
{
	size_t o = 0;

	for (; *s && o + 3 < n; s++) {
		if (strchr("[]\\.*^$/&|", *s))
			out[o++] = '\\';
		out[o++] = *s;
	}
	out[o] = '\0';
}

void check_nsswitch(struct check_report *r)
{
	static const char *const dbs[] = {"passwd", "group"};
	char *text = NULL, fix[600], esc[200];
	size_t len = 0, before = r->n;

	if (ksm_read_file(CHECK_NSSWITCH, PAM_FILE_MAX, &text, &len, NULL,
			  NULL) != KSM_OK) {
		check_add(r, "nsswitch", CHECK_FAIL, "ksm-nsswitch enable",
			  "cannot read %s", CHECK_NSSWITCH);
		return;
	}
	for (size_t i = 0; i < 2; i++) {
		struct ksmctl_nss_line v;

		ksmctl_nss_parse(text, len, dbs[i], &v);
		if (!v.found) {
			snprintf(fix, sizeof(fix), "echo '%s: files ksm' >>%s",
				 dbs[i], CHECK_NSSWITCH);
			check_add(r, "nsswitch", CHECK_FAIL, fix,
				  "%s has no %s: line", CHECK_NSSWITCH, dbs[i]);
		} else if (!v.has_ksm) {
			check_add(r, "nsswitch", CHECK_FAIL,
				  "ksm-nsswitch enable",
				  "%s: the %s line does not name ksm: the "
				  "system does not see vault %s",
				  CHECK_NSSWITCH, dbs[i],
				  i ? "groups" : "users");
		} else if (v.ksm_first) {
			check_add(r, "nsswitch", CHECK_FAIL,
				  "ksm-nsswitch disable && ksm-nsswitch enable",
				  "%s: the %s line names ksm before files: a "
				  "vault entry would shadow a local one",
				  CHECK_NSSWITCH, dbs[i]);
		} else if (v.blocker[0]) {
			bre_escape(v.blocker, esc, sizeof(esc));
			snprintf(
				fix, sizeof(fix),
				"sed -i '/^[[:space:]]*%s:/s/[[:space:]]*%s//' "
				"%s",
				dbs[i], esc, CHECK_NSSWITCH);
			check_add(r, "nsswitch", CHECK_FAIL, fix,
				  "%s: on the %s line, %s ends the lookup "
				  "before ksm",
				  CHECK_NSSWITCH, dbs[i], v.blocker);
		}
	}
	if (r->n == before)
		check_add(r, "nsswitch", CHECK_OK, NULL,
			  "%s: passwd and group name ksm after files",
			  CHECK_NSSWITCH);
	free(text);
}
