/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_unenroll_pam.c - pam_ksm out of the PAM stacks: the
 * pam-auth-update profiles (ksm, ksm-totp, ksm-password) are disabled with
 * pam-auth-update (which owns the common-* files), and the lines an admin put
 * in by hand (pam_ksm(8), "ksmctl check"'s fixes) are taken out of their files,
 * each only when the rest of its file does the same without it
 * (ksmctl_pam_removable: no empty stack, no jump that would land elsewhere).
 * Each file is replaced atomically with its owner and mode, and only when
 * its new text, parsed again, keeps every other rule as it was.
 */
#include "fileio.h"
#include "ksmctl_unenroll.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAM_FILE_MAX	   (1u << 20)
#define PAM_AUTH_UPDATE_MS 60000

static bool is_common(const char *name)
{
	return !strncmp(name, "common-", 7);
}

static size_t ksm_lines(const struct check_pam_file *f)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += ksmctl_pam_is_ksm(&f->lines[i]);
	return n;
}

/* Is physical line no of f one of its pam_ksm rules? */
static bool dropped(const struct check_pam_file *f, unsigned no)
{
	for (size_t i = 0; i < f->n; i++)
		if (ksmctl_pam_is_ksm(&f->lines[i]) &&
		    no >= f->lines[i].lineno && no <= f->lines[i].last)
			return true;
	return false;
}

/* The file's text without the physical lines of its pam_ksm rules. */
static char *without_ksm(const struct check_pam_file *f, const char *text,
			 size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	unsigned no = 0;

	for (size_t pos = 0; out && pos < len;) {
		size_t e = pos;

		while (e < len && text[e] != '\n')
			e++;
		if (e < len)
			e++; /* with its newline */
		if (!dropped(f, ++no)) {
			memcpy(out + o, text + pos, e - pos);
			o += e - pos;
		}
		pos = e;
	}
	*out_len = o;
	return out;
}

/* The rules that stay must be the rules that were, none of them ours. */
static bool kept_the_rest(const struct check_pam_file *f, const char *text,
			  size_t len)
{
	struct ksmctl_pam_line *lines = NULL;
	size_t n = 0, j = 0;
	bool same = ksmctl_pam_parse(text, len, &lines, &n);

	for (size_t i = 0; same && i < f->n; i++) {
		const struct ksmctl_pam_line *a = &f->lines[i];

		if (ksmctl_pam_is_ksm(a))
			continue;
		same = j < n && !strcmp(a->type, lines[j].type) &&
		       !strcmp(a->control, lines[j].control) &&
		       !strcmp(a->module, lines[j].module) &&
		       !strcmp(a->args, lines[j].args);
		j++;
	}
	same = same && j == n;
	free(lines);
	return same;
}

/* Rewrite CHECK_PAM_DIR/f->name without its pam_ksm rules. */
static void rewrite(struct unenroll *u, const struct check_pam_file *f)
{
	char path[PATH_MAX], real[PATH_MAX], *text = NULL, *out = NULL;
	size_t len = 0, out_len = 0;
	struct stat st;
	ksm_error err = {0};

	snprintf(path, sizeof(path), "%s/%s", CHECK_PAM_DIR, f->name);
	if (!realpath(path, real) || ksm_read_file(real, PAM_FILE_MAX, &text,
						   &len, &st, &err) != KSM_OK) {
		unenroll_fail(u, "cannot read %s: %s", path,
			      err.message[0] ? err.message : strerror(errno));
		goto out;
	}
	out = without_ksm(f, text, len, &out_len);
	if (!out || !kept_the_rest(f, out, out_len)) {
		unenroll_fail(u,
			      "%s: the file without its pam_ksm lines would "
			      "not keep its other rules; left as it is",
			      path);
		goto out;
	}
	/* Its owner and mode, given before it holds a byte. */
	if (ksm_atomic_write_owned(real, out, out_len, st.st_mode & 07777,
				   st.st_uid, st.st_gid, &err) != KSM_OK) {
		unenroll_fail(u, "%s: %s", path, err.message);
		goto out;
	}
	unenroll_done(u, "took %zu pam_ksm line(s) out of %s", ksm_lines(f),
		      path);
out:
	free(text);
	free(out);
}

/* The hand-made pam_ksm lines of f: planned, refused, or taken out. */
static void by_hand(struct unenroll *u, const struct check_pam_file *f)
{
	char where[512] = "", why[300];
	size_t bad = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct ksmctl_pam_line *l = &f->lines[i];
		size_t have = strlen(where);

		if (!ksmctl_pam_is_ksm(l))
			continue;
		if (!ksmctl_pam_removable(f->lines, f->n, i, why,
					  sizeof(why))) {
			unenroll_refuse(u,
					"%s/%s:%u: %s %s pam_ksm.so cannot be "
					"taken out safely: %s; edit the file "
					"by hand, then run unenroll again",
					CHECK_PAM_DIR, f->name, l->lineno,
					l->type, l->control, why);
			bad++;
		}
		if (have < sizeof(where))
			snprintf(where + have, sizeof(where) - have, "%s%u",
				 have ? ", " : "", l->lineno);
	}
	if (bad)
		return;
	unenroll_plan(u, "take pam_ksm out of %s/%s (line %s)", CHECK_PAM_DIR,
		      f->name, where);
	if (u->act)
		rewrite(u, f);
}

/* "pam-auth-update --disable" and our profiles that are installed
 * (pam-auth-update refuses to name one that is not); false when none is
 * or pam-auth-update is missing. what gets the command as text. */
static bool disable_argv(const char *argv[], size_t n, char *what,
			 size_t what_n)
{
	static const char *const profiles[] = {"ksm", "ksm-totp",
					       "ksm-password"};
	size_t a = 0;

	if (access(CHECK_PAM_AUTH_UPDATE, X_OK) != 0)
		return false;
	argv[a++] = CHECK_PAM_AUTH_UPDATE;
	argv[a++] = "--disable";
	snprintf(what, what_n, "pam-auth-update --disable");
	for (size_t i = 0; i < sizeof(profiles) / sizeof(*profiles); i++) {
		char path[PATH_MAX];
		size_t have = strlen(what);

		snprintf(path, sizeof(path), "%s/%s", CHECK_PAM_CONFIGS,
			 profiles[i]);
		if (a + 1 >= n || access(path, F_OK) != 0)
			continue;
		argv[a++] = profiles[i];
		snprintf(what + have, what_n - have, " %s", profiles[i]);
	}
	argv[a] = NULL;
	return a > 2;
}

void unenroll_pam(struct unenroll *u)
{
	const char *argv[8];
	char what[200], names[512] = "";
	struct check_pam_dir d;
	bool profile = disable_argv(argv, sizeof(argv) / sizeof(*argv), what,
				    sizeof(what));

	if (!check_pam_dir_load(&d)) {
		unenroll_refuse(u, "cannot read the PAM files of %s",
				CHECK_PAM_DIR);
		goto out;
	}
	for (size_t i = 0; profile && i < d.n; i++) {
		size_t have = strlen(names);

		if (is_common(d.f[i].name) && ksm_lines(&d.f[i]) &&
		    have < sizeof(names))
			snprintf(names + have, sizeof(names) - have, "%s%s",
				 have ? ", " : "", d.f[i].name);
	}
	if (names[0]) {
		unenroll_plan(u, "%s (pam_ksm in %s)", what, names);
		if (u->act) {
			if (!unenroll_run(u, what, argv, PAM_AUTH_UPDATE_MS))
				goto out;
			unenroll_done(u, "%s", what);
			/* What it left is judged like a hand-made line. */
			check_pam_dir_free(&d);
			if (!check_pam_dir_load(&d)) {
				unenroll_fail(u, "cannot read %s again",
					      CHECK_PAM_DIR);
				goto out;
			}
		}
	}
	for (size_t i = 0; i < d.n && !u->failed; i++) {
		/* Planning: the profile's files are pam-auth-update's. */
		if (!ksm_lines(&d.f[i]) ||
		    (!u->act && names[0] && is_common(d.f[i].name)))
			continue;
		by_hand(u, &d.f[i]);
	}
out:
	check_pam_dir_free(&d);
}
