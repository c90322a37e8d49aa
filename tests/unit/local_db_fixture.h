/* SPDX-License-Identifier: MIT */
/*
 * local_db_fixture.h - the unit tests' local users and groups: a passwd
 * and a group file written into a fresh temporary directory, loaded as
 * the sync loads the host's, and the directory removed afterwards.
 */
#ifndef KSM_TEST_LOCAL_DB_FIXTURE_H
#define KSM_TEST_LOCAL_DB_FIXTURE_H

#include "ksm.h"

/* dir: a mkdtemp(3) template, made into the directory. 0 or -1. */
int fixture_local_db(char *dir, const char *passwd, const char *group,
		     ksm_local_db **out);
/* Frees db and removes dir with what it holds. 0 or -1. */
int fixture_local_db_end(const char *dir, ksm_local_db *db);

#endif
