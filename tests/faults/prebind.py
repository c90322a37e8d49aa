#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""prebind.py TOKEN HOSTNAME SERVER_KEY_ID SERVER_KEY OUT - write OUT (0600), a client config
as the SDKs write one before binding: clientKey (the one-time token), the clientId derived
from it, a new P-256 device key, and no appKey yet. A consumer given it binds on its first
get_secret. Used by the fault matrix for "token already used": the token was bound by
another client first, so this config can never bind (docs/protocol.md)."""
import base64
import hashlib
import hmac
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

token, hostname, key_id, server_key, out = sys.argv[1:6]
raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
client_id = hmac.new(raw, b"KEEPER_SECRETS_MANAGER_CLIENT_ID", hashlib.sha512).digest()
der = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption())
cfg = {"hostname": hostname, "clientId": base64.b64encode(client_id).decode(),
       "clientKey": base64.b64encode(raw).decode(), "privateKey": base64.b64encode(der).decode(),
       "serverPublicKeyId": key_id, "serverPublicKey": server_key}
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(cfg, f, indent=2)
