/* SPDX-License-Identifier: MIT */
/*
 * fuzz_account.c - the rules that turn vault content into login accounts:
 * the authorized_keys line validator on arbitrary lines (first byte even),
 * or ksm_account_from_record on arbitrary record JSON (first byte odd).
 * Whatever passes must be safe to hand to sshd and to a passwd line.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"

static ksm_settings *conf;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return ksm_settings_parse("", 0, "fuzz", &conf, NULL) == KSM_OK ? 0 : 1;
}

static void check_clean(const char *s, bool colon_ok)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (!colon_ok && *s == ':'))
			abort();
}

static void fuzz_key(const char *line)
{
	char *canon = NULL, *fp = NULL;

	if (ksm_ssh_key_parse(line, &canon, &fp, NULL) != KSM_OK)
		return;
	/* A key line must never carry options, newlines or control bytes. */
	check_clean(canon, true);
	if (strncmp(fp, "SHA256:", 7) != 0 || strchr(canon, '"') == canon)
		abort();
	free(canon);
	free(fp);
}

/* uid_range or derived_uid_range (gid likewise). */
static bool in_ranges(uint32_t id, uint32_t lo, uint32_t hi, uint32_t dlo,
		      uint32_t dhi)
{
	return (id >= lo && id <= hi) || (id >= dlo && id <= dhi);
}

static void fuzz_record(const char *json, size_t len)
{
	ksm_record *r = NULL;
	ksm_account a;

	if (ksm_record_parse("FuzzRecord000000000000", json, len, &r, NULL) !=
	    KSM_OK)
		return;
	if (ksm_account_from_record(r, conf, &a, NULL, NULL) == KSM_OK) {
		check_clean(a.name, false);
		check_clean(a.gecos, false);
		check_clean(a.home, false);
		check_clean(a.shell, false);
		if (!in_ranges(a.uid, conf->uid_min, conf->uid_max,
			       conf->derived_uid_min, conf->derived_uid_max) ||
		    !in_ranges(a.gid, conf->gid_min, conf->gid_max,
			       conf->derived_gid_min, conf->derived_gid_max))
			abort();
		for (size_t i = 0; i < a.n_keys; i++)
			check_clean(a.keys[i], true);
		ksm_account_clear(&a);
	}
	ksm_record_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] & 1)
		fuzz_record(text, size - 1);
	else
		fuzz_key(text);
	free(text);
	return 0;
}
