/* SPDX-License-Identifier: MIT */
/*
 * server_keys.h - Keeper's published server public keys by id (internal).
 */
#ifndef KSM_SERVER_KEYS_H
#define KSM_SERVER_KEYS_H

#include "base.h"

/* Base64url of the uncompressed P-256 point of key id, or NULL. */
KSM_HIDDEN const char *ksm_server_key_by_id(long id);

#endif
