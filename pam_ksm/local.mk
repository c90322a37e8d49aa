# pam_ksm.so: the PAM module (links libksm; exports pam_sm_* only).
# pamdir: configure --with-pammoddir (default $(libdir)/security).
pam_LTLIBRARIES = pam_ksm.la
pam_ksm_la_SOURCES = \
	pam_ksm/pam_ksm.h \
	pam_ksm/common.c \
	pam_ksm/auth.c \
	pam_ksm/secrets.c \
	pam_ksm/keyring.c \
	pam_ksm/session.c
pam_ksm_la_CFLAGS = $(AM_CFLAGS)
pam_ksm_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-Wl,--version-script=$(srcdir)/pam_ksm/pam_ksm.map
pam_ksm_la_LIBADD = libksm.la libksmlite.la -lpam -lkeyutils
EXTRA_pam_ksm_la_DEPENDENCIES = pam_ksm/pam_ksm.map
EXTRA_DIST += pam_ksm/pam_ksm.map
