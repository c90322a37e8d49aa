/* SPDX-License-Identifier: MIT */
/*
 * folders.h - get_folders answers as folder lists (internal).
 */
#ifndef KSM_FOLDERS_H
#define KSM_FOLDERS_H

#include "client.h"

/*
 * The folders of a decrypted get_folders answer (resp may be NULL: no
 * folders): keys unwrapped with c's app key, names decrypted where the key
 * opens them. Fails only for lack of memory.
 */
KSM_HIDDEN ksm_status ksm_folders_from_response(const ksm_client *c,
						json_object *resp,
						ksm_folders **out,
						ksm_error *err);

#endif
