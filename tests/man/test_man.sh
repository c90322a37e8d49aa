#!/bin/bash
# SPDX-License-Identifier: MIT
# test_man.sh - the man pages in man/: they render without a warning
# (groff -man -ww, and mandoc -Tlint when it is installed), have the usual
# sections, and have not drifted from the code:
#   ksm.conf.5  its options = the keys ksm-core/base/settings.c's parser accepts
#               (both ways; the documented ones are also fed to ksmctl,
#               which must not call any of them unknown)
#   ksmctl.8    its commands, long options and exit codes = `ksmctl --help`,
#               and every `ksmctl CMD --help` has its own usage whose
#               options it documents
#   ksm-authorized-keys.8  the options of its usage line
#   ksmd.8      the options of `ksmd --help` (both ways: every documented
#               option is accepted) and its usage error's exit status
#   pam_ksm.8   its options = the strings pam_ksm/user.c accepts (both
#               ways), and every entry point of pam_ksm/pam_ksm.map
#   nss_ksm.8   every entry point of nss_ksm/nss_ksm.map
# No root, no network, nothing outside a temporary directory.
# By hand, from the top of the tree: srcdir=$PWD builddir=$PWD/build/normal bash tests/man/test_man.sh
set -u
: "${srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${builddir:=$PWD}"
MAN=$srcdir/man
PY=${PYTHON:-python3}
PAGES="ksm.conf.5 ksmctl.8 ksm-authorized-keys.8 pam_ksm.8 nss_ksm.8 ksmd.8"
# shellcheck source=../lib/checks.sh
. "$srcdir/tests/lib/checks.sh"
T=$(mktemp -d) || exit 99
trap 'rm -rf "$T"' EXIT

command -v "$PY" >/dev/null || { echo "no $PY"; exit 99; }
for p in $PAGES; do [ -f "$MAN/$p" ] || fail "$p: missing"; done

# tags PAGE SECTION: the tag line of every .TP in that .SH section (all
# levels), as plain text: macros and font escapes removed, \- as -.
tags() {
	"$PY" - "$MAN/$1" "$2" <<'PYEOF'
import re, sys
path, want = sys.argv[1], sys.argv[2]

def args(s):
    out, cur, q, i = [], "", False, 0
    while i < len(s):
        c = s[i]
        if q and c == '"' and s[i + 1:i + 2] == '"':
            cur += '"'; i += 2; continue
        if c == '"':
            q = not q
        elif c in " \t" and not q:
            if cur: out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur: out.append(cur)
    return out

def plain(line):
    m = re.match(r"\.([A-Z]{1,2})\s*(.*)", line)
    if m:
        mac, a = m.group(1), args(m.group(2))
        line = (" " if mac in ("B", "I", "SM", "SB") else "").join(a)
    line = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", line)
    for k, v in (("\\-", "-"), ("\\&", ""), ("\\e", "\\"), ("\\(aq", "'"),
                 ("\\ ", " "), ("\\c", "")):
        line = line.replace(k, v)
    return " ".join(line.split())

sec, prev = None, ""
for line in open(path, encoding="ascii"):
    line = line.rstrip("\n")
    if line.startswith(".SH"):
        sec = " ".join(args(line[3:]))
    elif prev == ".TP" and sec == want:
        print(plain(line))
    prev = line
PYEOF
}

# in_list WORD LIST: WORD is a line of LIST.
in_list() { grep -qxF -- "$1" <<<"$2"; }

# ---------------------------------------------------------------- rendering
for p in $PAGES; do
	f=$MAN/$p
	[ -f "$f" ] || continue
	if LC_ALL=C grep -q '[^[:print:][:space:]]' "$f"; then
		fail "$p: non-ASCII bytes (use roff escapes)"
	else
		ok "$p: ASCII"
	fi
	if ! command -v groff >/dev/null; then
		fail "$p: groff is not installed (tests/install-deps.sh: groff-base)"
	else
		w=$(LC_ALL=C groff -man -ww -z "$f" 2>&1)
		if [ -z "$w" ]; then ok "$p: groff -man -ww: no warnings"; else fail "$p: groff: $w"; fi
	fi
	if command -v mandoc >/dev/null; then
		w=$(mandoc -Tlint -W warning "$f" 2>&1)
		if [ -z "$w" ]; then ok "$p: mandoc -Tlint: no warnings"; else fail "$p: mandoc: $w"; fi
	else
		echo "# $p: mandoc not installed, lint skipped"
	fi
	missing=
	for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES EXAMPLES "SEE ALSO"; do
		grep -qE "^\.SH \"?$s\"?\$" "$f" || missing="$missing [$s]"
	done
	# A file format has no exit status; programs and modules have one.
	case $p in
	*.5) ;;
	*) grep -qE '^\.SH "?(EXIT STATUS|RETURN VALUES)"?$' "$f" || missing="$missing [EXIT STATUS]" ;;
	esac
	if [ -z "$missing" ]; then ok "$p: has its sections"; else fail "$p: no section$missing"; fi
	th=$(sed -n 's/^\.TH \([^ ]*\) \([0-9]\).*/\1.\2/p' "$f" | tr 'A-Z' 'a-z' | sed 's/\\//g')
	if [ "$th" = "$p" ]; then ok "$p: .TH names it"; else fail "$p: .TH says $th"; fi
	# References to our own pages name one that exists, in its section.
	for r in $(grep -oE '^\.BR (ksm[a-z.\\-]*|pam_ksm|nss_ksm) \([0-9]\)' "$f" |
		sed -e 's/^\.BR //' -e 's/\\-/-/g' -e 's/ (\(.\))/.\1/'); do
		[ -f "$MAN/$r" ] || fail "$p: refers to $r, which is not a page here"
	done
done

# ---------------------------------------------------------------- ksm.conf.5
CONF_C=$srcdir/ksm-core/base/settings.c
body=$(sed -n '/^static ksm_status set_option(/,/^}/p' "$CONF_C")
keys=$(grep -oE 'strcmp\(k, "[a-z0-9_]+"\)' <<<"$body" | sed -E 's/.*"(.*)".*/\1/' | sort)
nkeys=$(grep -c . <<<"$keys")
ncmp=$(grep -o 'strcmp(k,' <<<"$body" | wc -l)
if [ "$nkeys" -ge 20 ] && [ "$nkeys" = "$ncmp" ]; then
	ok "settings.c set_option accepts $nkeys options"
else
	fail "cannot read the option list from $CONF_C ($nkeys names, $ncmp strcmp(k, ...))"
fi
doc=$(tags ksm.conf.5 OPTIONS | awk '{print $1}' | sed 's/\[.*//' | sort)
for k in $keys; do
	in_list "$k" "$doc" || fail "ksm.conf.5: option $k (ksm-core/base/settings.c) is not documented"
done
for k in $doc; do
	in_list "$k" "$keys" || fail "ksm.conf.5 documents $k, which settings.c does not accept"
done
[ "$keys" = "$doc" ] && ok "ksm.conf.5 documents exactly settings.c's options"
# Every documented entry has a default.
nodef=$("$PY" - "$MAN/ksm.conf.5" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
opts = text.split(".SH OPTIONS", 1)[1].split("\n.SH ", 1)[0]
for entry in re.split(r"\n\.TP\n", opts)[1:]:
    if "Default" not in entry:
        print(entry.split("\n", 1)[0])
PYEOF
)
if [ -z "$nodef" ]; then ok "ksm.conf.5: every option gives its default"; else fail "ksm.conf.5: no default for: $nodef"; fi

# The program agrees: no documented option is unknown to ksmctl, and a
# made-up one is (the positive control).
KSMCTL=$builddir/ksmctl
if [ -x "$KSMCTL" ]; then
	probe() {
		printf 'snapshot = %s/none\n%s = /nonexistent/ksm-man-test\n' "$T" "$1" >"$T/ksm.conf"
		env -u KSM_CONFIG "$KSMCTL" --conf "$T/ksm.conf" users 2>&1 >/dev/null
	}
	bad=
	for k in $doc; do
		probe "$k" | grep -q "unknown option" && bad="$bad $k"
	done
	if [ -z "$bad" ]; then ok "ksmctl accepts every option of ksm.conf.5"; else fail "ksmctl: unknown option:$bad"; fi
	if probe no_such_option_for_the_test | grep -q "unknown option 'no_such_option_for_the_test'"; then
		ok "ksmctl refuses a made-up option (control)"
	else
		fail "ksmctl did not refuse a made-up option"
	fi
else
	fail "no $KSMCTL (build first)"
fi

# ---------------------------------------------------------------- ksmctl.8
if [ -x "$KSMCTL" ]; then
	help=$("$KSMCTL" --help) || fail "ksmctl --help failed"
	section() { awk -v h="$1" '$0 == h {on = 1; next} on && /^$/ {exit} on' <<<"$help"; }
	# "  secret get UID [--field ...]    one record": the lower-case words
	# before the arguments and the two spaces that start the description.
	cmds=$(section "Commands:" | grep -E '^  [a-z]' | sed -E 's/^  //; s/  .*//' |
		awk '{s = $1; for (i = 2; i <= NF && $i ~ /^[a-z]+$/; i++) s = s " " $i; print s}')
	codes=$(section "Exit codes:" | awk '$1 ~ /^[0-9]+$/ {print $1}')
	longs=$(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u)
	if [ "$(grep -c . <<<"$cmds")" -ge 8 ] && [ "$(grep -c . <<<"$codes")" -ge 7 ]; then
		ok "ksmctl --help lists $(grep -c . <<<"$cmds") commands and $(grep -c . <<<"$codes") exit codes"
	else
		fail "cannot read commands or exit codes from ksmctl --help"
	fi
	dcmds=$(tags ksmctl.8 COMMANDS | grep -v '^-')
	missing=
	while read -r c; do
		[ -n "$c" ] || continue
		grep -qE "^$c( |\$)" <<<"$dcmds" || missing="$missing [$c]"
	done <<<"$cmds"
	if [ -z "$missing" ]; then ok "ksmctl.8 documents every command of --help"; else fail "ksmctl.8: undocumented commands:$missing"; fi
	extra=
	while read -r d; do
		w=$(awk '{print $1}' <<<"$d")
		grep -qE "^$w( |\$)" <<<"$cmds" || extra="$extra [$d]"
	done <<<"$dcmds"
	if [ -z "$extra" ]; then ok "ksmctl.8 documents no command --help lacks"; else fail "ksmctl.8: commands not in --help:$extra"; fi
	dopts=$(tags ksmctl.8 COMMANDS; tags ksmctl.8 OPTIONS)
	dlongs=$(grep -oE -- '--[a-z][a-z-]+' <<<"$dopts" | sort -u)
	missing=
	for o in $longs; do in_list "$o" "$dlongs" || missing="$missing $o"; done
	if [ -z "$missing" ]; then ok "ksmctl.8 documents every option of --help"; else fail "ksmctl.8: undocumented options:$missing"; fi
	extra=
	for o in $dlongs; do in_list "$o" "$longs" || extra="$extra $o"; done
	if [ -z "$extra" ]; then ok "ksmctl.8 documents no option --help lacks"; else fail "ksmctl.8: options not in --help:$extra"; fi
	dcodes=$(tags ksmctl.8 "EXIT STATUS")
	if [ "$(sort <<<"$codes")" = "$(sort <<<"$dcodes")" ]; then
		ok "ksmctl.8 EXIT STATUS = --help's exit codes ($(tr '\n' ' ' <<<"$codes"))"
	else
		fail "ksmctl.8 EXIT STATUS [$(tr '\n' ' ' <<<"$dcodes")] != --help [$(tr '\n' ' ' <<<"$codes")]"
	fi
	# Each command's own usage (ksmctl CMD --help, from the same table):
	# it exists, names the command, and its options are documented.
	bad=
	for c in $(awk '{print $1}' <<<"$cmds" | sort -u); do
		u=$("$KSMCTL" "$c" --help 2>&1)
		if [ $? != 0 ] || ! head -n 1 <<<"$u" | grep -q "^Usage: ksmctl \[--conf PATH\] $c"; then
			bad="$bad [$c: no usage of its own]"
			continue
		fi
		for o in $(grep -oE -- '--[a-z][a-z-]+' <<<"$u" | sort -u); do
			in_list "$o" "$dlongs" || bad="$bad [$c $o]"
		done
	done
	if [ -z "$bad" ]; then ok "ksmctl CMD --help: every command has its own usage, its options in ksmctl.8"; else fail "ksmctl CMD --help:$bad"; fi
	defconf=$(sed -n 's/.*--conf PATH.*(default \([^)]*\)).*/\1/p' <<<"$help")
	if [ -n "$defconf" ] && grep -qF "$defconf" "$MAN/ksmctl.8"; then
		ok "ksmctl.8 names the default ksm.conf ($defconf)"
	else
		fail "ksmctl.8 does not name --help's default ksm.conf '$defconf'"
	fi
fi

# ---------------------------------------------------------------- ksm-authorized-keys.8
KEYS=$builddir/ksm-authorized-keys
if [ -x "$KEYS" ]; then
	usage=$("$KEYS" 2>&1 >/dev/null)
	rc=$?
	kopts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$usage" | sort -u)
	dk=$(tags ksm-authorized-keys.8 OPTIONS)
	missing=
	for o in $kopts; do grep -qE -- "^$o( |\$)" <<<"$dk" || missing="$missing $o"; done
	if [ -n "$kopts" ] && [ -z "$missing" ]; then
		ok "ksm-authorized-keys.8 documents its usage line's options ($(tr '\n' ' ' <<<"$kopts"))"
	else
		fail "ksm-authorized-keys.8: options of '$usage' missing:$missing"
	fi
	if in_list "$rc" "$(tags ksm-authorized-keys.8 "EXIT STATUS")"; then
		ok "ksm-authorized-keys.8 documents the usage error's exit status $rc"
	else
		fail "ksm-authorized-keys exits $rc on a usage error; EXIT STATUS does not say so"
	fi
else
	fail "no $KEYS (build first)"
fi

# ---------------------------------------------------------------- ksmd.8
KSMD=$builddir/ksmd/ksmd
if [ -x "$KSMD" ]; then
	# --help prints the usage line and exits 0 before anything starts;
	# options before it are parsed first, so "ksmd OPT [ARG] --help" exits
	# 0 exactly when ksmd takes OPT (and 2, a usage error, when not).
	khelp=$(env -i "$KSMD" --help 2>&1)
	rc=$?
	dopts=$(tags ksmd.8 OPTIONS)
	hopts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$khelp" | sort -u)
	missing=
	for o in $hopts; do grep -qE -- "^$o( |\$)" <<<"$dopts" || missing="$missing $o"; done
	if [ "$rc" = 0 ] && [ -n "$hopts" ] && [ -z "$missing" ]; then
		ok "ksmd.8 documents the options of ksmd --help ($(tr '\n' ' ' <<<"$hopts"))"
	else
		fail "ksmd.8: options of '$khelp' (exit $rc) missing:$missing"
	fi
	bad=
	while read -r o arg; do
		[ -n "$o" ] || continue
		case $o in --help) continue ;; esac
		if [ -n "$arg" ]; then
			env -i "$KSMD" "$o" /nonexistent/ksm-man-test --help >/dev/null 2>&1 || bad="$bad $o"
		else
			env -i "$KSMD" "$o" --help >/dev/null 2>&1 || bad="$bad $o"
		fi
	done <<<"$dopts"
	if [ -z "$bad" ]; then ok "ksmd takes every option of ksmd.8"; else fail "ksmd refuses options ksmd.8 documents:$bad"; fi
	env -i "$KSMD" --no-such-option-for-the-test >/dev/null 2>&1
	rc=$?
	if [ "$rc" = 2 ] && in_list 2 "$(tags ksmd.8 "EXIT STATUS")"; then
		ok "ksmd refuses a made-up option with exit 2, as EXIT STATUS says (control)"
	else
		fail "ksmd exits $rc on a made-up option; ksmd.8 EXIT STATUS: $(tags ksmd.8 "EXIT STATUS" | tr '\n' ' ')"
	fi
else
	fail "no $KSMD (build first)"
fi

# ---------------------------------------------------------------- pam_ksm.8
PARSE=$(sed -n '/^void pam_ksm_parse_args(/,/^}/p' "$srcdir/pam_ksm/user.c")
popts=$(grep -oE 'str(n)?cmp\(a, "[^"]+"' <<<"$PARSE" | sed -E 's/.*"(.*)"/\1/' | sort -u)
if [ "$(grep -c . <<<"$popts")" -ge 5 ]; then
	ok "pam_ksm/user.c accepts: $(tr '\n' ' ' <<<"$popts")"
else
	fail "cannot read the module options from pam_ksm/user.c"
fi
dp=$(tags pam_ksm.8 OPTIONS)
missing=
for o in $popts; do
	case $o in
	*=) grep -qF -- "$o" <<<"$(cut -c1-${#o} <<<"$dp")" || missing="$missing $o" ;;
	*) in_list "$o" "$dp" || missing="$missing $o" ;;
	esac
done
if [ -z "$missing" ]; then ok "pam_ksm.8 documents every module option"; else fail "pam_ksm.8: undocumented options:$missing"; fi
extra=
while read -r d; do
	[ -n "$d" ] || continue
	found=
	for o in $popts; do
		case $o in *=) [ "${d#"$o"}" != "$d" ] && found=1 ;; *) [ "$d" = "$o" ] && found=1 ;; esac
	done
	[ -n "$found" ] || extra="$extra [$d]"
done <<<"$dp"
if [ -z "$extra" ]; then ok "pam_ksm.8 documents no option the module lacks"; else fail "pam_ksm.8: options not in user.c:$extra"; fi
missing=
for fn in $(grep -oE 'pam_sm_[a-z_]+' "$srcdir/pam_ksm/pam_ksm.map"); do
	grep -qw "$fn" "$MAN/pam_ksm.8" || missing="$missing $fn"
done
if [ -z "$missing" ]; then ok "pam_ksm.8 names every pam_sm_* entry point"; else fail "pam_ksm.8 does not name:$missing"; fi

# ---------------------------------------------------------------- nss_ksm.8
missing=
for fn in $(grep -oE '_nss_ksm_[a-z_]+' "$srcdir/nss_ksm/nss_ksm.map" | sed 's/^_nss_ksm_//'); do
	grep -qw "$fn" "$MAN/nss_ksm.8" || missing="$missing $fn"
done
if [ -z "$missing" ]; then ok "nss_ksm.8 names every NSS entry point"; else fail "nss_ksm.8 does not name:$missing"; fi

finish
