/* SPDX-License-Identifier: MIT */
/*
 * snapshot_crc.c - CRC-32C for the snapshot's checksums. Lookups check the
 * entries they read and the full check the whole file, so it must be fast,
 * for a few bytes as for megabytes: SSE4.2's crc32 instruction when the CPU
 * has it, a table otherwise. libc only.
 */
#include "snapshot_format.h"

#include <stdbool.h>
#include <string.h>

#define POLY 0x82f63b78u /* Castagnoli, reflected */

static uint32_t table[256];
static int table_ready;

static void build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
		table[i] = c;
	}
	__atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t crc_soft(uint32_t crc, const uint8_t *p, size_t len)
{
	/* Racing builders write identical values: harmless. */
	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		build_table();
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* Up to the first NUL of p[0 .. max), the NUL included; *len: its index
 * (max if there is none). */
static uint32_t str_soft(uint32_t crc, const uint8_t *p, size_t max,
			 size_t *len)
{
	size_t i;

	if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE))
		build_table();
	for (i = 0; i < max; i++) {
		crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
		if (!p[i])
			break;
	}
	*len = i;
	return crc;
}

/* Has the 8-byte word a zero byte? */
static bool has_zero(uint64_t v)
{
	return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	for (; len; len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

/* str_soft, 8 bytes a step while they hold no NUL (and lie below max). */
__attribute__((target("sse4.2"))) static uint32_t
str_hw(uint32_t crc, const uint8_t *p, size_t max, size_t *len)
{
	uint64_t c = crc;
	size_t i = 0;

	for (; i + 8 <= max; i += 8) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (has_zero(v))
			break;
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	for (; i < max; i++) {
		crc = __builtin_ia32_crc32qi(crc, p[i]);
		if (!p[i])
			break;
	}
	*len = i;
	return crc;
}
#endif

#if defined(__x86_64__)
/* 0: not asked yet, 1: SSE4.2, 2: none. Racing askers store one value. */
static int hw;

static bool have_hw(void)
{
	int v = __atomic_load_n(&hw, __ATOMIC_RELAXED);

	if (!v) {
		__builtin_cpu_init(); /* needed before constructors ran */
		v = __builtin_cpu_supports("sse4.2") ? 1 : 2;
		__atomic_store_n(&hw, v, __ATOMIC_RELAXED);
	}
	return v == 1;
}
#endif

uint32_t ksm_crc32c(uint32_t crc, const void *data, size_t len)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (have_hw())
		return ~crc_hw(crc, data, len);
#endif
	return ~crc_soft(crc, data, len);
}

uint32_t ksm_crc32c_str(uint32_t crc, const char *s, size_t max, size_t *len)
{
	crc = ~crc;
#if defined(__x86_64__)
	if (have_hw())
		return ~str_hw(crc, (const uint8_t *)s, max, len);
#endif
	return ~str_soft(crc, (const uint8_t *)s, max, len);
}

uint32_t ksm_snap_name_key(const char *name)
{
	return ksm_crc32c(0, name, strlen(name));
}
