# SPDX-License-Identifier: MIT
"""Cryptographic primitives of the KSM wire protocol (server side).

Everything here follows docs/protocol.md: AES-256-GCM with IV(12)||ct||tag(16),
AES-256-CBC with IV(16)||ct and PKCS#7 (folder material only), Keeper's ECIES
(ephemeral P-256 point || GCM(SHA-256(ECDH x), m)), ECDSA-P256-SHA256 DER signatures,
and the clientId derivation HMAC-SHA512(key=token bytes, msg=CLIENT_ID_TAG).
"""

import base64
import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CLIENT_ID_TAG = b"KEEPER_SECRETS_MANAGER_CLIENT_ID"
CURVE = ec.SECP256R1()

# The real server pads record/appData plaintext JSON with spaces; in the recorded
# transcript every short plaintext came out at exactly 384 bytes.
PAD_BLOCK = 384


class CryptoError(Exception):
    """A decryption, decoding or verification failure (never carries secret data)."""


# --- encodings -------------------------------------------------------------------

def b64(data):
    """Standard alphabet with padding (the SDKs' "B64")."""
    return base64.b64encode(data).decode("ascii")


def b64u(data):
    """URL-safe alphabet without padding (the SDKs' "B64U")."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text):
    """Decode B64 or B64U, with or without padding (clients differ, so accept all)."""
    if not isinstance(text, str) or not text:
        raise CryptoError("empty or non-string base64 value")
    s = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True)
    except ValueError as exc:
        raise CryptoError("invalid base64") from exc


def random_uid():
    """A 22-char record/folder/file UID: B64U of 16 random bytes."""
    return b64u(os.urandom(16))


# --- symmetric -------------------------------------------------------------------

def gcm_encrypt(key, plaintext):
    iv = os.urandom(12)
    return iv + AESGCM(key).encrypt(iv, plaintext, None)


def gcm_decrypt(key, blob):
    if len(blob) < 28:
        raise CryptoError("GCM blob too short")
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], None)
    except (InvalidTag, ValueError) as exc:
        raise CryptoError("GCM authentication failed") from exc


def cbc_encrypt(key, plaintext):
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(data) + enc.finalize()


def cbc_decrypt(key, blob):
    if len(blob) < 32 or len(blob) % 16:
        raise CryptoError("CBC blob has a bad length")
    dec = Cipher(algorithms.AES(key), modes.CBC(blob[:16])).decryptor()
    data = dec.update(blob[16:]) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(data) + unpadder.finalize()
    except ValueError as exc:
        raise CryptoError("CBC padding invalid") from exc


def padded_json(obj):
    """Compact JSON padded with trailing spaces to a multiple of PAD_BLOCK bytes."""
    return padded_text(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))


def padded_text(text):
    """text (UTF-8) padded with trailing spaces to a multiple of PAD_BLOCK bytes."""
    raw = text.encode("utf-8")
    return raw + b" " * (-len(raw) % PAD_BLOCK)


# --- asymmetric ------------------------------------------------------------------

def new_ec_key():
    return ec.generate_private_key(CURVE)


def public_point(key):
    """65-byte uncompressed point of a private or public key."""
    pub = key.public_key() if hasattr(key, "public_key") else key
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def load_point(raw):
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, raw)
    except ValueError as exc:
        raise CryptoError("not a valid P-256 point") from exc


def private_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_private_pem(pem):
    return serialization.load_pem_private_key(pem, password=None)


def _ecies_key(private, peer_public):
    shared = private.exchange(ec.ECDH(), peer_public)  # 32-byte X coordinate
    return hashlib.sha256(shared).digest()


def ecies_encrypt(recipient_point, plaintext):
    eph = new_ec_key()
    key = _ecies_key(eph, load_point(recipient_point))
    return public_point(eph) + gcm_encrypt(key, plaintext)


def ecies_decrypt(private, blob):
    if len(blob) < 65 + 28:
        raise CryptoError("ECIES blob too short")
    key = _ecies_key(private, load_point(blob[:65]))
    return gcm_decrypt(key, blob[65:])


def verify_signature(point, signature, message):
    """ECDSA-P256-SHA256 over message; signature is DER (what every SDK sends)."""
    try:
        load_point(point).verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, CryptoError, ValueError):
        return False


def client_id_for_token(token_bytes):
    return b64(hmac.new(token_bytes, CLIENT_ID_TAG, hashlib.sha512).digest())
