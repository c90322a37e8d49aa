/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check_parse.h - the texts "ksmctl check" reads, parsed without
 * touching the system (ksmctl_check_parse.c; fuzzed by
 * tests/fuzz/fuzz_check_parse.c): PAM files (pam.d(5)), nsswitch.conf's
 * lines, "sshd -T" output and sshd_config files.
 */
#ifndef KSMCTL_CHECK_PARSE_H
#define KSMCTL_CHECK_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define KSMCTL_PAM_FIELD 512

/* One logical line of a PAM file (continuations joined). */
struct ksmctl_pam_line {
	unsigned lineno; /* its first physical line */
	unsigned last;	 /* its last physical line (continuations) */
	bool continued;	 /* it spans several physical lines */
	bool dash;	 /* "-auth ...": a missing module is skipped */
	char type[16];	 /* auth, account, session, password, @include */
	char control[KSMCTL_PAM_FIELD]; /* "required", "[a=b c=d]" */
	char module[KSMCTL_PAM_FIELD];	/* path; the file for includes */
	char args[KSMCTL_PAM_FIELD];
};

/*
 * Every rule of a PAM file's text, comments and blank lines left out;
 * *lines is malloc'd (free it). False only when out of memory. A line too
 * long for a field is cut (it is reported, never executed).
 */
bool ksmctl_pam_parse(const char *text, size_t len,
		      struct ksmctl_pam_line **lines, size_t *n);
/* @include FILE, TYPE include FILE, TYPE substack FILE. */
bool ksmctl_pam_is_include(const struct ksmctl_pam_line *l);
/* Is the module pam_ksm.so (by its base name)? */
bool ksmctl_pam_is_ksm(const struct ksmctl_pam_line *l);
/*
 * The action the control takes for a PAM return code (pam.conf(5) names:
 * "service_err", "user_unknown", "ignore", ...): "ignore", "ok", "done",
 * "bad", "die", "reset" or a jump count; simple keywords as libpam
 * expands them, and "bad" where a bracket gives no value and no default.
 */
void ksmctl_pam_action(const char *control, const char *code, char *buf,
		       size_t n);
/*
 * Does a pam_ksm line of this type let non-vault users through when
 * ksm.conf, ksmd or the snapshot is broken: is every return code pam_ksm
 * gives them (ksmctl_check_pam.c's table) mapped to "ignore"? If not, why
 * names those codes and fixed gets the control that is (the same, with
 * them set to ignore). An unknown type is not judged (true).
 */
bool ksmctl_pam_failsafe(const struct ksmctl_pam_line *l, char *why,
			 size_t why_n, char *fixed, size_t fixed_n);

/*
 * Can rule i of a file's rules be taken out without changing what the
 * file's other rules do (ksmctl unenroll)? Not when no other rule of its
 * type (nor an @include) is left: the stack would be empty; not when an
 * earlier rule of its type that stays jumps (a number in its brackets) onto
 * it or past it: the jump would then land one module further. A jump over
 * an include is refused too, since what the include holds is not counted
 * here. False with the reason in why.
 */
bool ksmctl_pam_removable(const struct ksmctl_pam_line *lines, size_t n,
			  size_t i, char *why, size_t why_n);

/* passwd: or group: of nsswitch.conf, as glibc reads the first one. */
struct ksmctl_nss_line {
	bool found;	  /* the database has a line */
	bool has_ksm;	  /* the ksm service is named */
	bool ksm_first;	  /* ksm comes before files (or compat) */
	char blocker[64]; /* a [..] action before ksm that ends a NOTFOUND
			     lookup, as written; "" if none */
};
void ksmctl_nss_parse(const char *text, size_t len, const char *db,
		      struct ksmctl_nss_line *out);

/* The value of keyword (lower case) in "sshd -T" output; false if none. */
bool ksmctl_sshd_T_value(const char *text, const char *keyword, char *buf,
			 size_t n);

/* Is an AuthorizedKeysCommand value ours: does it run ksm-authorized-keys
 * (by its base name)? */
bool ksmctl_sshd_is_helper(const char *cmd);
/*
 * Is this sshd_config text our drop-in and nothing else: every setting in
 * it "Include SNIPPET" (the README's 10-ksm.conf), AuthorizedKeysCommand
 * running ksm-authorized-keys or AuthorizedKeysCommandUser, and at least
 * one of the first two (a copy of the snippet, a link to it, an include
 * of it)? Such a file can be removed whole.
 */
bool ksmctl_sshd_only_ours(const char *text, size_t len, const char *snippet);

/*
 * Where sshd_config text (file) first sets keyword (case-insensitive), as
 * sshd reads it: Include lines are followed in place through inc (given
 * each pattern; it returns true when the included files set it, having
 * filled hit), a Match block ends the file's global part. True and *hit
 * when found. keyword NULL matches nothing: the Include lines are followed
 * and nothing else (to visit every file).
 */
struct ksmctl_sshd_hit {
	char file[256];
	unsigned line;
	char value[KSMCTL_PAM_FIELD];
};
typedef bool (*ksmctl_sshd_include_fn)(void *ctx, const char *pattern,
				       struct ksmctl_sshd_hit *hit);
bool ksmctl_sshd_config_first(const char *text, size_t len, const char *file,
			      const char *keyword, ksmctl_sshd_include_fn inc,
			      void *ctx, struct ksmctl_sshd_hit *hit);

#endif
