# SPDX-License-Identifier: MIT
# Checks of these files (systemd-analyze, sshd -t, ksm-nsswitch, the PAM
# profile with pam-auth-update's parser rules); tests/package/test_debs.sh
# checks the Debian packages built from them, tests/package/test_ansible.sh
# the Ansible role (contrib/ansible) that installs them.
TESTS += tests/package/test_dist.sh
EXTRA_DIST += tests/package/test_dist.sh tests/package/test_debs.sh \
	tests/package/test_ansible.sh
ROOT_TESTS += tests/package/test_debs.sh tests/package/test_ansible.sh
