#!/bin/bash
# SPDX-License-Identifier: MIT
# install-deps.sh - install what building and testing ksm-unix needs on
# Debian 12 (run as root). Quiet when everything is already there.
set -euo pipefail

PKGS=(
	build-essential autoconf automake libtool pkg-config
	libssl-dev libcurl4-openssl-dev libjson-c-dev libcmocka-dev
	libkeyutils-dev libpam0g-dev libcrypt-dev
	openssl ca-certificates python3 python3-cryptography
	clang libclang-rt-14-dev llvm clang-format-14
	keyutils sudo openssh-server openssh-client util-linux
	libnss-wrapper valgrind time
	groff-base mandoc
	debhelper dpkg-dev fakeroot systemd
	tinyproxy stunnel4 prometheus
	ansible-core python3-apt
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
# Node.js >= 20 for the official JS SDK interop test: keep the machine's
# own if it has one, else Debian's.
if ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
