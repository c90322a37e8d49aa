# SPDX-License-Identifier: MIT
# libnss_ksm.so.2: passwd, group and initgroups from the snapshot.
#
# libc only: the snapshot layer is linked in (not libksm, not the base layer);
# it is compiled with the snapshot folder as its only include folder. Built as a libtool module named exactly libnss_ksm.so.2 (the
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
	nss_ksm/fill.c
libnss_ksm_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_SNAPSHOT) \
	-DKSM_NSS_SNAPSHOT_PATH='"$(nss_ksm_snapshot)"'
libnss_ksm_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
libnss_ksm_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shrext .so.2 \
	-no-undefined -Wl,-z,defs \
	-Wl,--version-script=$(srcdir)/nss_ksm/nss_ksm.map
libnss_ksm_la_LIBADD = libksm_snapshot.la
EXTRA_libnss_ksm_la_DEPENDENCIES = nss_ksm/nss_ksm.map
EXTRA_DIST += nss_ksm/nss_ksm.map docs/nss_ksm.md

