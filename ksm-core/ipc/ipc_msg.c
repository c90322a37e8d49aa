/* SPDX-License-Identifier: MIT */
/*
 * ipc_msg.c - encoding and decoding the frames of docs/ksmd-protocol.md.
 * Every length is checked before it is used: the peer may be hostile.
 */
#include "ipc_msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool valid_key(const char *k, size_t n)
{
	if (n == 0 || n > KSM_IPC_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		      k[i] == '.'))
			return false;
	return true;
}

ksm_status ksm_ipc_add(ksm_ipc_msg *m, const char *key, const void *val,
		       size_t len)
{
	struct ksm_ipc_field *f;
	size_t klen = strlen(key);

	if (!valid_key(key, klen) || len > UINT32_MAX - 1)
		return KSM_ERR_INVALID;
	if (m->n >= KSM_IPC_FIELDS_MAX)
		return KSM_ERR_INVALID;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct ksm_ipc_field *p = realloc(m->f, cap * sizeof(*p));

		if (!p)
			return KSM_ERR_NOMEM;
		m->f = p;
		m->cap = cap;
	}
	f = &m->f[m->n];
	memcpy(f->key, key, klen + 1);
	f->val = malloc(len + 1);
	if (!f->val)
		return KSM_ERR_NOMEM;
	if (len)
		memcpy(f->val, val, len);
	f->val[len] = '\0';
	f->len = len;
	m->n++;
	return KSM_OK;
}

ksm_status ksm_ipc_add_str(ksm_ipc_msg *m, const char *key, const char *val)
{
	return ksm_ipc_add(m, key, val ? val : "", val ? strlen(val) : 0);
}

ksm_status ksm_ipc_add_u64(ksm_ipc_msg *m, const char *key, uint64_t val)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, val);
	return ksm_ipc_add_str(m, key, buf);
}

const struct ksm_ipc_field *ksm_ipc_next(const ksm_ipc_msg *m, const char *key,
					 size_t *pos)
{
	for (; *pos < m->n; (*pos)++)
		if (!strcmp(m->f[*pos].key, key))
			return &m->f[(*pos)++];
	return NULL;
}

const char *ksm_ipc_get(const ksm_ipc_msg *m, const char *key)
{
	size_t pos = 0;
	const struct ksm_ipc_field *f = ksm_ipc_next(m, key, &pos);

	if (!f || strlen((const char *)f->val) != f->len)
		return NULL;
	return (const char *)f->val;
}

uint64_t ksm_ipc_get_u64(const ksm_ipc_msg *m, const char *key, uint64_t def)
{
	const char *v = ksm_ipc_get(m, key);
	uint64_t n = 0;

	if (!v || !*v || strlen(v) > 19)
		return def;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return def;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	return n;
}

void ksm_ipc_clear(ksm_ipc_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		ksm_free_wiped(m->f[i].val, m->f[i].len + 1);
	free(m->f);
	memset(m, 0, sizeof(*m));
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

ksm_status ksm_ipc_encode(const ksm_ipc_msg *m, uint8_t **out, size_t *len,
			  ksm_error *err)
{
	size_t total = 4, at = 4;
	uint8_t *p;

	*out = NULL;
	for (size_t i = 0; i < m->n; i++) {
		size_t one = 1 + strlen(m->f[i].key) + 4 + m->f[i].len;

		if (total > UINT32_MAX - one)
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "message too large");
		total += one;
	}
	p = malloc(total);
	if (!p)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	put_u32(p, (uint32_t)(total - 4));
	for (size_t i = 0; i < m->n; i++) {
		size_t klen = strlen(m->f[i].key);

		p[at++] = (uint8_t)klen;
		memcpy(p + at, m->f[i].key, klen);
		at += klen;
		put_u32(p + at, (uint32_t)m->f[i].len);
		at += 4;
		if (m->f[i].len)
			memcpy(p + at, m->f[i].val, m->f[i].len);
		at += m->f[i].len;
	}
	*out = p;
	*len = total;
	return KSM_OK;
}

ksm_status ksm_ipc_decode(const uint8_t *body, size_t len, ksm_ipc_msg *out,
			  ksm_error *err)
{
	size_t at = 0;
	ksm_status st = KSM_OK;

	memset(out, 0, sizeof(*out));
	while (at < len) {
		char key[KSM_IPC_KEY_MAX + 1];
		size_t klen = body[at++];
		uint32_t vlen;

		if (klen > len - at ||
		    !valid_key((const char *)body + at, klen)) {
			st = ksm_set_error(err, KSM_ERR_PROTOCOL,
					   "ksmd message: bad field name at "
					   "offset %zu",
					   at - 1);
			goto out;
		}
		memcpy(key, body + at, klen);
		key[klen] = '\0';
		at += klen;
		if (len - at < 4) {
			st = ksm_set_error(err, KSM_ERR_PROTOCOL,
					   "ksmd message: field %s cut short",
					   key);
			goto out;
		}
		vlen = get_u32(body + at);
		at += 4;
		if (vlen > len - at) {
			st = ksm_set_error(err, KSM_ERR_PROTOCOL,
					   "ksmd message: field %s longer "
					   "than the message",
					   key);
			goto out;
		}
		st = ksm_ipc_add(out, key, body + at, vlen);
		if (st != KSM_OK) {
			ksm_set_error(err, st, "ksmd message: %s",
				      st == KSM_ERR_NOMEM ? "out of memory"
							  : "too many fields");
			goto out;
		}
		at += vlen;
	}
out:
	if (st != KSM_OK)
		ksm_ipc_clear(out);
	return st;
}
