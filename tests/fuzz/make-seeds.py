#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora that need real cryptography:

  corpus/fuzz_response/  decrypted get_secret answers whose records, folders
                         and files open with fuzz_response.c's fixed keys,
                         and wrapped-mode record plaintexts (flag byte first)
  corpus/fuzz_folders/   decrypted get_folders answers (folder keys and names
                         that open with fuzz_folders.c's keys) and
                         wrapped-mode folder-name plaintexts
  corpus/fuzz_config_import/  ksmctl init --config-file inputs (JSON, base64,
                          keeper.ini, "ksm profile export") with a real key
  corpus/fuzz_config/    client.json / KSM_CONFIG texts with a real P-256
                         device key (the SDKs' 138-byte PKCS#8 layout)

    tests/fuzz/make-seeds.py        (needs python3-cryptography)

The output is deterministic (fixed keys, IVs and device scalar), so running
it again changes nothing. Keep the constants in step with fuzz_response.c.
"""
import base64
import json
import os

from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz_response.c: key[i] = base + i, GCM IV twelve 0x11 bytes.
def key(base):
    return bytes((base + i) & 0xFF for i in range(32))

TOKEN_KEY, APP_KEY, RECORD_KEY = key(0x01), key(0x40), key(0x80)
FOLDER_KEY, FILE_KEY, WRONG_KEY = key(0xA0), key(0xC0), key(0xE0)
IV = b"\x11" * 12

RECORD_UID = "AbCdEfGhIjKlMnOpQrStUv"
FOLDER_UID = "FoLdErUiDaBcDeFgHiJkLm"
FILE_UID = "FiLeUiDaBcDeFgHiJkLmNo"

F_WRAPPED, F_BINDING, F_FOLDER, F_TWICE = 1, 2, 4, 8


def b64(b):
    return base64.b64encode(b).decode()


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def seal(k, pt):
    if isinstance(pt, str):
        pt = pt.encode()
    return b64(IV + AESGCM(k).encrypt(IV, pt, None))


CBC_IV = b"\x22" * 16


def cbc(k, pt):
    if isinstance(pt, str):
        pt = pt.encode()
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(k), modes.CBC(CBC_IV)).encryptor()
    return b64(CBC_IV + e.update(p.update(pt) + p.finalize()) + e.finalize())


def compact(o):
    return json.dumps(o, separators=(",", ":"))


LOGIN = {
    "type": "login", "title": "T", "notes": "n",
    "fields": [
        {"type": "login", "value": ["alice"]},
        {"type": "password", "value": ["pw"]},
        {"type": "url", "value": ["https://example.com"]},
        {"type": "fileRef", "value": [FILE_UID]},
        {"type": "oneTimeCode", "value": ["otpauth://totp/x?secret=GEZDGNBV"]},
    ],
    "custom": [{"type": "text", "label": "text", "value": ["a"]}],
}
SSH = {
    "type": "sshKeys", "title": "srv",
    "fields": [
        {"type": "login", "value": ["root"]},
        {"type": "keyPair", "value": [{"publicKey": "ssh-ed25519 AAAA",
                                       "privateKey": "-----BEGIN-----"}]},
        {"type": "host", "value": [{"hostName": "h", "port": "22"}]},
    ],
    "custom": [{"type": "phone", "value": [{"number": "1"}, {"number": "2"}]}],
}
REAL2 = {
    "title": "RECoRD 2", "type": "login",
    "fields": [{"type": "passkey", "value": []},
               {"type": "login", "value": ["login value"]},
               {"type": "password", "value": ["Lex1S++Wx6g^,LC.(Vp<"]}],
    "custom": [], "notes": "h",
}
FILE_META = {"name": "id_rsa.pub", "title": "id_rsa.pub",
             "type": "application/octet-stream", "size": 42,
             "lastModified": 1700000000000}


def record(uid, wrap, data, files=(), pad=0, **extra):
    r = {"recordUid": uid, "recordKey": seal(wrap, RECORD_KEY),
         "data": seal(RECORD_KEY, compact(data) + " " * pad),
         "revision": 3, "isEditable": False}
    if files:
        r["files"] = [{"fileUid": FILE_UID, "fileKey": seal(RECORD_KEY, FILE_KEY),
                       "data": seal(FILE_KEY, compact(m)), "size": 42,
                       "url": "https://fuzz.invalid/f",
                       "thumbnailUrl": None} for m in files]
    r.update(extra)
    return r


def response_seeds():
    s = {}
    # Raw mode (flags 0): the decrypted answer itself.
    s["raw_records"] = (0, {
        "appData": "", "expiresOn": 1700000000000,
        "records": [record(RECORD_UID, APP_KEY, LOGIN, files=[FILE_META]),
                    record("ReAlReCoRd2aBcDeFgHiJk", APP_KEY, REAL2, pad=37)],
        "folders": [], "warnings": None})
    s["raw_folder"] = (0, {
        "records": [],
        "folders": [{"folderUid": FOLDER_UID,
                     "folderKey": seal(APP_KEY, FOLDER_KEY),
                     "records": [record(RECORD_UID, FOLDER_KEY, SSH,
                                        innerFolderUid="InNeRfOlDeRaBcDeFgHiJk")]}]})
    s["raw_bad"] = (0, {
        "records": [record("WrOnGkEyAbCdEfGhIjKlMn", WRONG_KEY, LOGIN),
                    {"recordUid": "NoKeyAbCdEfGhIjKlMnOpQ", "data": "AAAA"},
                    record(RECORD_UID, APP_KEY, {"fields": [{"type": "x", "value": "y"}]})],
        "folders": [{"folderUid": "x", "folderKey": "not base64!"}]})
    # Raw binding (flags 2): the first get_secret of an unbound client.
    s["raw_binding"] = (F_BINDING, {
        "encryptedAppKey": seal(TOKEN_KEY, APP_KEY),
        "appOwnerPublicKey": "BOwnerKeyNotCheckedByTheClient",
        "records": [record(RECORD_UID, APP_KEY, LOGIN)]})
    s["raw_binding_bad"] = (F_BINDING, {"encryptedAppKey": seal(WRONG_KEY, APP_KEY)})
    # Links as Keeper sends them (plain base64 JSON; jit_settings under the
    # record key; one under another key; data that is no base64), appData
    # under the app key, warnings.
    plain = base64.b64encode(compact({"is_admin": True,
                                      "rotation_settings": {"noop": True}}).encode()).decode()
    s["raw_links"] = (0, {
        "appData": b64u(base64.b64decode(seal(APP_KEY, compact({"title": "Linux hosts",
                                                                  "type": "General"})))),
        "expiresOn": 1893456000000, "warnings": ["notice", 7, "bell\u0007"],
        "records": [record(RECORD_UID, APP_KEY, LOGIN, links=[
            {"recordUid": "MaChInEaBcDeFgHiJkLmNo", "data": plain, "path": None},
            {"recordUid": RECORD_UID, "path": "jit_settings",
             "data": seal(RECORD_KEY, compact({"createEphemeral": True}))},
            {"recordUid": RECORD_UID, "path": "ai_settings",
             "data": seal(WRONG_KEY, compact({"version": "v1"}))},
            {"recordUid": RECORD_UID, "path": "meta", "data": "not base64!"},
            {"recordUid": "bad uid", "data": plain},
            {"path": "meta"}, "x"])]})
    return s


def write_response():
    out = os.path.join(HERE, "corpus", "fuzz_response")
    os.makedirs(out, exist_ok=True)
    for name, (flags, obj) in response_seeds().items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes([flags]) + compact(obj).encode())
    # Wrapped mode: flag byte, record plaintext [NUL file metadata].
    wrapped = {
        "wrap_login": (F_WRAPPED, compact(LOGIN), None),
        "wrap_login_file": (F_WRAPPED, compact(LOGIN), compact(FILE_META)),
        "wrap_ssh_folder": (F_WRAPPED | F_FOLDER, compact(SSH), None),
        "wrap_real2_binding_twice": (F_WRAPPED | F_BINDING | F_TWICE,
                                     compact(REAL2) + " " * 20, None),
        "wrap_all_flags": (F_WRAPPED | F_BINDING | F_FOLDER | F_TWICE,
                           compact(SSH), compact(FILE_META)),
    }
    for name, (flags, rec, meta) in wrapped.items():
        data = bytes([flags]) + rec.encode()
        if meta is not None:
            data += b"\0" + meta.encode()
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


def write_folders():
    """fuzz_folders.c: folder k's key is bytes(0xA0 + 16k + i)."""
    out = os.path.join(HERE, "corpus", "fuzz_folders")
    os.makedirs(out, exist_ok=True)
    fk = [bytes((0xA0 + 16 * k + i) & 0xFF for i in range(32)) for k in range(6)]
    S, A, B, X = "ShArEdFoLdErAbCdEfGhIj", "SuBfOlDeRaAbCdEfGhIjKl", \
        "SuBfOlDeRbAbCdEfGhIjKl", "OtHeRsHaReDaBcDeFgHiJk"
    tree = {"folders": [
        {"folderUid": S, "folderKey": seal(APP_KEY, fk[0]),
         "data": cbc(fk[0], compact({"name": "Linux servers"}))},
        {"folderUid": A, "parent": S, "folderKey": cbc(fk[0], fk[1]),
         "data": cbc(fk[1], compact({"name": "prod"}))},
        # A subfolder's key is under its root shared folder's, not its parent's.
        {"folderUid": B, "parent": A, "folderKey": cbc(fk[0], fk[2]),
         "data": cbc(fk[2], compact({"name": "db", "color": "red"}))},
        {"folderUid": X, "folderKey": seal(APP_KEY, fk[3]), "parent": "",
         "data": cbc(fk[3], "{\"name\":\"\\u00e9t\\u00e9\"}   ")},
    ]}
    bad = {"folders": [
        {"folderUid": S, "folderKey": seal(WRONG_KEY, fk[0]), "data": "AAAA"},
        {"folderUid": A, "parent": S, "folderKey": cbc(fk[0], fk[1])},
        {"folderUid": "SeLfPaReNtAbCdEfGhIjKl", "parent": "SeLfPaReNtAbCdEfGhIjKl",
         "folderKey": cbc(fk[0], fk[4])},
        {"folderUid": "OrPhAnAbCdEfGhIjKlMnOp", "parent": "nowhere",
         "folderKey": cbc(fk[0], fk[5])},
        {"parent": S}, 7, None,
        {"folderUid": X, "folderKey": seal(APP_KEY, fk[3]),
         "data": cbc(fk[3], "[1,2]")},
    ]}
    for name, obj in {"raw_tree": tree, "raw_bad": bad,
                      "raw_empty": {"folders": []},
                      "raw_not_array": {"folders": {"x": 1}}}.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(b"\0" + compact(obj).encode())
    wrapped = {
        "wrap_names": [{"name": "Linux servers"}, {"name": "prod"},
                       {"name": "db"}, {"name": "c"}, {"name": "d"}],
        "wrap_odd": [{"name": 5}, {"title": "x"}, "just a string"],
    }
    for name, parts in wrapped.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(b"\1" + b"\0".join(compact(p).encode() for p in parts))


def pkcs8_138(scalar):
    """The SDKs' layout: our own prefix + scalar + marker + public point."""
    priv = ec.derive_private_key(scalar, ec.SECP256R1())
    der = priv.private_bytes(serialization.Encoding.DER,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    assert len(der) == 138, len(der)
    return der


def write_config():
    out = os.path.join(HERE, "corpus", "fuzz_config")
    os.makedirs(out, exist_ok=True)
    der = pkcs8_138(0x1F2E3D4C5B6A79880123456789ABCDEF0F1E2D3C4B5A69788796A5B4C3D2E1F0)
    client_id = b64(bytes(range(64)))
    bound = {
        "hostname": "keepersecurity.com",
        "clientId": client_id,
        "privateKey": b64(der),
        "appKey": b64(APP_KEY),
        "serverPublicKeyId": "10",
        "appOwnerPublicKey": "BOwnerKeyNotCheckedByTheClient",
    }
    unbound = {
        "hostname": "fuzz.invalid:8443",
        "clientId": client_id,
        "privateKey": b64(der),
        "clientKey": b64(TOKEN_KEY),
        "serverPublicKeyId": 99,
        "serverPublicKey": b64u(b"\x04" + bytes(range(1, 65))),
    }
    seeds = {
        "bound.json": json.dumps(bound, indent=4) + "\n",
        "unbound.json": json.dumps(unbound),
        "ksm_config_b64.txt": b64(json.dumps(bound).encode()) + "\n",
        "ksm_config_b64url.txt": b64u(json.dumps(unbound).encode()),
        "bad_appkey.json": json.dumps(dict(bound, appKey="c2hvcnQ=")),
        "nested.json": '{"hostname":"h","clientId":{"x":1},"privateKey":null}',
    }
    for name, text in seeds.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)


def write_config_import():
    """ksmctl init --config-file inputs: the SDKs' JSON, base64 of it, and
    the ksm CLI's keeper.ini (as configparser writes it), plain and base64."""
    import configparser
    import io
    out = os.path.join(HERE, "corpus", "fuzz_config_import")
    os.makedirs(out, exist_ok=True)
    der = pkcs8_138(0x2F2E3D4C5B6A79880123456789ABCDEF0F1E2D3C4B5A69788796A5B4C3D2E1F0)
    bound = {
        "hostname": "EU",
        "clientId": b64(bytes(range(64))),
        "privateKey": b64(der),
        "appKey": b64u(APP_KEY),
        "serverPublicKeyId": "10",
        "appOwnerPublicKey": "BOwnerKeyNotCheckedByTheClient",
    }

    def ini(profiles, active="_default"):
        c = configparser.ConfigParser(allow_no_value=True)
        c["_config"] = {"active_profile": active, "color": "True",
                        "cache": "False", "record_type_dir": None,
                        "editor": None}
        for name, p in profiles.items():
            c[name] = {"clientid": p["clientId"], "privatekey": p["privateKey"],
                       "appkey": p["appKey"], "hostname": p["hostname"],
                       "appownerpublickey": p["appOwnerPublicKey"],
                       "serverpublickeyid": p["serverPublicKeyId"]}
        f = io.StringIO()
        c.write(f)
        return f.getvalue()

    one = ini({"_default": bound})
    two = ini({"App1": dict(bound, hostname="https://keepersecurity.com/x"),
               "App2": dict(bound, hostname="localhost:8443")}, active="App2")
    seeds = {
        "sdk.json": json.dumps(dict(bound, hostname="keepersecurity.com"), indent=4),
        "sdk_b64.txt": b64u(json.dumps(bound).encode()) + "\n",
        "keeper.ini": one,
        "profile_export.txt": b64u(one.encode()) + "\n",
        "two_profiles.ini": two,
        "wrapped_b64.txt": "\n".join(b64(one.encode())[i:i + 76]
                                      for i in range(0, len(b64(one.encode())), 76)),
        "unbound.json": json.dumps(dict(bound, clientKey="AAAA", appKey=None)),
        "storage.ini": "[_default]\nstorage = aws\nclientid = x\n",
    }
    for name, text in seeds.items():
        with open(os.path.join(out, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    write_response()
    write_folders()
    write_config()
    write_config_import()
