/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sync_status.c - libFuzzer target: SNAPSHOT.status, the file each
 * "ksmctl sync" leaves next to the snapshot, as the commands that read it
 * back see it: "ksmctl users" (its refusal list), "ksmctl status --local"
 * and "ksmctl status --local --json" (monitoring).
 *
 * The ksmctl sources are included whole (main renamed), so the real option
 * parsing, loading (ksmctl_last_sync_load) and printing run; the commands
 * this target does not use are stubs. A ksm.conf, a valid snapshot and no
 * client config sit in a private temporary directory; only the status file
 * changes between inputs. Output goes to /dev/null.
 *
 * Invariants: no crash, assertion (json-c asserts on the type of what it is
 * given), leak or sanitizer report for any file content; the commands exit
 * with one of ksmctl's documented codes.
 */
#define main ksmctl_main
#include "../../tools/ksmctl.c"
#undef main
#include "../../tools/ksmctl_laststate.c"
#include "../../tools/ksmctl_status.c"
#include "../../tools/ksmctl_sync.c"

#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The commands that do not read the status file. */
int cmd_init(struct ksmctl *k, int argc, char **argv)
{
	return EXIT_FAIL;
}
int cmd_secret(struct ksmctl *k, int argc, char **argv)
{
	return EXIT_FAIL;
}
int cmd_notation(struct ksmctl *k, int argc, char **argv)
{
	return EXIT_FAIL;
}
int cmd_totp(struct ksmctl *k, int argc, char **argv)
{
	return EXIT_FAIL;
}
int cmd_exec(struct ksmctl *k, int argc, char **argv)
{
	return EXIT_FAIL;
}

static char dir[256], conf_path[300], snap_path[300], status_path_[320];

static void cleanup(void)
{
	char p[340];

	unlink(status_path_);
	unlink(snap_path);
	unlink(conf_path);
	snprintf(p, sizeof(p), "%s.lock", snap_path);
	unlink(p);
	rmdir(dir);
}

static void put(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "w");

	if (!f || (n && fwrite(d, 1, n, f) != n) || fclose(f) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	ksm_account acct = {0};
	ksm_accounts as = {.accounts = &acct, .n_accounts = 1};
	char *fps[1] = {"SHA256:x"}, *keys[1] = {"ssh-ed25519 AAAA k"};
	char conf[1024];
	ksm_error err;

	snprintf(dir, sizeof(dir), "%s/fuzz_status.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(conf_path, sizeof(conf_path), "%s/ksm.conf", dir);
	snprintf(snap_path, sizeof(snap_path), "%s/snapshot", dir);
	snprintf(status_path_, sizeof(status_path_), "%s.status", snap_path);
	atexit(cleanup);
	snprintf(conf, sizeof(conf),
		 "client_config = %s/client.json\nsnapshot = %s\n"
		 "private_store = %s/private\n",
		 dir, snap_path, dir);
	put(conf_path, conf, strlen(conf));
	acct.name = "alice";
	acct.record_uid = "RecAlice";
	acct.gecos = "Alice";
	acct.home = "/home/alice";
	acct.shell = "/bin/bash";
	acct.uid = acct.gid = 200001;
	acct.valid_until = 1893456000;
	acct.keys = keys;
	acct.fingerprints = fps;
	acct.n_keys = 1;
	if (ksm_snapshot_write(&as, snap_path, time(NULL), &err) != KSM_OK)
		abort();
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

static void run(int argc, char **argv)
{
	int rc;

	optind = 0; /* a fresh getopt for each command line */
	rc = ksmctl_main(argc, argv);
	if (rc < EXIT_OK || rc > EXIT_NOT_FOUND)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *users[] = {"ksmctl", "--conf", conf_path, "users", NULL};
	char *local[] = {"ksmctl", "--conf",  conf_path,
			 "status", "--local", NULL};
	char *json[] = {"ksmctl",  "--conf", conf_path, "status",
			"--local", "--json", NULL};

	if (size > 65536)
		return 0;
	put(status_path_, data, size);
	run(4, users);
	run(5, local);
	run(6, json);
	fflush(stdout);
	return 0;
}
