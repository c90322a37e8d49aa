#!/bin/sh
# SPDX-License-Identifier: MIT
# Makes the private-key test vectors of this directory (TEST KEYS ONLY: they
# are public, never use them for anything else). Each NAME.key has NAME.pub,
# the public key as ssh-keygen -y (OpenSSH formats) or Python's cryptography
# (PEM and PKCS#8 formats) gives it, independently of libksm, and NAME.fp,
# its SHA256 fingerprint as ssh-keygen -l prints it (sshd's %f). Encrypted
# ones use the passphrase in PASSPHRASE; bad-* are keys SSH cannot use. Run it in this directory; the committed
# files were made with OpenSSH 9.2 and OpenSSL 3.0.
set -eu
pass=$(cat PASSPHRASE)
rm -f ./*.key ./*.pub ./*.fp

# OpenSSH format (ssh-keygen's default), plain and encrypted.
ssh-keygen -q -t ed25519 -N '' -C '' -f ed25519-openssh.key
ssh-keygen -q -t ed25519 -N "$pass" -C '' -f ed25519-openssh-enc.key
ssh-keygen -q -t rsa -b 2048 -N '' -C '' -f rsa-openssh.key
ssh-keygen -q -t rsa -b 2048 -N "$pass" -C '' -f rsa-openssh-enc.key
ssh-keygen -q -t ecdsa -b 256 -N '' -C '' -f ecdsa256-openssh.key
ssh-keygen -q -t ecdsa -b 384 -N '' -C '' -f ecdsa384-openssh.key
ssh-keygen -q -t ecdsa -b 521 -N "$pass" -C '' -f ecdsa521-openssh-enc.key
# PEM: PKCS#1 RSA and SEC1 EC (ssh-keygen -m PEM), legacy encryption.
ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -C '' -f rsa-pkcs1.key
ssh-keygen -q -t rsa -b 2048 -m PEM -N "$pass" -C '' -f rsa-pkcs1-enc.key
ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -C '' -f ecdsa256-sec1.key
ssh-keygen -q -t ecdsa -b 384 -m PEM -N "$pass" -C '' -f ecdsa384-sec1-enc.key
openssl ecparam -name secp521r1 -genkey -noout 2>/dev/null |
    openssl ec -no_public -out ecdsa521-sec1-nopub.key 2>/dev/null
# PKCS#8, plain and encrypted (PBES2).
ssh-keygen -q -t rsa -b 2048 -m PKCS8 -N '' -C '' -f rsa-pkcs8.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes-256-cbc \
    -pass "pass:$pass" -out rsa-pkcs8-enc.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out ecdsa256-pkcs8.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -aes-256-cbc \
    -pass "pass:$pass" -out ecdsa521-pkcs8-enc.key
openssl genpkey -algorithm ed25519 -out ed25519-pkcs8.key
openssl genpkey -algorithm ed25519 -aes-256-cbc -pass "pass:$pass" \
    -out ed25519-pkcs8-enc.key
openssl pkcs8 -topk8 -scrypt -in ecdsa256-pkcs8.key -passout "pass:$pass" \
    -out ecdsa256-pkcs8-scrypt-enc.key
# Keys SSH logins cannot use (refused with a reason).
openssl genpkey -algorithm ed448 -out bad-ed448.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 \
    -out bad-secp256k1.key
# A passphrase KDF of 2,000,000 rounds (more than libksm runs).
openssl pkcs8 -topk8 -v2 aes-256-cbc -iter 2000000 -in ed25519-pkcs8.key \
    -passout "pass:$pass" -out bad-pbkdf2-rounds.key
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:1024 \
    -out dsa.param
openssl genpkey -paramfile dsa.param -out bad-dsa.key
rm -f dsa.param
rm -f ./*.key.pub

for k in *.key; do
    case $k in bad-*) continue ;; esac
    case $k in *-enc.key) p=$pass ;; *) p= ;; esac
    if grep -q OPENSSH "$k"; then
        ssh-keygen -y -P "$p" -f "$k" | cut -d' ' -f1,2 >"${k%.key}.pub"
        continue
    fi
    /usr/bin/python3 - "$k" "$p" <<'PY'
import sys
from cryptography.hazmat.primitives import serialization as s
path, pw = sys.argv[1], sys.argv[2].encode() or None
key = s.load_pem_private_key(open(path, "rb").read(), pw)
pub = key.public_key().public_bytes(s.Encoding.OpenSSH, s.PublicFormat.OpenSSH)
open(path[:-4] + ".pub", "wb").write(pub + b"\n")
PY
    # ssh-keygen agrees wherever it reads the format (not PKCS#8 Ed25519).
    case $k in ed25519-pkcs8*) continue ;; esac
    ssh-keygen -y -P "$p" -f "$k" | cut -d' ' -f1,2 | cmp - "${k%.key}.pub"
done
# sshd's %f for each, from ssh-keygen.
for p in *.pub; do
    ssh-keygen -l -E sha256 -f "$p" | cut -d' ' -f2 >"${p%.pub}.fp"
done
chmod 0644 ./*.key ./*.pub ./*.fp
