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
	tools/ksmctl_check.h \
	tools/ksmctl_check.c \
	tools/ksmctl_check_host.c \
	tools/ksmctl_check_sshd.c \
	tools/ksmctl_check_pam.c \
	tools/ksmctl_check_parse.h \
	tools/ksmctl_check_parse.c \
	tools/ksmctl_unenroll.h \
	tools/ksmctl_unenroll.c \
	tools/ksmctl_unenroll_pam.c \
	tools/ksmctl_unenroll_sshd.c \
	tools/ksmctl_unenroll_host.c \
	tools/ksmctl_metrics.c \
	tools/ksmctl_sync.c \
	tools/ksmctl_laststate.h \
	tools/ksmctl_laststate.c \
	tools/ksmctl_vault.c
# check compares ksm.conf's snapshot with nss_ksm's built-in path and
# names the sshd snippet's installed path; unenroll runs ksm-nsswitch.
ksmctl_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_SNAPSHOT) \
	-DKSM_NSS_SNAPSHOT_PATH='"$(nss_ksm_snapshot)"' \
	-DKSM_PKGDATADIR='"$(pkgdatadir)"' -DKSM_SBINDIR='"$(sbindir)"'
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
