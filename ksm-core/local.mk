# libksm in three layers:
#  libksmlite.la  libc only: errors, memory, base64, files, ksm.conf, the
#                 snapshot reader (nss_ksm and the keys helper's cached path)
#  libksmcore.la  everything (unit tests link it directly)
#  libksm.la      the installed shared library, exporting only ksm.h
noinst_LTLIBRARIES += libksmlite.la libksmcore.la
libksmlite_la_SOURCES = \
	ksm-core/internal.h \
	ksm-core/error.c \
	ksm-core/mem.c \
	ksm-core/base64.c \
	ksm-core/fileio.h \
	ksm-core/fileio.c \
	ksm-core/conf.c \
	ksm-core/snapshot_format.h \
	ksm-core/snapshot_crc.c \
	ksm-core/snapshot_reader.h \
	ksm-core/snapshot_reader.c
libksmlite_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

libksmcore_la_SOURCES = \
	ksm-core/record.h \
	ksm-core/crypto.h \
	ksm-core/crypto_aes.c \
	ksm-core/crypto_ec.c \
	ksm-core/config.c \
	ksm-core/token.c \
	ksm-core/transport.h \
	ksm-core/transport.c \
	ksm-core/server_keys.c \
	ksm-core/client.h \
	ksm-core/client.c \
	ksm-core/client_conf.c \
	ksm-core/secrets.c \
	ksm-core/folders.c \
	ksm-core/update.c \
	ksm-core/notation_resolve.c \
	ksm-core/sshkey.c \
	ksm-core/localdb.c \
	ksm-core/accounts.h \
	ksm-core/accounts.c \
	ksm-core/accounts_build.c \
	ksm-core/accounts_live.c \
	ksm-core/snapshot_writer.c \
	ksm-core/private_store.c
libksmcore_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
libksmcore_la_LIBADD = libksmlite.la $(OPENSSL_LIBS) $(CURL_LIBS) $(JSONC_LIBS) -lcrypt

include ksm-core/records.mk

lib_LTLIBRARIES += libksm.la
libksm_la_SOURCES =
libksm_la_LIBADD = libksmcore.la
libksm_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-Wl,--version-script=$(srcdir)/ksm-core/libksm.map
EXTRA_libksm_la_DEPENDENCIES = ksm-core/libksm.map
