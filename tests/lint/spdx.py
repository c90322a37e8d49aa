#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every source, script and build file of the tree carries an SPDX line.

    tests/lint/spdx.py          list the files that lack it (exit 1 if any)
    tests/lint/spdx.py --add    add it, in each file's comment syntax

Which files count, and how each kind comments, is decided here only.
Data (JSON, fuzz corpora, images, test keys), prose (Markdown) and files whose
format has no comments (debian/changelog, debian/source/format, the
pam-auth-update profiles in dist/pam-configs/) are not counted.
"""
import os
import re
import subprocess
import sys

TAG = "SPDX-License-Identifier: MIT"

SKIP_DIRS = ("tests/fuzz/corpus/", "tests/fuzz/regressions/", "dist/pam-configs/")
SKIP_FILES = {"debian/changelog", "debian/source/format", "debian/copyright",
              "LICENSE", "m4/.keep"}
SKIP_EXT = (".json", ".png", ".md")
# Test keys (tests/vectors/keys): PEM and OpenSSH formats, no comments.
SKIP_KEYS = ("tests/vectors/keys/",)
SKIP_KEY_EXT = (".key", ".pub", ".fp", "PASSPHRASE")


def style(path):
    """The comment line for path, or None when the file does not count."""
    base = os.path.basename(path)
    if path in SKIP_FILES or path.startswith(SKIP_DIRS) or base.endswith(SKIP_EXT):
        return None
    if path.startswith(SKIP_KEYS) and base.endswith(SKIP_KEY_EXT):
        return None
    if base.endswith((".c", ".h", ".map")):
        return "/* %s */" % TAG
    if base.endswith(".js"):
        return "// %s" % TAG
    if re.search(r"\.[0-9]$", base):
        return '.\\" %s' % TAG
    if base in ("configure.ac",) or base.endswith(".m4"):
        return "dnl %s" % TAG
    return "# %s" % TAG


def tracked():
    out = subprocess.run(["git", "ls-files"], capture_output=True, text=True,
                         check=True).stdout
    return [p for p in out.splitlines() if os.path.isfile(p)]


def add(path, line):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    at = 1 if lines and lines[0].startswith("#!") else 0
    lines.insert(at, line)
    mode = os.stat(path).st_mode
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    os.chmod(path, mode)


def main():
    fix = "--add" in sys.argv[1:]
    missing = []
    for path in tracked():
        line = style(path)
        if line is None:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
        if TAG in head:
            continue
        if fix:
            add(path, line)
        else:
            missing.append(path)
    for path in missing:
        print("no SPDX-License-Identifier line: %s" % path)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
