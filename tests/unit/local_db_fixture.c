/* SPDX-License-Identifier: MIT */
/* local_db_fixture.c - see local_db_fixture.h. */
#include "local_db_fixture.h"

#include <stdio.h>
#include <stdlib.h>

static int write_file(const char *dir, const char *name, const char *text,
		      char *path, size_t cap)
{
	FILE *f;
	int rc;

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

int fixture_local_db(char *dir, const char *passwd, const char *group,
		     ksm_local_db **out)
{
	char p[512], g[512];

	if (!mkdtemp(dir) || write_file(dir, "passwd", passwd, p, sizeof(p)) ||
	    write_file(dir, "group", group, g, sizeof(g)))
		return -1;
	return ksm_local_db_load(p, g, out, NULL) == KSM_OK ? 0 : -1;
}

int fixture_local_db_end(const char *dir, ksm_local_db *db)
{
	char cmd[600];

	ksm_local_db_free(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
