# SPDX-License-Identifier: MIT
# Host integration (dist/): what a packaged install puts around the
# binaries. The directories come from configure (--with-systemdsystemunitdir,
# --with-tmpfilesdir, --with-sysusersdir, --with-pamconfigsdir; "no" skips
# one); distcheck puts them all under its prefix.
#
#   ksmd.socket, ksmd.service         the broker, socket activated, hardened
#   ksm-sync.service, ksm-sync.timer  ksmctl sync every 5 minutes, hardened
#   ksm-metrics.service, .timer       node_exporter metrics every minute
#                                     (off by default), hardened
#   tmpfiles.d/ksm.conf               /var/lib/ksm, /var/lib/ksmd, /etc/ksm,
#                                     /run/ksm
#   sysusers.d/ksm.conf               users ksmd (ksmd's) and ksm-keys
#                                     (sshd's AuthorizedKeysCommandUser)
#   pam-configs/ksm                   pam-auth-update profiles (Default: no):
#   pam-configs/ksm-totp              pam_ksm above pam_unix (ksm-totp: with
#   pam-configs/ksm-password          totp=if_present), and below it in
#                                     common-password (ksm-password)
#   sshd_config.d/ksm.conf            AuthorizedKeysCommand snippet, shipped
#                                     in $(pkgdatadir), not active
#   ksm.conf                          every option, commented out (in
#                                     $(pkgdatadir); the packages also make
#                                     it the /etc/ksm/ksm.conf conffile)
#   troubleshooting.md                README's troubleshooting section, on
#                                     the host: $(pkgdatadir), made at build
#                                     time from README.md (one source)
#   ksm-nsswitch                      ksm in/out of nsswitch.conf's passwd
#                                     and group lines

# Files with installation paths in them, made at make time (the paths are
# only fully expanded then).
dist_edit = sed -e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g'

dist/ksm-sync.service: dist/ksm-sync.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
		$(dist_edit) $(srcdir)/dist/ksm-sync.service.in >$@.tmp && mv $@.tmp $@
dist/ksm-metrics.service: dist/ksm-metrics.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
		$(dist_edit) $(srcdir)/dist/ksm-metrics.service.in >$@.tmp && mv $@.tmp $@
dist/ksmd.service: dist/ksmd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
		$(dist_edit) $(srcdir)/dist/ksmd.service.in >$@.tmp && mv $@.tmp $@
dist/sshd_config.d/ksm.conf: dist/sshd_config.d/ksm.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
		$(dist_edit) $(srcdir)/dist/sshd_config.d/ksm.conf.in >$@.tmp && mv $@.tmp $@

# README.md's "## Troubleshooting" section, up to the next "## " heading.
dist/troubleshooting.md: README.md
	$(AM_V_GEN)$(MKDIR_P) $(@D) && rm -f $@ $@.tmp && \
		{ echo '# ksm-unix $(VERSION): troubleshooting'; echo; \
		  echo '(The Troubleshooting section of README.md; ksmctl(8) and'; \
		  echo "'ksmctl explain USER' say what each part does for a user.)"; \
		  echo; \
		  sed -n '/^## Troubleshooting$$/,/^## /p' $(srcdir)/README.md | \
			sed -e '1d' -e '$$d'; } >$@.tmp && \
		grep -q '^| message | cause | fix |$$' $@.tmp && mv $@.tmp $@

DIST_GENERATED = dist/ksm-sync.service dist/ksmd.service \
	dist/ksm-metrics.service dist/sshd_config.d/ksm.conf \
	dist/troubleshooting.md
noinst_DATA = $(DIST_GENERATED)
CLEANFILES += $(DIST_GENERATED)

if HAVE_SYSTEMDSYSTEMUNITDIR
systemdsystemunit_DATA = dist/ksm-sync.service dist/ksm-sync.timer \
	dist/ksmd.service dist/ksmd.socket dist/ksm-metrics.service \
	dist/ksm-metrics.timer
endif
if HAVE_TMPFILESDIR
dist_tmpfiles_DATA = dist/tmpfiles.d/ksm.conf
endif
if HAVE_SYSUSERSDIR
dist_sysusers_DATA = dist/sysusers.d/ksm.conf
endif
if HAVE_PAMCONFIGSDIR
dist_pamconfigs_DATA = dist/pam-configs/ksm dist/pam-configs/ksm-totp \
	dist/pam-configs/ksm-password
endif
sshdsnippetdir = $(pkgdatadir)/sshd_config.d
sshdsnippet_DATA = dist/sshd_config.d/ksm.conf
dist_pkgdata_DATA = dist/ksm.conf
pkgdata_DATA = dist/troubleshooting.md
dist_sbin_SCRIPTS = dist/ksm-nsswitch

EXTRA_DIST += dist/ksm-sync.service.in dist/ksm-sync.timer \
	dist/ksm-metrics.service.in dist/ksm-metrics.timer \
	dist/ksmd.service.in dist/ksmd.socket dist/tmpfiles.d/ksm.conf \
	dist/sysusers.d/ksm.conf dist/pam-configs/ksm dist/pam-configs/ksm-totp \
	dist/pam-configs/ksm-password dist/sshd_config.d/ksm.conf.in

# distcheck installs as a user into a prefix: every host directory there.
AM_DISTCHECK_CONFIGURE_FLAGS = \
	--with-systemdsystemunitdir='$${prefix}/lib/systemd/system' \
	--with-tmpfilesdir='$${prefix}/lib/tmpfiles.d' \
	--with-sysusersdir='$${prefix}/lib/sysusers.d' \
	--with-pamconfigsdir='$${prefix}/share/pam-configs'

# The Debian packaging, so that a release tarball builds .debs too.
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/libksm0.install debian/libksm-dev.install \
	debian/libpam-ksm.install debian/libpam-ksm.postinst \
	debian/libpam-ksm.prerm debian/libnss-ksm.install \
	debian/libnss-ksm.postinst debian/libnss-ksm.prerm \
	debian/ksm-tools.install debian/ksm-tools.prerm debian/ksm-tools.postrm
