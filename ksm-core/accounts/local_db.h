/* SPDX-License-Identifier: MIT */
/*
 * local_db.h - lookups in the local users and groups that ksm_local_db_load
 * (ksm.h) read (internal).
 */
#ifndef KSM_LOCAL_DB_H
#define KSM_LOCAL_DB_H

#include "base.h"

/* The local name for a name or id, or NULL. */
KSM_HIDDEN const char *ksm_local_user_by_name(const ksm_local_db *db,
					      const char *name);
KSM_HIDDEN const char *ksm_local_user_by_uid(const ksm_local_db *db,
					     uint32_t uid);
KSM_HIDDEN const char *ksm_local_group_by_gid(const ksm_local_db *db,
					      uint32_t gid);

#endif
