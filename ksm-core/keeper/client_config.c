/* SPDX-License-Identifier: MIT */
/*
 * config.c - the KSM client config (client.json), with the official SDKs'
 * key names, from a file or from KSM_CONFIG-style text.
 *
 * The config holds the device's private key and the app key, so it is
 * refused when others could read it, and every copy is wiped when freed.
 */
#include "client_config.h"
#include "fileio.h"
#include "record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (64 * 1024)

struct ksm_client_config {
	json_object *obj; /* flat object of strings */
};

/* Overwrite every string in the object before it is released. */
static void wipe_json_strings(json_object *obj)
{
	if (!json_object_is_type(obj, json_type_object))
		return;
	json_object_object_foreach(obj, key, val)
	{
		(void)key;
		if (json_object_is_type(val, json_type_string))
			ksm_wipe((char *)json_object_get_string(val),
				 (size_t)json_object_get_string_len(val));
	}
}

void ksm_client_config_free(ksm_client_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->obj) {
		wipe_json_strings(cfg->obj);
		json_object_put(cfg->obj);
	}
	free(cfg);
}

ksm_status ksm_client_config_new(ksm_client_config **out, ksm_error *err)
{
	ksm_client_config *cfg = calloc(1, sizeof(*cfg));

	*out = NULL;
	if (!cfg || !(cfg->obj = json_object_new_object())) {
		free(cfg);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	*out = cfg;
	return KSM_OK;
}

/* Accept a flat object; numbers (some tools write serverPublicKeyId so)
 * become strings, anything else is refused. */
static ksm_status config_from_json(json_object *obj, const char *what,
				   ksm_client_config **out, ksm_error *err)
{
	ksm_client_config *cfg = NULL;
	ksm_status st;

	if (!json_object_is_type(obj, json_type_object))
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "%s is not a JSON object", what);
	st = ksm_client_config_new(&cfg, err);
	if (st != KSM_OK)
		return st;
	json_object_object_foreach(obj, key, val)
	{
		const char *s;

		switch (json_object_get_type(val)) {
		case json_type_string:
		case json_type_int:
			s = json_object_get_string(val);
			break;
		case json_type_null:
			continue;
		default:
			ksm_client_config_free(cfg);
			return ksm_set_error(err, KSM_ERR_CONFIG,
					     "%s: key \"%s\" is not a string",
					     what, key);
		}
		st = ksm_client_config_set(cfg, key, s, err);
		if (st != KSM_OK) {
			ksm_client_config_free(cfg);
			return st;
		}
	}
	*out = cfg;
	return KSM_OK;
}

ksm_status ksm_client_config_parse(const char *text, size_t len,
				   const char *what, ksm_client_config **out,
				   ksm_error *err)
{
	json_object *obj = NULL;
	ksm_status st;

	st = ksm_json_parse(text, len, &obj, err);
	if (st != KSM_OK) {
		ksm_set_error(err, KSM_ERR_CONFIG, "%s is not valid JSON",
			      what);
		return KSM_ERR_CONFIG;
	}
	st = config_from_json(obj, what, out, err);
	wipe_json_strings(obj);
	json_object_put(obj);
	return st;
}

/*
 * The owner must be root or the caller (ksmd's user, whose credential it
 * is; or a user's own config for ksmctl run as that user), and nobody else
 * may read or write it: it holds the device key.
 */
static ksm_status check_config_perms(const char *path, const struct stat *st,
				     uid_t also, ksm_error *err)
{
	if (st->st_uid != 0 && st->st_uid != geteuid() && st->st_uid != also)
		return ksm_set_error(
			err, KSM_ERR_CONFIG_PERM,
			"%s is owned by uid %u, neither root nor this "
			"process's user; it holds the device key: run "
			"'chown ksmd: %s' (ksmd's user) or run as its owner",
			path, (unsigned)st->st_uid, path);
	if (st->st_mode & (S_IRWXG | S_IRWXO))
		return ksm_set_error(err, KSM_ERR_CONFIG_PERM,
				     "%s is accessible to other users (mode "
				     "%04o); it holds the device key: run "
				     "'chmod 600 %s'",
				     path, (unsigned)(st->st_mode & 07777),
				     path);
	return KSM_OK;
}

ksm_status ksm_client_config_load_file(const char *path, unsigned flags,
				       ksm_client_config **out, ksm_error *err)
{
	return ksm_client_config_load_owned(path, flags, (uid_t)-1, out, err);
}

ksm_status ksm_client_config_load_owned(const char *path, unsigned flags,
					uid_t owner, ksm_client_config **out,
					ksm_error *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ksm_status ret;

	*out = NULL;
	ret = ksm_read_file(path, CONFIG_MAX_BYTES, &text, &len, &st, err);
	if (ret != KSM_OK) {
		if (ret == KSM_ERR_NOT_FOUND)
			ksm_set_error(err, KSM_ERR_NOT_BOUND,
				      "no client config at %s: bind this host "
				      "first with 'ksmctl init --token -'",
				      path);
		return ret == KSM_ERR_NOT_FOUND ? KSM_ERR_NOT_BOUND
						: KSM_ERR_CONFIG;
	}
	if (!(flags & KSM_CLIENT_CONFIG_ALLOW_INSECURE)) {
		ret = check_config_perms(path, &st, owner, err);
		if (ret != KSM_OK)
			goto out;
	}
	ret = ksm_client_config_parse(text, len, path, out, err);
out:
	ksm_free_wiped(text, len);
	return ret;
}

ksm_status ksm_client_config_load_string(const char *text,
					 ksm_client_config **out,
					 ksm_error *err)
{
	const char *p = text;
	uint8_t *dec = NULL;
	size_t dlen = 0, n;
	ksm_status st;

	*out = NULL;
	if (!text)
		return ksm_set_error(err, KSM_ERR_CONFIG, "empty config");
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '{')
		return ksm_client_config_parse(p, strlen(p), "KSM_CONFIG", out,
					       err);
	n = strlen(p);
	while (n > 0 &&
	       (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\r'))
		n--;
	if (ksm_b64_decode(p, n, &dec, &dlen) != KSM_OK)
		return ksm_set_error(err, KSM_ERR_CONFIG,
				     "KSM_CONFIG is neither JSON nor base64 of "
				     "JSON");
	st = ksm_client_config_parse((const char *)dec, dlen, "KSM_CONFIG", out,
				     err);
	ksm_free_wiped(dec, dlen);
	return st;
}

const char *ksm_client_config_get(const ksm_client_config *cfg, const char *key)
{
	json_object *v;

	if (!cfg || !json_object_object_get_ex(cfg->obj, key, &v))
		return NULL;
	return json_object_get_string(v);
}

ksm_status ksm_client_config_set(ksm_client_config *cfg, const char *key,
				 const char *value, ksm_error *err)
{
	json_object *v, *old;

	if (json_object_object_get_ex(cfg->obj, key, &old) &&
	    json_object_is_type(old, json_type_string))
		ksm_wipe((char *)json_object_get_string(old),
			 (size_t)json_object_get_string_len(old));
	if (!value) {
		json_object_object_del(cfg->obj, key);
		return KSM_OK;
	}
	v = json_object_new_string(value);
	if (!v || json_object_object_add(cfg->obj, key, v) != 0) {
		json_object_put(v);
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	}
	return KSM_OK;
}

char *ksm_client_config_to_json(const ksm_client_config *cfg)
{
	const char *s = json_object_to_json_string_ext(
		cfg->obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				  JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = ksm_strdup(s);

	/* json-c caches the text in the object: wipe its copy too. */
	if (s)
		ksm_wipe((char *)s, strlen(s));
	return copy;
}

/* 0600, keeping the owner of the file it replaces. */
ksm_status ksm_client_config_save_file_owned(const ksm_client_config *cfg,
					     const char *path, uid_t uid,
					     gid_t gid, ksm_error *err)
{
	char *text = ksm_client_config_to_json(cfg);
	struct stat old;
	size_t len;
	ksm_status st;

	if (!text)
		return ksm_set_error(err, KSM_ERR_NOMEM, "out of memory");
	len = strlen(text);
	/* A rewrite keeps the owner (ksmd's user, set by ksmctl init), given
	 * before the file holds a byte: ksmd never sees it root's. */
	if (uid == (uid_t)-1 && stat(path, &old) == 0 && S_ISREG(old.st_mode) &&
	    (old.st_uid != geteuid() || old.st_gid != getegid())) {
		uid = old.st_uid;
		gid = old.st_gid;
	}
	st = ksm_atomic_write_owned(path, text, len, 0600, uid, gid, err);
	ksm_free_wiped(text, len);
	return st;
}

ksm_status ksm_client_config_save_file(const ksm_client_config *cfg,
				       const char *path, ksm_error *err)
{
	return ksm_client_config_save_file_owned(cfg, path, (uid_t)-1,
						 (gid_t)-1, err);
}
