/* SPDX-License-Identifier: MIT */
/*
 * fuzz_account_fields.c - libFuzzer target: the values of a vault record
 * that become a passwd line (ksm_account_from_record): login, custom uid,
 * gid, valid_until, groups, home, shell, gecos, the record type and title.
 *
 * Input: byte 0 is a set of flags, the rest NUL-separated parts in the
 * order login, uid, gid, valid_until, groups, home, shell, gecos, type,
 * title. An empty or missing part leaves that field out (type: "login",
 * title: "T").
 *   bit 0  login is a custom field, not a standard one;
 *   bit 1  a second ksm.conf (narrow uid/gid ranges, another home template
 *          and shell);
 *   bit 2  uid, gid and valid_until made of digits only go in as JSON
 *          numbers, not strings.
 *
 * Invariants (abort on violation): what is accepted is exactly what the
 * parts say (a given uid or gid is that decimal number and inside its
 * range; home, shell and gecos are those values or the defaults), every
 * text is fit for a passwd line, groups are valid names without repeats,
 * and valid_until agrees with a strict reading of docs/design.md's "ISO
 * 8601 or epoch seconds" (reference_time() below) in both directions; a
 * given valid_until is never 0, which would mean "no expiry".
 */
#include "record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	P_LOGIN,
	P_UID,
	P_GID,
	P_UNTIL,
	P_GROUPS,
	P_HOME,
	P_SHELL,
	P_GECOS,
	P_TYPE,
	P_TITLE,
	N_PARTS
};
static const char *const labels[N_PARTS] = {
	"login", "uid",	  "gid",   "valid_until", "groups",
	"home",	 "shell", "gecos", NULL,	  NULL,
};

static ksm_settings *confs[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char alt[] = "uid_range = 5000-5009\n"
				  "gid_range = 5005-5020\n"
				  "derived_uid_range = 6000-6009\n"
				  "derived_gid_range = 7000-7003\n"
				  "home_template = /srv/%u/%%/x\n"
				  "default_shell = /bin/sh\n";

	if (ksm_settings_parse("", 0, "fuzz", &confs[0], NULL) != KSM_OK ||
	    ksm_settings_parse(alt, sizeof(alt) - 1, "fuzz-alt", &confs[1],
			       NULL) != KSM_OK)
		abort();
	return 0;
}

/* ------------------------------------------------------------ reference */
/*
 * The rules of ksm-core/accounts/accounts.c (digits, dates, valid_until),
 * restated here on purpose: an independent oracle written from
 * docs/design.md, not shared with the code it checks, so that a mistake in
 * one shows up as a disagreement with the other.
 */

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Exactly n digits at *s, advancing it. */
static bool digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a valid date. */
static int64_t days_since_epoch(int y, int m, int d)
{
	static const int before[12] = {0,   31,	 59,  90,  120, 151,
				       181, 212, 243, 273, 304, 334};
	int64_t days = 0;

	for (int k = 1970; k < y; k++)
		days += leap(k) ? 366 : 365;
	return days + before[m - 1] + (m > 2 && leap(y)) + d - 1;
}

/*
 * Epoch seconds (digits, at most UINT32_MAX) or YYYY-MM-DD, optionally
 * followed by T or a space and HH:MM[:SS] with an optional Z or +HH:MM /
 * -HH:MM; fixed widths, real calendar dates from 1970, second 60 allowed
 * (a leap second, counted as the next minute's first), offsets within a
 * day. Anything at or before the epoch reads as -1: 0 means no expiry.
 */
static bool reference_time(const char *s, int64_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 1;
	int64_t v;

	if (all_digits(s)) {
		unsigned long long e = strtoull(s, NULL, 10);

		if (e > UINT32_MAX) /* strtoull's overflow is ULLONG_MAX */
			return false;
		*out = e ? (int64_t)e : -1;
		return true;
	}
	if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) ||
	    *s++ != '-' || !digits(&s, 2, &d))
		return false;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
			return false;
		if (*s == ':' && (s++, !digits(&s, 2, &sec)))
			return false;
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (!digits(&s, 2, &oh) || *s++ != ':' ||
			    !digits(&s, 2, &om) || oh > 23 || om > 59)
				return false;
		}
	}
	if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60)
		return false;
	v = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	*out = v > 0 ? v : -1;
	return true;
}

/* -------------------------------------------------------------- checks */

static bool posix_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && !strchr("_-.", s[i]))
			return false;
	return true;
}

static void check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			abort();
}

static void check_path(const char *s)
{
	size_t n = strlen(s);

	check_text(s);
	if (s[0] != '/' || strstr(s, "/../") ||
	    (n >= 3 && strcmp(s + n - 3, "/..") == 0))
		abort();
}

static bool in_range(uint32_t id, uint32_t lo, uint32_t hi)
{
	return id >= lo && id <= hi;
}

/* A given uid/gid: that number, from digits only, inside the range for
 * custom fields or the derived one; else a derived id, in the latter
 * (for a gid, see check_account). */
static void check_id(const char *part, uint32_t got, uint32_t lo, uint32_t hi,
		     uint32_t dlo, uint32_t dhi)
{
	if (!in_range(got, dlo, dhi) && (!part || !in_range(got, lo, hi)))
		abort();
	if (part && (!all_digits(part) || strtoull(part, NULL, 10) != got))
		abort();
}

static char *default_home(const ksm_settings *conf, const char *name)
{
	size_t cap = strlen(conf->home_template) * 2 + strlen(name) * 16 + 1;
	char *h = malloc(cap), *o = h;

	if (!h)
		abort();
	for (const char *p = conf->home_template; *p; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			o += sprintf(o, "%s", name);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			*o++ = '%';
			p++;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return h;
}

static void check_groups(const ksm_account *a, const char *part)
{
	if (!part && a->n_groups)
		abort();
	for (size_t i = 0; i < a->n_groups; i++) {
		const char *g = a->groups[i],
			   *hit = part ? strstr(part, g) : NULL;

		if (!posix_name(g) || !hit)
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(g, a->groups[j]))
				abort();
	}
}

static void check_account(const ksm_account *a, const ksm_settings *conf,
			  const char *const *p)
{
	int64_t until;
	bool uid_gid = false;

	if (!posix_name(a->name) || strcmp(a->name, p[P_LOGIN]) != 0 ||
	    strcmp(a->record_uid, "FuzzRecord000000000000") != 0)
		abort();
	check_id(p[P_UID], a->uid, conf->uid_min, conf->uid_max,
		 conf->derived_uid_min, conf->derived_uid_max);
	if (p[P_GID])
		check_id(p[P_GID], a->gid, conf->gid_min, conf->gid_max,
			 conf->derived_gid_min, conf->derived_gid_max);
	else if (in_range(a->uid, conf->gid_min, conf->gid_max) ||
		 in_range(a->uid, conf->derived_gid_min, conf->derived_gid_max))
		uid_gid = true; /* the user private group shares the uid */
	else if (!in_range(a->gid, conf->derived_gid_min,
			   conf->derived_gid_max))
		abort();
	if (uid_gid && a->gid != a->uid)
		abort();
	check_path(a->home);
	check_path(a->shell);
	check_text(a->gecos);
	if (p[P_HOME]) {
		if (strcmp(a->home, p[P_HOME]) != 0)
			abort();
	} else {
		char *h = default_home(conf, a->name);

		if (strcmp(a->home, h) != 0)
			abort();
		free(h);
	}
	if (strcmp(a->shell, p[P_SHELL] ? p[P_SHELL] : conf->default_shell))
		abort();
	if (strcmp(a->gecos, p[P_GECOS]	  ? p[P_GECOS]
			     : p[P_TITLE] ? p[P_TITLE]
					  : "T"))
		abort();
	if (!p[P_UNTIL]) {
		if (a->valid_until != 0)
			abort();
	} else if (!reference_time(p[P_UNTIL], &until) ||
		   a->valid_until != until) {
		fprintf(stderr,
			"valid_until '%s': got %lld, reference %s %lld\n",
			p[P_UNTIL], (long long)a->valid_until,
			reference_time(p[P_UNTIL], &until) ? "" : "refuses",
			(long long)until);
		abort();
	}
	check_groups(a, p[P_GROUPS]);
	if (a->n_keys)
		abort(); /* no key fields here */
}

/* -------------------------------------------------------------- record */

static void add_field(json_object *arr, const char *type, const char *label,
		      const char *value, bool number)
{
	json_object *f = json_object_new_object(), *v = json_object_new_array();

	json_object_object_add(f, "type", json_object_new_string(type));
	if (label)
		json_object_object_add(f, "label",
				       json_object_new_string(label));
	if (number && all_digits(value) && strlen(value) <= 18)
		json_object_array_add(
			v, json_object_new_int64(strtoll(value, NULL, 10)));
	else
		json_object_array_add(v, json_object_new_string(value));
	json_object_object_add(f, "value", v);
	json_object_array_add(arr, f);
}

/* Built as an object, not parsed: any bytes reach the account rules. */
static ksm_record *make_record(const char *const *p, unsigned flags)
{
	json_object *o = json_object_new_object();
	json_object *fields = json_object_new_array();
	json_object *custom = json_object_new_array();
	ksm_record *r = NULL;

	json_object_object_add(
		o, "type",
		json_object_new_string(p[P_TYPE] ? p[P_TYPE] : "login"));
	json_object_object_add(
		o, "title",
		json_object_new_string(p[P_TITLE] ? p[P_TITLE] : "T"));
	json_object_object_add(o, "fields", fields);
	json_object_object_add(o, "custom", custom);
	if (p[P_LOGIN]) {
		if (flags & 1)
			add_field(custom, "text", "login", p[P_LOGIN], false);
		else
			add_field(fields, "login", NULL, p[P_LOGIN], false);
	}
	add_field(fields, "password", NULL, "pw", false);
	for (int i = P_UID; i <= P_GECOS; i++)
		if (p[i])
			add_field(custom, "text", labels[i], p[i],
				  (flags & 4) && (i == P_UID || i == P_GID ||
						  i == P_UNTIL));
	if (ksm_record_from_jsonc("FuzzRecord000000000000", o, &r, NULL) !=
	    KSM_OK)
		abort();
	json_object_put(o);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p[N_PARTS] = {NULL};
	const ksm_settings *conf;
	ksm_record *r;
	ksm_account a;
	ksm_error err;
	int64_t until;
	char *buf;
	size_t n = 0;
	ksm_status st;

	if (size < 1 || size > 8192)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (char *s = buf; n < N_PARTS && s < buf + size; n++) {
		p[n] = *s ? s : NULL;
		s += strlen(s) + 1;
	}
	conf = confs[(data[0] >> 1) & 1];
	r = make_record(p, data[0]);
	st = ksm_account_from_record(r, conf, &a, NULL, &err);
	if (st == KSM_OK) {
		check_account(&a, conf, p);
		ksm_account_clear(&a);
	} else {
		if (a.name || a.home || a.keys || a.groups)
			abort(); /* cleared on failure */
		/* A refusal for valid_until only when the reference agrees. */
		if (st == KSM_ERR_INVALID && p[P_UNTIL] &&
		    !strncmp(err.message, "valid_until is neither", 22) &&
		    reference_time(p[P_UNTIL], &until)) {
			fprintf(stderr, "valid_until '%s' refused: %s\n",
				p[P_UNTIL], err.message);
			abort();
		}
	}
	ksm_record_free(r);
	free(buf);
	return 0;
}
