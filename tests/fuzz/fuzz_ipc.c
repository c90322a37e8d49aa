/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ipc.c - libFuzzer target: the frames ksmd reads from any local
 * process and its clients read from ksmd (ksm_ipc_decode, ksm_ipc_get*,
 * ksm_ipc_next, ksm_ipc_encode).
 *
 * Invariants (abort on violation): a body either decodes or is refused
 * with a message; what decodes encodes to a frame whose body is the input
 * itself (the format has one spelling), and decodes again to the same
 * fields; string lookups never return a value with an inner NUL.
 */
#include "ipc_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ksm_ipc_msg m = {0}, again = {0};
	ksm_error err = {0};
	uint8_t *frame = NULL;
	size_t len = 0, pos = 0;

	if (ksm_ipc_decode(data, size, &m, &err) != KSM_OK) {
		if (!err.message[0])
			abort();
		return 0;
	}
	if (ksm_ipc_encode(&m, &frame, &len, &err) != KSM_OK ||
	    len != size + 4 || memcmp(frame + 4, data, size) != 0)
		abort();
	if (ksm_ipc_decode(frame + 4, len - 4, &again, &err) != KSM_OK ||
	    again.n != m.n)
		abort();
	for (size_t i = 0; i < m.n; i++) {
		const char *v = ksm_ipc_get(&m, m.f[i].key);

		if (strcmp(m.f[i].key, again.f[i].key) != 0 ||
		    m.f[i].len != again.f[i].len ||
		    memcmp(m.f[i].val, again.f[i].val, m.f[i].len) != 0)
			abort();
		if (v && strlen(v) != ksm_ipc_next(&m, m.f[i].key, &pos)->len)
			abort();
		pos = 0;
		(void)ksm_ipc_get_u64(&m, m.f[i].key, 7);
	}
	free(frame);
	ksm_ipc_clear(&m);
	ksm_ipc_clear(&again);
	return 0;
}
