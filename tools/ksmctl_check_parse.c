/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_check_parse.c - the host's texts as "ksmctl check" needs them:
 * PAM rules and their controls, nsswitch.conf lines, "sshd -T" output and
 * where an sshd_config first sets a keyword. Pure functions on text.
 */
#include "ksmctl_check_parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HELPER "ksm-authorized-keys"

/*
 * What pam_ksm answers a user who is not a vault user (not in the
 * snapshot, or local), and everyone else when ksm.conf is broken, per
 * stage (pam_ksm(8), RETURN VALUES), plus libpam's answer when pam_ksm.so
 * is missing (module_unknown): each must be "ignore" for the stack to go
 * on to pam_unix. The auth line also carries setcred, which answers as
 * authenticate does.
 */
static const struct {
	const char *type;
	const char *codes[5];
} failsafe_codes[] = {
	{"auth", {"user_unknown", "service_err", "module_unknown", NULL}},
	{"account",
	 {"user_unknown", "service_err", "ignore", "module_unknown", NULL}},
	{"session", {"service_err", "ignore", "module_unknown", NULL}},
	{"password", {"ignore", "module_unknown", NULL}},
};

/* libpam's expansions of the simple keywords (pam.conf(5)). */
static const struct {
	const char *word, *brackets;
} simple[] = {
	{"required",
	 "success=ok new_authtok_reqd=ok ignore=ignore default=bad"},
	{"requisite",
	 "success=ok new_authtok_reqd=ok ignore=ignore default=die"},
	{"sufficient", "success=done new_authtok_reqd=done default=ignore"},
	{"optional", "success=ok new_authtok_reqd=ok default=ignore"},
};

static void copy(char *dst, size_t n, const char *src, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The next word of *p (a [...] group counts as one word). */
static size_t word(const char **p, const char **start)
{
	const char *s = *p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	*start = s;
	if (*s == '[') {
		e = strchr(s, ']');
		e = e ? e + 1 : s + strlen(s);
	} else {
		e = s;
		while (*e && *e != ' ' && *e != '\t')
			e++;
	}
	*p = e;
	return (size_t)(e - s);
}

static void parse_rule(char *text, unsigned lineno, unsigned last,
		       bool continued, struct ksmctl_pam_line *l)
{
	const char *p = text, *w;
	size_t n;

	memset(l, 0, sizeof(*l));
	l->lineno = lineno;
	l->last = last;
	l->continued = continued;
	n = word(&p, &w);
	if (n && *w == '-') {
		l->dash = true;
		w++;
		n--;
	}
	copy(l->type, sizeof(l->type), w, n);
	if (!strcmp(l->type, "@include")) {
		n = word(&p, &w);
		copy(l->module, sizeof(l->module), w, n);
		return;
	}
	n = word(&p, &w);
	copy(l->control, sizeof(l->control), w, n);
	n = word(&p, &w);
	copy(l->module, sizeof(l->module), w, n);
	while (*p == ' ' || *p == '\t')
		p++;
	copy(l->args, sizeof(l->args), p, strlen(p));
	n = strlen(l->args);
	while (n && isspace((unsigned char)l->args[n - 1]))
		l->args[--n] = '\0';
}

bool ksmctl_pam_parse(const char *text, size_t len,
		      struct ksmctl_pam_line **lines, size_t *n)
{
	struct ksmctl_pam_line *out = NULL, *grown;
	size_t cap = 0, count = 0, pos = 0;
	unsigned lineno = 0;
	char *buf = malloc(len + 1);
	bool ok = buf != NULL;

	while (ok && pos < len) {
		size_t blen = 0;
		unsigned first = lineno + 1;
		bool more = true, continued = false;

		/* One logical line: physical ones joined at a trailing '\'. */
		while (more && pos < len) {
			size_t e = pos;

			while (e < len && text[e] != '\n')
				e++;
			lineno++;
			more = e > pos && text[e - 1] == '\\';
			for (size_t i = pos; i < e - (more ? 1 : 0); i++)
				buf[blen++] = text[i] ? text[i] : ' ';
			if (more) {
				buf[blen++] = ' ';
				continued = true;
			}
			pos = e + 1;
		}
		buf[blen] = '\0';
		/* '#' starts a comment anywhere (libpam cuts the line). */
		if (strchr(buf, '#'))
			*strchr(buf, '#') = '\0';
		if (!buf[strspn(buf, " \t\r")])
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				ok = false;
				break;
			}
			out = grown;
		}
		for (char *c = buf; *c; c++)
			if (*c == '\r')
				*c = ' ';
		parse_rule(buf, first, lineno, continued, &out[count++]);
	}
	free(buf);
	if (!ok) {
		free(out);
		out = NULL;
		count = 0;
	}
	*lines = out;
	*n = count;
	return ok;
}

bool ksmctl_pam_is_include(const struct ksmctl_pam_line *l)
{
	return !strcmp(l->type, "@include") || !strcmp(l->control, "include") ||
	       !strcmp(l->control, "substack");
}

bool ksmctl_pam_is_ksm(const struct ksmctl_pam_line *l)
{
	const char *base = strrchr(l->module, '/');

	return !ksmctl_pam_is_include(l) &&
	       !strcmp(base ? base + 1 : l->module, "pam_ksm.so");
}

/* The bracket list of a control ("a=b c=d"), expanded if simple. */
static const char *brackets_of(const char *control, char *buf, size_t n)
{
	size_t len;

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (!strcmp(control, simple[i].word))
			return simple[i].brackets;
	if (control[0] != '[')
		return NULL;
	len = strlen(control + 1);
	if (len && control[len] == ']')
		len--;
	copy(buf, n, control + 1, len);
	return buf;
}

/* The value of key in a bracket list; NULL if absent. */
static bool lookup(const char *list, const char *key, char *val, size_t n)
{
	const char *p = list;
	size_t klen = strlen(key);

	while (*p) {
		const char *w, *eq;
		size_t wl;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		wl = (size_t)(p - w);
		eq = memchr(w, '=', wl);
		if (eq && (size_t)(eq - w) == klen &&
		    !strncasecmp(w, key, klen)) {
			copy(val, n, eq + 1, (size_t)(w + wl - eq - 1));
			return true;
		}
	}
	return false;
}

void ksmctl_pam_action(const char *control, const char *code, char *buf,
		       size_t n)
{
	static const char *const actions[] = {"ignore", "ok",  "done",
					      "bad",	"die", "reset"};
	char tmp[KSMCTL_PAM_FIELD];
	const char *list = brackets_of(control, tmp, sizeof(tmp));
	bool known = false;

	if (!list ||
	    (!lookup(list, code, buf, n) && !lookup(list, "default", buf, n)))
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		known |= !strcasecmp(buf, actions[i]);
	/* A jump of N modules; anything else libpam takes as bad. */
	known |= buf[0] >= '1' && buf[0] <= '9' &&
		 strspn(buf, "0123456789") == strlen(buf);
	if (!known)
		copy(buf, n, "bad", 3);
}

static void append(char *buf, size_t n, const char *s)
{
	size_t have = strlen(buf);

	if (have < n)
		snprintf(buf + have, n - have, "%s", s);
}

/* The list with each of codes set to ignore (default stays last). */
static void fixed_control(const char *list, const char *const *codes, char *out,
			  size_t n)
{
	const char *p = list;
	char def[KSMCTL_PAM_FIELD] = "";

	snprintf(out, n, "[");
	while (*p) {
		const char *w;
		size_t wl;
		char item[KSMCTL_PAM_FIELD];
		bool replaced = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		wl = (size_t)(p - w);
		if (!wl)
			break;
		copy(item, sizeof(item), w, wl);
		for (size_t i = 0; codes[i]; i++) {
			size_t cl = strlen(codes[i]);

			if (!strncasecmp(item, codes[i], cl) && item[cl] == '=')
				replaced = true;
		}
		if (!strncasecmp(item, "default=", 8)) {
			copy(def, sizeof(def), item, strlen(item));
			continue;
		}
		if (replaced)
			continue;
		append(out, n, out[1] ? " " : "");
		append(out, n, item);
	}
	for (size_t i = 0; codes[i]; i++) {
		append(out, n, out[1] ? " " : "");
		append(out, n, codes[i]);
		append(out, n, "=ignore");
	}
	if (def[0]) {
		append(out, n, " ");
		append(out, n, def);
	}
	append(out, n, "]");
}

bool ksmctl_pam_failsafe(const struct ksmctl_pam_line *l, char *why,
			 size_t why_n, char *fixed, size_t fixed_n)
{
	const char *const *codes = NULL;
	char tmp[KSMCTL_PAM_FIELD], act[64];
	const char *list;
	bool safe = true;

	why[0] = fixed[0] = '\0';
	for (size_t i = 0; i < sizeof(failsafe_codes) / sizeof(*failsafe_codes);
	     i++)
		if (!strcmp(l->type, failsafe_codes[i].type))
			codes = failsafe_codes[i].codes;
	if (!codes || ksmctl_pam_is_include(l))
		return true;
	for (size_t i = 0; codes[i]; i++) {
		ksmctl_pam_action(l->control, codes[i], act, sizeof(act));
		if (strcmp(act, "ignore") != 0) {
			append(why, why_n, safe ? "" : ", ");
			append(why, why_n, codes[i]);
			append(why, why_n, "=");
			append(why, why_n, act);
			safe = false;
		}
	}
	if (safe)
		return true;
	list = brackets_of(l->control, tmp, sizeof(tmp));
	fixed_control(list ? list : "default=bad", codes, fixed, fixed_n);
	return false;
}

/* The largest jump (a number of modules) in a control's brackets; 0 when
 * none. */
static unsigned long max_jump(const char *control)
{
	char tmp[KSMCTL_PAM_FIELD];
	const char *p = brackets_of(control, tmp, sizeof(tmp));
	unsigned long max = 0;

	while (p && *p) {
		const char *w, *eq;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		eq = memchr(w, '=', (size_t)(p - w));
		if (eq && eq + 1 < p && eq[1] >= '1' && eq[1] <= '9' &&
		    strspn(eq + 1, "0123456789") == (size_t)(p - eq - 1)) {
			unsigned long v = strtoul(eq + 1, NULL, 10);

			if (v > max)
				max = v;
		}
	}
	return max;
}

/* Does rule l belong to the stack of type (an @include to every one)? */
static bool of_type(const struct ksmctl_pam_line *l, const char *type)
{
	return !strcmp(l->type, "@include") || !strcmp(l->type, type);
}

bool ksmctl_pam_removable(const struct ksmctl_pam_line *lines, size_t n,
			  size_t i, char *why, size_t why_n)
{
	const char *type = lines[i].type;
	size_t others = 0;

	why[0] = '\0';
	for (size_t j = 0; j < n; j++)
		others += j != i && of_type(&lines[j], type) &&
			  !ksmctl_pam_is_ksm(&lines[j]);
	if (!others) {
		snprintf(why, why_n,
			 "no other %s rule would be left: an empty stack "
			 "fails every login",
			 type);
		return false;
	}
	for (size_t j = 0; j < i; j++) {
		const struct ksmctl_pam_line *l = &lines[j];
		unsigned long jump, between = 0;
		bool include = false;

		/* pam_ksm rules go too: their jumps with them. */
		if (!of_type(l, type) || ksmctl_pam_is_ksm(l) ||
		    !(jump = max_jump(l->control)))
			continue;
		for (size_t k = j + 1; k < i; k++) {
			if (!of_type(&lines[k], type))
				continue;
			between++;
			include |= ksmctl_pam_is_include(&lines[k]);
		}
		if (include || jump >= between) {
			snprintf(
				why, why_n,
				"line %u (%s %s) jumps %lu module(s)%s: taking "
				"the pam_ksm line out would move where it "
				"lands",
				l->lineno, l->type, l->module, jump,
				include ? " across an include" : "");
			return false;
		}
	}
	return true;
}

/* ---------------------------------------------------------- nsswitch.conf */

void ksmctl_nss_parse(const char *text, size_t len, const char *db,
		      struct ksmctl_nss_line *out)
{
	size_t dlen = strlen(db), pos = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len && !out->found) {
		size_t e = pos, i;
		bool local_seen = false;
		char blocker[64] = "";

		while (e < len && text[e] != '\n')
			e++;
		i = pos;
		pos = e + 1;
		while (i < e && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (e - i <= dlen || strncmp(text + i, db, dlen) != 0 ||
		    text[i + dlen] != ':')
			continue;
		out->found = true;
		for (i += dlen + 1; i < e && text[i] != '#';) {
			size_t s;

			while (i < e && (text[i] == ' ' || text[i] == '\t'))
				i++;
			s = i;
			if (i < e && text[i] == '[') {
				while (i < e && text[i] != ']')
					i++;
				i += i < e;
			} else {
				while (i < e && text[i] != ' ' &&
				       text[i] != '\t' && text[i] != '[' &&
				       text[i] != '#')
					i++;
			}
			if (i == s)
				break;
			if (text[s] == '[') {
				/* NOTFOUND=return, or !X=return (X not
				 * NOTFOUND), ends a lookup of a name the
				 * sources before did not find. */
				char crit[64];
				const char *nf, *bang;

				copy(crit, sizeof(crit), text + s, i - s);
				for (char *c = crit; *c; c++)
					*c = (char)toupper((unsigned char)*c);
				nf = strstr(crit, "NOTFOUND=RETURN");
				bang = strstr(crit, "!");
				if ((nf && (nf == crit + 1 || nf[-1] != '!')) ||
				    (bang && strstr(bang, "=RETURN") &&
				     strncmp(bang + 1, "NOTFOUND", 8) != 0))
					copy(blocker, sizeof(blocker), text + s,
					     i - s);
				continue;
			}
			if ((i - s == 5 && !strncmp(text + s, "files", 5)) ||
			    (i - s == 6 && !strncmp(text + s, "compat", 6)))
				local_seen = true;
			if (i - s == 3 && !strncmp(text + s, "ksm", 3) &&
			    !out->has_ksm) {
				out->has_ksm = true;
				out->ksm_first = !local_seen;
				memcpy(out->blocker, blocker, sizeof(blocker));
			}
		}
	}
}

/* ---------------------------------------------------------------- sshd */

bool ksmctl_sshd_T_value(const char *text, const char *keyword, char *buf,
			 size_t n)
{
	size_t klen = strlen(keyword);

	for (const char *p = text; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		if (len > klen && !strncmp(p, keyword, klen) &&
		    p[klen] == ' ') {
			copy(buf, n, p + klen + 1, len - klen - 1);
			return true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* The keyword and value of an sshd_config line ("Key value", "Key=value",
 * "Key = value"); false for blank and comment lines. */
static bool config_line(char *line, char **key, char **value)
{
	char *p = line, *e;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return false;
	*key = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '=')
		p++;
	e = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	*e = '\0';
	*value = p;
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return true;
}

bool ksmctl_sshd_config_first(const char *text, size_t len, const char *file,
			      const char *keyword, ksmctl_sshd_include_fn inc,
			      void *ctx, struct ksmctl_sshd_hit *hit)
{
	char line[1024];
	unsigned lineno = 0;

	for (size_t pos = 0; pos < len;) {
		size_t e = pos;
		char *key, *value;

		while (e < len && text[e] != '\n')
			e++;
		copy(line, sizeof(line), text + pos, e - pos);
		for (char *c = line; *c; c++)
			if (*c == '\r')
				*c = ' ';
		pos = e + 1;
		lineno++;
		if (!config_line(line, &key, &value))
			continue;
		if (!strcasecmp(key, "Match"))
			return false;
		if (!strcasecmp(key, "Include")) {
			char *save = NULL;

			for (char *pat = strtok_r(value, " \t", &save); pat;
			     pat = strtok_r(NULL, " \t", &save))
				if (inc && inc(ctx, pat, hit))
					return true;
			continue;
		}
		if (keyword && !strcasecmp(key, keyword)) {
			copy(hit->file, sizeof(hit->file), file, strlen(file));
			hit->line = lineno;
			copy(hit->value, sizeof(hit->value), value,
			     strlen(value));
			return true;
		}
	}
	return false;
}

bool ksmctl_sshd_is_helper(const char *cmd)
{
	size_t len = strcspn(cmd, " \t");
	const char *base = cmd;

	for (size_t i = 0; i < len; i++)
		if (cmd[i] == '/')
			base = cmd + i + 1;
	return (size_t)(cmd + len - base) == strlen(HELPER) &&
	       !strncmp(base, HELPER, strlen(HELPER));
}

/* An Include value that names the snippet and nothing else. */
static bool includes_only(char *value, const char *snippet)
{
	char *save = NULL, *pat = strtok_r(value, " \t", &save);
	bool any = false;

	for (; pat; pat = strtok_r(NULL, " \t", &save)) {
		if (strcmp(pat, snippet) != 0)
			return false;
		any = true;
	}
	return any;
}

bool ksmctl_sshd_only_ours(const char *text, size_t len, const char *snippet)
{
	char line[1024];
	bool command = false;

	for (size_t pos = 0; pos < len;) {
		size_t e = pos;
		char *key, *value;

		while (e < len && text[e] != '\n')
			e++;
		if (e - pos >= sizeof(line))
			return false; /* not a line of ours */
		copy(line, sizeof(line), text + pos, e - pos);
		for (char *c = line; *c; c++)
			if (*c == '\r')
				*c = ' ';
		pos = e + 1;
		if (!config_line(line, &key, &value))
			continue;
		if ((!strcasecmp(key, "AuthorizedKeysCommand") &&
		     ksmctl_sshd_is_helper(value)) ||
		    (!strcasecmp(key, "Include") &&
		     includes_only(value, snippet)))
			command = true;
		else if (strcasecmp(key, "AuthorizedKeysCommandUser") != 0)
			return false;
	}
	return command;
}
