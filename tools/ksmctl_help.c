/* SPDX-License-Identifier: MIT */
/*
 * ksmctl_help.c - the commands of ksmctl in one table: name, entry point,
 * usage forms, what each does and its options. "ksmctl --help" and every
 * "ksmctl COMMAND --help" are printed from it (tests/man/test_man.sh holds
 * ksmctl(8) to it).
 */
#include "ksmctl.h"

#include <string.h>

/*
 * forms[i]: one way to call the command (after "ksmctl [--conf PATH] "),
 * continuation lines start with blanks; about[i]: what that form does,
 * wrapped for the 26th column of --help. options: the command's option
 * lines for its own usage, or NULL.
 */
static const struct ksmctl_command commands[] = {
	{"init",
	 cmd_init,
	 {"init [--token-file FILE | --token - | --config-file FILE | --config "
	  "-]\n"
	  "     [--host REGION|URL|HOST[:PORT]] [--server-key ID:B64U] "
	  "[--force]\n"
	  "     [--check]"},
	 {"bind this host with a one-time access token (from\n"
	  "FILE, standard input or a prompt, or KSM_TOKEN;\n"
	  "never on the command line), or install a\n"
	  "pre-initialized config (JSON, base64, keeper.ini,\n"
	  "'ksm profile export'), and write the client\n"
	  "config (client_config in ksm.conf) for ksmd's user;\n"
	  "--check proves it with one request"},
	 "  --token-file FILE       the token is the first line of FILE\n"
	 "  --token -, -t -         the token from standard input (a prompt "
	 "on a\n"
	 "                          terminal, without echo)\n"
	 "  --config-file FILE      install a pre-initialized client config\n"
	 "  --config -              the same, from standard input\n"
	 "  --host REGION|URL|HOST[:PORT], -H\n"
	 "                          the server; wins over the token's "
	 "region\n"
	 "  --server-key ID:B64U, -k\n"
	 "                          a custom server public key (test "
	 "servers)\n"
	 "  --force, -f             replace a config that holds a bound "
	 "device\n"
	 "  --check                 one request with the config in place\n"
	 "Without --token-file, --token - or --config, the token is "
	 "KSM_TOKEN.\n",
	 NULL,
	 false},
	{"secret",
	 cmd_secret,
	 {"secret list [--folder UID_OR_NAME] [--title REGEX] [--json]",
	  "secret get UID_OR_TITLE... [--field TYPE_OR_LABEL [--raw]] "
	  "[--json]\n"
	  "     [--unmask]",
	  "secret download UID (--name NAME | --file-uid F) -o PATH [--mode M]",
	  "secret notation NOTATION, secret totp UID_OR_TITLE..."},
	 {"records shared with the application (in that\n"
	  "folder, with a title that matches)",
	  "records; secret values masked unless --unmask;\n"
	  "--field prints that field's values as they are,\n"
	  "--raw only its first value, exactly",
	  "save an attached file to PATH (--output; -:\n"
	  "standard output), atomically, mode 0600",
	  "the same as notation and totp"},
	 "  --folder UID_OR_NAME    list: the records of that folder\n"
	 "  --title REGEX           list: the records whose title matches\n"
	 "  --json                  JSON instead of text\n"
	 "  --field TYPE_OR_LABEL   get: only that field's values, unmasked\n"
	 "  --raw                   get --field: its first value, exactly\n"
	 "  --unmask                get: show secret values\n"
	 "  --name NAME, --file-uid F\n"
	 "                          download: the file, by name or UID\n"
	 "  --output PATH, -o PATH  download: where to (-: standard output)\n"
	 "  --mode M                download: the file's mode (default 0600)\n",
	 NULL,
	 false},
	{"notation",
	 cmd_notation,
	 {"notation NOTATION"},
	 {"resolve keeper://UID_OR_TITLE/field/TYPE[..]"},
	 NULL,
	 NULL,
	 false},
	{"totp",
	 cmd_totp,
	 {"totp UID_OR_TITLE... [--json]"},
	 {"current one-time codes of the records'\n"
	  "oneTimeCode fields"},
	 "  --json                  JSON instead of text\n",
	 NULL,
	 false},
	{"folder",
	 cmd_folder,
	 {"folder list [--json]"},
	 {"folders shared with the application: UIDs, names,\n"
	  "parents, record counts"},
	 "  --json                  JSON instead of text\n",
	 NULL,
	 false},
	{"interpolate",
	 cmd_interpolate,
	 {"interpolate [-o OUT | -w [-b SUFFIX]] [--dry-run] [--mode M] "
	  "[FILE...]"},
	 {"replace the keeper:// notations of config\n"
	  "templates (all with one request); files written\n"
	  "atomically, mode 0600; nothing written if one fails\n"
	  "(--output, --in-place, --backup-suffix; -n)"},
	 "  --output OUT, -o OUT    write the result to OUT\n"
	 "  --in-place, -w          replace each FILE\n"
	 "  --backup-suffix SUFFIX, -b SUFFIX\n"
	 "                          with -w: keep the old file as FILE+SUFFIX\n"
	 "  --dry-run, -n           resolve and report, write nothing\n"
	 "  --mode M                the written files' mode (default 0600)\n",
	 NULL,
	 false},
	{"exec",
	 cmd_exec,
	 {"exec [--inline] -- CMD [ARGS]"},
	 {"run CMD with environment values that start with\n"
	  "keeper:// replaced by what they name (--inline:\n"
	  "in CMD's arguments too)"},
	 "  --inline                also replace notations in CMD's "
	 "arguments\n",
	 NULL,
	 false},
	{"status",
	 cmd_status,
	 {"status [--json] [--local] [--prometheus[=PATH]]"},
	 {"config, server, clock, latency, device expiry,\n"
	  "snapshot age and last sync result (--local: no\n"
	  "server request; --prometheus: node_exporter\n"
	  "metrics, no request); exit 7: a warning"},
	 "  --json                  one JSON object, for monitoring\n"
	 "  --local                 no server request\n"
	 "  --prometheus[=PATH]     node_exporter textfile metrics, to "
	 "standard\n"
	 "                          output or atomically to PATH\n",
	 "\nExit status: 3, 4, 5 the server check failed (5: the vault "
	 "refused this\n"
	 "device); 1 a problem (snapshot unusable or older than "
	 "keys_max_stale, last\n"
	 "sync failed, device access expired); 7 a warning (see below); 0 "
	 "all well.\n",
	 false},
	{"check",
	 cmd_check,
	 {"check [--json]"},
	 {"the host doctor: ksm.conf, client config, ksmd,\n"
	  "snapshot, sshd, nsswitch.conf, PAM, the timer,\n"
	  "clock and device expiry; each failure names its\n"
	  "fix; exit 0 only when every check passes"},
	 "  --json                  one JSON object instead of text\n",
	 "\nChecks (each: ok, FAIL with the command that fixes it, or skip):\n"
	 "  conf           ksm.conf parses\n"
	 "  client_config  owned by ksmd_user, mode 0600, bound\n"
	 "  ksmd           answers a ping on ksmd_socket, same version\n"
	 "  snapshot       valid, root's, not group/other writable, readable "
	 "by all,\n"
	 "                 younger than snapshot_warn_age\n"
	 "  sshd           sshd -T: our AuthorizedKeysCommand and keys_user "
	 "win\n"
	 "  nsswitch       passwd and group name ksm after files\n"
	 "  pam            pam_ksm in sshd's auth and account; every pam_ksm "
	 "line of\n"
	 "                 /etc/pam.d lets non-vault users through when "
	 "ksm.conf,\n"
	 "                 ksmd or the snapshot is broken\n"
	 "  timer          ksm-sync.timer enabled and active (skip without "
	 "systemd)\n"
	 "  clock          within 30 s of the server's (ksmd's latest answer, "
	 "or the\n"
	 "                 last sync)\n"
	 "  device         the device's access does not expire within 7 days\n"
	 "Exit codes: 0 every check passed, 1 a check failed, 2 usage.\n",
	 true},
	{"sync",
	 cmd_sync,
	 {"sync [--dry-run] [--force]"},
	 {"turn the vault's records into accounts and write\n"
	  "the snapshot (atomically; a failure keeps the old);\n"
	  "refused when it would remove more accounts than\n"
	  "max_account_drop allows, unless --force; --dry-run\n"
	  "prints the changes and writes nothing"},
	 "  -n, --dry-run           what the sync would change; nothing "
	 "written\n"
	 "  -f, --force             past the drop guard (max_account_drop)\n",
	 "\nExit status: 0 the snapshot was written (--dry-run: would be); 1 "
	 "the drop\n"
	 "guard refused the sync (max_account_drop; --force accepts it) or "
	 "another\n"
	 "failure; 3 ksm.conf or the client config is unusable, or an "
	 "account_folders\n"
	 "entry names no folder the application sees; 4, 5 the vault could not "
	 "be\n"
	 "read.\n",
	 false},
	{"users",
	 cmd_users,
	 {"users [--json]"},
	 {"accounts in the snapshot (groups, keys, expiry),\n"
	  "and the records the last sync refused"},
	 "  --json                  one JSON object: the snapshot, its "
	 "accounts and\n"
	 "                          groups, the last sync and its refusals; "
	 "times\n"
	 "                          in ISO 8601 UTC\n",
	 NULL,
	 false},
	{"unenroll",
	 cmd_unenroll,
	 {"unenroll [--dry-run] [--yes]"},
	 {"undo the enrollment: pam_ksm out of PAM, our sshd\n"
	  "drop-in, ksm out of nsswitch.conf, the timers and\n"
	  "ksmd stopped, then the device key, snapshot and\n"
	  "verifiers removed; names the device to remove\n"
	  "in Keeper"},
	 "  --dry-run, -n           print the plan, change nothing\n"
	 "  --yes, -y               do it without asking (needed when "
	 "standard\n"
	 "                          input is not a terminal)\n",
	 "\nIn this order, each step only when there is something to undo:\n"
	 "  our pam-auth-update profiles disabled (ksm, ksm-totp, "
	 "ksm-password), the\n"
	 "  pam_ksm lines added by hand taken out of /etc/pam.d (refused when "
	 "the rest\n"
	 "  of a file would change meaning);\n"
	 "  our sshd drop-ins removed (sshd -t before and after; put back "
	 "when it\n"
	 "  fails), sshd reloaded; ksm-nsswitch disable; ksm-sync.timer,\n"
	 "  ksm-metrics.timer and ksmd.socket disabled, ksmd stopped; "
	 "client_config,\n"
	 "  the snapshot and its .status, private_store and its .lock, the "
	 "metrics\n"
	 "  file removed. Everything is planned first: a step that cannot be "
	 "done\n"
	 "  safely refuses the run before anything changes. Without --yes it "
	 "asks on\n"
	 "  a terminal and refuses elsewhere.\n"
	 "Exit codes: 0 done (or nothing to undo), 1 refused or a step "
	 "failed, 2 usage\n"
	 "or not confirmed.\n",
	 false},
	{"explain",
	 cmd_explain,
	 {"explain USER [--json]"},
	 {"what NSS, sshd's key lookup and each PAM stage do\n"
	  "for USER now, and why (no vault request)"},
	 "  --json                  one JSON object instead of text\n"
	 "Exit status 0 when ksm-unix serves USER now (a vault user, not\n"
	 "shadowed, not expired), 1 when it does not.\n",
	 NULL,
	 false},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define N_FORMS	   (sizeof(commands[0].forms) / sizeof(commands[0].forms[0]))

static const char head[] =
	"Usage: ksmctl [--conf PATH] COMMAND [ARGS]\n"
	"\n"
	"Keeper Secrets Manager on this host (ksm-unix " KSM_VERSION ").\n"
	"\n"
	"Commands:\n";

static const char tail[] =
	"\n"
	"Options:\n"
	"  --conf PATH             ksm.conf to use (default " KSM_DEFAULT_CONF
	")\n"
	"  -h, --help              this text; after a command, that command's "
	"usage\n"
	"  --version               print the version\n"
	"\n"
	"Exit codes:\n"
	"  0  success\n"
	"  1  other failure (local I/O, protocol or server error, a sync the "
	"drop\n"
	"     guard refused)\n"
	"  2  usage error\n"
	"  3  not bound: client config missing, invalid or unsafe\n"
	"  4  network: server unreachable, timeout, TLS failure, throttled, "
	"HTTP 5xx\n"
	"  5  access denied: device revoked, token used, key or version "
	"refused\n"
	"  6  not found: record, field, file or folder\n"
	"  7  status: a warning (snapshot older than snapshot_warn_age, "
	"records\n"
	"     refused, device access expiring within 7 days, clock off "
	"by > 30 s)\n";

/* Print text's lines, each after indent blanks. */
static void lines(FILE *f, const char *text, int indent)
{
	while (text && *text) {
		size_t n = strcspn(text, "\n");

		fprintf(f, "%*s%.*s\n", indent, "", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

/* "  FORM<to column 26>ABOUT...", the form alone on its line(s) when it
 * is too long. */
static void entry(FILE *f, const char *form, const char *about)
{
	size_t first = strcspn(form, "\n");
	size_t n = strcspn(about, "\n");

	if (form[first] == '\0' && first <= 22) {
		fprintf(f, "  %-24s%.*s\n", form, (int)n, about);
		lines(f, about[n] ? about + n + 1 : "", 26);
		return;
	}
	lines(f, form, 2);
	lines(f, about, 26);
}

void ksmctl_print_help(FILE *f)
{
	fputs(head, f);
	for (size_t i = 0; i < N_COMMANDS; i++)
		for (size_t j = 0; j < N_FORMS && commands[i].forms[j]; j++)
			entry(f, commands[i].forms[j], commands[i].about[j]);
	fputs(tail, f);
}

void ksmctl_print_usage(const struct ksmctl_command *c, FILE *f)
{
	const char *codes = strstr(tail, "\nExit codes:");

	fprintf(f, "Usage: ksmctl [--conf PATH] %s [ARGS]\n\n", c->name);
	for (size_t j = 0; j < N_FORMS && c->forms[j]; j++)
		entry(f, c->forms[j], c->about[j]);
	if (c->options) {
		fputs("\nOptions:\n", f);
		fputs(c->options, f);
	}
	if (c->more)
		fputs(c->more, f);
	/* The exit codes, unless the command told its own. */
	if ((!c->more || !strstr(c->more, "Exit codes:")) && codes)
		fputs(codes, f);
}

const struct ksmctl_command *ksmctl_command_find(const char *name)
{
	for (size_t i = 0; name && i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}
