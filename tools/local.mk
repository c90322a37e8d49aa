# SPDX-License-Identifier: MIT
# ksmctl (admin CLI) and ksm-authorized-keys.
sbin_PROGRAMS += ksmctl
ksmctl_SOURCES = \
	tools/ksmctl.h \
	tools/ksmctl.c \
	tools/ksmctl_init.c \
	tools/ksmctl_init_config.c \
	tools/ksmctl_secret.c \
	tools/ksmctl_exec.c \
	tools/ksmctl_status.c \
	tools/ksmctl_metrics.c \
	tools/ksmctl_sync.c \
	tools/ksmctl_diff.h \
	tools/ksmctl_diff.c \
	tools/ksmctl_laststate.h \
	tools/ksmctl_laststate.c \
	tools/ksmctl_vault.c
ksmctl_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_SNAPSHOT)
ksmctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
# The snapshot reader is hidden inside libksm.so: link our own copy.
ksmctl_LDADD = libksm.la libksm_snapshot.la libksm_ipc.la libksm_base.la \
	$(JSONC_LIBS)

# sshd's AuthorizedKeysCommand: libc, the base layer and the snapshot
# reader on the cached path; the live path asks ksmd (the ipc layer).
sbin_PROGRAMS += ksm-authorized-keys
ksm_authorized_keys_SOURCES = tools/ksm_authorized_keys.c
ksm_authorized_keys_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_SNAPSHOT)
ksm_authorized_keys_LDADD = libksm_ipc.la libksm_snapshot.la libksm_base.la
