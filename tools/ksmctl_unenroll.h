/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_unenroll.h - "ksmctl unenroll": undo what enrollment switched on
 * and remove what it left, in an order that never leaves a login path
 * pointing at state that is already gone: PAM, sshd and NSS first
 * (ksmctl_unenroll_pam.c, ksmctl_unenroll_sshd.c, ksmctl_unenroll_host.c),
 * then the timers, the socket and ksmd itself, then the device key, the
 * snapshot and ksmd's verifiers (ksmctl_unenroll_host.c).
 * ksmctl_unenroll.c runs them.
 *
 * Every step is planned first, with nothing changed (--dry-run stops
 * there): a step that could not be done safely refuses the whole run
 * before anything is touched. Where each piece lives is "ksmctl check"'s
 * knowledge (ksmctl_check.h), not restated here.
 */
#ifndef KSMCTL_UNENROLL_H
#define KSMCTL_UNENROLL_H

#include "ksmctl_check.h"

struct unenroll {
	struct check_report r; /* k, systemd, self */
	bool act;	       /* false: plan only */
	bool show;	       /* print the plan ("would: ...") */
	size_t planned;	       /* actions the plan holds */
	size_t refused;	       /* reasons not to start */
	bool failed;	       /* an action failed: stop */
};

/* A line of the plan ("would: ..." or, when acting, nothing: the action
 * reports itself), a refusal, a done action, a failed one. */
void unenroll_plan(struct unenroll *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unenroll_refuse(struct unenroll *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unenroll_done(struct unenroll *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unenroll_fail(struct unenroll *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Something the admin should know that is no action ("note: ..."). */
void unenroll_note(struct unenroll *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Run argv (check_run); on failure report what (and its first line of
 * error output) and return false. */
bool unenroll_run(struct unenroll *u, const char *what,
		  const char *const argv[], unsigned timeout_ms);

/* The steps, in their order; each plans when !u->act, acts when u->act. */
void unenroll_pam(struct unenroll *u);
void unenroll_sshd(struct unenroll *u);
void unenroll_nsswitch(struct unenroll *u);
void unenroll_services(struct unenroll *u);
void unenroll_files(struct unenroll *u);

#endif
