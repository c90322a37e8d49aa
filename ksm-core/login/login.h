/* SPDX-License-Identifier: MIT */
/*
 * login.h - the decisions every login consumer of a host shares (internal,
 * libc only): who a login name is (a local account, a vault user of the
 * snapshot, nobody), whether a vault user's access has expired, where the
 * keys helper takes keys from, when pam_ksm asks for a one-time code.
 *
 * pam_ksm, ksm-authorized-keys and ksmd decide with these functions, and
 * "ksmctl explain" calls the same ones to say what they will do; a rule
 * that changes here changes for all of them at once.
 */
#ifndef KSM_LOGIN_H
#define KSM_LOGIN_H

#include "defs.h"
#include "snapshot_reader.h"

#include <stdint.h>

typedef enum ksm_login_kind {
	KSM_LOGIN_VAULT = 0,   /* in the snapshot, no local account of that
				  name */
	KSM_LOGIN_LOCAL,       /* /etc/passwd has the name: it always wins */
	KSM_LOGIN_UNKNOWN,     /* neither local nor in the snapshot */
	KSM_LOGIN_NO_SNAPSHOT, /* not local, and the snapshot is unusable */
	KSM_LOGIN_NO_NAME,     /* an empty name */
	KSM_LOGIN_DAMAGED,     /* not local; the snapshot entry (or the hash
				  bucket) the name leads to fails its checks:
				  not served (KSM_SNAP_DAMAGED) */
} ksm_login_kind;

typedef struct ksm_login {
	ksm_login_kind kind;
	ksm_snap_status snap_st;       /* the snapshot's, once it was tried */
	ksm_snap snap;		       /* open for VAULT, UNKNOWN, DAMAGED */
	const struct ksm_snap_user *u; /* VAULT: the user's entry */
} ksm_login;

/* Is name a local account (/etc/passwd itself, never NSS)? The first
 * question of every consumer; it needs no ksm.conf. */
KSM_HIDDEN bool ksm_login_is_local(const char *name);
/*
 * The snapshot's answer for a name that is not local: open snapshot
 * (snap_flags: 0 or KSM_SNAP_LAZY, as ksm_snap_open_flags) and look the
 * name up. Fills *l (release with ksm_login_close) and returns l->kind.
 */
KSM_HIDDEN ksm_login_kind ksm_login_lookup(const char *snapshot,
					   unsigned snap_flags,
					   const char *name, ksm_login *l);
/* Both: a local account first, then the snapshot. */
KSM_HIDDEN ksm_login_kind ksm_login_find(const char *snapshot,
					 unsigned snap_flags, const char *name,
					 ksm_login *l);
KSM_HIDDEN void ksm_login_close(ksm_login *l);
/* Why a name is (not) a vault user, in a few words for a log line. */
KSM_HIDDEN const char *ksm_login_why(ksm_login_kind kind);

/* Has a vault user's access expired (valid_until set and past)? */
KSM_HIDDEN bool ksm_login_expired(const struct ksm_snap_user *u, int64_t now);

/*
 * The keys helper, for a snapshot age seconds old: asks ksmd for the
 * vault's current keys when the snapshot is older than keys_max_age, else
 * prints the snapshot's; when ksmd cannot answer, the snapshot's keys
 * still serve while it is at most keys_max_stale old.
 */
KSM_HIDDEN bool ksm_login_keys_live(const ksm_settings *conf, int64_t age);
KSM_HIDDEN bool ksm_login_keys_stale_ok(const ksm_settings *conf, int64_t age);
/* A line the helper hands to sshd: one plain key line of a key type, no
 * control character, no options. */
KSM_HIDDEN bool ksm_login_key_line_ok(const char *line);

/* pam_ksm's totp= option. */
enum ksm_totp_mode { KSM_TOTP_OFF, KSM_TOTP_IF_PRESENT, KSM_TOTP_REQUIRED };
/* Does pam_ksm's auth ask for the code (before ksmd has said anything)?
 * flags: the snapshot entry's (KSM_SNAP_HAS_TOTP). */
KSM_HIDDEN bool ksm_login_asks_code(enum ksm_totp_mode mode, uint32_t flags);

#endif
