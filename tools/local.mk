# SPDX-License-Identifier: MIT
# ksmctl (admin CLI) and ksm-authorized-keys.
sbin_PROGRAMS += ksmctl
ksmctl_SOURCES = \
	tools/ksmctl.h \
	tools/ksmctl.c \
	tools/ksmctl_init.c \
	tools/ksmctl_init_config.c \
	tools/ksmctl_secret.c \
	tools/ksmctl_records.c \
	tools/ksmctl_totp.c \
	tools/ksmctl_exec.c \
	tools/ksmctl_interpolate.c \
	tools/ksmctl_template.h \
	tools/ksmctl_template.c \
	tools/ksmctl_output.c \
	tools/ksmctl_folder.c \
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
	tools/ksmctl_sessions.h \
	tools/ksmctl_sessions.c \
	tools/ksmctl_diff.h \
	tools/ksmctl_diff.c \
	tools/ksmctl_users.c \
	tools/ksmctl_snapview.h \
	tools/ksmctl_snapview.c \
	tools/ksmctl_explain.h \
	tools/ksmctl_explain.c \
	tools/ksmctl_explain_print.c \
	tools/ksmctl_help.c \
	tools/ksmctl_laststate.h \
	tools/ksmctl_laststate.c \
	tools/ksmctl_vault.c
# check compares ksm.conf's snapshot with nss_ksm's built-in path and
# names the sshd snippet's installed path; explain names nss_ksm's path;
# unenroll runs ksm-nsswitch.
ksmctl_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_LOGIN) \
	-DKSM_NSS_SNAPSHOT_PATH='"$(nss_ksm_snapshot)"' \
	-DKSM_PKGDATADIR='"$(pkgdatadir)"' -DKSM_SBINDIR='"$(sbindir)"'
ksmctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(OPENSSL_CFLAGS)
# The snapshot reader is hidden inside libksm.so: link our own copy; the
# login decisions are those of pam_ksm and the keys helper. libcrypto: the
# digests of interpolate's sha256 and md5 transforms.
ksmctl_LDADD = libksm.la libksm_login.la libksm_snapshot.la libksm_ipc.la \
	libksm_base.la $(JSONC_LIBS) $(OPENSSL_LIBS)

# sshd's AuthorizedKeysCommand: libc, the base layer, the snapshot reader
# and the login decisions on the cached path; the live path asks ksmd (the
# ipc layer).
sbin_PROGRAMS += ksm-authorized-keys
ksm_authorized_keys_SOURCES = tools/ksm_authorized_keys.c
ksm_authorized_keys_CPPFLAGS = $(AM_CPPFLAGS) $(KSM_INC_IPC) $(KSM_INC_LOGIN)
ksm_authorized_keys_LDADD = libksm_ipc.la libksm_login.la libksm_snapshot.la \
	libksm_base.la
