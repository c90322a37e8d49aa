/* SPDX-License-Identifier: MIT */
/*
 * session_secrets.c - session secrets: the configured "NAME NOTATION" pairs,
 * with {record} standing for the user's own record, resolved to values.
 */
#include "session_secrets.h"

#include <stdlib.h>
#include <string.h>

void pam_ksm_secrets_free(struct pam_ksm_secrets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->names[i]);
		ksm_free_secret(s->values[i]);
	}
	free(s->names);
	free(s->values);
	free(s);
}

char *pam_ksm_notation_for(const char *notation, const char *record_uid)
{
	const char *p = strstr(notation, "{record}");
	size_t n;
	char *out;

	if (!p)
		return strdup(notation);
	n = strlen(notation) - 8 + strlen(record_uid);
	out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, notation, (size_t)(p - notation));
	strcpy(out + (p - notation), record_uid);
	strcat(out, p + 8);
	return out;
}

static struct pam_ksm_secrets *secrets_new(size_t cap)
{
	struct pam_ksm_secrets *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->names = calloc(cap ? cap : 1, sizeof(char *));
	s->values = calloc(cap ? cap : 1, sizeof(char *));
	if (!s->names || !s->values) {
		pam_ksm_secrets_free(s);
		return NULL;
	}
	return s;
}

/* Resolve secret i against records already fetched (files: download). */
static bool resolve_one(ksm_client *c, const ksm_secrets *recs,
			const char *text, const ksm_record *only,
			unsigned budget, char **value)
{
	ksm_notation n;
	char **v = NULL;
	size_t cnt = 0;
	bool ok = false;

	*value = NULL;
	if (ksm_notation_parse(text, &n, NULL) != KSM_OK)
		return false;
	if (only) {
		if (n.selector != KSM_SEL_FILE &&
		    ksm_notation_record_is_uid(&n) &&
		    !strcmp(n.record, ksm_record_uid(only)))
			ok = ksm_notation_select(&n, only, &v, &cnt, NULL) ==
				     KSM_OK &&
			     cnt > 0;
	} else {
		ok = ksm_notation_resolve_in(c, recs, &n, budget, &v, &cnt,
					     NULL) == KSM_OK &&
		     cnt > 0;
	}
	if (ok) {
		*value = v[0];
		v[0] = NULL;
	}
	ksm_strv_free(v, cnt);
	ksm_notation_clear(&n);
	return ok;
}

int pam_ksm_secrets_from_record(const ksm_settings *conf,
				const char *record_uid, const ksm_record *r,
				struct pam_ksm_secrets **out)
{
	struct pam_ksm_secrets *s = secrets_new(conf->n_session_secrets);

	*out = NULL;
	if (!s)
		return PAM_BUF_ERR;
	for (size_t i = 0; i < conf->n_session_secrets; i++) {
		const ksm_session_secret *ss = &conf->session_secrets[i];
		char *text = pam_ksm_notation_for(ss->notation, record_uid);
		char *value = NULL;

		/* Only what the user's own record answers; the session
		 * fetches the rest. */
		if (text && resolve_one(NULL, NULL, text, r, 0, &value)) {
			s->names[s->n] = strdup(ss->name);
			s->values[s->n] = value;
			if (!s->names[s->n]) {
				ksm_free_secret(value);
			} else {
				s->n++;
			}
		}
		free(text);
	}
	*out = s;
	return PAM_SUCCESS;
}

static const char *have_value(const struct pam_ksm_secrets *have,
			      const char *name)
{
	for (size_t i = 0; have && i < have->n; i++)
		if (!strcmp(have->names[i], name))
			return have->values[i];
	return NULL;
}

int pam_ksm_secrets_fetch(pam_handle_t *pamh, const struct pam_ksm_user *ku,
			  const struct pam_ksm_secrets *have,
			  struct pam_ksm_secrets **out)
{
	uint64_t deadline = ksm_monotonic_ms() + ku->conf->timeout_auth_ms;
	const ksm_settings *conf = ku->conf;
	struct pam_ksm_secrets *s = secrets_new(conf->n_session_secrets);
	const char **uids = calloc(conf->n_session_secrets + 1, sizeof(char *));
	char **texts = calloc(conf->n_session_secrets + 1, sizeof(char *));
	ksm_query q = {0};
	ksm_client *c = NULL;
	ksm_secrets *recs = NULL;
	ksm_error err = {0};
	bool all_uids = true;
	size_t missing = 0;
	int rc = PAM_SESSION_ERR;

	*out = NULL;
	if (!s || !uids || !texts) {
		rc = PAM_BUF_ERR;
		goto out;
	}
	/* One get_secret for every record the notations name, except for
	 * the secrets auth already read (have). */
	for (size_t i = 0; i < conf->n_session_secrets; i++) {
		ksm_notation n;

		if (have_value(have, conf->session_secrets[i].name))
			continue;
		missing++;
		texts[i] = pam_ksm_notation_for(
			conf->session_secrets[i].notation, ku->record_uid);
		if (!texts[i] ||
		    ksm_notation_parse(texts[i], &n, NULL) != KSM_OK) {
			pam_syslog(pamh, LOG_ERR,
				   "session_secret %s: bad notation",
				   conf->session_secrets[i].name);
			continue;
		}
		if (ksm_notation_record_is_uid(&n))
			uids[q.n_record_uids++] = strdup(n.record);
		else
			all_uids = false;
		ksm_notation_clear(&n);
	}
	q.record_uids = all_uids ? uids : NULL;
	if (missing == 0)
		goto resolve; /* auth read them all: no request */
	if (ksm_client_from_settings(conf, &c, &err) != KSM_OK ||
	    ksm_get_secrets(c, all_uids ? &q : NULL, conf->timeout_auth_ms,
			    &recs, &err) != KSM_OK) {
		pam_syslog(pamh, LOG_WARNING,
			   "%s: session secrets not available%s: %s", ku->name,
			   err.code == KSM_ERR_TIMEOUT
				   ? " (timeout_auth budget)"
				   : "",
			   err.message);
		goto out;
	}
resolve:
	for (size_t i = 0; i < conf->n_session_secrets; i++) {
		const char *had =
			have_value(have, conf->session_secrets[i].name);
		uint64_t now = ksm_monotonic_ms();
		char *value = NULL;

		if (had) {
			value = strdup(had);
			s->names[s->n] = strdup(conf->session_secrets[i].name);
			s->values[s->n] = value;
			if (value && s->names[s->n])
				s->n++;
			else {
				free(s->names[s->n]);
				s->names[s->n] = NULL;
				ksm_free_secret(value);
				s->values[s->n] = NULL;
			}
		} else if (texts[i] &&
			   resolve_one(c, recs, texts[i], NULL,
				       now < deadline
					       ? (unsigned)(deadline - now)
					       : 0,
				       &value)) {
			s->names[s->n] = strdup(conf->session_secrets[i].name);
			s->values[s->n] = value;
			if (s->names[s->n])
				s->n++;
			else
				ksm_free_secret(value);
		} else {
			pam_syslog(pamh, LOG_WARNING,
				   "%s: session secret %s: nothing found",
				   ku->name, conf->session_secrets[i].name);
		}
	}
	*out = s;
	s = NULL;
	rc = PAM_SUCCESS;
out:
	for (size_t i = 0; uids && i < q.n_record_uids; i++)
		free((char *)uids[i]);
	free(uids);
	for (size_t i = 0; texts && i < conf->n_session_secrets; i++)
		free(texts[i]);
	free(texts);
	ksm_secrets_free(recs);
	ksm_client_free(c);
	pam_ksm_secrets_free(s);
	return rc;
}
