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

/* Exit codes (documented in --help and ksmctl(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* anything not below */
	EXIT_USAGE = 2,
	EXIT_NOT_BOUND = 3, /* no/invalid/unsafe client config */
	EXIT_NETWORK = 4,   /* unreachable, timeout, TLS, throttled, 5xx */
	EXIT_DENIED = 5,    /* access denied, token used, key/version refused */
	EXIT_NOT_FOUND = 6, /* record, field or file not found */
};

struct ksmctl {
	const char *conf_path; /* --conf */
	ksm_settings *conf;
	const char *prog;
};

/* Print "ksmctl: <message>" and return the exit code for err. */
int ksmctl_fail(const struct ksmctl *k, const ksm_error *err);
int ksmctl_usage_error(const struct ksmctl *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ksmctl_exit_code(ksm_status st);
/* Client from ksm.conf, or print the error and return its exit code. */
int ksmctl_client(const struct ksmctl *k, ksm_client **c);
/* Print a JSON string literal. */
void ksmctl_json_string(FILE *f, const char *s);

int cmd_init(struct ksmctl *k, int argc, char **argv);
int cmd_secret(struct ksmctl *k, int argc, char **argv);
int cmd_notation(struct ksmctl *k, int argc, char **argv);
int cmd_totp(struct ksmctl *k, int argc, char **argv);
int cmd_exec(struct ksmctl *k, int argc, char **argv);
int cmd_status(struct ksmctl *k, int argc, char **argv);
int cmd_sync(struct ksmctl *k, int argc, char **argv);
int cmd_users(struct ksmctl *k, int argc, char **argv);

#endif
