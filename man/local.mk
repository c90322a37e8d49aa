# SPDX-License-Identifier: MIT
# Man pages: hand-written roff (man(7) macros), installed and distributed
# as they are (no generator at build time).
dist_man5_MANS = man/ksm.conf.5
dist_man8_MANS = man/ksmctl.8 man/ksm-authorized-keys.8 man/pam_ksm.8 \
	man/nss_ksm.8 man/ksm-nsswitch.8 man/ksmd.8
# ksmd(8) points to the request protocol it speaks, distributed with it.
EXTRA_DIST += docs/ksmd-protocol.md
