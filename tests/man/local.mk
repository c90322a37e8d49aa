# SPDX-License-Identifier: MIT
# They render without warnings and match the code (options, commands,
# exit codes, entry points): tests/man/test_man.sh.
TESTS += tests/man/test_man.sh
EXTRA_DIST += tests/man/test_man.sh
