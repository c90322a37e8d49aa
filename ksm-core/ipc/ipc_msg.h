/* SPDX-License-Identifier: MIT */
/*
 * ipc_msg.h - the messages between ksmd and its clients (pam_ksm, the keys
 * helper, ksmctl): docs/ksmd-protocol.md. libc only.
 *
 * A message is an ordered list of fields, each a short ASCII key and a
 * byte string value; a key may repeat (lists). On the wire a frame is
 *
 *   u32 length of the body (big-endian)
 *   body: fields, each  u8 key length, key, u32 value length, value
 *
 * Values are kept NUL-terminated in memory for convenience and wiped when
 * the message is cleared: they may hold passwords.
 */
#ifndef KSM_IPC_MSG_H
#define KSM_IPC_MSG_H

#include "base.h"

#define KSM_IPC_KEY_MAX 32
/* Requests are small; a sync's answer carries every record. */
#define KSM_IPC_REQUEST_MAX (64u * 1024)
#define KSM_IPC_FIELDS_MAX  65536u

struct ksm_ipc_field {
	char key[KSM_IPC_KEY_MAX + 1];
	uint8_t *val; /* NUL-terminated; len excludes the NUL */
	size_t len;
};

typedef struct ksm_ipc_msg {
	struct ksm_ipc_field *f;
	size_t n, cap;
} ksm_ipc_msg;

/* Append a field (key: 1..32 characters of [a-z0-9_.]). */
KSM_HIDDEN ksm_status ksm_ipc_add(ksm_ipc_msg *m, const char *key,
				  const void *val, size_t len);
KSM_HIDDEN ksm_status ksm_ipc_add_str(ksm_ipc_msg *m, const char *key,
				      const char *val);
KSM_HIDDEN ksm_status ksm_ipc_add_u64(ksm_ipc_msg *m, const char *key,
				      uint64_t val);
/* The first value of key as a string, or NULL (also when it holds a NUL). */
KSM_HIDDEN const char *ksm_ipc_get(const ksm_ipc_msg *m, const char *key);
/* The first value of key as a whole number; def when absent or invalid. */
KSM_HIDDEN uint64_t ksm_ipc_get_u64(const ksm_ipc_msg *m, const char *key,
				    uint64_t def);
/* The field of key after index *pos (start with *pos = 0), or NULL. */
KSM_HIDDEN const struct ksm_ipc_field *
ksm_ipc_next(const ksm_ipc_msg *m, const char *key, size_t *pos);
/* Wipe every value and free. */
KSM_HIDDEN void ksm_ipc_clear(ksm_ipc_msg *m);

/* The whole frame (length prefix included), malloc'd; wipe after use. */
KSM_HIDDEN ksm_status ksm_ipc_encode(const ksm_ipc_msg *m, uint8_t **out,
				     size_t *len, ksm_error *err);
/* Parse a frame body (without the length prefix). */
KSM_HIDDEN ksm_status ksm_ipc_decode(const uint8_t *body, size_t len,
				     ksm_ipc_msg *out, ksm_error *err);

#endif
