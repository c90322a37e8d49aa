/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_unenroll.c - "ksmctl unenroll [--dry-run] [--yes]": plan every
 * step (ksmctl_unenroll.h), refuse before changing anything when one of
 * them could not be done safely, ask (or want --yes), run the steps in
 * order and stop at the first that fails, then name the device to remove
 * in Keeper: this host cannot revoke its own device.
 *
 * Exit codes: 0 done (or nothing to do, or --dry-run with nothing refused),
 * 1 refused or a step failed (what was done is listed), 2 usage or not
 * confirmed.
 */
#include "ksmctl_unenroll.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE "usage: unenroll [--dry-run] [--yes]"

/* What Keeper shows of this host's device: Commander's and the Web
 * Vault's device list show the client id in URL-safe base64, and its first
 * 8 characters as the short id. */
struct device {
	bool known;
	char id[128], short_id[9], host[256];
};

static void vprint(FILE *f, const char *tag, const char *fmt, va_list ap)
{
	fprintf(f, "%s: ", tag);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void unenroll_plan(struct unenroll *u, const char *fmt, ...)
{
	va_list ap;

	if (u->act)
		return;
	u->planned++;
	if (!u->show)
		return;
	va_start(ap, fmt);
	vprint(stdout, "would", fmt, ap);
	va_end(ap);
}

void unenroll_refuse(struct unenroll *u, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (u->act) {
		vprint(stderr, "FAIL", fmt, ap);
		u->failed = true;
	} else {
		vprint(stderr, "refused", fmt, ap);
		u->refused++;
	}
	va_end(ap);
}

void unenroll_done(struct unenroll *u, const char *fmt, ...)
{
	va_list ap;

	(void)u;
	va_start(ap, fmt);
	vprint(stdout, "done", fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void unenroll_fail(struct unenroll *u, const char *fmt, ...)
{
	va_list ap;

	u->failed = true;
	va_start(ap, fmt);
	vprint(stderr, "FAIL", fmt, ap);
	va_end(ap);
}

void unenroll_note(struct unenroll *u, const char *fmt, ...)
{
	va_list ap;

	if (!u->show && !u->act)
		return;
	va_start(ap, fmt);
	vprint(stdout, "note", fmt, ap);
	va_end(ap);
}

bool unenroll_run(struct unenroll *u, const char *what,
		  const char *const argv[], unsigned timeout_ms)
{
	char *out = NULL, *err = NULL;
	int rc = check_run(argv, timeout_ms, &out, &err);
	const char *msg = err && *err ? err : out;

	if (rc != 0) {
		char line[300] = "";

		if (msg)
			snprintf(line, sizeof(line), "%.*s",
				 (int)strcspn(msg, "\n"), msg);
		unenroll_fail(u, "%s: %s%d%s%s", what,
			      rc < 0 ? "did not run or end, " : "exit ", rc,
			      line[0] ? ": " : "", line);
	}
	free(out);
	free(err);
	return rc == 0;
}

/* Read before anything is removed: the device is named at the end. */
static void device_read(const struct ksmctl *k, struct device *d)
{
	ksm_client_config *cfg = NULL;
	ksm_error err = {0};
	const char *id, *host;
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	if (ksm_client_config_load_file(k->conf->client_config,
					KSM_CLIENT_CONFIG_ALLOW_INSECURE, &cfg,
					&err) != KSM_OK)
		return;
	id = ksm_client_config_get(cfg, KSM_CFG_CLIENT_ID);
	host = ksm_client_config_get(cfg, KSM_CFG_HOSTNAME);
	for (; id && *id && n + 1 < sizeof(d->id); id++) {
		if (*id == '=')
			break;
		d->id[n++] = *id == '+' ? '-' : *id == '/' ? '_' : *id;
	}
	d->id[n] = '\0';
	snprintf(d->short_id, sizeof(d->short_id), "%.8s", d->id);
	snprintf(d->host, sizeof(d->host), "%s", host ? host : "?");
	d->known = n > 0;
	ksm_client_config_free(cfg);
}

static void device_print(const struct device *d, bool done)
{
	if (!d->known)
		return;
	printf("%s this host's device in Keeper (%s): the application's "
	       "Devices, short id %s (client id %s)\n",
	       done ? "Now remove" : "Then remove", d->host, d->short_id,
	       d->id);
	printf("  Commander: secrets-manager client remove --app APP "
	       "--client %s\n",
	       d->short_id);
}

/* On a terminal, "yes" typed; elsewhere --yes is the only answer. */
static bool confirmed(const struct ksmctl *k)
{
	char buf[16] = "";

	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"%s: unenroll: refusing without --yes (standard input "
			"is not a terminal); --dry-run shows the plan\n",
			k->prog);
		return false;
	}
	fprintf(stderr, "Unenroll this host (the steps above)? Type 'yes': ");
	if (!fgets(buf, sizeof(buf), stdin) || strcmp(buf, "yes\n") != 0) {
		fprintf(stderr,
			"%s: unenroll: not confirmed, nothing changed\n",
			k->prog);
		return false;
	}
	return true;
}

int cmd_unenroll(struct ksmctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"yes", no_argument, NULL, 'y'},
		{NULL, 0, NULL, 0},
	};
	static void (*const steps[])(struct unenroll *) = {
		unenroll_pam,	   unenroll_sshd,  unenroll_nsswitch,
		unenroll_services, unenroll_files,
	};
	const size_t nsteps = sizeof(steps) / sizeof(steps[0]);
	struct unenroll u = {.r = {.k = k}};
	struct device dev;
	bool dry_run = false, yes = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "ny", opts, NULL)) != -1) {
		if (opt == 'n')
			dry_run = true;
		else if (opt == 'y')
			yes = true;
		else
			return ksmctl_usage_error(k, USAGE);
	}
	if (optind != argc)
		return ksmctl_usage_error(k, USAGE);
	if (geteuid() != 0) {
		fprintf(stderr, "%s: unenroll: needs root\n", k->prog);
		return EXIT_FAIL;
	}
	u.r.systemd = access(CHECK_SYSTEMD, F_OK) == 0;
	snprintf(u.r.self, sizeof(u.r.self), "ksmctl");
	u.show = dry_run || !yes;
	device_read(k, &dev);
	for (size_t i = 0; i < nsteps; i++)
		steps[i](&u);
	if (u.refused) {
		fprintf(stderr,
			"%s: unenroll: refused (%zu reason(s) above); nothing "
			"was changed\n",
			k->prog, u.refused);
		return EXIT_FAIL;
	}
	if (!u.planned) {
		printf("nothing to undo: ksm-unix is not enrolled on this "
		       "host\n");
		return EXIT_OK;
	}
	if (dry_run) {
		device_print(&dev, false);
		return EXIT_OK;
	}
	if (!yes && !confirmed(k))
		return EXIT_USAGE;
	u.act = true;
	for (size_t i = 0; i < nsteps && !u.failed; i++)
		steps[i](&u);
	if (u.failed) {
		fprintf(stderr,
			"%s: unenroll: stopped at the failure above; the steps "
			"after it were not done (run it again once fixed)\n",
			k->prog);
		return EXIT_FAIL;
	}
	device_print(&dev, true);
	return EXIT_OK;
}
