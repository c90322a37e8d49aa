/* SPDX-License-Identifier: MIT */
/*
 * get_secrets.h - get_secret answers as result sets (internal).
 */
#ifndef KSM_GET_SECRETS_H
#define KSM_GET_SECRETS_H

#include "client.h"

/* A record of the answer that could not be decrypted or parsed. */
struct ksm_unreadable {
	char *uid; /* printable: anything but B64U characters shown as '?' */
	char *folder_uid, *inner_folder_uid; /* NULL if none */
	char *reason;
};

/* Bounds on what an answer's appData and warnings may put in logs. */
#define KSM_APP_NAME_MAX 256
#define KSM_WARNINGS_MAX 32
#define KSM_WARNING_MAX	 512

struct ksm_secrets {
	ksm_record **records;
	size_t n, cap;
	size_t *by_uid; /* record indexes sorted by UID, first one first */
	size_t bad;
	struct ksm_unreadable *unreadable; /* the bad records, named */
	size_t n_unreadable;
	/* The shared folders of the answer (folders[].folderUid), also those
	 * without records or whose key did not decrypt: the folders the
	 * application sees besides the subfolders its records name. */
	char **folders;
	size_t n_folders;
	int64_t expires_on;
	/* appData (decrypted with the app key): the application's name and
	 * type; NULL when the answer had none. Control characters become
	 * '?'. */
	char *app_name, *app_type;
	/* The answer's warnings, each reduced to printable ASCII. */
	char **warnings;
	size_t n_warnings;
};

/* The answer's "warnings" array (any JSON) into s; false on ENOMEM. */
KSM_HIDDEN bool ksm_secrets_set_warnings(ksm_secrets *s, json_object *arr);
/* Name and type as ksm_secrets_app_name gives them; false on ENOMEM. */
KSM_HIDDEN bool ksm_secrets_set_app(ksm_secrets *s, const char *name,
				    const char *type);
/* Append a record (taken on success); false on ENOMEM. */
KSM_HIDDEN bool ksm_secrets_push(ksm_secrets *s, ksm_record *r);
/* (Re)build the UID index once every record is in; false on ENOMEM. */
KSM_HIDDEN bool ksm_secrets_index(ksm_secrets *s);
/* A result set owning records (tests build vaults without a server). */
KSM_HIDDEN ksm_secrets *ksm_secrets_wrap(ksm_record **records, size_t n);
/* Note a shared folder of the answer (a copy of uid); false on ENOMEM. */
KSM_HIDDEN bool ksm_secrets_add_folder(ksm_secrets *s, const char *uid);
/* Does the answer show the application a folder (shared folder or a
 * record's subfolder) with this UID? */
KSM_HIDDEN bool ksm_secrets_sees_folder(const ksm_secrets *s, const char *uid);
/* The i-th of them (NULL past the end); ksm_secrets_bad_count counts them
 * and the folders whose key did not decrypt. */
KSM_HIDDEN const struct ksm_unreadable *
ksm_secrets_unreadable(const ksm_secrets *s, size_t i);
/*
 * The records of a decrypted get_secret answer; while unbound, first take
 * the app key from it (binding) and persist the config. Each record's
 * object is released from resp (its array slot set to null) once read.
 */
KSM_HIDDEN ksm_status ksm_secrets_from_response(ksm_client *c,
						json_object *resp,
						ksm_secrets **out,
						ksm_error *err);

#endif
