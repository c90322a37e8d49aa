#!/bin/sh
# Build the libFuzzer targets tests/fuzz/fuzz_*.c with ASan and UBSan.
#
#   tests/fuzz/build.sh [OUTDIR]     (default: tests/fuzz, next to the sources)
#
# Each target is compiled together with the ksm-core sources it needs (listed
# below) rather than with the library, so that it builds without configure
# and without the network client. CC (default clang) must support
# -fsanitize=fuzzer (clang >= 6 with its compiler-rt).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$here}
cc=${CC:-clang}
core="$top/ksm-core"

# ksm-core sources per target (their own code plus the helpers it uses).
sources_for() {
	common="$core/error.c $core/mem.c $core/base64.c"
	case "$1" in
	fuzz_record | fuzz_notation)
		echo "$common $core/record.c $core/notation.c" ;;
	fuzz_totp)
		echo "$common $core/totp.c" ;;
	*)
		echo "build.sh: no source list for $1" >&2
		return 1 ;;
	esac
}

flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined"
flags="$flags -fno-sanitize-recover=undefined"
flags="$flags -Wall -Wextra -Wno-unused-parameter -Werror"
libs=$(pkg-config --cflags --libs libcrypto libcurl json-c)

mkdir -p "$out"
for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	srcs=$(sources_for "$name")
	echo "  FUZZ    $out/$name"
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	$cc $flags -I"$core/include" -I"$core" -o "$out/$name" "$src" $srcs \
		$libs
done
