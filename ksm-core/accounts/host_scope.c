/* SPDX-License-Identifier: MIT */
/*
 * host_scope.c - host_record: the pamMachine record of this host and the
 * pamUsers linked to it (docs/design.md, "Machine-scoped accounts").
 *
 * KeeperPAM links a pamMachine to its pamUsers: the machine's links name
 * each user (recordUid, no path) with the link's data ({"is_admin",
 * "belongs_to", "rotation_settings", ...}). A link the other way (the
 * pamUser's links naming the machine) counts as well for membership, but
 * is_admin only from the machine's own links: whoever edits a pamUser
 * record must not be able to make it an administrator of a host.
 */
#include "accounts.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static bool same_host(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la && a[la - 1] == '.')
		la--;
	while (lb && b[lb - 1] == '.')
		lb--;
	return la && la == lb && !strncasecmp(a, b, la);
}

/* This host's names: the FQDN (canonical name of gethostname's, or that
 * name) and the short name (up to the first dot). */
static void host_names(char *fqdn, size_t fcap, char *shortn, size_t scap)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char name[256] = "";
	char *dot;

	if (gethostname(name, sizeof(name) - 1) != 0)
		name[0] = '\0';
	snprintf(fqdn, fcap, "%s", name);
	hints.ai_flags = AI_CANONNAME;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (name[0] && getaddrinfo(name, NULL, &hints, &ai) == 0 && ai &&
	    ai->ai_canonname && strchr(ai->ai_canonname, '.'))
		snprintf(fqdn, fcap, "%s", ai->ai_canonname);
	if (ai)
		freeaddrinfo(ai);
	snprintf(shortn, scap, "%s", name);
	if ((dot = strchr(shortn, '.')))
		*dot = '\0';
}

/* Does one of r's pamHostname values name this host? */
static bool names_host(const ksm_record *r, const char *fqdn,
		       const char *shortn, char *seen, size_t cap)
{
	bool hit = false;

	for (size_t i = 0; i < ksm_record_field_count(r, KSM_ANY); i++) {
		const ksm_field *f = ksm_record_field_at(r, KSM_ANY, i);

		if (!ksm_field_is(f, "pamHostname"))
			continue;
		for (size_t j = 0; j < ksm_field_value_count(f); j++) {
			char *h = ksm_field_value_property(f, j, "hostName");

			if (h && !seen[0] && ksm_text_clean(h, 64, ""))
				snprintf(seen, cap, "%s", h);
			if (h && (same_host(h, fqdn) || same_host(h, shortn)))
				hit = true;
			free(h);
		}
	}
	return hit;
}

static const ksm_record *find_auto(const ksm_secrets *s, ksm_error *err)
{
	char fqdn[256], shortn[256], list[600] = "", seen[80];
	const ksm_record *hit = NULL;
	size_t n_hits = 0, n_machines = 0, len = 0;

	host_names(fqdn, sizeof(fqdn), shortn, sizeof(shortn));
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ksm_secrets_count(s); i++) {
			const ksm_record *r = ksm_secrets_record(s, i);
			bool match;

			if (strcmp(ksm_record_type(r), "pamMachine") ||
			    ksm_secrets_find(s, ksm_record_uid(r)) != r)
				continue;
			seen[0] = '\0';
			match = names_host(r, fqdn, shortn, seen, sizeof(seen));
			if (pass == 0) {
				n_machines++;
				n_hits += match;
				if (match)
					hit = r;
				continue;
			}
			/* Second pass: name the candidates for the error. */
			if ((n_hits > 1 && !match) || len >= sizeof(list) - 1)
				continue;
			len += (size_t)snprintf(
				list + len, sizeof(list) - len, "%s%s (%s)",
				len ? ", " : "", ksm_record_uid(r),
				seen[0] ? seen : "no pamHostname");
			if (len >= sizeof(list))
				len = sizeof(list) - 1;
		}
		if (n_hits == 1)
			return hit;
	}
	if (n_hits > 1)
		ksm_set_error(err, KSM_ERR_AMBIGUOUS,
			      "host_record = auto: %zu pamMachine records have "
			      "the pamHostname %s or %s: %s; set host_record "
			      "to one UID",
			      n_hits, fqdn, shortn, list);
	else
		ksm_set_error(err, KSM_ERR_NOT_FOUND,
			      "host_record = auto: no pamMachine record has "
			      "the pamHostname %s or %s (%zu pamMachine "
			      "records%s%s)",
			      fqdn, shortn, n_machines, list[0] ? ": " : "",
			      list);
	return NULL;
}

static ksm_status add_member(ksm_host_scope *h, const char *uid, bool admin)
{
	char *copy;
	bool *p;

	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->members[i], uid)) {
			h->admin[i] |= admin;
			return KSM_OK;
		}
	p = realloc(h->admin, (h->n + 1) * sizeof(*p));
	if (!p)
		return KSM_ERR_NOMEM;
	h->admin = p;
	p[h->n] = admin;
	copy = ksm_strdup(uid);
	if (!copy || !ksm_strv_push(&h->members, &h->n, copy)) {
		free(copy);
		return KSM_ERR_NOMEM;
	}
	return KSM_OK;
}

/* A link to another record (no path: not the record's own settings). */
static bool record_link(const ksm_link *l, const char *self)
{
	const char *p = ksm_link_path(l);

	return (!p || !*p) && strcmp(ksm_link_record_uid(l), self);
}

ksm_status ksm_host_scope_resolve(const ksm_secrets *s,
				  const ksm_settings *conf, ksm_host_scope *h,
				  ksm_error *err)
{
	const ksm_record *m;
	const char *muid;
	ksm_status st = KSM_OK;

	memset(h, 0, sizeof(*h));
	if (!conf->host_record)
		return KSM_OK;
	if (!strcmp(conf->host_record, "auto")) {
		m = find_auto(s, err);
		if (!m)
			return err->code;
	} else {
		m = ksm_secrets_find(s, conf->host_record);
		if (!m)
			return ksm_set_error(
				err, KSM_ERR_NOT_FOUND,
				"host_record %s is not in the vault's answer "
				"(is the pamMachine shared with this "
				"application?)",
				conf->host_record);
		if (strcmp(ksm_record_type(m), "pamMachine"))
			return ksm_set_error(err, KSM_ERR_INVALID,
					     "host_record %s is not a "
					     "pamMachine record",
					     conf->host_record);
	}
	h->machine = m;
	h->active = true;
	muid = ksm_record_uid(m);
	for (size_t i = 0; st == KSM_OK && i < ksm_record_link_count(m); i++) {
		const ksm_link *l = ksm_record_link_at(m, i);

		if (record_link(l, muid))
			st = add_member(h, ksm_link_record_uid(l),
					ksm_link_bool(l, "is_admin"));
	}
	for (size_t i = 0; st == KSM_OK && i < ksm_secrets_count(s); i++) {
		const ksm_record *r = ksm_secrets_record(s, i);

		for (size_t j = 0; st == KSM_OK && j < ksm_record_link_count(r);
		     j++) {
			const ksm_link *l = ksm_record_link_at(r, j);

			/* Membership only: is_admin is the machine's say. */
			if (r != m && record_link(l, ksm_record_uid(r)) &&
			    !strcmp(ksm_link_record_uid(l), muid))
				st = add_member(h, ksm_record_uid(r), false);
		}
	}
	if (st != KSM_OK) {
		ksm_host_scope_clear(h);
		return ksm_set_error(err, st, "out of memory");
	}
	return KSM_OK;
}

bool ksm_host_scope_has(const ksm_host_scope *h, const char *uid, bool *admin)
{
	*admin = false;
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->members[i], uid)) {
			*admin = h->admin[i];
			return true;
		}
	return false;
}

void ksm_host_scope_clear(ksm_host_scope *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->members[i]);
	free(h->members);
	free(h->admin);
	memset(h, 0, sizeof(*h));
}
