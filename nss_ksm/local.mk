# libnss_ksm.so.2: passwd, group and initgroups from the snapshot.
#
# libc only: the snapshot reader and its CRC are compiled in (not libksm, not
# libksmlite). Built as a libtool module named exactly libnss_ksm.so.2 (the
# name glibc dlopens for "ksm" in nsswitch.conf): -avoid-version drops the
# version suffix and -shrext makes ".so.2" the extension, so .libs/ and
# $(nssmoddir) get libnss_ksm.so.2 with that soname and no symlinks.
#
# The snapshot path is compiled in; override with
# make nss_ksm_snapshot=/some/where. Tests use KSM_NSS_SNAPSHOT (secure_getenv).
nss_ksm_snapshot = /var/lib/ksm/snapshot

# nssmoddir: configure --with-nssmoddir (default $(libdir)).
nssmod_LTLIBRARIES = libnss_ksm.la
libnss_ksm_la_SOURCES = \
	nss_ksm/nss_ksm.h \
	nss_ksm/nss_ksm.c \
	nss_ksm/map.c \
	nss_ksm/fill.c \
	ksm-core/snapshot_format.h \
	ksm-core/snapshot_reader.h \
	ksm-core/snapshot_reader.c \
	ksm-core/snapshot_crc.c
libnss_ksm_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DKSM_NSS_SNAPSHOT_PATH='"$(nss_ksm_snapshot)"'
libnss_ksm_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libnss_ksm_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shrext .so.2 \
	-no-undefined -Wl,-z,defs \
	-Wl,--version-script=$(srcdir)/nss_ksm/nss_ksm.map
libnss_ksm_la_LIBADD =
EXTRA_libnss_ksm_la_DEPENDENCIES = nss_ksm/nss_ksm.map
EXTRA_DIST += nss_ksm/nss_ksm.map docs/nss_ksm.md

# Tests: bash scripts (exported symbols, direct calls, nss_wrapper, real
# glibc in a mount namespace, threads, ksmctl sync end to end) and their
# helper programs. Snapshots come from tests/nss/mksnap.py, a writer
# independent of ksm-core (and from ksmctl sync in test_nss_sync.sh).
check_PROGRAMS += tests/nss/nss_probe tests/nss/nss_threads
tests_nss_nss_probe_SOURCES = tests/nss/nss_probe.c
tests_nss_nss_probe_LDADD = -ldl
tests_nss_nss_threads_SOURCES = tests/nss/nss_threads.c
tests_nss_nss_threads_LDADD = -ldl
NSS_TESTS = tests/nss/test_nss_symbols.sh tests/nss/test_nss_module.sh \
	tests/nss/test_nss_wrapper.sh tests/nss/test_nss_glibc.sh \
	tests/nss/test_nss_threads.sh tests/nss/test_nss_sync.sh
TESTS += $(NSS_TESTS)
EXTRA_DIST += $(NSS_TESTS) tests/nss/lib.sh tests/nss/mksnap.py \
	tests/nss/users.json
