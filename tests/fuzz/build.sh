#!/bin/sh
# Build the libFuzzer targets tests/fuzz/fuzz_*.c with ASan and UBSan.
#
#   tests/fuzz/build.sh [OUTDIR]     (default: tests/fuzz, next to the sources)
#
# Each target is compiled together with the ksm-core sources it needs (listed
# below) rather than with the library, so that it builds without configure.
# The targets that carry the network client (client.c and what it needs) are
# linked with -Wl,--wrap=ksm_http_request and nonet.c, which aborts on any
# request: fuzzing never touches the network. CC (default clang) must support
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
	# The network client, with requests trapped (nonet.c); folders.c apart.
	client="$core/record.c $core/notation.c $core/totp.c"
	client="$client $core/crypto_aes.c $core/crypto_ec.c $core/fileio.c"
	client="$client $core/config.c $core/token.c $core/conf.c"
	client="$client $core/transport.c $core/server_keys.c $core/client.c"
	client="$client $core/secrets.c $core/update.c"
	client="$client $core/notation_resolve.c $here/nonet.c"
	case "$1" in
	fuzz_record | fuzz_notation)
		echo "$common $core/record.c $core/notation.c" ;;
	fuzz_totp)
		echo "$common $core/totp.c" ;;
	fuzz_snapshot) # libc only, as in nss_ksm: reader, CRC, nss_ksm's copying
		echo "$core/snapshot_reader.c $core/snapshot_crc.c" \
			"$top/nss_ksm/fill.c" ;;
	fuzz_conf)
		echo "$common $core/conf.c $core/fileio.c" ;;
	fuzz_account) # records -> accounts, authorized_keys lines
		echo "$common $core/record.c $core/accounts.c $core/sshkey.c" \
			"$core/crypto_aes.c $core/crypto_ec.c $core/conf.c" \
			"$core/fileio.c" ;;
	fuzz_response | fuzz_server_error | fuzz_config | fuzz_token)
		echo "$common $client $core/folders.c" ;;
	fuzz_folders) # includes folders.c itself, for its static parser
		echo "$common $client" ;;
	*)
		echo "build.sh: no source list for $1" >&2
		return 1 ;;
	esac
}

# As configure's AC_USE_SYSTEM_EXTENSIONS (asprintf, secure_getenv).
flags="-D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer"
flags="$flags -fsanitize=fuzzer,address,undefined"
flags="$flags -fno-sanitize-recover=undefined"
flags="$flags -Wall -Wextra -Wno-unused-parameter -Werror"
libs=$(pkg-config --cflags --libs libcrypto libcurl json-c)

mkdir -p "$out"
for src in "$here"/fuzz_*.c; do
	name=$(basename "$src" .c)
	srcs=$(sources_for "$name")
	wrap=
	case " $srcs " in
	*" $here/nonet.c "*) wrap="-Wl,--wrap=ksm_http_request" ;;
	esac
	echo "  FUZZ    $out/$name"
	# shellcheck disable=SC2086 # word splitting of the lists is wanted
	$cc $flags -I"$core/include" -I"$core" -o "$out/$name" "$src" $srcs \
		$wrap $libs
done
