/* SPDX-License-Identifier: MIT */
/*
 * map.c - the snapshot mapping shared by every thread of the process.
 *
 * Opening. The snapshot is opened lazily (KSM_SNAP_LAZY): the header is
 * checked when it is mapped, each entry when a lookup returns it, and the
 * sections an enumeration walks when the enumeration starts, once per
 * mapping. So a fresh process's first lookup costs the same whatever the
 * number of accounts, and a damaged entry fails its own lookups only.
 *
 * Re-mapping. Every lookup stat()s the snapshot path (outside the lock) and
 * compares device, inode, size, mtime and ctime with the mapping it has, as
 * ksm_snap_stale does; ksmctl sync replaces the file by rename, so a new
 * snapshot is a new inode and is seen by the very next lookup. The stat is
 * the only system call of a lookup that finds the file unchanged.
 *
 * A file changed in place. The same inode with another size, mtime or ctime
 * was written, truncated or extended under its mappings (cp over it, an
 * editor, truncate): reading a page of a mapping past the file's new end
 * raises SIGBUS. Every mapping of that inode is then marked changed and is
 * never read again: lookups map the file anew (and check it), enumeration
 * cursors positioned in it end with UNAVAIL. Cursors re-check the path every
 * CHECK_EVERY entries. What no check can cover is a truncation in the
 * microseconds between a lookup's stat and its last read of the old pages:
 * ksmctl never writes the file in place (docs/nss_ksm.md).
 *
 * Lifetime. A lookup takes a reference on the current mapping under the
 * mutex, does its search and copies into the caller's buffer without the
 * lock, then drops the reference. The mapping is referenced once more for
 * being current and once per enumeration cursor positioned in it. When a
 * newer file is mapped, the old mapping loses its "current" reference and is
 * unmapped by whoever drops the last one, so a thread still reading the old
 * snapshot never has it unmapped under its feet, and the answer it copies is
 * wholly from one snapshot (ksmctl sync never modifies the file in place: a
 * new file is renamed over it and the old inode lives on while mapped).
 *
 * No allocation: mappings live in a fixed table of slots. A slot is free
 * when nothing references it. If every slot is busy when the file has been
 * replaced (it takes that many threads each still reading a different older
 * snapshot), the lookup is answered from the current mapping, older but
 * whole, and the next lookup tries again.
 *
 * Failures. A missing file drops the current mapping: vault users vanish
 * when the snapshot is removed, as nss_files users do with their line. A
 * file whose header fails its checks drops it too (the file on disk is what
 * we answer for), and the failure is remembered with the file's identity,
 * so that a corrupt snapshot is checked once, not on every lookup, until it
 * is replaced.
 *
 * fork(): the atfork handlers take the lock around fork, so the child never
 * inherits it held; in the child the references of lookups that were in
 * progress in other threads (threads the child does not have) are
 * recomputed from what is still referenced: current mapping and cursors.
 */
#include "nss_ksm.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NSLOTS	    16
#define CHECK_EVERY 64 /* entries between an enumeration's stat()s */

struct ksm_nss_map {
	ksm_snap snap;
	unsigned long refs; /* under lock */
	bool changed;	    /* under lock: the file was changed in place */
};

struct cursor {
	struct ksm_nss_map *m; /* referenced; NULL: not started */
	uint32_t pos;
};

/* A file that failed to open, and how. */
struct failure {
	bool valid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	ksm_snap_status st;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct ksm_nss_map slots[NSLOTS];
static struct ksm_nss_map *cur;
static struct cursor cursors[KSM_NSS_NDB];
static struct failure failed;

static const char *snapshot_path(void)
{
	const char *p = secure_getenv(KSM_NSS_SNAPSHOT_ENV);

	return p && *p ? p : KSM_NSS_SNAPSHOT_PATH;
}

static bool same_inode(const ksm_snap *s, const struct stat *st)
{
	return s->base && s->ino == st->st_ino && s->dev == st->st_dev;
}

/*
 * The path's inode is one we map, but its content is no longer what we
 * mapped (another size or mtime: written or truncated): mark every mapping
 * of it (current or pinned by a cursor) unreadable. st must come from a
 * stat() made under the lock. Not for ctime alone: renaming a new file over
 * the old one changes the old inode's ctime, not its bytes.
 */
static void mark_changed_locked(const struct stat *st)
{
	for (int i = 0; i < NSLOTS; i++) {
		const ksm_snap *s = &slots[i].snap;

		if (slots[i].refs && same_inode(s, st) &&
		    ((uint64_t)st->st_size != s->len ||
		     st->st_mtim.tv_sec != s->mtime.tv_sec ||
		     st->st_mtim.tv_nsec != s->mtime.tv_nsec))
			slots[i].changed = true;
	}
}

static bool same_failure(const struct stat *st)
{
	return failed.valid && failed.ino == st->st_ino &&
	       failed.dev == st->st_dev && failed.size == st->st_size &&
	       failed.mtime.tv_sec == st->st_mtim.tv_sec &&
	       failed.mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       failed.ctime.tv_sec == st->st_ctim.tv_sec &&
	       failed.ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static void unref_locked(struct ksm_nss_map *m)
{
	if (--m->refs == 0) {
		ksm_snap_close(&m->snap);
		m->changed = false;
	}
}

static void drop_current_locked(void)
{
	if (cur) {
		unref_locked(cur);
		cur = NULL;
	}
}

static struct ksm_nss_map *free_slot_locked(void)
{
	for (int i = 0; i < NSLOTS; i++)
		if (slots[i].refs == 0)
			return &slots[i];
	return NULL;
}

/*
 * The mapping for the file that stat() described (src: stat's result,
 * serr: its errno), with a reference for the caller. That stat ran outside
 * the lock and may be stale: whenever it does not match the current
 * mapping, the path is stat()ed again here, under the lock, before anything
 * is concluded from it. Then the inode it names is either one we map (a
 * mapped inode is alive, so no other file has its number) or none of ours.
 */
static struct ksm_nss_map *get_locked(const char *path, int src, int serr,
				      const struct stat *st,
				      ksm_snap_status *status)
{
	struct ksm_nss_map *m;
	ksm_snap_status rc;
	struct stat fresh;

	if (src == 0 && cur && ksm_snap_same_file(&cur->snap, st) &&
	    !cur->changed) {
		cur->refs++;
		return cur;
	}
	src = stat(path, &fresh);
	serr = src ? errno : 0;
	st = &fresh;
	if (src != 0) {
		drop_current_locked();
		failed.valid = false;
		*status = serr == ENOENT || serr == ENOTDIR || serr == EACCES
				  ? KSM_SNAPST_MISSING
				  : KSM_SNAPST_IO;
		return NULL;
	}
	if (cur && ksm_snap_same_file(&cur->snap, st) && !cur->changed) {
		cur->refs++;
		return cur;
	}
	mark_changed_locked(st);
	if (same_failure(st)) {
		*status = failed.st;
		return NULL;
	}
	m = free_slot_locked();
	if (!m) {
		if (cur && !cur->changed) {
			cur->refs++;
			return cur;
		}
		*status = KSM_SNAPST_IO;
		return NULL;
	}
	rc = ksm_snap_open_flags(path, KSM_SNAP_LAZY, &m->snap);
	if (rc != KSM_SNAPST_OK) {
		drop_current_locked();
		failed = (struct failure){
			.valid = true,
			.dev = st->st_dev,
			.ino = st->st_ino,
			.size = st->st_size,
			.mtime = st->st_mtim,
			.ctime = st->st_ctim,
			.st = rc,
		};
		*status = rc;
		return NULL;
	}
	failed.valid = false;
	drop_current_locked();
	m->refs = 2; /* current, and the caller */
	m->changed = false;
	cur = m;
	return m;
}

struct ksm_nss_map *ksm_nss_acquire(ksm_snap_status *status)
{
	const char *path = snapshot_path();
	struct ksm_nss_map *m;
	struct stat st;
	int src, serr;

	src = stat(path, &st);
	serr = src ? errno : 0;
	pthread_mutex_lock(&lock);
	m = get_locked(path, src, serr, &st, status);
	pthread_mutex_unlock(&lock);
	return m;
}

void ksm_nss_release(struct ksm_nss_map *m)
{
	pthread_mutex_lock(&lock);
	unref_locked(m);
	pthread_mutex_unlock(&lock);
}

const ksm_snap *ksm_nss_snap(const struct ksm_nss_map *m)
{
	return &m->snap;
}

/* Position db's cursor at the start of the current snapshot, whose
 * sections this walk reads are then checked (lock held). */
static bool cursor_start_locked(enum ksm_nss_db db)
{
	struct cursor *c = &cursors[db];
	const char *path = snapshot_path();
	ksm_snap_status status;
	struct stat st;
	int src, serr;

	if (c->m)
		unref_locked(c->m);
	src = stat(path, &st);
	serr = src ? errno : 0;
	c->m = get_locked(path, src, serr, &st, &status);
	c->pos = 0;
	if (c->m &&
	    !ksm_snap_check_enum(&c->m->snap, db == KSM_NSS_PASSWD
						      ? KSM_SNAP_WALK_USERS
						      : KSM_SNAP_WALK_GROUPS)) {
		unref_locked(c->m);
		c->m = NULL;
	}
	return c->m != NULL;
}

/* Is the cursor's mapping still readable? Every CHECK_EVERY entries the
 * path is looked at again: its inode changed in place (lock held). */
static bool cursor_readable_locked(struct cursor *c)
{
	struct stat st;

	if (c->pos % CHECK_EVERY == 0 && stat(snapshot_path(), &st) == 0)
		mark_changed_locked(&st);
	return !c->m->changed;
}

enum nss_status ksm_nss_setent(enum ksm_nss_db db)
{
	bool ok;

	pthread_mutex_lock(&lock);
	ok = cursor_start_locked(db);
	pthread_mutex_unlock(&lock);
	return ok ? NSS_STATUS_SUCCESS : NSS_STATUS_UNAVAIL;
}

void ksm_nss_endent(enum ksm_nss_db db)
{
	struct cursor *c = &cursors[db];

	pthread_mutex_lock(&lock);
	if (c->m)
		unref_locked(c->m);
	c->m = NULL;
	c->pos = 0;
	pthread_mutex_unlock(&lock);
}

enum nss_status ksm_nss_getent(enum ksm_nss_db db, ksm_nss_ent_fill *fill,
			       void *result, char *buf, size_t buflen,
			       int *errnop)
{
	struct cursor *c = &cursors[db];
	enum nss_status ret;
	int rc;

	/*
	 * The cursor is process-wide, as glibc's getpwent is (it serialises
	 * callers with its own lock and expects setpwent in one thread and
	 * getpwent in another to share one enumeration). It pins the
	 * snapshot it started in: an enumeration is wholly from one snapshot
	 * even when ksmctl sync replaces the file half-way. Copying under the
	 * lock keeps position and answer consistent between racing callers.
	 */
	pthread_mutex_lock(&lock);
	if ((!c->m && !cursor_start_locked(db)) || !cursor_readable_locked(c)) {
		pthread_mutex_unlock(&lock);
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
	rc = fill(&c->m->snap, &c->pos, result, buf, buflen);
	if (rc == 0) {
		c->pos++;
		ret = NSS_STATUS_SUCCESS;
	} else if (rc == ERANGE) {
		/* Same entry again with the caller's bigger buffer. */
		*errnop = ERANGE;
		ret = NSS_STATUS_TRYAGAIN;
	} else {
		/* ENOENT: the end; EIO: a damaged entry ends it too. */
		*errnop = ENOENT;
		ret = rc == EIO ? NSS_STATUS_UNAVAIL : NSS_STATUS_NOTFOUND;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void atfork_child(void)
{
	for (int i = 0; i < NSLOTS; i++) {
		struct ksm_nss_map *m = &slots[i];
		unsigned long refs = m == cur;

		for (int db = 0; db < KSM_NSS_NDB; db++)
			refs += cursors[db].m == m;
		m->refs = refs;
		if (refs == 0 && m->snap.base) {
			ksm_snap_close(&m->snap);
			m->changed = false;
		}
	}
	pthread_mutex_unlock(&lock);
}

__attribute__((constructor)) static void nss_ksm_init(void)
{
	/* Unregistered by glibc if the module is ever dlclose()d. */
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}
