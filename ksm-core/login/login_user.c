/* SPDX-License-Identifier: MIT */
/*
 * login_user.c - who a login name is, and what the login consumers do for
 * it (see login.h). A local account of the same name always wins over the
 * vault's: it may have been made after the last sync.
 */
#include "local_files.h"
#include "login.h"
#include "text.h"

#include <string.h>

bool ksm_login_is_local(const char *name)
{
	return name && *name && ksm_passwd_file_has(NULL, name);
}

ksm_login_kind ksm_login_lookup(const char *snapshot, unsigned snap_flags,
				const char *name, ksm_login *l)
{
	memset(l, 0, sizeof(*l));
	l->kind = KSM_LOGIN_NO_NAME;
	if (!name || !*name)
		return l->kind;
	l->snap_st = ksm_snap_open_flags(snapshot, snap_flags, &l->snap);
	if (l->snap_st != KSM_SNAPST_OK) {
		l->kind = KSM_LOGIN_NO_SNAPSHOT;
		return l->kind;
	}
	switch (ksm_snap_find_user_by_name(&l->snap, name, &l->u)) {
	case KSM_SNAP_FOUND:
		l->kind = KSM_LOGIN_VAULT;
		break;
	case KSM_SNAP_DAMAGED:
		l->kind = KSM_LOGIN_DAMAGED;
		break;
	default:
		l->kind = KSM_LOGIN_UNKNOWN;
	}
	return l->kind;
}

ksm_login_kind ksm_login_find(const char *snapshot, unsigned snap_flags,
			      const char *name, ksm_login *l)
{
	if (ksm_login_is_local(name)) {
		memset(l, 0, sizeof(*l));
		l->kind = KSM_LOGIN_LOCAL;
		return l->kind;
	}
	return ksm_login_lookup(snapshot, snap_flags, name, l);
}

void ksm_login_close(ksm_login *l)
{
	ksm_snap_close(&l->snap);
	l->u = NULL;
}

const char *ksm_login_why(ksm_login_kind kind)
{
	switch (kind) {
	case KSM_LOGIN_VAULT:
		return "a vault user";
	case KSM_LOGIN_LOCAL:
		return "a local account of that name exists: it wins";
	case KSM_LOGIN_NO_SNAPSHOT:
		return "no usable snapshot (run 'ksmctl sync')";
	case KSM_LOGIN_NO_NAME:
		return "no user name";
	case KSM_LOGIN_DAMAGED:
		return "its entry in the snapshot is damaged (run 'ksmctl "
		       "sync')";
	default:
		return "not a vault user";
	}
}

bool ksm_login_expired(const struct ksm_snap_user *u, int64_t now)
{
	return u && u->valid_until && u->valid_until < now;
}

bool ksm_login_keys_live(const ksm_settings *conf, int64_t age)
{
	return age > (int64_t)conf->keys_max_age;
}

bool ksm_login_keys_stale_ok(const ksm_settings *conf, int64_t age)
{
	return age <= (int64_t)conf->keys_max_stale;
}

bool ksm_login_key_line_ok(const char *line)
{
	static const char *const types[] = {"ssh-", "ecdsa-", "sk-"};

	if (!line || !ksm_text_clean(line, 16384, ""))
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strncmp(line, types[i], strlen(types[i])))
			return true;
	return false;
}

bool ksm_login_asks_code(enum ksm_totp_mode mode, uint32_t flags)
{
	return mode == KSM_TOTP_REQUIRED ||
	       (mode == KSM_TOTP_IF_PRESENT && (flags & KSM_SNAP_HAS_TOTP));
}
