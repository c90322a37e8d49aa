# libksm: a convenience library with everything (unit tests link it
# directly) and the installed libksm.so exporting only ksm.h.
noinst_LTLIBRARIES += libksmcore.la
libksmcore_la_SOURCES = \
	ksm-core/internal.h \
	ksm-core/error.c \
	ksm-core/mem.c \
	ksm-core/base64.c \
	ksm-core/crypto.h \
	ksm-core/crypto_aes.c \
	ksm-core/crypto_ec.c \
	ksm-core/fileio.h \
	ksm-core/fileio.c \
	ksm-core/config.c \
	ksm-core/token.c \
	ksm-core/conf.c \
	ksm-core/transport.h \
	ksm-core/transport.c \
	ksm-core/server_keys.c \
	ksm-core/client.h \
	ksm-core/client.c \
	ksm-core/secrets.c \
	ksm-core/folders.c \
	ksm-core/update.c \
	ksm-core/notation_resolve.c \
	ksm-core/record.h
libksmcore_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)
libksmcore_la_LIBADD = $(OPENSSL_LIBS) $(CURL_LIBS) $(JSONC_LIBS)

include ksm-core/records.mk

lib_LTLIBRARIES += libksm.la
libksm_la_SOURCES =
libksm_la_LIBADD = libksmcore.la
libksm_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-Wl,--version-script=$(srcdir)/ksm-core/libksm.map
EXTRA_libksm_la_DEPENDENCIES = ksm-core/libksm.map
