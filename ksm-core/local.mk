# SPDX-License-Identifier: MIT
#
# ksm-core in layers, one folder and one internal library each; a layer
# is compiled with the include folders of itself and the layers below only,
# so the compiler enforces the layering (docs/architecture.md):
#
#   base/      libksm_base.la      libc only: errors, memory, text rules,
#                                  base64, files, /etc/passwd, clock, ksm.conf
#   snapshot/  libksm_snapshot.la  libc only: the snapshot format, checksums,
#                                  reader (nss_ksm, the keys helper) and
#                                  sealer (the writer)
#   ipc/       libksm_ipc.la       libc only: ksmd's messages, frames with a
#                                  deadline, the client call (pam_ksm, the
#                                  keys helper, ksmctl, ksmd itself)
#   login/     libksm_login.la     libc only, on base and snapshot: who a
#                                  login name is and what the login
#                                  consumers do for it (pam_ksm, the keys
#                                  helper, ksmd, ksmctl explain)
#   keeper/    libksm_keeper.la    the KSM protocol client (OpenSSL, libcurl,
#                                  json-c): client config, tokens, crypto,
#                                  get/update, folders, records, notation, TOTP
#   accounts/  libksm_accounts.la  records to POSIX accounts, local users,
#                                  SSH keys, the snapshot writer, the offline
#                                  verifier store (libcrypt)
#
#   libksm.la  the installed shared library: base, snapshot, keeper and
#              accounts, exporting only ksm.h (ipc and login are linked
#              into the parts that use them)
KSM_INC_PUBLIC = -I$(top_srcdir)/ksm-core/include
KSM_INC_BASE = $(KSM_INC_PUBLIC) -I$(top_srcdir)/ksm-core/base
KSM_INC_SNAPSHOT = -I$(top_srcdir)/ksm-core/snapshot
KSM_INC_IPC = $(KSM_INC_BASE) -I$(top_srcdir)/ksm-core/ipc
KSM_INC_LOGIN = $(KSM_INC_BASE) $(KSM_INC_SNAPSHOT) \
	-I$(top_srcdir)/ksm-core/login
KSM_INC_KEEPER = $(KSM_INC_BASE) -I$(top_srcdir)/ksm-core/keeper
KSM_INC_ACCOUNTS = $(KSM_INC_KEEPER) $(KSM_INC_SNAPSHOT) \
	-I$(top_srcdir)/ksm-core/accounts
# What libksm links; in this order after the internal libraries.
KSM_LIBS_EXTERNAL = $(OPENSSL_LIBS) $(CURL_LIBS) $(JSONC_LIBS) -lcrypt
# Every internal layer, for unit tests and fuzzers that reach internals.
KSM_LIBS_INTERNAL = libksm_accounts.la libksm_keeper.la libksm_snapshot.la \
	libksm_base.la $(KSM_LIBS_EXTERNAL)

noinst_LTLIBRARIES += libksm_base.la libksm_snapshot.la libksm_ipc.la \
	libksm_login.la libksm_keeper.la libksm_accounts.la

libksm_base_la_SOURCES = \
	ksm-core/base/base.h \
	ksm-core/base/defs.h \
	ksm-core/base/error.h \
	ksm-core/base/error.c \
	ksm-core/base/mem.h \
	ksm-core/base/mem.c \
	ksm-core/base/clock.c \
	ksm-core/base/text.h \
	ksm-core/base/text.c \
	ksm-core/base/base64.h \
	ksm-core/base/base64.c \
	ksm-core/base/fileio.h \
	ksm-core/base/fileio.c \
	ksm-core/base/local_files.h \
	ksm-core/base/local_files.c \
	ksm-core/base/proxy.h \
	ksm-core/base/proxy.c \
	ksm-core/base/settings.c
libksm_base_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_BASE)
libksm_base_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

libksm_snapshot_la_SOURCES = \
	ksm-core/snapshot/snapshot_format.h \
	ksm-core/snapshot/snapshot_crc.c \
	ksm-core/snapshot/snapshot_reader.h \
	ksm-core/snapshot/snapshot_reader.c \
	ksm-core/snapshot/snapshot_internal.h \
	ksm-core/snapshot/snapshot_entry.c \
	ksm-core/snapshot/snapshot_full.c \
	ksm-core/snapshot/snapshot_seal.h \
	ksm-core/snapshot/snapshot_seal.c
libksm_snapshot_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_SNAPSHOT)
libksm_snapshot_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

libksm_ipc_la_SOURCES = \
	ksm-core/ipc/ipc_msg.h \
	ksm-core/ipc/ipc_msg.c \
	ksm-core/ipc/ipc_io.h \
	ksm-core/ipc/ipc_io.c \
	ksm-core/ipc/ipc_client.h \
	ksm-core/ipc/ipc_client.c
libksm_ipc_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC)
libksm_ipc_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

libksm_login_la_SOURCES = \
	ksm-core/login/login.h \
	ksm-core/login/login_user.c
libksm_login_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_LOGIN)
libksm_login_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden

libksm_keeper_la_SOURCES = \
	ksm-core/keeper/crypto.h \
	ksm-core/keeper/crypto_aes.c \
	ksm-core/keeper/crypto_ec.c \
	ksm-core/keeper/json.h \
	ksm-core/keeper/json.c \
	ksm-core/keeper/client_config.h \
	ksm-core/keeper/client_config.c \
	ksm-core/keeper/config_import.c \
	ksm-core/keeper/token.c \
	ksm-core/keeper/transport.h \
	ksm-core/keeper/transport.c \
	ksm-core/keeper/server_keys.h \
	ksm-core/keeper/server_keys.c \
	ksm-core/keeper/client.h \
	ksm-core/keeper/client.c \
	ksm-core/keeper/client_from_settings.c \
	ksm-core/keeper/get_secrets.h \
	ksm-core/keeper/get_secrets.c \
	ksm-core/keeper/secrets_json.c \
	ksm-core/keeper/folders.h \
	ksm-core/keeper/folders.c \
	ksm-core/keeper/update.c \
	ksm-core/keeper/file_download.c \
	ksm-core/keeper/record.h \
	ksm-core/keeper/record.c \
	ksm-core/keeper/jval.h \
	ksm-core/keeper/jval.c \
	ksm-core/keeper/jval_parse.c \
	ksm-core/keeper/jval_jsonc.c \
	ksm-core/keeper/links.h \
	ksm-core/keeper/links.c \
	ksm-core/keeper/notation.c \
	ksm-core/keeper/notation_resolve.c \
	ksm-core/keeper/totp.c
libksm_keeper_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_KEEPER)
libksm_keeper_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS)

libksm_accounts_la_SOURCES = \
	ksm-core/accounts/accounts.h \
	ksm-core/accounts/accounts.c \
	ksm-core/accounts/accounts_build.c \
	ksm-core/accounts/host_scope.c \
	ksm-core/accounts/prior.c \
	ksm-core/accounts/local_db.h \
	ksm-core/accounts/local_db.c \
	ksm-core/accounts/sshkey.c \
	ksm-core/accounts/labels.c \
	ksm-core/accounts/privkey.c \
	ksm-core/accounts/privkey_openssh.c \
	ksm-core/accounts/snapshot_writer.c \
	ksm-core/accounts/private_store.c
libksm_accounts_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_ACCOUNTS)
libksm_accounts_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(OPENSSL_CFLAGS) $(JSONC_CFLAGS)

lib_LTLIBRARIES += libksm.la
libksm_la_SOURCES =
libksm_la_LIBADD = $(KSM_LIBS_INTERNAL)
libksm_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-Wl,--version-script=$(srcdir)/ksm-core/libksm.map
EXTRA_libksm_la_DEPENDENCIES = ksm-core/libksm.map
include_HEADERS += ksm-core/include/ksm.h
EXTRA_DIST += ksm-core/libksm.map
