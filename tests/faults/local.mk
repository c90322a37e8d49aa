# SPDX-License-Identifier: MIT
# The fault matrix (docs/fault-matrix.md): each script runs one consumer
# through every fault row of tests/faults/lib.sh against the local server.
# The keys and pam scripts need root and a private mount namespace (for
# the syslog capture); they skip (77) otherwise.
FAULT_MATRIX_TESTS = tests/faults/test_matrix_sync.sh tests/faults/test_matrix_keys.sh \
	tests/faults/test_matrix_pam_auth.sh tests/faults/test_matrix_pam_session.sh
TESTS += $(FAULT_MATRIX_TESTS)
SANITIZER_TESTS += $(FAULT_MATRIX_TESTS)
ROOT_TESTS += tests/faults/test_matrix_keys.sh \
	tests/faults/test_matrix_pam_auth.sh tests/faults/test_matrix_pam_session.sh
EXTRA_DIST += $(FAULT_MATRIX_TESTS) tests/faults/lib.sh tests/faults/prebind.py \
	tests/faults/matrix_table.py docs/fault-matrix.md
