/* SPDX-License-Identifier: MIT */
/*
 * ksmctl.h - shared bits of the admin CLI's subcommands.
 */
#ifndef KSMCTL_H
#define KSMCTL_H

#include "ksm.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

/* Exit codes (documented in --help and ksmctl(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* anything not below */
	EXIT_USAGE = 2,
	EXIT_NOT_BOUND = 3, /* no/invalid/unsafe client config */
	EXIT_NETWORK = 4,   /* unreachable, timeout, TLS, throttled, 5xx */
	EXIT_DENIED = 5,    /* access denied, token used, key/version refused */
	EXIT_NOT_FOUND = 6, /* record, field or file not found */
	EXIT_WARN = 7,	    /* status: works, but needs attention soon */
};

struct ksmctl {
	const char *conf_path; /* --conf */
	ksm_settings *conf;
	const char *prog;
	const struct ksmctl_command *cmd; /* the command that runs */
	/* check only: ksm.conf did not load (conf then holds the defaults) */
	const ksm_error *conf_error;
};

/* One command of ksmctl (the table is ksmctl_help.c). */
struct ksmctl_command {
	const char *name;
	int (*run)(struct ksmctl *k, int argc, char **argv);
	const char *forms[4]; /* its usage forms, after "ksmctl [--conf P] " */
	const char *about[4]; /* what each form does */
	const char *options;  /* its option lines, or NULL */
	const char *more;     /* more for its --help (checks, exit codes) */
	bool own_conf; /* runs (and reports) with a ksm.conf that fails */
};
const struct ksmctl_command *ksmctl_command_find(const char *name);
/* ksmctl --help, from the table. */
void ksmctl_print_help(FILE *f);
/* ksmctl COMMAND --help: its forms, what it does, its options. */
void ksmctl_print_usage(const struct ksmctl_command *c, FILE *f);

/* Print "ksmctl: <message>" and return the exit code for err. */
int ksmctl_fail(const struct ksmctl *k, const ksm_error *err);
int ksmctl_usage_error(const struct ksmctl *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ksmctl_exit_code(ksm_status st);
/*
 * The vault (ksmctl_vault.c): *c NULL when ksmd runs (every request then
 * goes through it), else a client from ksm.conf; on failure print the
 * error and return its exit code.
 */
int ksmctl_client(const struct ksmctl *k, ksm_client **c);
bool ksmctl_ksmd_running(const struct ksmctl *k);
/* ksmd's ping answer (its counters: docs/ksmd-protocol.md §4.1) into
 * *resp, a ksm_ipc_msg (ipc_msg.h) the caller clears; false when ksmd
 * does not answer. */
struct ksm_ipc_msg;
bool ksmctl_ksmd_ping(const struct ksmctl *k, struct ksm_ipc_msg *resp);
/* The same, read for "ksmctl check": false (and error) when it does not
 * answer. */
struct ksmctl_ping {
	bool up, bound, clock_known;
	char version[64];
	unsigned long long requests;
	long long clock_skew, clock_at; /* ksmd's latest vault answer */
	char error[sizeof(((ksm_error *)0)->message) + 32];
};
bool ksmctl_ksmd_info(const struct ksmctl *k, struct ksmctl_ping *p);
/* Our clock minus the server's, as the latest vault answer of this
 * process showed it (direct or through ksmd); false when none came. */
bool ksmctl_server_clock(long long *skew_s);
/* ksmctl status --prometheus[=PATH] (ksmctl_metrics.c): node_exporter
 * textfile metrics to stdout (path NULL) or atomically to path. */
int ksmctl_metrics(struct ksmctl *k, const char *path);
/* get_secret with c (ksmctl_client's), or through ksmd when c is NULL;
 * purpose "sync" lets ksmd update the offline verifiers too. */
ksm_status ksmctl_get_secrets(const struct ksmctl *k, ksm_client *c,
			      const ksm_query *q, const char *purpose,
			      ksm_secrets **out, ksm_error *err);
/* The whole vault for a sync; through ksmd, which then also keeps its
 * offline verifiers in step: how many it hashed, and why it could not. */
struct ksmctl_sync_info {
	size_t verifiers_made;
	char verifiers_error[400]; /* "" when they were kept in step */
};
/* purpose "sync" (ksmd keeps its verifiers in step, unless its drop guard
 * refuses and force is false) or "read" (a dry run: ksmd changes nothing). */
ksm_status ksmctl_sync_read(const struct ksmctl *k, ksm_client *c,
			    const char *purpose, bool force, ksm_secrets **out,
			    struct ksmctl_sync_info *info, ksm_error *err);
/* A notation against records s got that way; a file through ksmd when
 * c is NULL (text: the notation as written). */
ksm_status ksmctl_resolve_parsed(const struct ksmctl *k, ksm_client *c,
				 const ksm_secrets *s, const ksm_notation *n,
				 const char *text, char ***values,
				 size_t *count, ksm_error *err);
/* Parse and resolve one notation (ksmctl notation). */
ksm_status ksmctl_resolve(const struct ksmctl *k, ksm_client *c,
			  const char *text, char ***values, size_t *count,
			  ksm_error *err);
/* What one notation gave (ksmctl_resolve_all). */
struct ksmctl_resolved {
	ksm_error err; /* err.code KSM_OK: values hold the answer */
	char **values; /* secret; NUL-terminated, lens bytes long */
	size_t *lens;
	size_t count;
	bool is_file; /* a file, decoded: values may hold NUL bytes */
};
/*
 * Resolve n different notations with one vault request (and a download
 * for each file), through ksmd when c is NULL: one result each in out;
 * a file as its content (decode_files) or as unpadded base64url, as
 * "ksmctl notation" prints it. Fails as a whole only when the vault could
 * not be read.
 */
ksm_status ksmctl_resolve_all(const struct ksmctl *k, ksm_client *c,
			      const char *const *texts, size_t n,
			      bool decode_files, struct ksmctl_resolved *out,
			      ksm_error *err);
void ksmctl_resolved_clear(struct ksmctl_resolved *r, size_t n);
/* The same with a client of its own (ksmctl_client): *out gets n
 * results (free with ksmctl_resolved_clear and free); the exit code, an
 * error printed. */
int ksmctl_resolve_run(const struct ksmctl *k, const char *const *texts,
		       size_t n, bool decode_files,
		       struct ksmctl_resolved **out);
/* Index of s in the list *v of *n strings, added (copied) if missing;
 * (size_t)-1 when out of memory. */
size_t ksmctl_strv_index(char ***v, size_t *n, const char *s);
/* The application's folders (get_folders), through ksmd when c is NULL. */
struct ksmctl_folder {
	char *uid, *parent, *name; /* parent, name: NULL when none */
};
ksm_status ksmctl_get_folders(const struct ksmctl *k, ksm_client *c,
			      struct ksmctl_folder **out, size_t *n,
			      ksm_error *err);
void ksmctl_folders_free(struct ksmctl_folder *f, size_t n);
/* Is r directly in folder uid (that subfolder, or that shared folder
 * and none of its subfolders), as Keeper's CLI counts? */
bool ksmctl_folder_holds(const ksm_record *r, const char *uid);
/* ksmctl init through ksmd: the bound config, for ksmctl to write. */
ksm_status ksmctl_bind_via_ksmd(const struct ksmctl *k, const char *token,
				const char *host, const char *server_key,
				ksm_client_config **cfg, size_t *records,
				ksm_error *err);
/*
 * A secret file (ksmctl_output.c): replaced atomically with mode, owner
 * and group those of like, else of the file it replaces, else the
 * writer's; a symbolic link is refused. "-" is standard output.
 */
ksm_status ksmctl_write_file(const char *path, const void *data, size_t len,
			     unsigned mode, const struct stat *like,
			     ksm_error *err);
/* --mode: octal, at most 0777. */
bool ksmctl_parse_mode(const char *s, unsigned *mode);
/*
 * Records by the admin's arguments (ksmctl_records.c). A UID: 22
 * characters of [A-Za-z0-9_-].
 */
bool ksmctl_is_uid(const char *s);
/*
 * Record arguments that start with '-' (1 UID in 32 does, and getopt
 * would take it for an option): ksmctl_hide_uids puts a stand-in for each
 * in argv (but for the values of the options in takes, NULL-terminated),
 * and after getopt ksmctl_args gives the arguments from first on, in
 * their order, with the UIDs back in place (at most KSMCTL_ARGS_MAX).
 */
#define KSMCTL_ARGS_MAX 256
struct ksmctl_uids {
	const char *v[KSMCTL_ARGS_MAX];
	size_t n;
};
void ksmctl_hide_uids(int argc, char **argv, const char *const *takes,
		      struct ksmctl_uids *u);
size_t ksmctl_args(int argc, char **argv, int first,
		   const struct ksmctl_uids *u, const char **out);
/* out[i]: the record args[i] names (a UID, or the title of exactly one
 * record), all with one read into *s; errors printed, exit code returned. */
int ksmctl_find_records(const struct ksmctl *k, ksm_client *c,
			const char *const *args, size_t n, ksm_secrets **s,
			const ksm_record **out);
/* Print a JSON string literal. */
void ksmctl_json_string(FILE *f, const char *s);
/* Print vault text (a title, a folder name, a label, a value) for a
 * person to read: control characters and what is not UTF-8 become '?',
 * so a record's editor cannot send escape sequences to root's terminal
 * (ksm_text_display). NULL prints nothing. */
void ksmctl_put_text(FILE *f, const char *s);
/* t as ISO 8601 UTC, "2026-12-01T09:30:00Z" (out: at least 32 bytes). */
const char *ksmctl_iso_time(int64_t t, char *out, size_t cap);
/* The same as a JSON string literal, or null when t is 0. */
void ksmctl_json_time(FILE *f, int64_t t);
/* Create the directory path is in (one level, 0755) if it is missing;
 * a failure is reported on stderr and left to the write that follows. */
void ksmctl_ensure_parent_dir(const char *path);

/* ksmctl init (ksmctl_init.c, ksmctl_init_config.c). */
struct ksmctl_init_args {
	const char *token_arg, *token_file; /* --token -, --token-file */
	const char *config_file;	    /* --config-file */
	bool config_stdin;		    /* --config - */
	const char *host, *server_key;
	bool force, check;
};
/* Who the client config is written for: ksmd's user, or (uid_t)-1
 * (root, no such user: a warning then). */
void ksmctl_ksmd_owner(const ksm_settings *conf, const char *path, uid_t *uid,
		       gid_t *gid);
/* On stderr: the drop-in each path ksm.conf moves away from the units'
 * defaults needs (client_config, snapshot, private_store). */
void ksmctl_unit_notes(const ksm_settings *conf);
/* Does path hold a bound device already (then init wants --force)? */
bool ksmctl_already_bound(const char *path);
void ksmctl_refuse_rebind(const char *path);
/* --config-file PATH / --config -: install a pre-initialized config. */
int ksmctl_init_config(struct ksmctl *k, const struct ksmctl_init_args *a);
/* --check: one request with the config in place (through ksmd when it
 * runs); prints the result, returns the exit code. */
int ksmctl_init_check(struct ksmctl *k);

int cmd_init(struct ksmctl *k, int argc, char **argv);
int cmd_secret(struct ksmctl *k, int argc, char **argv);
int cmd_notation(struct ksmctl *k, int argc, char **argv);
int cmd_totp(struct ksmctl *k, int argc, char **argv);
int cmd_exec(struct ksmctl *k, int argc, char **argv);
int cmd_status(struct ksmctl *k, int argc, char **argv);
int cmd_check(struct ksmctl *k, int argc, char **argv);
int cmd_sync(struct ksmctl *k, int argc, char **argv);
int cmd_users(struct ksmctl *k, int argc, char **argv);
int cmd_interpolate(struct ksmctl *k, int argc, char **argv);
int cmd_folder(struct ksmctl *k, int argc, char **argv);
int cmd_explain(struct ksmctl *k, int argc, char **argv);
int cmd_unenroll(struct ksmctl *k, int argc, char **argv);

#endif
