/* SPDX-License-Identifier: MIT */
/*
 * fuzz_check_parse.c - libFuzzer target: the texts "ksmctl check" reads
 * (tools/ksmctl_check_parse.c): PAM files, nsswitch.conf lines, "sshd -T"
 * output and sshd_config files with their Include lines. The first byte
 * picks the parser, the rest is the text.
 *
 * Invariants: no crash, leak or sanitizer report; PAM rules come in line
 * order, and a control the doctor calls unsafe is safe once it carries the
 * fix the doctor prints (when the fix fits its field); a pam_ksm rule is
 * removable exactly when no reason is given; a file ksmctl unenroll would
 * remove whole sets our helper first; a ksm that comes
 * before files is a ksm that was found; a value found in sshd -T output or
 * an sshd_config is NUL-terminated within its field and on a line that
 * exists.
 */
#include "../../tools/ksmctl_check_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SNIPPET "/usr/share/ksm-unix/sshd_config.d/ksm.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct inc {
	const char *text;
	size_t len;
	unsigned depth;
};

/* An Include reads the same text again, twice deep at most. */
static bool include(void *ctx, const char *pattern, struct ksmctl_sshd_hit *hit)
{
	struct inc *in = ctx;
	bool found;

	(void)pattern;
	if (in->depth >= 2)
		return false;
	in->depth++;
	found = ksmctl_sshd_config_first(in->text, in->len, "included",
					 "authorizedkeyscommand", include, in,
					 hit);
	in->depth--;
	return found;
}

static unsigned count_lines(const char *t, size_t len)
{
	unsigned n = 1;

	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n;
}

static void pam(const char *text, size_t len)
{
	struct ksmctl_pam_line *lines = NULL;
	size_t n = 0;
	unsigned last = 0;

	if (!ksmctl_pam_parse(text, len, &lines, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		struct ksmctl_pam_line l = lines[i];
		char why[256], fixed[KSMCTL_PAM_FIELD + 128], act[64];

		if (l.lineno <= last || l.lineno > count_lines(text, len) ||
		    l.last < l.lineno || l.last > count_lines(text, len))
			abort();
		last = l.last;
		if (ksmctl_pam_is_ksm(&l)) {
			bool removable = ksmctl_pam_removable(lines, n, i, why,
							      sizeof(why));

			if (removable == (why[0] != '\0'))
				abort();
		}
		ksmctl_pam_action(l.control, "service_err", act, sizeof(act));
		if (!act[0])
			abort();
		if (ksmctl_pam_failsafe(&l, why, sizeof(why), fixed,
					sizeof(fixed)))
			continue;
		if (!why[0] || fixed[0] != '[')
			abort();
		if (strlen(fixed) >= sizeof(l.control) - 1 ||
		    strlen(fixed) >= sizeof(fixed) - 1)
			continue; /* cut: the doctor prints it, never runs it */
		strcpy(l.control, fixed);
		if (!ksmctl_pam_failsafe(&l, why, sizeof(why), fixed,
					 sizeof(fixed)))
			abort();
	}
	free(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, buf[KSMCTL_PAM_FIELD];
	struct ksmctl_nss_line v;
	struct ksmctl_sshd_hit hit;
	struct inc in;

	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		pam(text, size - 1);
		break;
	case 1:
		ksmctl_nss_parse(text, size - 1, "passwd", &v);
		if ((v.ksm_first || v.blocker[0]) && !v.has_ksm)
			abort();
		if (v.has_ksm && !v.found)
			abort();
		ksmctl_nss_parse(text, size - 1, "group", &v);
		break;
	case 2:
		if (ksmctl_sshd_T_value(text, "authorizedkeyscommand", buf,
					sizeof(buf)) &&
		    strlen(buf) >= sizeof(buf))
			abort();
		break;
	default:
		in = (struct inc){text, size - 1, 0};
		memset(&hit, 0, sizeof(hit));
		if (ksmctl_sshd_config_first(text, size - 1, "main",
					     "AuthorizedKeysCommand", include,
					     &in, &hit) &&
		    (!hit.line || hit.line > count_lines(text, size - 1) ||
		     strlen(hit.value) >= sizeof(hit.value)))
			abort();
		/* A file unenroll removes whole runs our helper first, or
		 * includes the snippet and sets nothing itself. */
		memset(&hit, 0, sizeof(hit));
		if (ksmctl_sshd_only_ours(text, size - 1, SNIPPET) &&
		    (ksmctl_sshd_config_first(text, size - 1, "f",
					      "AuthorizedKeysCommand", NULL,
					      NULL, &hit)
			     ? strlen(hit.value) + 1 < sizeof(hit.value) &&
				       !ksmctl_sshd_is_helper(hit.value)
			     : !memmem(text, size - 1, SNIPPET,
				       strlen(SNIPPET))))
			abort();
	}
	free(text);
	return 0;
}
