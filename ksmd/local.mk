# SPDX-License-Identifier: MIT
# ksmd/ksmd (installed as sbin/ksmd): the host's broker, the only process
# that reads the device credential, talks to Keeper and writes the offline
# verifier store.
sbin_PROGRAMS += ksmd/ksmd
ksmd_ksmd_SOURCES = \
	ksmd/ksmd.h \
	ksmd/main.c \
	ksmd/conn.c \
	ksmd/vault.c \
	ksmd/store.c \
	ksmd/limits.c \
	ksmd/stats.c \
	ksmd/users.c \
	ksmd/op_auth.c \
	ksmd/op_session.c \
	ksmd/op_keys.c \
	ksmd/op_records.c \
	ksmd/op_admin.c \
	ksmd/op_explain.c \
	ksmd/log.c
ksmd_ksmd_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_LOGIN)
ksmd_ksmd_CFLAGS = $(AM_CFLAGS) -pthread
# The internal layers, linked in (ksmd uses hidden helpers of base/ipc).
ksmd_ksmd_LDADD = libksm_ipc.la libksm_login.la $(KSM_LIBS_INTERNAL) -lpthread
