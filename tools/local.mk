# ksmctl (admin CLI) and ksm-authorized-keys.
sbin_PROGRAMS += ksmctl
ksmctl_SOURCES = \
	tools/ksmctl.h \
	tools/ksmctl.c \
	tools/ksmctl_init.c \
	tools/ksmctl_secret.c \
	tools/ksmctl_exec.c \
	tools/ksmctl_status.c
ksmctl_LDADD = libksm.la
