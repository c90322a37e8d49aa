#!/bin/bash
# SPDX-License-Identifier: MIT
# check-tree.sh - the tree's own rules, checked in CI (tests/run-all.sh):
#  - every source, script and build file has its SPDX licence line
#    (tests/lint/spdx.py decides which files count);
#  - every C file is formatted as .clang-format says, by clang-format 14
#    (Debian 12's; other versions format differently, so it is pinned).
# Run from anywhere inside a git checkout. Fix formatting with
#   git ls-files '*.c' '*.h' | xargs clang-format-14 -i
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
rc=0

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "SKIP: not a git checkout (the lists of files come from git)"
	exit 0
fi

python3 tests/lint/spdx.py || rc=1

CF=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$CF" >/dev/null; then
	echo "no $CF (tests/install-deps.sh installs it)" >&2
	exit 1
fi
case $("$CF" --version) in
*" version 14."*) ;;
*) echo "$CF is not clang-format 14: $("$CF" --version)" >&2; exit 1 ;;
esac
if ! git ls-files -z '*.c' '*.h' | xargs -0 "$CF" --dry-run --Werror; then
	echo "formatting differs from .clang-format: run" \
		"git ls-files '*.c' '*.h' | xargs $CF -i" >&2
	rc=1
fi
[ $rc -eq 0 ] && echo "licence lines and formatting: ok"
exit $rc
