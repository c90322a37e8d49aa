# SPDX-License-Identifier: MIT
# pam_ksm.so: the PAM module (exports pam_sm_* only). One file per PAM
# stage (auth, account, session, password) and per concern (the user
# lookup, session secrets, the keyring).
# pamdir: configure --with-pammoddir (default $(libdir)/security).
pam_LTLIBRARIES = pam_ksm.la
pam_ksm_la_SOURCES = \
	pam_ksm/user.h \
	pam_ksm/user.c \
	pam_ksm/ksmd_call.h \
	pam_ksm/ksmd_call.c \
	pam_ksm/auth.c \
	pam_ksm/account.c \
	pam_ksm/session.c \
	pam_ksm/password.c \
	pam_ksm/session_secrets.h \
	pam_ksm/session_secrets.c \
	pam_ksm/keyring.h \
	pam_ksm/keyring.c
# libc, libpam and libkeyutils only: no libcurl, OpenSSL, json-c or
# libcrypt in login processes (ksmd does that work).
pam_ksm_la_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_LOGIN)
pam_ksm_la_CFLAGS = $(AM_CFLAGS)
pam_ksm_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/pam_ksm/pam_ksm.map
pam_ksm_la_LIBADD = libksm_ipc.la libksm_login.la libksm_snapshot.la \
	libksm_base.la -lpam -lkeyutils
EXTRA_pam_ksm_la_DEPENDENCIES = pam_ksm/pam_ksm.map
EXTRA_DIST += pam_ksm/pam_ksm.map
