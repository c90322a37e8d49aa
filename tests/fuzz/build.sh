#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the libFuzzer targets tests/fuzz/fuzz_*.c with ASan and UBSan.
#
#   tests/fuzz/build.sh [OUTDIR [TARGET...]]
#
# OUTDIR defaults to $FUZZ_BUILD_DIR, else build/fuzz in the source tree
# (apart from build/normal and build/asan of tests/run-all.sh). TARGETs are
# names such as fuzz_conf; none means all of them.
#
# The ksm-core sources of every layer (and nss_ksm/fill.c,
# tools/ksmctl_laststate.c, ksmctl's reader of SNAPSHOT.status,
# tools/ksmctl_check_parse.c, the doctor's parsers, and
# tools/ksmctl_template.c, interpolate's templates) are compiled
# once into OUTDIR/obj/libksmfuzz.a; each target links what it needs from
# it, so that no configure is needed and the build stays short. Targets
# reach internals through their hooks (KSM_HIDDEN functions of the internal
# headers), never by including a .c file. Every target is linked
# with nonet.c and -Wl,--wrap=ksm_http_request: a harness that would send
# an HTTPS request aborts instead, fuzzing never touches the network.
# fuzz_private_store also gets fakecrypt.c (--wrap=crypt_r and
# crypt_gensalt_rn): a verifier string in the fuzzed file must not make
# libxcrypt spend seconds on a cost parameter.
#
# CC (default clang) must support -fsanitize=fuzzer (clang >= 6 with its
# compiler-rt). FUZZ_JOBS (default 2) compiles that many files at once.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-${FUZZ_BUILD_DIR:-$top/build/fuzz}}
[ $# -gt 0 ] && shift
cc=${CC:-clang}
jobs=${FUZZ_JOBS:-2}
core="$top/ksm-core"

# As configure's AC_USE_SYSTEM_EXTENSIONS (asprintf, secure_getenv).
base="-D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer"
base="$base -fno-sanitize-recover=undefined"
base="$base -Wall -Wextra -Wno-unused-parameter -Werror"
base="$base -I$core/include -I$core/base -I$core/snapshot -I$core/keeper"
base="$base -I$core/accounts -I$core/ipc"
# fakecrypt.c makes "$fake$" verifiers: the store trusts that method here.
base="$base -DKSM_VERIFIER_PREFIX=\"\$fake\$\""
cflags=$(pkg-config --cflags libcrypto libcurl json-c)
libs="$(pkg-config --libs libcrypto libcurl json-c) -lcrypt"
# The library: instrumented for coverage, without libFuzzer's main().
lib_flags="$base -fsanitize=fuzzer-no-link,address,undefined $cflags"
# The harnesses: with libFuzzer's main().
fuzz_flags="$base -fsanitize=fuzzer,address,undefined $cflags"

mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
obj="$out/obj"

# 1. The library objects, FUZZ_JOBS at a time. Always rebuilt: a changed
# header then never leaves a stale object behind.
rm -f "$obj"/*.o "$obj/libksmfuzz.a"
srcs=$(ls "$core"/*/*.c "$top/nss_ksm/fill.c" "$top/tools/ksmctl_laststate.c" \
	"$top/tools/ksmctl_check_parse.c" "$top/tools/ksmctl_template.c" \
	"$here/nonet.c" "$here/fakecrypt.c")
echo "  CC      $(echo "$srcs" | wc -l) library sources -> $obj"
# shellcheck disable=SC2016 # $1 and $0 are the inner shell's
echo "$srcs" | xargs -P "$jobs" -I{} sh -c \
	'n=$(basename "$1" .c); exec $0 -c "$1" -o "$2/$n.o"' \
	"$cc $lib_flags" {} "$obj"
ar rcs "$obj/libksmfuzz.a" "$obj"/*.o

# 2. The targets.
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # target names have no blanks
	set -- $(cd "$here" && for f in fuzz_*.c; do echo "${f%.c}"; done)
fi
for name in "$@"; do
	src="$here/$name.c"
	[ -f "$src" ] || { echo "build.sh: no $src" >&2; exit 1; }
	wrap="-Wl,--wrap=ksm_http_request"
	extra="$obj/nonet.o"
	case "$name" in
	fuzz_private_store)
		wrap="$wrap -Wl,--wrap=crypt_r -Wl,--wrap=crypt_gensalt_rn"
		extra="$extra $obj/fakecrypt.o" ;;
	esac
	echo "  FUZZ    $out/$name"
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	$cc $fuzz_flags -o "$out/$name" "$src" $extra "$obj/libksmfuzz.a" \
		$wrap $libs
done
