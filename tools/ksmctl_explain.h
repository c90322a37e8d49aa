/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_explain.h - "ksmctl explain USER": what each consumer of the host
 * will do for USER now, and why. ksmctl_explain.c gathers it with the
 * consumers' own code (ksm-core/login, the snapshot reader, the host's NSS,
 * ksmd's "explain" answer); ksmctl_explain_print.c prints it as text or
 * JSON.
 */
#ifndef KSMCTL_EXPLAIN_H
#define KSMCTL_EXPLAIN_H

#include "ipc_msg.h"
#include "ksmctl.h"
#include "login.h"

#include <sys/types.h>

/* One consumer's answer: a short verdict (a PAM code, "snapshot", ...)
 * and the reason in a sentence. */
struct explain_step {
	const char *answer;
	char why[640];
};

struct explain {
	const char *user;
	int64_t now;
	const ksm_settings *conf;
	/* pam_ksm's and ksmd's decision (the full snapshot check). */
	ksm_login who;
	/* The snapshot's entry of that name, local account or not. */
	ksm_login entry;
	/* The keys helper's decision (the lazy check, as it opens it). */
	ksm_login keys;
	bool local;
	uid_t local_uid;
	bool expired, served;
	/* NSS: nss_ksm's snapshot (its compiled-in path), and getpwnam. */
	const char *nss_path;
	ksm_login nss;
	bool pw_found;
	uid_t pw_uid;
	gid_t pw_gid;
	char pw_home[256], pw_shell[256];
	const char *pw_source; /* "files", "ksm", "other", "none" */
	/* The last sync (SNAPSHOT.status) or NULL. */
	json_object *last;
	/* ksmd's "explain" answer, when ksmd answered one. */
	bool ksmd_reached, ksmd_up;
	char ksmd_error[640];
	ksm_ipc_msg ksmd;
	char summary[700];
	struct explain_step nss_step, keys_step, auth, account, session,
		password, offline;
};

/* A field of ksmd's answer (NULL or 0 when ksmd gave none). */
const char *explain_ksmd_str(const struct explain *e, const char *key);
uint64_t explain_ksmd_num(const struct explain *e, const char *key);

/* ksmctl_explain_print.c */
void explain_print_text(const struct explain *e);
void explain_print_json(const struct explain *e);

#endif
