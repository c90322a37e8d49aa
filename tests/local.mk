# SPDX-License-Identifier: MIT
#
# The test areas, one local.mk each (tests/README.md). Each area adds its
# scripts and programs to TESTS, and names once which of them also run under
# ASan+UBSan (SANITIZER_TESTS: everything that runs our own programs, not
# the tests that load our modules into system programs or run valgrind)
# and which need root and a private mount namespace (ROOT_TESTS: they skip,
# exit 77, without).
SANITIZER_TESTS =
ROOT_TESTS =

TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(BASH)
AM_TESTS_ENVIRONMENT = srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)'; export srcdir builddir;

include tests/unit/local.mk
include tests/integration/local.mk
include tests/nss/local.mk
include tests/pam/local.mk
include tests/faults/local.mk
include tests/load/local.mk
include tests/man/local.mk
include tests/package/local.mk

# make check-sanitizer: the SANITIZER_TESTS of a build configured with
# -fsanitize=address,undefined (tests/run-all.sh).
check-sanitizer:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(SANITIZER_TESTS)'
# The lists, for scripts and the curious.
print-sanitizer-tests:
	@echo $(SANITIZER_TESTS)
print-root-tests:
	@echo $(ROOT_TESTS)
# Where the built programs and the sshd snippet install (ksmctl unenroll
# runs ksm-nsswitch from there and knows the snippet by its path;
# tests/integration/test_unenroll.sh puts them there).
print-sbindir:
	@echo $(sbindir)
print-pkgdatadir:
	@echo $(pkgdatadir)
.PHONY: check-sanitizer print-sanitizer-tests print-root-tests print-sbindir \
	print-pkgdatadir

# Whole directories; dist-hook drops what is generated in them.
EXTRA_DIST += tests/README.md tests/lib tests/lint tests/server tests/interop tests/fuzz \
	tests/run-all.sh tests/leak-sweep.sh tests/install-deps.sh
dist-hook:
	rm -rf $(distdir)/tests/interop/node_modules
	find $(distdir)/tests -name __pycache__ -prune -exec rm -rf {} +
	rm -rf $(distdir)/tests/fuzz/crashes
