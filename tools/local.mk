# ksmctl (admin CLI) and ksm-authorized-keys.
sbin_PROGRAMS += ksmctl
ksmctl_SOURCES = \
	tools/ksmctl.h \
	tools/ksmctl.c \
	tools/ksmctl_init.c \
	tools/ksmctl_secret.c \
	tools/ksmctl_exec.c \
	tools/ksmctl_status.c \
	tools/ksmctl_sync.c \
	tools/ksmctl_laststate.c
ksmctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
# libksmlite: the snapshot reader (hidden inside libksm.so).
ksmctl_LDADD = libksm.la libksmlite.la $(JSONC_LIBS)

# sshd's AuthorizedKeysCommand: libc + libksmlite on the cached path,
# libksm only through dlopen on the live path.
sbin_PROGRAMS += ksm-authorized-keys
ksm_authorized_keys_SOURCES = tools/ksm_authorized_keys.c
ksm_authorized_keys_LDADD = libksmlite.la -ldl
