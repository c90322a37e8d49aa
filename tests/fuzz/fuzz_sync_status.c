/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sync_status.c - libFuzzer target: SNAPSHOT.status, the file each
 * "ksmctl sync" leaves next to the snapshot, as the commands that read it
 * back see it: "ksmctl users" (ksmctl_print_refusals: the last message and
 * the refusal list), "ksmctl status" (ksmctl_last_sync_load and the
 * ksmctl_last_* readers of its fields), and "ksmctl explain" and "users
 * --json" (ksmctl_last_refusal, each entry of the list).
 *
 * The reader is tools/ksmctl_laststate.c, which build.sh compiles into the
 * fuzzing library; no other ksmctl source is needed. The status file sits
 * in a private temporary directory next to a snapshot path; output goes to
 * /dev/null.
 *
 * Invariants: no crash, assertion (json-c asserts on the type of what it is
 * given), leak or sanitizer report for any file content; the readers agree
 * with what the file holds (nothing read from a file that is not a JSON
 * object, and a refusal count only for an array).
 */
#include "../../tools/ksmctl_laststate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256], snap_path[300], status_path_[320];
static ksm_settings conf;

static void cleanup(void)
{
	unlink(status_path_);
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
	char *p;

	snprintf(dir, sizeof(dir), "%s/fuzz_status.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(snap_path, sizeof(snap_path), "%s/snapshot", dir);
	p = ksmctl_sync_status_path(snap_path);
	if (!p || snprintf(status_path_, sizeof(status_path_), "%s", p) < 0)
		abort();
	free(p);
	atexit(cleanup);
	conf.snapshot = snap_path;
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_object *last, *v = NULL;

	if (size > 65536)
		return 0;
	put(status_path_, data, size);

	/* "ksmctl status": the file, then each field it shows. */
	last = ksmctl_last_sync_load(&conf);
	if (last && !json_object_is_type(last, json_type_object))
		abort();
	(void)ksmctl_last_ok(last);
	(void)ksmctl_last_int(last, "time");
	(void)ksmctl_last_str(last, "message");
	if (!last &&
	    (ksmctl_last_ok(last) || ksmctl_last_int(last, "time") != -1 ||
	     ksmctl_last_str(last, "message") || ksmctl_last_refused(last)))
		abort();
	if (ksmctl_last_refused(last) &&
	    !(json_object_object_get_ex(last, "refused", &v) &&
	      json_object_is_type(v, json_type_array) &&
	      json_object_array_length(v) == ksmctl_last_refused(last)))
		abort();
	/* "ksmctl explain" and "users --json": each refusal, every field a
	 * string, exactly as many as the count says. */
	for (size_t i = 0;; i++) {
		struct ksmctl_refusal r;

		if (!ksmctl_last_refusal(last, i, &r)) {
			if (i != ksmctl_last_refused(last))
				abort();
			break;
		}
		if (!r.record || !r.name || !r.reason ||
		    i >= ksmctl_last_refused(last))
			abort();
		(void)strlen(r.record);
		(void)strlen(r.name);
		(void)strlen(r.reason);
	}
	/* host_record's readers (explain, users --json): every field a
	 * string. */
	for (size_t i = 0;; i++) {
		struct ksmctl_refusal r;
		bool admin;

		if (!ksmctl_last_off_host_at(last, i, &r))
			break;
		if (!r.record || !r.name || !r.reason)
			abort();
		(void)ksmctl_last_off_host(last, r.name, &r);
		(void)ksmctl_last_host_record(last, r.name, &admin);
	}
	json_object_put(last);

	/* "ksmctl users": the last message and the refusal list. */
	ksmctl_print_refusals(&conf);
	fflush(stdout);
	return 0;
}
