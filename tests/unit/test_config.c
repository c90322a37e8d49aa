/* SPDX-License-Identifier: MIT */
/*
 * test_config.c - client.json and ksm.conf: round trips, the SDKs' forms,
 * permission checks, tokens and region prefixes, parse errors.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "proxy.h"

static char tmpdir[] = "/tmp/ksm-test-config.XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

static void test_file_round_trip_and_mode(void **state)
{
	ksm_client_config *a = NULL, *b = NULL;
	ksm_error err = {0};
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/client.json", tmpdir);
	assert_int_equal(
		ksm_client_config_from_token(
			"EU:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
			"99:BHKdFVr89q6CmHljKYh_xmriJbbe1EpmN-N-74EHN_"
			"0ib9XJCs6iVq9TRZmRMG8M3yRxKqdSiBKMJYxmSpgjkgI",
			&a, &err),
		KSM_OK);
	assert_string_equal(ksm_client_config_get(a, KSM_CFG_HOSTNAME),
			    "keepersecurity.eu");
	assert_string_equal(
		ksm_client_config_get(a, KSM_CFG_SERVER_PUBLIC_KEY_ID), "99");
	assert_int_equal(strlen(ksm_client_config_get(a, KSM_CFG_PRIVATE_KEY)),
			 184);
	assert_memory_equal(ksm_client_config_get(a, KSM_CFG_PRIVATE_KEY),
			    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg",
			    48);
	umask(022);
	assert_int_equal(ksm_client_config_save_file(a, path, &err), KSM_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ksm_client_config_load_file(path, 0, &b, &err),
			 KSM_OK);
	assert_string_equal(ksm_client_config_get(a, KSM_CFG_PRIVATE_KEY),
			    ksm_client_config_get(b, KSM_CFG_PRIVATE_KEY));
	assert_string_equal(ksm_client_config_get(a, KSM_CFG_CLIENT_ID),
			    ksm_client_config_get(b, KSM_CFG_CLIENT_ID));
	ksm_client_config_free(b);
	b = NULL;

	/* Readable by others: refused with the fix in the message. */
	chmod(path, 0644);
	assert_int_equal(ksm_client_config_load_file(path, 0, &b, &err),
			 KSM_ERR_CONFIG_PERM);
	assert_non_null(strstr(err.message, "chmod 600"));
	assert_int_equal(
		ksm_client_config_load_file(
			path, KSM_CLIENT_CONFIG_ALLOW_INSECURE, &b, &err),
		KSM_OK);
	ksm_client_config_free(b);
	/* Missing: "not bound" with what to do. */
	assert_int_equal(ksm_client_config_load_file("/nonexistent/client.json",
						     0, &b, &err),
			 KSM_ERR_NOT_BOUND);
	assert_non_null(strstr(err.message, "ksmctl init"));
	ksm_client_config_free(a);
}

/* JST/keeper.test.ts "Storage base64": a newline and spaces inside. */
static void test_sdk_base64_config(void **state)
{
	const char *b64 = "ewogICAgImFwcEtleSI6ICJGQUtFX0FQUF9LRVkiLAogICAgImNs"
			  "aWVudElkIjo"
			  "gIkZBS0VfQ0xJRU5UX0tFWSIsCiAgICAiaG9zdG5hbWUiOiAiZmF"
			  "rZS5rZWVwZX"
			  "JzZWN1cml0eS5jb20iLAogICAgInByaXZhdGVLZXkiOiAiRkFLRV"
			  "9QUklWQVRFX"
			  "0tFWSIsCiAgICAic2VydmVyUHVibGljS2V5SWQiOiAiMTAiCn0=";
	ksm_client_config *c = NULL;
	ksm_error err = {0};
	char *text;

	/* Build our own sample the same way, since ours is independent. */
	const char *json =
		"{\n    \"appKey\": \"FAKE_APP_KEY\",\n    \"clientId\": "
		"\"FAKE_CLIENT_KEY\",\n    \"hostname\": "
		"\"fake.keepersecurity.com\",\n    \"privateKey\": "
		"\"FAKE_PRIVATE_KEY\",\n    \"serverPublicKeyId\": \"10\"\n}";
	text = ksm_b64_encode((const uint8_t *)json, strlen(json), false);
	assert_string_equal(text, b64);
	free(text);
	assert_int_equal(ksm_client_config_load_string(b64, &c, &err), KSM_OK);
	assert_string_equal(ksm_client_config_get(c, KSM_CFG_HOSTNAME),
			    "fake.keepersecurity.com");
	assert_string_equal(
		ksm_client_config_get(c, KSM_CFG_SERVER_PUBLIC_KEY_ID), "10");
	ksm_client_config_free(c);
	assert_int_equal(ksm_client_config_load_string(json, &c, &err), KSM_OK);
	ksm_client_config_free(c);
	assert_int_equal(ksm_client_config_load_string("[1,2]", &c, &err),
			 KSM_ERR_CONFIG);
	assert_int_equal(ksm_client_config_load_string("%%%", &c, &err),
			 KSM_ERR_CONFIG);
	assert_int_equal(
		ksm_client_config_load_string("{\"a\": {\"b\": 1}}", &c, &err),
		KSM_ERR_CONFIG);
}

static void test_tokens(void **state)
{
	static const struct {
		const char *token, *host, *want;
	} ok[] = {
		{"US:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "keepersecurity.com"},
		{"eu:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "keepersecurity.eu"},
		{"AU:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "keepersecurity.com.au"},
		{"GOV:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "govcloud.keepersecurity.us"},
		{"JP:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "keepersecurity.jp"},
		{"CA:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "keepersecurity.ca"},
		{"IL5:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", NULL,
		 "il5.keepersecurity.us"},
		{"fake.keepersecurity.com:"
		 "YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c",
		 NULL, "fake.keepersecurity.com"},
		{" YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c\n",
		 "127.0.0.1:8443", "127.0.0.1:8443"},
		{"US:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c",
		 "localhost:9", "localhost:9"},
	};
	static const char *const bad[] = {
		"YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c", /* no host */
		"US:short",
		"US:",
		"",
		"localhost:8443:YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c",
	};
	uint8_t key[32];
	char *host;
	ksm_error err = {0};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ksm_token_parse(ok[i].token, ok[i].host, &host,
						 key, &err),
				 KSM_OK);
		assert_string_equal(host, ok[i].want);
		free(host);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			ksm_token_parse(bad[i], NULL, &host, key, &err),
			KSM_ERR_TOKEN);
		assert_true(err.message[0] != '\0');
	}
}

/* Each malformed token gets the message that names its fault, and none
 * repeats a key the admin pasted in the wrong place. */
static void test_token_messages(void **state)
{
#define KEY43 "YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c"
	static const struct {
		const char *token, *host, *want;
	} bad[] = {
		{"", NULL, "the token is empty"},
		{" \t\n", NULL, "the token is empty"},
		{"", "127.0.0.1:8443", "the token is empty"},
		{KEY43, NULL, "no region prefix (US:, EU:, ...)"},
		{"XX:" KEY43, NULL, "region 'XX' is not one ksm-unix knows"},
		{"us1:" KEY43, NULL, "region 'us1' is not one ksm-unix knows"},
		{":" KEY43, NULL, "starts with ':'"},
		{"US:", NULL, "no key after its region"},
		{"US:short", NULL, "not base64url of 32 bytes"},
		{"localhost:8443:" KEY43, NULL, "has 3 ':'-separated parts"},
		{"a:b:c:d:e:f", NULL, "has 6 ':'-separated parts"},
		{"US:" KEY43 ":9", NULL, "has 3 ':'-separated parts"},
		{KEY43 ":x", NULL, "first part (43 characters before ':')"},
	};
	static const struct {
		const char *token, *host, *want;
	} good[] = {
		/* A host name (a dot, or localhost), as the SDKs take it. */
		{"localhost:" KEY43, NULL, "localhost"},
		{"ksm.example.org:" KEY43, NULL, "ksm.example.org"},
		{"127.0.0.1:" KEY43, NULL, "127.0.0.1"},
		/* --host wins over any prefix, also an unknown region. */
		{"XX:" KEY43, "127.0.0.1:8443", "127.0.0.1:8443"},
		{"il5:" KEY43, NULL, "il5.keepersecurity.us"},
	};
	uint8_t key[32];
	char *host = NULL;
	ksm_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(ksm_token_parse(bad[i].token, bad[i].host,
						 &host, key, &err),
				 KSM_ERR_TOKEN);
		assert_null(host);
		if (!strstr(err.message, bad[i].want))
			fail_msg("token '%s': '%s' lacks '%s'", bad[i].token,
				 err.message, bad[i].want);
		assert_null(strstr(err.message, KEY43));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(ksm_token_parse(good[i].token, good[i].host,
						 &host, key, &err),
				 KSM_OK);
		assert_string_equal(host, good[i].want);
		free(host);
		host = NULL;
	}
#undef KEY43
}

static void test_conf(void **state)
{
	const char *text =
		"# comment\n"
		"  client_config = /x/client.json  \n"
		"uid_range = 300000-300100\n"
		"keys_max_age = 90s\n"
		"offline_max_age = 2d\n"
		"timeout_auth = 1.5\n"
		"max_response_size = 2G\n"
		"account_folders = A , B,,C\n"
		"session_secret = db keeper://x/field/password\n"
		"session_secret = key keeper://{record}/custom_field/k\n";
	ksm_settings *c = NULL;
	ksm_error err = {0};
	unsigned s;

	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_string_equal(c->client_config, "/x/client.json");
	assert_int_equal(c->uid_min, 300000);
	assert_int_equal(c->uid_max, 300100);
	assert_int_equal(c->gid_min, 200000);
	assert_int_equal(c->keys_max_age, 90);
	assert_int_equal(c->offline_max_age, 2 * 86400);
	assert_int_equal(c->timeout_auth_ms, 1500);
	assert_int_equal(c->timeout_keys_ms, 2000);
	assert_true(c->max_response_size == (size_t)2 << 30);
	assert_int_equal(c->n_account_folders, 3);
	assert_string_equal(c->account_folders[2], "C");
	assert_int_equal(c->n_session_secrets, 2);
	assert_string_equal(c->session_secrets[1].name, "key");
	assert_string_equal(c->session_secrets[1].notation,
			    "keeper://{record}/custom_field/k");
	assert_string_equal(c->snapshot, "/var/lib/ksm/snapshot");
	ksm_settings_free(c);

	/* Defaults when empty. */
	assert_int_equal(ksm_settings_parse("", 0, "t", &c, &err), KSM_OK);
	assert_int_equal(c->n_session_secrets, 1);
	assert_string_equal(c->session_secrets[0].name, "password");
	assert_int_equal(c->session_secret_ttl, 12 * 3600);
	assert_int_equal(c->offline_max_failures, 5);
	assert_true(c->max_response_size == 0); /* auto */
	assert_null(c->host_record);
	assert_int_equal(c->n_admin_groups, 0);
	assert_true(c->end_sessions);
	assert_int_equal(c->end_sessions_grace, 5);
	assert_int_equal(c->auth_reuse, 5);
	ksm_settings_free(c);
	text = "auth_reuse = 0\n";
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_int_equal(c->auth_reuse, 0);
	ksm_settings_free(c);
	text = "auth_reuse = 1m\n";
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_int_equal(c->auth_reuse, 60);
	ksm_settings_free(c);

	/* host_record: a UID, auto, or none (NULL again). */
	text = "host_record = Abc-_123\nadmin_groups = sudo, adm\n"
	       "end_sessions = no\nend_sessions_grace = 1m\n";
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_string_equal(c->host_record, "Abc-_123");
	assert_int_equal(c->n_admin_groups, 2);
	assert_string_equal(c->admin_groups[1], "adm");
	assert_false(c->end_sessions);
	assert_int_equal(c->end_sessions_grace, 60);
	ksm_settings_free(c);
	text = "host_record = auto\nhost_record = none\n";
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_null(c->host_record);
	ksm_settings_free(c);
	assert_true(ksm_default_max_response() >= (size_t)256 << 20);
	assert_int_equal(ksm_settings_parse("max_response_size = 300\n", 24,
					    "t", &c, &err),
			 KSM_OK);
	assert_true(c->max_response_size == (size_t)300 << 20);
	ksm_settings_free(c);

	static const char *const bad[] = {
		"nonsense\n",
		"timout_auth = 3\n",
		"uid_range = 10-5\n",
		"uid_range = 0-5\n",
		"keys_max_age = 5x\n",
		"timeout_auth = -1\n",
		"session_secret = onlyname\n",
		"offline_max_failures = many\n",
		"max_response_size = 0\n",
		"max_response_size = 65G\n",
		"max_response_size = 1T\n",
		"max_response_size = 512MB\n",
		"host_record = a/b\n",
		"host_record = has space\n",
		"end_sessions = maybe\n",
		"auth_reuse = 61\n",
		"auth_reuse = 2m\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ksm_settings_parse(bad[i], strlen(bad[i]),
						    "ksm.conf", &c, &err),
				 KSM_ERR_CONFIG);
		assert_non_null(strstr(err.message, "ksm.conf:1:"));
	}
	assert_int_equal(ksm_parse_duration("24h", &s), KSM_OK);
	assert_int_equal(s, 86400);
	assert_int_equal(ksm_parse_duration("99999999999d", &s),
			 KSM_ERR_INVALID);
}

/* The settings of the sync's guards: derived ranges, max_account_drop,
 * account_folders entries that are not folder UIDs. */
static void test_sync_settings(void **state)
{
	static const char *const bad_drop[] = {
		"max_account_drop = \n",     "max_account_drop = 101%\n",
		"max_account_drop = 5, 6\n", "max_account_drop = 10%, 20%\n",
		"max_account_drop = x\n",    "max_account_drop = %\n",
		"max_account_drop = -1\n",   "max_account_drop = 1,2,3\n",
	};
	ksm_settings *c = NULL;
	ksm_error err = {0};
	const char *text = "derived_uid_range = 1879048192-1879100000\n"
			   "derived_gid_range = 1900000000-1900000100\n"
			   "max_account_drop = 25\n";

	assert_int_equal(ksm_settings_parse("", 0, "t", &c, &err), KSM_OK);
	assert_int_equal(c->derived_uid_min, 1879048192u);
	assert_int_equal(c->derived_uid_max, 2147352575u);
	assert_int_equal(c->max_drop_percent, 10);
	assert_int_equal(c->max_drop_count, 5);
	ksm_settings_free(c);
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_int_equal(c->derived_uid_max, 1879100000u);
	assert_int_equal(c->derived_gid_min, 1900000000u);
	assert_int_equal(c->max_drop_percent, 0);
	assert_int_equal(c->max_drop_count, 25);
	ksm_settings_free(c);
	text = "max_account_drop = 3% , 7\n";
	assert_int_equal(ksm_settings_parse(text, strlen(text), "t", &c, &err),
			 KSM_OK);
	assert_int_equal(c->max_drop_percent, 3);
	assert_int_equal(c->max_drop_count, 7);
	ksm_settings_free(c);
	for (size_t i = 0; i < sizeof(bad_drop) / sizeof(*bad_drop); i++) {
		assert_int_equal(ksm_settings_parse(bad_drop[i],
						    strlen(bad_drop[i]),
						    "ksm.conf", &c, &err),
				 KSM_ERR_CONFIG);
		assert_non_null(strstr(err.message, "max_account_drop"));
	}

	/* A trailing comment or a stray character is an error naming the
	 * entry and the line, never a folder that matches nothing. */
	text = "# folders\naccount_folders = Fo1der_-x, B # the admins\n";
	assert_int_equal(
		ksm_settings_parse(text, strlen(text), "ksm.conf", &c, &err),
		KSM_ERR_CONFIG);
	assert_string_equal(err.message,
			    "ksm.conf:2: account_folders: 'B # the admins' is "
			    "not a folder UID (1 to 64 of A-Z a-z 0-9 - _); a "
			    "comment must be on a line of its own");
	text = "account_folders = AAAAAAAAAAAAAAAAAAAAAA;\n";
	assert_int_equal(
		ksm_settings_parse(text, strlen(text), "ksm.conf", &c, &err),
		KSM_ERR_CONFIG);
	assert_string_equal(err.message,
			    "ksm.conf:1: account_folders: "
			    "'AAAAAAAAAAAAAAAAAAAAAA;' is not a folder UID (1 "
			    "to 64 of A-Z a-z 0-9 - _)");
}

static void test_proxy_url(void **state)
{
	static const char *const bad[] = {
		"proxy:3128",		    /* no scheme */
		"socks5://p:1080",	    /* another scheme */
		"http://proxy",		    /* no port */
		"http://proxy:0",	    /* port 0 */
		"http://proxy:65536",	    /* too big */
		"http://:3128",		    /* no host */
		"http://@proxy:3128",	    /* empty user */
		"http://u:p%4@proxy:3128",  /* a broken escape */
		"http://u:p%0a@proxy:3128", /* a control byte */
		"http://pro xy:3128",
		"http://proxy:3128/path",
		"http://[zz::1]:3128",
	};
	char *no[] = {"*"}, *list[] = {".corp.example", "10.1.2.3", "[::1]"};
	ksm_proxy_url p;
	ksm_settings *c = NULL;
	ksm_error err = {0};
	const char *conf = "proxy = http://fleet:p%40ss@proxy:3128\n";

	(void)state;
	assert_int_equal(
		ksm_proxy_parse("HTTP://fleet:p%40ss:w@proxy.corp:3128/", &p),
		KSM_OK);
	assert_false(p.https);
	assert_string_equal(p.user, "fleet");
	assert_string_equal(p.password, "p@ss:w");
	assert_string_equal(p.host, "proxy.corp");
	assert_int_equal(p.port, 3128);
	assert_string_equal(p.display, "http://proxy.corp:3128");
	ksm_proxy_url_clear(&p);
	assert_int_equal(ksm_proxy_parse("https://[fd00::1]:8443", &p), KSM_OK);
	assert_true(p.https);
	assert_null(p.user);
	assert_string_equal(p.display, "https://[fd00::1]:8443");
	ksm_proxy_url_clear(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ksm_proxy_parse(bad[i], &p), KSM_ERR_INVALID);

	assert_true(ksm_no_proxy_match(no, 1, "keepersecurity.com"));
	assert_true(ksm_no_proxy_match(list, 3, "KEEPER.corp.example:443"));
	assert_true(ksm_no_proxy_match(list, 3, "corp.example"));
	assert_false(ksm_no_proxy_match(list, 3, "xcorp.example"));
	assert_true(ksm_no_proxy_match(list, 3, "10.1.2.3:8443"));
	assert_false(ksm_no_proxy_match(list, 3, "10.1.2.30"));
	assert_true(ksm_no_proxy_match(list, 3, "[::1]:443"));
	assert_false(ksm_no_proxy_item_ok("host:8443"));
	assert_false(ksm_no_proxy_item_ok("a/b"));
	assert_true(ksm_no_proxy_item_ok("fd00::1"));

	/* In ksm.conf: kept as written, wiped when freed; a bad one is an
	 * error that does not repeat the value. */
	assert_int_equal(ksm_settings_parse(conf, strlen(conf), "t", &c, &err),
			 KSM_OK);
	assert_string_equal(c->proxy, "http://fleet:p%40ss@proxy:3128");
	ksm_settings_free(c);
	conf = "proxy = http://fleet:s3cret@proxy\n";
	assert_int_equal(ksm_settings_parse(conf, strlen(conf), "t", &c, &err),
			 KSM_ERR_CONFIG);
	assert_null(strstr(err.message, "s3cret"));
	assert_non_null(strstr(err.message, "bad value for proxy"));
}

static void test_hosts(void **state)
{
	static const struct {
		const char *spec, *want;
	} ok[] = {
		{"US", "keepersecurity.com"},
		{"eu", "keepersecurity.eu"},
		{"Gov", "govcloud.keepersecurity.us"},
		{"IL5", "il5.keepersecurity.us"},
		{"EU/", "keepersecurity.eu"},
		{"https://jp/", "keepersecurity.jp"},
		{"https://keepersecurity.jp", "keepersecurity.jp"},
		{"https://127.0.0.1:8443/api/x?y", "127.0.0.1:8443"},
		{"HTTPS://[::1]:443/", "[::1]:443"},
		{"keeper.corp.example:8443", "keeper.corp.example:8443"},
	};
	static const char *const bad[] = {
		"",	    "http://keepersecurity.com",
		"ftp://x",  "a b",
		"host:",    "host:123456",
		"https://", "https://u@h",
	};
	ksm_error err = {0};
	char *host;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(ksm_host_from_spec(ok[i].spec, &host, &err),
				 KSM_OK);
		assert_string_equal(host, ok[i].want);
		free(host);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ksm_host_from_spec(bad[i], &host, &err),
				 KSM_ERR_INVALID);
		assert_null(host);
	}
}

/* The ksm CLI's keeper.ini, as configparser writes it. */
static void test_import_ini(void **state)
{
	ksm_client_config *cfg = NULL, *ref = NULL;
	const char *format = NULL;
	ksm_error err = {0};
	char ini[4096];

	(void)state;
	assert_int_equal(ksm_client_config_from_token(
				 "YyIhK5wXFHj36wGBAOmBsxI3v5rIruINrC8KXjyM58c",
				 "127.0.0.1:9", NULL, &ref, &err),
			 KSM_OK);
	assert_int_equal(
		ksm_client_config_set(ref, KSM_CFG_APP_KEY,
				      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
				      "AAAAAAAAAAA=",
				      &err),
		KSM_OK);
	snprintf(ini, sizeof(ini),
		 "[_config]\nactive_profile = App2\ncolor = True\n"
		 "record_type_dir\neditor\n\n"
		 "[App1]\nclientid = x\n\n"
		 "; a comment\n[App2]\nclientid = %s\nprivatekey: %s\n"
		 "appkey = %s\nhostname = EU\nappownerpublickey\n"
		 "serverpublickeyid = 10\n\n",
		 ksm_client_config_get(ref, KSM_CFG_CLIENT_ID),
		 ksm_client_config_get(ref, KSM_CFG_PRIVATE_KEY),
		 ksm_client_config_get(ref, KSM_CFG_APP_KEY));
	assert_int_equal(
		ksm_client_config_import(ini, strlen(ini), &cfg, &format, &err),
		KSM_OK);
	assert_string_equal(format, "INI");
	assert_string_equal(ksm_client_config_get(cfg, KSM_CFG_HOSTNAME),
			    "keepersecurity.eu");
	assert_string_equal(ksm_client_config_get(cfg, KSM_CFG_PRIVATE_KEY),
			    ksm_client_config_get(ref, KSM_CFG_PRIVATE_KEY));
	assert_null(ksm_client_config_get(cfg, KSM_CFG_APP_OWNER_PUBLIC_KEY));
	ksm_client_config_free(cfg);
	/* Two profiles and no active_profile: which one is not guessed. */
	snprintf(ini, sizeof(ini), "[A]\nclientid = x\n[B]\nclientid = y\n");
	assert_int_equal(
		ksm_client_config_import(ini, strlen(ini), &cfg, &format, &err),
		KSM_ERR_CONFIG);
	assert_non_null(strstr(err.message, "several profiles"));
	assert_null(cfg);
	ksm_client_config_free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_round_trip_and_mode),
		cmocka_unit_test(test_sdk_base64_config),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_messages),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_sync_settings),
		cmocka_unit_test(test_proxy_url),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_import_ini),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
