/* SPDX-License-Identifier: MIT */
/*
 * accounts.c - vault records to POSIX accounts (docs/design.md, "Records
 * to POSIX accounts"), with every value that reaches a passwd line, an
 * authorized_keys line or a log checked, and collisions refused on both
 * sides rather than resolved.
 */
#include "client.h"
#include "crypto.h"
#include "get_secrets.h"
#include "record.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"

static const char *const account_types[] = {"pamUser", "login", "sshKeys",
					    "serverCredentials"};

/* KeeperPAM's fields for a rotated SSH key (pamUser, pamMachine). */
#define PRIVATE_KEY_LABEL "privatePEMKey"
#define PASSPHRASE_LABEL  "Private Key Passphrase"

#define MAX_NAME 32
#define MAX_TEXT 1024

/* Debian's rule for user and group names, without the trailing '$'. */
static bool valid_posix_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_NAME ||
	    !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* Text that may go into a passwd line: no ':', no control characters. */
static bool valid_passwd_text(const char *s)
{
	return ksm_text_clean(s, MAX_TEXT, ":");
}

/* A value that may be quoted in a refusal line: no control characters. */
static bool printable(const char *s)
{
	return ksm_text_clean(s, 0, "");
}

static bool valid_path(const char *s)
{
	return s[0] == '/' && valid_passwd_text(s) && !strstr(s, "/../") &&
	       strcmp(s + strlen(s) - (strlen(s) >= 3 ? 3 : 0), "/..") != 0;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* A stable id from a name or record UID inside [lo, hi]. */
uint32_t ksm_derived_id(const char *seed, uint32_t lo, uint32_t hi)
{
	uint8_t d[32];
	uint64_t v = 0;

	ksm_sha256((const uint8_t *)seed, strlen(seed), d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return lo + (uint32_t)(v % ((uint64_t)hi - lo + 1));
}

/* Exactly n digits at *s (no sign, no blanks, as ISO 8601), advancing it. */
static bool fixed_digits(const char **s, int n, int *out)
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

/*
 * ISO 8601 (YYYY-MM-DD, or that and [T ]HH:MM[:SS] with Z or +-HH:MM) or
 * epoch seconds. A date that does not exist (Feb 30) is refused, not moved
 * on by timegm. 0 means "no expiry" to every reader, so an instant at or
 * before the epoch is stored as -1: already expired.
 */
static bool parse_time(const char *s, int64_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	struct tm tm = {0};
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	bool leap;
	int64_t t;
	uint32_t epoch;

	if (parse_u32(s, &epoch)) {
		*out = epoch ? (int64_t)epoch : -1;
		return true;
	}
	if (!fixed_digits(&s, 4, &y) || *s++ != '-' ||
	    !fixed_digits(&s, 2, &mo) || *s++ != '-' ||
	    !fixed_digits(&s, 2, &d))
		return false;
	if (*s == 'T' || *s == ' ') {
		s++;
		if (!fixed_digits(&s, 2, &h) || *s++ != ':' ||
		    !fixed_digits(&s, 2, &mi))
			return false;
		if (*s == ':' && (s++, !fixed_digits(&s, 2, &sec)))
			return false;
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			char sign = *s++;

			if (!fixed_digits(&s, 2, &oh) || *s++ != ':' ||
			    !fixed_digits(&s, 2, &om) || oh > 23 || om > 59)
				return false;
			if (sign == '-') {
				oh = -oh;
				om = -om;
			}
		}
	}
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    sec > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm) - oh * 3600 - om * 60;
	*out = t > 0 ? t : -1;
	return true;
}

/* The first value of the custom field called name (labels.c), or NULL;
 * check_single_fields has refused conflicting ones already. */
static char *custom_value(const ksm_record *r, const char *name)
{
	ksm_status st;

	return ksm_field_lookup_text(r, KSM_CUSTOM, name, &st);
}

ksm_status ksm_add_refusal(ksm_accounts *out, const char *uid, const char *name,
			   bool whole, const char *fmt, ...)
{
	ksm_refusal *p;
	va_list ap;
	char *reason = NULL;
	int n;

	if (!out)
		return KSM_OK;
	va_start(ap, fmt);
	n = vasprintf(&reason, fmt, ap);
	va_end(ap);
	p = n >= 0 ? realloc(out->refusals, (out->n_refusals + 1) * sizeof(*p))
		   : NULL;
	if (!p) {
		if (n >= 0)
			free(reason);
		return KSM_ERR_NOMEM;
	}
	out->refusals = p;
	p += out->n_refusals;
	p->record_uid = ksm_strdup(uid ? uid : "");
	p->name = ksm_strdup(name ? name : "");
	p->reason = reason;
	p->whole_account = whole;
	p->off_host = false;
	out->n_refusals++;
	return KSM_OK;
}

static ksm_status add_key(ksm_account *a, const ksm_record *r, const char *line,
			  ksm_accounts *dropped)
{
	char *canon = NULL, *fp = NULL;
	ksm_error kerr = {0};

	if (!*line)
		return KSM_OK;
	if (ksm_ssh_key_parse(line, &canon, &fp, &kerr) != KSM_OK)
		return ksm_add_refusal(dropped, ksm_record_uid(r), a->name,
				       false, "key dropped: %s", kerr.message);
	for (size_t i = 0; i < a->n_keys; i++)
		if (strcmp(a->fingerprints[i], fp) == 0) {
			free(canon);
			free(fp);
			return KSM_OK;
		}
	{
		size_t nk = a->n_keys, nf = a->n_keys;

		/* keys[] and fingerprints[] stay the same length. */
		if (!ksm_strv_push(&a->keys, &nk, canon)) {
			free(canon);
			free(fp);
			return KSM_ERR_NOMEM;
		}
		if (!ksm_strv_push(&a->fingerprints, &nf, fp)) {
			free(fp);
			free(a->keys[--nk]);
			return KSM_ERR_NOMEM;
		}
		a->n_keys = nk;
	}
	return KSM_OK;
}

/* keyPair publicKeys anywhere, and ssh_public_key lines. */
static ksm_status collect_keys(ksm_account *a, const ksm_record *r,
			       ksm_accounts *dropped)
{
	ksm_status st = KSM_OK;

	for (size_t i = 0;
	     st == KSM_OK && i < ksm_record_field_count(r, KSM_ANY); i++) {
		const ksm_field *f = ksm_record_field_at(r, KSM_ANY, i);
		bool pair = strcmp(ksm_field_type(f), "keyPair") == 0;
		bool lines = !pair && ksm_field_is(f, "ssh_public_key");

		for (size_t j = 0; st == KSM_OK && (pair || lines) &&
				   j < ksm_field_value_count(f);
		     j++) {
			char *v = pair ? ksm_field_value_property(f, j,
								  "publicKey")
				       : ksm_field_value_text(f, j);
			char *save = NULL, *line;

			if (!v)
				continue;
			/* One key a line (a pasted authorized_keys). */
			for (line = pair ? v : strtok_r(v, "\n", &save);
			     line && st == KSM_OK;
			     line = pair ? NULL : strtok_r(NULL, "\n", &save)) {
				size_t n = strlen(line);

				if (n && line[n - 1] == '\r')
					line[n - 1] = '\0';
				st = add_key(a, r, line, dropped);
			}
			free(v);
		}
	}
	return st;
}

/*
 * KeeperPAM rotates SSH keys in privatePEMKey and stores no public key:
 * publish the public half (privkey.c). An encrypted PEM key takes the
 * record's "Private Key Passphrase" (the Terraform provider's and the
 * Gateway's field), else its password (Commander's convention). A key
 * that cannot be read is dropped with a reason; two different ones refuse
 * the record (err).
 */
static ksm_status key_from_private(ksm_account *a, const ksm_record *r,
				   ksm_accounts *dropped, ksm_error *err)
{
	const char *pass[2];
	size_t npass = 0;
	char *pem, *phrase = NULL, *pw = NULL, *line = NULL;
	ksm_error kerr = {0};
	ksm_status st;

	pem = ksm_field_lookup_text(r, KSM_ANY, PRIVATE_KEY_LABEL, &st);
	if (st == KSM_ERR_AMBIGUOUS)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "field '" PRIVATE_KEY_LABEL "' appears "
				     "more than once, with different values");
	if (st != KSM_OK || !pem || !*pem)
		goto out;
	phrase = ksm_field_lookup_text(r, KSM_ANY, PASSPHRASE_LABEL, &st);
	if (st == KSM_ERR_AMBIGUOUS) {
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "field '" PASSPHRASE_LABEL "' appears more "
				   "than once, with different values");
		goto out;
	}
	if (phrase && *phrase)
		pass[npass++] = phrase;
	pw = ksm_record_first_value(r, "password");
	if (pw && *pw)
		pass[npass++] = pw;
	st = ksm_ssh_key_from_private(pem, pass, npass, &line, &kerr);
	if (st == KSM_OK)
		st = add_key(a, r, line, dropped);
	else if (st == KSM_ERR_INVALID)
		st = ksm_add_refusal(dropped, ksm_record_uid(r), a->name, false,
				     "key from '" PRIVATE_KEY_LABEL
				     "' dropped: %s%s",
				     kerr.message,
				     npass ? ""
					   : " (a passphrase goes in a field "
					     "'" PASSPHRASE_LABEL "')");
out:
	free(line);
	ksm_free_secret(pem);
	ksm_free_secret(phrase);
	ksm_free_secret(pw);
	return st;
}

static ksm_status parse_groups(ksm_account *a, const char *list, ksm_error *err)
{
	char *copy = ksm_strdup(list), *save = NULL, *g;

	if (!copy)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	for (g = strtok_r(copy, ",", &save); g;
	     g = strtok_r(NULL, ",", &save)) {
		char *e;
		bool dup = false;

		while (*g == ' ')
			g++;
		e = g + strlen(g);
		while (e > g && e[-1] == ' ')
			*--e = '\0';
		if (!*g)
			continue;
		if (!valid_posix_name(g)) {
			free(copy);
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "invalid group name in 'groups'");
		}
		for (size_t i = 0; i < a->n_groups; i++)
			dup |= strcmp(a->groups[i], g) == 0;
		if (!dup) {
			char *s = ksm_strdup(g);

			if (!s || !ksm_strv_push(&a->groups, &a->n_groups, s)) {
				free(s);
				free(copy);
				return ksm_set_error(err, KSM_ERR_NOMEM,
						     "out of memory");
			}
		}
	}
	free(copy);
	return KSM_OK;
}

/* home_template with %u (name) and %% expanded. */
static char *expand_home(const char *tmpl, const char *name)
{
	size_t cap = strlen(tmpl) + 16 * strlen(name) + 1, o = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (const char *p = tmpl; *p && o + strlen(name) + 2 < cap; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			memcpy(out + o, name, strlen(name));
			o += strlen(name);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			out[o++] = '%';
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

static bool folders_match(const char *f, const char *inner,
			  const ksm_settings *conf)
{
	if (!conf->n_account_folders)
		return true;
	for (size_t i = 0; i < conf->n_account_folders; i++)
		if ((f && !strcmp(f, conf->account_folders[i])) ||
		    (inner && !strcmp(inner, conf->account_folders[i])))
			return true;
	return false;
}

static bool in_folders(const ksm_record *r, const ksm_settings *conf)
{
	return folders_match(ksm_record_folder_uid(r), r->inner_folder_uid,
			     conf);
}

static bool is_account_type(const char *t)
{
	for (size_t i = 0; i < sizeof(account_types) / sizeof(account_types[0]);
	     i++)
		if (!strcmp(t, account_types[i]))
			return true;
	return false;
}

/* Inside the range custom fields may use, or the one derived ids use? */
static bool in_ranges(uint32_t id, uint32_t lo, uint32_t hi, uint32_t dlo,
		      uint32_t dhi)
{
	return (id >= lo && id <= hi) || (id >= dlo && id <= dhi);
}

/* A custom uid or gid field: a number inside one of the two ranges. */
static ksm_status custom_id(const char *what, char *v, uint32_t *id,
			    uint32_t lo, uint32_t hi, uint32_t dlo,
			    uint32_t dhi, ksm_error *err)
{
	ksm_status st = KSM_OK;

	if (!parse_u32(v, id))
		st = ksm_set_error(
			err, KSM_ERR_INVALID, "%s%s%.20s%s is not a number",
			what, printable(v) ? " '" : "", printable(v) ? v : "",
			printable(v) ? "'" : "");
	else if (!in_ranges(*id, lo, hi, dlo, dhi))
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "%s %u is outside %s_range %u-%u and "
				   "derived_%s_range %u-%u",
				   what, *id, what, lo, hi, what, dlo, dhi);
	free(v);
	return st;
}

/*
 * Custom uid/gid, or stable ones derived from the record UID into the
 * derived ranges (docs/decisions.md, "Derived uids").
 */
static ksm_status pick_ids(ksm_account *a, const ksm_record *r,
			   const ksm_settings *conf, ksm_error *err)
{
	char *v = custom_value(r, "uid");
	ksm_status st = KSM_OK;

	if (v)
		st = custom_id("uid", v, &a->uid, conf->uid_min, conf->uid_max,
			       conf->derived_uid_min, conf->derived_uid_max,
			       err);
	else
		a->uid =
			ksm_derived_id(ksm_record_uid(r), conf->derived_uid_min,
				       conf->derived_uid_max);
	if (st != KSM_OK)
		return st;
	v = custom_value(r, "gid");
	if (v)
		st = custom_id("gid", v, &a->gid, conf->gid_min, conf->gid_max,
			       conf->derived_gid_min, conf->derived_gid_max,
			       err);
	else if (in_ranges(a->uid, conf->gid_min, conf->gid_max,
			   conf->derived_gid_min, conf->derived_gid_max))
		a->gid = a->uid; /* a user private group with the same id */
	else
		a->gid =
			ksm_derived_id(ksm_record_uid(r), conf->derived_gid_min,
				       conf->derived_gid_max);
	return st;
}

/* home, shell, gecos: custom field or default, each checked. */
static ksm_status pick_text(ksm_account *a, const ksm_record *r,
			    const ksm_settings *conf, ksm_error *err)
{
	char *v;

	a->home = custom_value(r, "home");
	if (!a->home)
		a->home = expand_home(conf->home_template, a->name);
	a->shell = custom_value(r, "shell");
	if (!a->shell)
		a->shell = ksm_strdup(conf->default_shell);
	a->gecos = custom_value(r, "gecos");
	if (!a->gecos)
		a->gecos = ksm_strdup(ksm_record_title(r));
	if (!a->home || !a->shell || !a->gecos)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	if (!valid_path(a->home))
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "home is not an absolute path without ':' "
				     "or control characters");
	if (!valid_path(a->shell))
		return ksm_set_error(
			err, KSM_ERR_INVALID,
			"shell is not an absolute path without ':' "
			"or control characters");
	if (!valid_passwd_text(a->gecos))
		return ksm_set_error(
			err, KSM_ERR_INVALID,
			"gecos (custom field or title) contains ':' "
			"or control characters");
	v = custom_value(r, "valid_until");
	if (v) {
		bool ok = parse_time(v, &a->valid_until);

		free(v);
		if (!ok)
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "valid_until is neither ISO 8601 "
					     "nor epoch seconds");
	}
	v = custom_value(r, "groups");
	if (v) {
		ksm_status st = parse_groups(a, v, err);

		free(v);
		if (st != KSM_OK)
			return st;
	}
	return KSM_OK;
}

/*
 * The custom fields that hold one value: twice with different values is
 * refused, not resolved by picking one (a second 'uid' added by a hostile
 * editor must not be silently ignored, nor silently win). Labels compare
 * ignoring case, spaces and punctuation ("UID", "Valid Until").
 */
static ksm_status check_single_fields(const ksm_record *r, ksm_error *err)
{
	static const char *const single[] = {"uid",	   "gid",   "home",
					     "shell",	   "gecos", "groups",
					     "valid_until"};
	const ksm_field *f;

	for (size_t i = 0; i < sizeof(single) / sizeof(*single); i++) {
		ksm_status st = ksm_field_lookup(r, KSM_CUSTOM, single[i], &f);

		if (st == KSM_ERR_AMBIGUOUS)
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "custom field '%s' appears more "
					     "than once, with different values",
					     single[i]);
		if (st == KSM_ERR_NOMEM)
			return st;
	}
	return KSM_OK;
}

ksm_status ksm_account_ids(const ksm_record *r, const ksm_settings *conf,
			   uint32_t *uid, uint32_t *gid)
{
	ksm_account a = {0};
	ksm_status st = check_single_fields(r, NULL);

	if (st == KSM_OK)
		st = pick_ids(&a, r, conf, NULL);
	*uid = a.uid;
	*gid = a.gid;
	return st;
}

static ksm_status account_from_record(const ksm_record *r,
				      const ksm_settings *conf, bool keys,
				      ksm_account *out, ksm_accounts *dropped,
				      ksm_error *err)
{
	const ksm_field *f = NULL;
	char *v;
	ksm_status st;

	memset(out, 0, sizeof(*out));
	if (!is_account_type(ksm_record_type(r)) || !in_folders(r, conf))
		return KSM_ERR_NOT_FOUND;
	st = ksm_field_lookup(r, KSM_ANY, "login", &f);
	if (st == KSM_ERR_AMBIGUOUS)
		return ksm_set_error(err, KSM_ERR_INVALID,
				     "field 'login' appears more than once, "
				     "with different values");
	if (st != KSM_OK)
		return st;
	out->name =
		ksm_field_value_count(f) ? ksm_field_value_text(f, 0) : NULL;
	if (!out->name || !*out->name) {
		ksm_account_clear(out);
		return KSM_ERR_NOT_FOUND;
	}
	out->record_uid = ksm_strdup(ksm_record_uid(r));
	if (ksm_record_has_nul(r)) {
		st = ksm_set_error(err, KSM_ERR_INVALID,
				   "a value holds a NUL character (\\u0000)");
		goto fail;
	}
	if (!valid_posix_name(out->name)) {
		st = ksm_set_error(
			err, KSM_ERR_INVALID,
			"login is not a valid user name (lower case "
			"letters, digits, '_', '-', '.', at most 32, "
			"not starting with a digit or '-')");
		goto fail;
	}
	st = check_single_fields(r, err);
	if (st == KSM_OK)
		st = pick_ids(out, r, conf, err);
	if (st == KSM_OK)
		st = pick_text(out, r, conf, err);
	if (st == KSM_OK && keys)
		st = collect_keys(out, r, dropped);
	if (st == KSM_OK && keys && conf->keys_from_private_key)
		st = key_from_private(out, r, dropped, err);
	if (st != KSM_OK)
		goto fail;
	v = ksm_record_first_value(r, "password");
	out->has_password = v && *v;
	ksm_free_secret(v);
	v = ksm_record_first_value(r, "oneTimeCode");
	out->has_totp = v && *v;
	ksm_free_secret(v);
	return KSM_OK;
fail:
	if (st == KSM_ERR_NOMEM)
		ksm_set_error(err, st, "out of memory");
	ksm_account_clear(out);
	return st;
}

ksm_status ksm_account_from_record(const ksm_record *r,
				   const ksm_settings *conf, ksm_account *out,
				   ksm_accounts *dropped, ksm_error *err)
{
	return account_from_record(r, conf, true, out, dropped, err);
}

ksm_status ksm_account_identity_from_record(const ksm_record *r,
					    const ksm_settings *conf,
					    ksm_account *out, ksm_error *err)
{
	return account_from_record(r, conf, false, out, NULL, err);
}

/*
 * Records of the answer that could not be read (too large, too deep, not
 * JSON, not decrypting) may be accounts: name each one in a refusal rather
 * than let it vanish. Those outside account_folders are not accounts.
 */
ksm_status ksm_add_unreadable_refusals(ksm_accounts *as, const ksm_secrets *s,
				       const ksm_settings *conf)
{
	const struct ksm_unreadable *u;
	ksm_status st = KSM_OK;

	for (size_t i = 0; st == KSM_OK && (u = ksm_secrets_unreadable(s, i));
	     i++)
		if (folders_match(u->folder_uid, u->inner_folder_uid, conf))
			st = ksm_add_refusal(as, u->uid, "", true,
					     "the record cannot be read, so it "
					     "is not published: %s",
					     u->reason);
	return st;
}

void ksm_account_clear(ksm_account *a)
{
	free(a->name);
	free(a->record_uid);
	free(a->gecos);
	free(a->home);
	free(a->shell);
	for (size_t i = 0; i < a->n_groups; i++)
		free(a->groups[i]);
	free(a->groups);
	for (size_t i = 0; i < a->n_keys; i++) {
		free(a->keys[i]);
		free(a->fingerprints[i]);
	}
	free(a->keys);
	free(a->fingerprints);
	memset(a, 0, sizeof(*a));
}

void ksm_accounts_free(ksm_accounts *as)
{
	if (!as)
		return;
	for (size_t i = 0; i < as->n_accounts; i++)
		ksm_account_clear(&as->accounts[i]);
	free(as->accounts);
	for (size_t i = 0; i < as->n_groups; i++) {
		free(as->groups[i].name);
		free(as->groups[i].members);
	}
	free(as->groups);
	for (size_t i = 0; i < as->n_refusals; i++) {
		free(as->refusals[i].record_uid);
		free(as->refusals[i].name);
		free(as->refusals[i].reason);
	}
	free(as->refusals);
	free(as->host_record_uid);
	free(as->host_record_title);
	free(as);
}
