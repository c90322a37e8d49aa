/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_vault.c - how ksmctl reads the vault: through ksmd when it runs
 * (so the whole host shares one device budget and one connection, and the
 * request leaves with ksmd's environment), else directly with the client
 * config (a host without ksmd, or before it is set up).
 */
#include "ipc_client.h"
#include "ksmctl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ksmd answers a whole vault; allow for big ones. */
#define RECORDS_MAX (1024u << 20)
#define PING_MS	    1000

/* The clock as the latest vault answer of this process showed it. */
static struct {
	bool known;
	long long skew;
} clock_seen;

/* ksmd's clock_skew (signed text), if the answer has one. */
static bool answer_clock(const ksm_ipc_msg *resp, long long *skew)
{
	const char *v = ksm_ipc_get(resp, "clock_skew");
	char *end = NULL;

	if (!v || !*v)
		return false;
	*skew = strtoll(v, &end, 10);
	return *end == '\0';
}

static void note_client_clock(const ksm_client *c)
{
	time_t date = c ? ksm_client_server_date(c) : 0;

	if (date) {
		clock_seen.known = true;
		clock_seen.skew = (long long)time(NULL) - (long long)date;
	}
}

bool ksmctl_server_clock(long long *skew_s)
{
	*skew_s = clock_seen.skew;
	return clock_seen.known;
}

/*
 * ksmd reads ksm.conf once, when it starts: if ours is the file it read
 * and it changed since, say so (once), since ksmd goes on with the old
 * settings until it is restarted.
 */
static void note_stale_conf(const struct ksmctl *k, const ksm_ipc_msg *ping)
{
	static bool said;
	const char *path = k->conf_path ? k->conf_path : KSM_DEFAULT_CONF;
	const char *theirs = ksm_ipc_get(ping, "conf");
	const char *then = ksm_ipc_get(ping, "conf_mtime");
	char real[4096], now[48];
	struct stat sb;

	if (said || !theirs || !then || !realpath(path, real) ||
	    strcmp(real, theirs) != 0 || stat(path, &sb) != 0)
		return;
	snprintf(now, sizeof(now), "%lld.%09ld", (long long)sb.st_mtim.tv_sec,
		 sb.st_mtim.tv_nsec);
	if (!strcmp(now, then))
		return;
	said = true;
	fprintf(stderr,
		"%s: note: %s changed after ksmd started; ksmd reads it only "
		"at start and still uses the old settings: restart it "
		"(systemctl restart ksmd)\n",
		k->prog ? k->prog : "ksmctl", path);
}

bool ksmctl_ksmd_ping(const struct ksmctl *k, ksm_ipc_msg *resp)
{
	ksm_ipc_msg req = {0};
	bool up;

	ksm_ipc_add_str(&req, "op", "ping");
	up = ksm_ipc_call(k->conf, &req, resp, 4096, PING_MS, NULL) == KSM_OK &&
	     ksm_ipc_get(resp, "result") &&
	     !strcmp(ksm_ipc_get(resp, "result"), "ok");
	if (up)
		note_stale_conf(k, resp);
	ksm_ipc_clear(&req);
	return up;
}

bool ksmctl_ksmd_info(const struct ksmctl *k, struct ksmctl_ping *p)
{
	ksm_ipc_msg req = {0}, resp = {0};
	ksm_error err = {0};
	const char *v;

	memset(p, 0, sizeof(*p));
	ksm_ipc_add_str(&req, "op", "ping");
	if (ksm_ipc_call(k->conf, &req, &resp, 4096, PING_MS, &err) != KSM_OK) {
		snprintf(p->error, sizeof(p->error), "%s",
			 err.message[0] ? err.message : "no answer");
	} else if (!(v = ksm_ipc_get(&resp, "result")) || strcmp(v, "ok")) {
		snprintf(p->error, sizeof(p->error), "ping answered %s",
			 v ? v : "nothing usable");
	} else {
		p->up = true;
		v = ksm_ipc_get(&resp, "version");
		snprintf(p->version, sizeof(p->version), "%s", v ? v : "");
		p->bound = ksm_ipc_get_u64(&resp, "bound", 0) != 0;
		p->requests = ksm_ipc_get_u64(&resp, "requests", 0);
		p->clock_known = answer_clock(&resp, &p->clock_skew);
		p->clock_at = (long long)ksm_ipc_get_u64(&resp, "clock_at", 0);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return p->up;
}

bool ksmctl_ksmd_running(const struct ksmctl *k)
{
	ksm_ipc_msg resp = {0};
	bool up = ksmctl_ksmd_ping(k, &resp);

	ksm_ipc_clear(&resp);
	return up;
}

int ksmctl_client(const struct ksmctl *k, ksm_client **c)
{
	ksm_error err = {0};

	*c = NULL;
	if (ksmctl_ksmd_running(k))
		return EXIT_OK; /* NULL: ask ksmd */
	if (ksm_client_from_settings(k->conf, c, &err) != KSM_OK)
		return ksmctl_fail(k, &err);
	return EXIT_OK;
}

static ksm_status status_of(const char *name)
{
	for (int st = KSM_OK; st <= KSM_ERR_NOTATION; st++)
		if (name && !strcmp(ksm_status_name((ksm_status)st), name))
			return (ksm_status)st;
	return KSM_ERR_SERVER;
}

/* ksmd's answer was not ok: its status (as ksmctl's exit code sees it)
 * and message. */
static ksm_status refusal(const ksm_ipc_msg *resp, ksm_error *err)
{
	const char *msg = ksm_ipc_get(resp, "message");

	err->code = status_of(ksm_ipc_get(resp, "status"));
	snprintf(err->message, sizeof(err->message), "ksmd: %s",
		 msg ? msg : "no usable answer");
	return err->code;
}

/* req to ksmd, within timeout_sync and 2 s; an answer but "ok" is err. */
static ksm_status ask(const struct ksmctl *k, const ksm_ipc_msg *req,
		      ksm_ipc_msg *resp, size_t max, ksm_error *err)
{
	const char *result;
	ksm_status st = ksm_ipc_call(k->conf, req, resp, max,
				     k->conf->timeout_sync_ms + 2000, err);

	if (st != KSM_OK)
		return st;
	result = ksm_ipc_get(resp, "result");
	if (!result || strcmp(result, "ok") != 0)
		return refusal(resp, err);
	return KSM_OK;
}

static ksm_status nomem(ksm_error *err)
{
	err->code = KSM_ERR_NOMEM;
	snprintf(err->message, sizeof(err->message), "out of memory");
	return KSM_ERR_NOMEM;
}

static ksm_status via_ksmd(const struct ksmctl *k, const ksm_query *q,
			   const char *purpose, bool force, ksm_secrets **out,
			   struct ksmctl_sync_info *info, ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const char *records;
	ksm_status st = KSM_OK;

	if (ksm_ipc_add_str(&req, "op", "records") ||
	    ksm_ipc_add_str(&req, "purpose", purpose) ||
	    (force && ksm_ipc_add_str(&req, "force", "yes")) ||
	    (q && q->request_links && ksm_ipc_add_str(&req, "links", "yes")))
		st = KSM_ERR_NOMEM;
	for (size_t i = 0; st == KSM_OK && q && i < q->n_record_uids; i++)
		st = ksm_ipc_add_str(&req, "uid", q->record_uids[i]);
	for (size_t i = 0; st == KSM_OK && q && i < q->n_folder_uids; i++)
		st = ksm_ipc_add_str(&req, "folder", q->folder_uids[i]);
	if (st != KSM_OK) {
		ksm_ipc_clear(&req);
		return nomem(err);
	}
	st = ask(k, &req, &resp, RECORDS_MAX, err);
	records = ksm_ipc_get(&resp, "records");
	if (st == KSM_OK && answer_clock(&resp, &clock_seen.skew))
		clock_seen.known = true;
	if (st == KSM_OK && !records)
		st = refusal(&resp, err);
	if (st == KSM_OK) {
		st = ksm_secrets_from_json(records, strlen(records), out, err);
		if (info) {
			const char *verr =
				ksm_ipc_get(&resp, "verifiers_error");

			info->verifiers_made = (size_t)ksm_ipc_get_u64(
				&resp, "verifiers_made", 0);
			snprintf(info->verifiers_error,
				 sizeof(info->verifiers_error), "%s",
				 verr ? verr : "");
		}
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_get_secrets(const struct ksmctl *k, ksm_client *c,
			      const ksm_query *q, const char *purpose,
			      ksm_secrets **out, ksm_error *err)
{
	ksm_status st;

	*out = NULL;
	if (!c)
		return via_ksmd(k, q, purpose, false, out, NULL, err);
	st = ksm_get_secrets(c, q, k->conf->timeout_sync_ms, out, err);
	note_client_clock(c);
	return st;
}

ksm_status ksmctl_sync_read(const struct ksmctl *k, ksm_client *c,
			    const char *purpose, bool force, ksm_secrets **out,
			    struct ksmctl_sync_info *info, ksm_error *err)
{
	/* Every record, with its links (which pamUsers a pamMachine has). */
	ksm_query q = {.request_links = true};
	ksm_status st;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (!c)
		return via_ksmd(k, &q, purpose, force, out, info, err);
	st = ksm_get_secrets(c, &q, k->conf->timeout_sync_ms, out, err);
	note_client_clock(c);
	return st;
}

/* One notation through ksmd ("notation": files are downloaded by ksmd). */
static ksm_status notation_via_ksmd(const struct ksmctl *k, const char *text,
				    char ***values, size_t *count,
				    ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const struct ksm_ipc_field *v;
	size_t pos = 0, n = 0;
	ksm_status st;

	*values = NULL;
	*count = 0;
	st = ksm_ipc_add_str(&req, "op", "notation");
	if (st == KSM_OK)
		st = ksm_ipc_add_str(&req, "notation", text);
	if (st == KSM_OK)
		st = ask(k, &req, &resp, RECORDS_MAX, err);
	while (st == KSM_OK && ksm_ipc_next(&resp, "value", &pos))
		n++;
	if (st == KSM_OK && !(*values = calloc(n + 1, sizeof(char *))))
		st = KSM_ERR_NOMEM;
	for (pos = 0;
	     st == KSM_OK && (v = ksm_ipc_next(&resp, "value", &pos));) {
		(*values)[*count] = strdup((const char *)v->val);
		if (!(*values)[(*count)++])
			st = KSM_ERR_NOMEM;
	}
	if (st != KSM_OK) {
		ksm_strv_free(*values, *count);
		*values = NULL;
		*count = 0;
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_resolve_parsed(const struct ksmctl *k, ksm_client *c,
				 const ksm_secrets *s, const ksm_notation *n,
				 const char *text, char ***values,
				 size_t *count, ksm_error *err)
{
	/* A file needs a download: through ksmd when it runs. */
	if (!c && n->selector == KSM_SEL_FILE)
		return notation_via_ksmd(k, text, values, count, err);
	return ksm_notation_resolve_in(c, s, n, k->conf->timeout_sync_ms,
				       values, count, err);
}

ksm_status ksmctl_resolve(const struct ksmctl *k, ksm_client *c,
			  const char *text, char ***values, size_t *count,
			  ksm_error *err)
{
	if (!c)
		return notation_via_ksmd(k, text, values, count, err);
	return ksm_notation_resolve(c, text, k->conf->timeout_sync_ms, values,
				    count, err);
}

ksm_status ksmctl_bind_via_ksmd(const struct ksmctl *k, const char *token,
				const char *host, const char *server_key,
				ksm_client_config **cfg, size_t *records,
				ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	const char *json;
	ksm_status st;

	*cfg = NULL;
	*records = 0;
	st = ksm_ipc_add_str(&req, "op", "bind");
	if (st == KSM_OK)
		st = ksm_ipc_add_str(&req, "token", token);
	if (st == KSM_OK && host)
		st = ksm_ipc_add_str(&req, "host", host);
	if (st == KSM_OK && server_key)
		st = ksm_ipc_add_str(&req, "server_key", server_key);
	if (st == KSM_OK)
		st = ask(k, &req, &resp, 1u << 20, err);
	json = ksm_ipc_get(&resp, "config");
	if (st == KSM_OK && !json)
		st = refusal(&resp, err);
	if (st == KSM_OK) {
		st = ksm_client_config_load_string(json, cfg, err);
		*records = (size_t)ksm_ipc_get_u64(&resp, "records", 0);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

/* -------------------------------------------------- many notations at once */

/* Take the values v (cnt of them) as r's answer; a file's content comes as
 * unpadded base64url, decoded when r->is_file. */
static ksm_status take_values(struct ksmctl_resolved *r, char **v, size_t cnt)
{
	r->lens = calloc(cnt + 1, sizeof(*r->lens));
	if (!r->lens) {
		ksm_strv_free(v, cnt);
		return nomem(&r->err);
	}
	r->values = v;
	r->count = cnt;
	for (size_t i = 0; i < cnt; i++) {
		uint8_t *raw = NULL;
		size_t len = 0;

		r->lens[i] = strlen(v[i]);
		if (!r->is_file)
			continue;
		if (ksm_b64_decode(v[i], r->lens[i], &raw, &len) != KSM_OK) {
			r->err.code = KSM_ERR_PROTOCOL;
			snprintf(r->err.message, sizeof(r->err.message),
				 "the file's content did not decode");
			return r->err.code;
		}
		ksm_free_secret(v[i]);
		v[i] = (char *)raw;
		r->lens[i] = len;
	}
	return KSM_OK;
}

static ksm_status resolve_direct(const struct ksmctl *k, ksm_client *c,
				 const ksm_notation *ns, const size_t *idx,
				 size_t m, struct ksmctl_resolved *out,
				 ksm_error *err)
{
	uint64_t deadline = ksm_monotonic_ms() + k->conf->timeout_sync_ms;
	const char **uids = calloc(m + 1, sizeof(*uids));
	const ksm_query *q;
	ksm_query qq;
	ksm_secrets *s = NULL;
	ksm_status st;

	if (!uids)
		return nomem(err);
	q = ksm_notation_query(ns, m, uids, &qq);
	st = ksm_get_secrets(c, q, k->conf->timeout_sync_ms, &s, err);
	for (size_t j = 0; st == KSM_OK && j < m; j++) {
		struct ksmctl_resolved *r = &out[idx[j]];
		uint64_t now = ksm_monotonic_ms();
		char **v = NULL;
		size_t cnt = 0;

		if (ksm_notation_resolve_in(
			    c, s, &ns[j],
			    now < deadline ? (unsigned)(deadline - now) : 0, &v,
			    &cnt, &r->err) == KSM_OK)
			take_values(r, v, cnt);
	}
	ksm_secrets_free(s);
	free(uids);
	return st;
}

/* ksmd's "resolve": one "item" (ok or a status name) for each notation,
 * then its "item_message" and its "value"s, in the order asked. */
static ksm_status resolve_ksmd(const struct ksmctl *k, const char *const *texts,
			       const size_t *idx, size_t m,
			       struct ksmctl_resolved *out, ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	struct ksmctl_resolved *r = NULL;
	char **v = NULL;
	size_t items = 0, cnt = 0;
	ksm_status st;

	st = ksm_ipc_add_str(&req, "op", "resolve");
	for (size_t j = 0; st == KSM_OK && j < m; j++)
		st = ksm_ipc_add_str(&req, "notation", texts[idx[j]]);
	if (st != KSM_OK)
		st = nomem(err);
	if (st == KSM_OK)
		st = ask(k, &req, &resp, RECORDS_MAX, err);
	for (size_t i = 0; st == KSM_OK && i <= resp.n; i++) {
		const struct ksm_ipc_field *f = i < resp.n ? &resp.f[i] : NULL;
		const char *val = f ? (const char *)f->val : NULL;

		if (r && (!f || !strcmp(f->key, "item"))) {
			if (r->err.code == KSM_OK)
				take_values(r, v, cnt);
			else
				ksm_strv_free(v, cnt);
			v = NULL;
			cnt = 0;
			r = NULL;
		}
		if (!f)
			break;
		if (!strcmp(f->key, "item")) {
			if (items == m)
				break;
			r = &out[idx[items++]];
			if (strcmp(val, "ok") != 0) {
				r->err.code = status_of(val);
				snprintf(r->err.message, sizeof(r->err.message),
					 "%s", val);
			}
		} else if (r && !strcmp(f->key, "item_message") &&
			   r->err.code != KSM_OK) {
			snprintf(r->err.message, sizeof(r->err.message), "%s",
				 val);
		} else if (r && !strcmp(f->key, "value")) {
			char *copy = malloc(f->len + 1);

			if (!copy || !ksm_strv_push(&v, &cnt, copy)) {
				free(copy);
				st = nomem(err);
				break;
			}
			memcpy(copy, f->val, f->len + 1);
		}
	}
	ksm_strv_free(v, cnt);
	if (st == KSM_OK && items != m) {
		err->code = st = KSM_ERR_PROTOCOL;
		snprintf(err->message, sizeof(err->message),
			 "ksmd answered %zu of %zu notations", items, m);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_resolve_all(const struct ksmctl *k, ksm_client *c,
			      const char *const *texts, size_t n,
			      bool decode_files, struct ksmctl_resolved *out,
			      ksm_error *err)
{
	ksm_notation *ns = calloc(n + 1, sizeof(*ns));
	size_t *idx = calloc(n + 1, sizeof(*idx)), m = 0;
	ksm_status st = KSM_OK;

	memset(out, 0, n * sizeof(*out));
	if (!ns || !idx) {
		st = nomem(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (ksm_notation_parse(texts[i], &ns[m], &out[i].err) != KSM_OK)
			continue;
		out[i].is_file = decode_files && ns[m].selector == KSM_SEL_FILE;
		idx[m++] = i;
	}
	if (m)
		st = c ? resolve_direct(k, c, ns, idx, m, out, err)
		       : resolve_ksmd(k, texts, idx, m, out, err);
out:
	for (size_t j = 0; ns && j < m; j++)
		ksm_notation_clear(&ns[j]);
	free(ns);
	free(idx);
	return st;
}

int ksmctl_resolve_run(const struct ksmctl *k, const char *const *texts,
		       size_t n, bool decode_files,
		       struct ksmctl_resolved **out)
{
	ksm_client *c = NULL;
	ksm_error err = {0};
	int rc;

	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return EXIT_FAIL;
	rc = ksmctl_client(k, &c);
	if (rc == EXIT_OK && ksmctl_resolve_all(k, c, texts, n, decode_files,
						*out, &err) != KSM_OK)
		rc = ksmctl_fail(k, &err);
	ksm_client_free(c);
	return rc;
}

void ksmctl_resolved_clear(struct ksmctl_resolved *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		for (size_t j = 0; j < r[i].count; j++)
			ksm_free_wiped(r[i].values[j], r[i].lens[j]);
		free(r[i].values);
		free(r[i].lens);
		memset(&r[i], 0, sizeof(r[i]));
	}
}

size_t ksmctl_strv_index(char ***v, size_t *n, const char *s)
{
	char *copy;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return i;
	copy = strdup(s);
	if (!copy || !ksm_strv_push(v, n, copy)) {
		free(copy);
		return (size_t)-1;
	}
	return *n - 1;
}

/* ------------------------------------------------------------- folders */

void ksmctl_folders_free(struct ksmctl_folder *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free(f[i].uid);
		free(f[i].parent);
		free(f[i].name);
	}
	free(f);
}

/* Copy of s, NULL for NULL or "". */
static bool dup_opt(char **dst, const char *s)
{
	*dst = s && *s ? strdup(s) : NULL;
	return !s || !*s || *dst;
}

static ksm_status folders_direct(const struct ksmctl *k, ksm_client *c,
				 struct ksmctl_folder **out, size_t *n,
				 ksm_error *err)
{
	ksm_folders *fs = NULL;
	ksm_status st = ksm_get_folders(c, k->conf->timeout_sync_ms, &fs, err);
	size_t cnt = st == KSM_OK ? ksm_folders_count(fs) : 0;

	if (st == KSM_OK && !(*out = calloc(cnt + 1, sizeof(**out))))
		st = nomem(err);
	for (size_t i = 0; st == KSM_OK && i < cnt; i++) {
		struct ksmctl_folder *f = &(*out)[(*n)++];

		if (!dup_opt(&f->uid, ksm_folders_uid(fs, i)) ||
		    !dup_opt(&f->parent, ksm_folders_parent(fs, i)) ||
		    !dup_opt(&f->name, ksm_folders_name(fs, i)) || !f->uid)
			st = nomem(err);
	}
	ksm_folders_free(fs);
	return st;
}

/* ksmd's "folders": "folder", "parent" and "name" for each, in order. */
static ksm_status folders_ksmd(const struct ksmctl *k,
			       struct ksmctl_folder **out, size_t *n,
			       ksm_error *err)
{
	ksm_ipc_msg req = {0}, resp = {0};
	ksm_status st = ksm_ipc_add_str(&req, "op", "folders");
	size_t cnt = 0, pos = 0;

	if (st == KSM_OK)
		st = ask(k, &req, &resp, RECORDS_MAX, err);
	while (st == KSM_OK && ksm_ipc_next(&resp, "folder", &pos))
		cnt++;
	if (st == KSM_OK && !(*out = calloc(cnt + 1, sizeof(**out))))
		st = nomem(err);
	for (size_t i = 0; st == KSM_OK && i < resp.n; i++) {
		const struct ksm_ipc_field *f = &resp.f[i];
		struct ksmctl_folder *cur = *n ? &(*out)[*n - 1] : NULL;
		bool ok = true;

		if (!strcmp(f->key, "folder") && *n < cnt)
			ok = dup_opt(&(*out)[(*n)++].uid,
				     (const char *)f->val) &&
			     (*out)[*n - 1].uid;
		else if (cur && !strcmp(f->key, "parent") && !cur->parent)
			ok = dup_opt(&cur->parent, (const char *)f->val);
		else if (cur && !strcmp(f->key, "name") && !cur->name)
			ok = dup_opt(&cur->name, (const char *)f->val);
		if (!ok)
			st = nomem(err);
	}
	ksm_ipc_clear(&req);
	ksm_ipc_clear(&resp);
	return st;
}

ksm_status ksmctl_get_folders(const struct ksmctl *k, ksm_client *c,
			      struct ksmctl_folder **out, size_t *n,
			      ksm_error *err)
{
	ksm_status st;

	*out = NULL;
	*n = 0;
	st = c ? folders_direct(k, c, out, n, err)
	       : folders_ksmd(k, out, n, err);
	if (st != KSM_OK) {
		ksmctl_folders_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return st;
}
