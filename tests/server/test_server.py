#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Self-test of tests/server/ksm-server with a minimal independent KSM client.

The client below is written from docs/protocol.md only (it shares no code with the
server): ECIES transmission key, GCM body, ECDSA signature, binding, decryption chain.
Run: /usr/bin/python3 tests/server/test_server.py   (about 10 s)
"""

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "ksm-server")
ADMIN = os.path.join(HERE, "ksm-server-admin")

FOLDER = "Fo1derSharedAAAAAAAAAA"
SUBFOLDER = "Fo1derSubBBBBBBBBBBBBA"
RO_FOLDER = "Fo1derReadOnlyCCCCCCCA"
EMPTY_FOLDER = "Fo1derEmptyDDDDDDDDDDA"
ALICE = "RecAliceAAAAAAAAAAAAAA"
BOB = "RecBobBBBBBBBBBBBBBBBA"
TOP = "RecTopCCCCCCCCCCCCCCCA"
RO_REC = "RecReadOnlyDDDDDDDDDDA"
FILE_CONTENT = b"ssh-ed25519 AAAA test@host\n"

VAULT = {
    "applications": [
        {"name": "test-app", "shares": [{"folder": FOLDER, "editable": True},
                                        {"folder": RO_FOLDER, "editable": False},
                                        {"folder": EMPTY_FOLDER, "editable": True},
                                        {"record": TOP, "editable": True}],
         "warnings": ["Test notice"]},
        {"name": "other-app", "shares": [{"record": TOP, "editable": False}]}],
    "folders": [{"uid": FOLDER, "name": "Linux"},
                {"uid": SUBFOLDER, "name": "Admins", "parent": FOLDER},
                {"uid": RO_FOLDER, "name": "ReadOnly"},
                {"uid": EMPTY_FOLDER, "name": "Empty"}],
    "records": [
        {"uid": ALICE, "folder": FOLDER,
         "data": {"type": "pamUser", "title": "alice", "notes": "",
                  "fields": [{"type": "login", "value": ["alice"]},
                             {"type": "password", "value": ["alice-pw-1"]}],
                  "custom": [{"type": "text", "label": "uid", "value": ["2001"]}]},
         "files": [{"name": "id.pub", "title": "pub key", "type": "text/plain",
                    "content_b64": base64.b64encode(FILE_CONTENT).decode()}],
         # Keeper's link shapes: a credential link (by title), a self-link with
         # encrypted settings, a meta link without data, data served verbatim.
         "links": [{"recordUid": "top", "data": {"is_admin": True,
                                                 "rotation_settings": {"noop": True}}},
                   {"recordUid": ALICE, "path": "jit_settings",
                    "data": {"createEphemeral": False, "elevationMethod": "group"}},
                   {"recordUid": ALICE, "path": "meta"},
                   {"recordUid": BOB, "data_b64": "bm90IGpzb24="}]},
        {"uid": BOB, "folder": SUBFOLDER,
         "data": {"type": "login", "title": "bob",
                  "fields": [{"type": "login", "value": ["bob"]},
                             {"type": "password", "value": ["bob-pw-1"]}]}},
        {"uid": TOP, "data": {"type": "login", "title": "top",
                              "fields": [{"type": "password", "value": ["top-pw"]}]}},
        {"uid": RO_REC, "folder": RO_FOLDER,
         "data": {"type": "login", "title": "ro",
                  "fields": [{"type": "password", "value": ["ro-pw"]}]}},
        {"folder": FOLDER, "data": {"type": "login", "title": "generated-uid", "fields": []}}],
}


# --- minimal independent client ----------------------------------------------------------

def b64d(s):
    s = s.replace("-", "+").replace("_", "/")
    return base64.b64decode(s + "=" * (-len(s) % 4))


def gcm_enc(key, data):
    iv = os.urandom(12)
    return iv + AESGCM(key).encrypt(iv, data, None)


def gcm_dec(key, blob):
    return AESGCM(key).decrypt(blob[:12], blob[12:], None)


def cbc_enc(key, data):
    iv = os.urandom(16)
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + e.update(p.update(data) + p.finalize()) + e.finalize()


def cbc_dec(key, blob):
    d = Cipher(algorithms.AES(key), modes.CBC(blob[:16])).decryptor()
    u = padding.PKCS7(128).unpadder()
    return u.update(d.update(blob[16:]) + d.finalize()) + u.finalize()


def point(key):
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


class Reply:
    def __init__(self, status, raw, tk):
        self.status, self.raw = status, raw
        self.json = None
        if status == 200 and raw:
            self.json = json.loads(gcm_dec(tk, raw))
        elif status != 200 and raw[:1] == b"{":
            self.json = json.loads(raw)

    @property
    def error(self):
        return (self.json or {}).get("error")


class Client:
    def __init__(self, info, token, version="mp17.3.0"):
        self.info = info
        self.token = b64d(token)
        self.client_id = base64.b64encode(hmac.new(
            self.token, b"KEEPER_SECRETS_MANAGER_CLIENT_ID", hashlib.sha512).digest()).decode()
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.app_key = None
        self.version = version
        self.server_point = b64d(info["server_public_key"])
        self.ctx = ssl.create_default_context(cafile=info["ca_file"])
        self.timeout = 5

    def _conn(self):
        host, port = self.info["hostname"].rsplit(":", 1)
        return http.client.HTTPSConnection(host, int(port), context=self.ctx,
                                           timeout=self.timeout)

    def post(self, endpoint, payload, key_id=None, sign_key=None, python_style=False):
        tk = os.urandom(32)
        eph = ec.generate_private_key(ec.SECP256R1())
        server_pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                                  self.server_point)
        shared = hashlib.sha256(eph.exchange(ec.ECDH(), server_pub)).digest()
        enc_tk = point(eph) + gcm_enc(shared, tk)
        full = {"clientVersion": self.version, "clientId": self.client_id}
        full.update(payload)
        text = json.dumps(full, indent=4) if python_style else \
            json.dumps({k: v for k, v in full.items() if v is not None}, separators=(",", ":"))
        body = gcm_enc(tk, text.encode())
        sig = (sign_key or self.key).sign(enc_tk + body, ec.ECDSA(hashes.SHA256()))
        headers = {"Content-Type": "application/octet-stream",
                   "PublicKeyId": key_id or self.info["server_public_key_id"],
                   "TransmissionKey": base64.b64encode(enc_tk).decode(),
                   "Authorization": "Signature " + base64.b64encode(sig).decode()}
        conn = self._conn()
        try:
            conn.request("POST", "/api/rest/sm/v1/" + endpoint, body, headers)
            resp = conn.getresponse()
            return Reply(resp.status, resp.read(), tk)
        finally:
            conn.close()

    def get_secret(self, **extra):
        payload = dict(extra)
        if self.app_key is None:
            payload["publicKey"] = base64.b64encode(point(self.key)).decode()
        r = self.post("get_secret", payload)
        if r.status == 200 and r.json.get("encryptedAppKey"):
            self.app_key = gcm_dec(self.token, b64d(r.json["encryptedAppKey"]))
        return r

    def records(self, reply):
        """{uid: (record json, decrypted data, record key)} from a get_secret reply."""
        out = {}
        for rec in reply.json.get("records") or []:
            rk = gcm_dec(self.app_key, b64d(rec["recordKey"]))
            out[rec["recordUid"]] = (rec, json.loads(gcm_dec(rk, b64d(rec["data"]))), rk)
        for folder in reply.json.get("folders") or []:
            fk = gcm_dec(self.app_key, b64d(folder["folderKey"]))
            for rec in folder["records"]:
                rk = gcm_dec(fk, b64d(rec["recordKey"]))
                out[rec["recordUid"]] = (rec, json.loads(gcm_dec(rk, b64d(rec["data"]))), rk)
        return out

    def record(self, uid):
        r = self.get_secret(requestedRecords=[uid])
        assert r.status == 200, r.raw
        return self.records(r)[uid]

    def update(self, uid, data, revision, rkey, ttype=None, b64_alphabet="url"):
        blob = gcm_enc(rkey, json.dumps(data).encode())
        enc = base64.urlsafe_b64encode(blob).rstrip(b"=") if b64_alphabet == "url" \
            else base64.b64encode(blob)
        payload = {"recordUid": uid, "data": enc.decode(), "revision": revision}
        if ttype:
            payload["transactionType"] = ttype
        return self.post("update_secret", payload)


# --- harness -----------------------------------------------------------------------------

def admin(state, *args):
    return subprocess.run([ADMIN, "--state", state] + list(args), check=True,
                          capture_output=True, text=True).stdout.strip()


class ServerProcess:
    def __init__(self, vault_path, state):
        self.vault_path, self.state = vault_path, state
        self.proc = None

    def start(self):
        try:
            os.unlink(os.path.join(self.state, "server.json"))
        except FileNotFoundError:
            pass
        self.log = open(os.path.join(os.path.dirname(self.state), "server.log"), "ab")
        self.proc = subprocess.Popen([SERVER, "--vault", self.vault_path, "--state", self.state],
                                     stderr=self.log)
        path = os.path.join(self.state, "server.json")
        for _ in range(100):
            if os.path.exists(path):
                with open(path) as f:
                    self.info = json.load(f)
                return self.info
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("ksm-server did not start")

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(5)
        self.log.close()
        return rc


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ksm-selftest.")
        cls.state = os.path.join(cls.tmp, "state")
        vault_path = os.path.join(cls.tmp, "vault.json")
        with open(vault_path, "w") as f:
            json.dump(VAULT, f)
        cls.server = ServerProcess(vault_path, cls.state)
        cls.info = cls.server.start()
        cls.client = cls.new_client()
        assert cls.client.get_secret().status == 200

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        ctl = os.path.join(self.state, "control.json")
        if os.path.exists(ctl) and json.load(open(ctl))["mode"] != "none":
            admin(self.state, "fault", "none")

    @classmethod
    def new_client(cls, app="test-app", **kw):
        return Client(cls.info, admin(cls.state, "token", "--app", app), **kw)

    # --- setup / files ---
    def test_server_json(self):
        self.assertEqual(self.info["server_public_key_id"], "99")
        self.assertEqual(len(b64d(self.info["server_public_key"])), 65)
        self.assertTrue(os.path.isabs(self.info["ca_file"]))
        self.assertRegex(self.info["hostname"], r"^127\.0\.0\.1:\d+$")
        ctx = ssl.create_default_context(cafile=self.info["ca_file"])
        port = int(self.info["hostname"].rsplit(":", 1)[1])
        with socket.create_connection(("localhost", port)) as s:
            with ctx.wrap_socket(s, server_hostname="localhost"):
                pass  # certificate valid for the DNS name too

    # --- binding ---
    def test_binding_response(self):
        c = self.new_client()
        r = c.get_secret()
        self.assertEqual(r.status, 200)
        self.assertEqual(len(b64d(r.json["encryptedAppKey"])), 60)
        self.assertEqual(len(b64d(r.json["appOwnerPublicKey"])), 65)
        self.assertTrue(r.json["encryptedAppKey"].endswith("=") or
                        len(r.json["encryptedAppKey"]) % 4 == 0)
        app_data = gcm_dec(c.app_key, b64d(r.json["appData"]))
        self.assertEqual(len(app_data) % 384, 0)
        self.assertEqual(json.loads(app_data), {"title": "test-app", "type": "app"})
        r2 = c.get_secret()
        self.assertEqual(r2.status, 200)
        self.assertIsNone(r2.json["encryptedAppKey"])
        self.assertIsNone(r2.json["appOwnerPublicKey"])

    def test_token_reuse_with_new_key_denied(self):
        c = self.new_client()
        self.assertEqual(c.get_secret().status, 200)
        thief = Client(self.info, base64.urlsafe_b64encode(c.token).decode())
        r = thief.get_secret()
        self.assertEqual((r.status, r.error), (403, "access_denied"))
        self.assertEqual(r.json["message"], "Signature is invalid")

    def test_failed_binding_consumes_token(self):
        c = self.new_client()
        other = ec.generate_private_key(ec.SECP256R1())
        payload = {"publicKey": base64.b64encode(point(c.key)).decode()}
        r = c.post("get_secret", payload, sign_key=other)
        self.assertEqual((r.status, r.json["message"]), (403, "Signature is invalid"))
        r = c.get_secret()  # now correctly signed, but the token is gone
        self.assertEqual((r.status, r.error), (403, "access_denied"))
        self.assertEqual(r.json["message"], "Unable to validate application access")

    def test_revoke(self):
        c = self.new_client()
        self.assertEqual(c.get_secret().status, 200)
        out = admin(self.state, "revoke", "--client", c.client_id[:12])
        self.assertEqual(out, "%s test-app" % c.client_id[:8])
        for endpoint in ("get_secret", "get_folders"):
            r = c.post(endpoint, {})
            self.assertEqual((r.status, r.error), (403, "access_denied"))
            self.assertEqual(r.json["message"], "Unable to validate application access")
            self.assertEqual(r.json["additional_info"], "client revoked")
        self.assertEqual(self.client.get_secret().status, 200)  # the others are untouched
        fresh = self.new_client()  # an unused token, revoked: it cannot bind
        admin(self.state, "revoke", "--client", fresh.client_id)
        self.assertEqual(fresh.get_secret().error, "access_denied")
        for prefix in ("", "no-such-client"):
            p = subprocess.run([ADMIN, "--state", self.state, "revoke", "--client", prefix],
                               capture_output=True)
            self.assertNotEqual(p.returncode, 0)

    def test_binding_requires_public_key(self):
        c = self.new_client()
        r = c.post("get_secret", {})
        self.assertEqual((r.status, r.error), (403, "access_denied"))

    def test_binding_only_through_get_secret(self):
        c = self.new_client()
        r = c.post("get_folders", {"publicKey": base64.b64encode(point(c.key)).decode()})
        self.assertEqual((r.status, r.error), (403, "access_denied"))
        self.assertEqual(c.get_secret().status, 200)  # the token was not used up

    def test_unknown_client(self):
        c = Client(self.info, base64.urlsafe_b64encode(os.urandom(32)).decode())
        r = c.get_secret()
        self.assertEqual((r.status, r.error), (403, "access_denied"))
        self.assertEqual(r.json["message"], "Unable to validate application access")
        for key in ("path", "additional_info", "location", "error", "message"):
            self.assertIn(key, r.json)

    def test_signature_checked_after_binding(self):
        r = self.client.post("get_secret", {}, sign_key=ec.generate_private_key(ec.SECP256R1()))
        self.assertEqual((r.status, r.json["message"]), (403, "Signature is invalid"))

    def test_client_version(self):
        c = self.new_client(version="mc1.0.0")
        r = c.get_secret()
        self.assertEqual((r.status, r.error), (403, "invalid_client_version"))
        self.assertTrue(r.json["additional_info"])
        self.assertEqual(self.new_client(version="ms17.5.0").get_secret().status, 200)

    def test_wrong_key_id(self):
        r = self.client.post("get_secret", {}, key_id="10")
        self.assertEqual(r.error, "key")
        self.assertEqual(r.json["key_id"], 99)

    # --- get_secret content ---
    def test_records_and_folders(self):
        r = self.client.get_secret()
        recs = self.client.records(r)
        self.assertEqual(set(recs) - {ALICE, BOB, TOP, RO_REC}, {next(
            u for u in recs if recs[u][1]["title"] == "generated-uid")})
        self.assertEqual(len(next(iter(recs.values()))[0]["recordUid"]), 22)
        top = r.json["records"]
        self.assertEqual([x["recordUid"] for x in top], [TOP])
        folders = {f["folderUid"]: f for f in r.json["folders"]}
        self.assertEqual(set(folders), {FOLDER, RO_FOLDER, EMPTY_FOLDER})
        self.assertEqual(folders[EMPTY_FOLDER]["records"], [])
        for f in folders.values():
            self.assertIsNone(f["data"])
            self.assertIsNone(f["parent"])
            self.assertIsInstance(f["records"], list)
        self.assertFalse(folders[RO_FOLDER]["isEditable"])
        rec, data, rkey = recs[ALICE]
        self.assertEqual(data["fields"][1]["value"], ["alice-pw-1"])
        self.assertIsInstance(rec["revision"], int)
        self.assertTrue(rec["isEditable"])
        self.assertIsNone(rec["innerFolderUid"])
        self.assertEqual(recs[BOB][0]["innerFolderUid"], SUBFOLDER)
        self.assertIsNone(recs[BOB][0]["files"])
        self.assertEqual(len(gcm_dec(rkey, b64d(rec["data"]))) % 384, 0)  # padded
        self.assertFalse(recs[RO_REC][0]["isEditable"])

    def test_file_download(self):
        rec, data, rkey = self.client.record(ALICE)
        f = rec["files"][0]
        fkey = gcm_dec(rkey, b64d(f["fileKey"]))
        meta = json.loads(gcm_dec(fkey, b64d(f["data"])))
        self.assertEqual(meta["name"], "id.pub")
        self.assertEqual(meta["size"], len(FILE_CONTENT))
        fileref = next(x for x in data["fields"] if x["type"] == "fileRef")
        self.assertEqual(fileref["value"], [f["fileUid"]])
        self.assertTrue(f["url"].startswith("https://127.0.0.1:"))
        conn = self.client._conn()
        conn.request("GET", f["url"].split("/", 3)[3] and "/" + f["url"].split("/", 3)[3])
        blob = conn.getresponse().read()
        conn.close()
        self.assertEqual(gcm_dec(fkey, blob), FILE_CONTENT)

    def test_filters(self):
        r = self.client.get_secret(requestedRecords=[BOB])
        self.assertEqual(list(self.client.records(r)), [BOB])
        r = self.client.get_secret(requestedFolders=[RO_FOLDER])
        self.assertEqual(list(self.client.records(r)), [RO_REC])
        r = self.client.get_secret(requestedFolders=[SUBFOLDER])
        self.assertEqual(list(self.client.records(r)), [BOB])

    def test_python_style_payload_with_nulls(self):
        payload = {"publicKey": None, "requestedRecords": None, "requestedFolders": None,
                   "requestLinks": None}
        r = self.client.post("get_secret", payload, python_style=True)
        self.assertEqual(r.status, 200)
        self.assertGreaterEqual(len(self.client.records(r)), 5)

    def test_request_links(self):
        r = self.client.get_secret(requestedRecords=[TOP], requestLinks=True)
        self.assertEqual(r.json["records"][0]["links"], [])
        r = self.client.get_secret(requestedRecords=[ALICE], requestLinks=True)
        rec, _, rkey = self.client.records(r)[ALICE]
        links = rec["links"]
        self.assertEqual([(l["recordUid"], l["path"]) for l in links],
                         [(TOP, None), (ALICE, "jit_settings"), (ALICE, "meta"), (BOB, None)])
        self.assertEqual(json.loads(base64.b64decode(links[0]["data"], validate=True)),
                         {"is_admin": True, "rotation_settings": {"noop": True}})
        # jit_settings: GCM under the owning record's key, standard base64.
        jit = base64.b64decode(links[1]["data"], validate=True)
        self.assertNotEqual(jit[:1], b"{")
        self.assertEqual(json.loads(gcm_dec(rkey, jit)),
                         {"createEphemeral": False, "elevationMethod": "group"})
        self.assertIsNone(links[2]["data"])
        self.assertEqual(links[3]["data"], "bm90IGpzb24=")
        # Without requestLinks: no links member at all.
        r = self.client.get_secret(requestedRecords=[ALICE])
        self.assertNotIn("links", r.json["folders"][0]["records"][0])

    def test_expires_on_and_warnings(self):
        r = self.client.get_secret()
        self.assertEqual(r.json["expiresOn"], 0)
        self.assertEqual(r.json["warnings"], ["Test notice"])
        c = Client(self.info, admin(self.state, "token", "--app", "test-app",
                                    "--expires-on", "1893456000000"))
        self.assertEqual(c.get_secret().json["expiresOn"], 1893456000000)
        self.assertEqual(c.get_secret().json["expiresOn"], 1893456000000)
        other = self.new_client(app="other-app")
        self.assertIsNone(other.get_secret().json["warnings"])
        admin(self.state, "warnings", "--app", "other-app", "one", "two")
        self.assertEqual(other.get_secret().json["warnings"], ["one", "two"])
        admin(self.state, "warnings", "--app", "other-app")
        self.assertIsNone(other.get_secret().json["warnings"])

    def test_other_app_sees_only_its_share(self):
        c = self.new_client(app="other-app")
        r = c.get_secret()
        self.assertEqual(list(c.records(r)), [TOP])
        self.assertIsNone(r.json["folders"])

    def test_get_folders(self):
        r = self.client.post("get_folders", {})
        self.assertEqual(r.status, 200)
        known = (FOLDER, SUBFOLDER, RO_FOLDER)  # other tests may have added folders
        folders = [f for f in r.json["folders"] if f["folderUid"] in known]
        self.assertEqual([f["folderUid"] for f in folders], [FOLDER, SUBFOLDER, RO_FOLDER])
        keys = {}
        for f in folders:
            if f["parent"]:
                keys[f["folderUid"]] = cbc_dec(keys[f["parent"]], b64d(f["folderKey"]))
            else:
                keys[f["folderUid"]] = gcm_dec(self.client.app_key, b64d(f["folderKey"]))
            f["name"] = json.loads(cbc_dec(keys[f["folderUid"]], b64d(f["data"])))["name"]
        self.assertEqual([f["name"] for f in folders], ["Linux", "Admins", "ReadOnly"])

    # --- writes ---
    def _set_password(self, uid, value, ttype=None, **kw):
        rec, data, rkey = self.client.record(uid)
        next(f for f in data["fields"] if f["type"] == "password")["value"] = [value]
        return rec, self.client.update(uid, data, rec["revision"], rkey, ttype, **kw)

    def _password(self, uid):
        rec, data, _ = self.client.record(uid)
        return rec["revision"], next(f for f in data["fields"] if f["type"] == "password")[
            "value"][0]

    def test_plain_update_with_std_b64(self):
        rec, r = self._set_password(BOB, "bob-pw-2", b64_alphabet="std")
        self.assertEqual((r.status, r.raw), (200, b""))
        rev, pw = self._password(BOB)
        self.assertEqual(pw, "bob-pw-2")
        self.assertGreater(rev, rec["revision"])

    def test_rotation_finalize(self):
        old_rev, old_pw = self._password(ALICE)
        _, r = self._set_password(ALICE, "rotated-1", "rotation")
        self.assertEqual(r.status, 200)
        self.assertEqual(self._password(ALICE), (old_rev, old_pw))  # staged, not visible
        r = self.client.post("finalize_secret_update", {"recordUid": ALICE})
        self.assertEqual(r.status, 200)
        rev, pw = self._password(ALICE)
        self.assertEqual(pw, "rotated-1")
        self.assertGreater(rev, old_rev)

    def test_rotation_rollback(self):
        before = self._password(TOP)
        _, r = self._set_password(TOP, "never", "rotation")
        self.assertEqual(r.status, 200)
        r = self.client.post("rollback_secret_update", {"recordUid": TOP})
        self.assertEqual(r.status, 200)
        self.assertEqual(self._password(TOP), before)
        r = self.client.post("rollback_secret_update", {"recordUid": TOP})
        self.assertEqual(r.status, 400)  # nothing pending any more

    def test_pending_transaction_blocks_update(self):
        _, r = self._set_password(ALICE, "pending", "general")
        self.assertEqual(r.status, 200)
        _, r = self._set_password(ALICE, "second")
        self.assertEqual((r.status, r.error), (400, "transaction_pending"))
        self.client.post("rollback_secret_update", {"recordUid": ALICE})

    def test_revision_conflict(self):
        rec, data, rkey = self.client.record(BOB)
        self.assertEqual(self.client.update(BOB, data, rec["revision"], rkey).status, 200)
        r = self.client.update(BOB, data, rec["revision"], rkey)  # same, now stale
        self.assertEqual((r.status, r.error), (400, "invalid_revision"))

    def test_readonly_update_denied(self):
        rec, data, rkey = self.client.record(RO_REC)
        r = self.client.update(RO_REC, data, rec["revision"], rkey)
        self.assertEqual((r.status, r.error), (403, "access_denied"))

    def test_create_and_delete_secret(self):
        self.client.record(ALICE)
        fk = gcm_dec(self.client.app_key, b64d(next(
            f for f in self.client.get_secret().json["folders"]
            if f["folderUid"] == FOLDER)["folderKey"]))
        uid = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        rk = os.urandom(32)
        data = {"type": "login", "title": "new", "fields": [{"type": "login", "value": ["n"]}]}
        r = self.client.post("create_secret", {
            "recordUid": uid, "recordKey": "", "folderUid": FOLDER,
            "folderKey": base64.b64encode(gcm_enc(fk, rk)).decode(),
            "data": base64.b64encode(gcm_enc(rk, json.dumps(data).encode())).decode(),
            "subFolderUid": SUBFOLDER})
        self.assertEqual(r.status, 200, r.raw)
        rec, got, _ = self.client.record(uid)
        self.assertEqual((got, rec["innerFolderUid"]), (data, SUBFOLDER))
        r = self.client.post("delete_secret", {"recordUids": [uid, RO_REC]})
        self.assertEqual([x["responseCode"] for x in r.json["records"]], ["ok", "access_denied"])
        self.assertEqual(self.client.get_secret(requestedRecords=[uid]).json["folders"], None)

    def test_create_folder(self):
        r = self.client.post("get_folders", {})
        root = gcm_dec(self.client.app_key, b64d(r.json["folders"][0]["folderKey"]))
        uid = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
        nk = os.urandom(32)
        r = self.client.post("create_folder", {
            "folderUid": uid, "sharedFolderUid": FOLDER,
            "sharedFolderKey": base64.urlsafe_b64encode(cbc_enc(root, nk)).decode(),
            "data": base64.urlsafe_b64encode(cbc_enc(nk, b'{"name": "made"}')).decode()})
        self.assertEqual(r.status, 200, r.raw)
        folders = self.client.post("get_folders", {}).json["folders"]
        self.assertIn((uid, FOLDER), [(f["folderUid"], f["parent"]) for f in folders])

    # --- admin ---
    def test_admin_set_field(self):
        old_rev, _ = self._password(TOP)
        out = admin(self.state, "set-field", "--record", TOP, "--field", "password",
                    "--value", "set-by-admin")
        rev, pw = self._password(TOP)
        self.assertEqual((pw, rev), ("set-by-admin", int(out)))
        self.assertGreater(rev, old_rev)
        admin(self.state, "set-field", "--record", ALICE, "--field", "uid", "--value", "2002")
        self.assertEqual(self.client.record(ALICE)[1]["custom"][0]["value"], ["2002"])

    def test_admin_add_and_delete_records(self):
        path = os.path.join(self.state, "more.json")
        new = {"uid": "RecAddedEEEEEEEEEEEEEA", "folder": FOLDER,
               "data": {"type": "login", "title": "added", "fields": []}}
        with open(path, "w") as f:
            json.dump({"records": [new]}, f)
        self.assertEqual(admin(self.state, "add-records", path), "1")
        recs = self.client.records(self.client.get_secret())
        self.assertEqual(recs[new["uid"]][1]["title"], "added")
        with self.assertRaises(subprocess.CalledProcessError):
            admin(self.state, "add-records", path)  # exists already
        with self.assertRaises(subprocess.CalledProcessError):
            admin(self.state, "delete-records", new["uid"], "RecNoSuchFFFFFFFFFFFFA")
        self.assertEqual(admin(self.state, "delete-records", new["uid"]), "1")
        self.assertNotIn(new["uid"], self.client.records(self.client.get_secret()))

    def test_admin_stats(self):
        admin(self.state, "stats", "--reset")
        self.client.get_secret()
        self.client.post("get_folders", {})
        self.client.get_secret()
        self.assertEqual(json.loads(admin(self.state, "stats")),
                         {"get_secret": 2, "get_folders": 1})

    # --- faults ---
    def test_fault_refuse(self):
        admin(self.state, "fault", "refuse")
        with self.assertRaises(ConnectionRefusedError):
            self.client.get_secret()
        admin(self.state, "fault", "none")
        self.assertEqual(self.client.get_secret().status, 200)

    def test_fault_blackhole(self):
        admin(self.state, "fault", "blackhole")
        c = Client(self.info, base64.urlsafe_b64encode(os.urandom(32)).decode())
        c.timeout = 0.5
        t0 = time.monotonic()
        with self.assertRaises((socket.timeout, TimeoutError)):
            c.get_secret()
        self.assertLess(time.monotonic() - t0, 2)
        # A hanging connection does not block the accept loop: TLS still completes.
        port = int(self.info["hostname"].rsplit(":", 1)[1])
        ctx = ssl.create_default_context(cafile=self.info["ca_file"])
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                pass
        admin(self.state, "fault", "none")
        self.assertEqual(self.client.get_secret().status, 200)

    def test_fault_delay(self):
        admin(self.state, "fault", "delay:0.4")
        t0 = time.monotonic()
        self.assertEqual(self.client.get_secret().status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)

    def test_fault_clock(self):
        ctx = ssl.create_default_context(cafile=self.info["ca_file"])
        host, port = self.info["hostname"].rsplit(":", 1)

        def date():
            conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
            try:
                conn.request("GET", "/nothing")
                resp = conn.getresponse()
                resp.read()
                return email.utils.parsedate_to_datetime(resp.getheader("Date")).timestamp()
            finally:
                conn.close()

        self.assertLess(abs(date() - time.time()), 5)
        admin(self.state, "fault", "clock:-3600")
        self.assertLess(abs(date() - (time.time() - 3600)), 5)
        self.assertEqual(self.client.get_secret().status, 200)
        admin(self.state, "fault", "none")
        with self.assertRaises(subprocess.CalledProcessError):
            admin(self.state, "fault", "clock:soon")

    def test_fault_throttle(self):
        admin(self.state, "fault", "throttle")
        r = self.client.get_secret()
        self.assertEqual((r.status, r.error), (403, "throttled"))
        self.assertNotIn("retry_after", r.json)
        admin(self.state, "fault", "throttle:7")
        r = self.client.get_secret()
        self.assertEqual((r.status, r.error, r.json["retry_after"]), (403, "throttled", 7))

    def test_fault_ratelimit(self):
        admin(self.state, "fault", "ratelimit:3/10s")
        got = [self.client.get_secret() for _ in range(5)]
        self.assertEqual([r.status for r in got], [200, 200, 200, 403, 403])
        self.assertEqual(got[3].error, "throttled")
        with self.assertRaises(subprocess.CalledProcessError):
            admin(self.state, "fault", "ratelimit:0/10s")
        admin(self.state, "fault", "ratelimit:100/0.2")
        time.sleep(0.3)
        self.assertEqual(self.client.get_secret().status, 200)

    def test_fault_http500(self):
        admin(self.state, "fault", "http500")
        self.assertEqual(self.client.get_secret().status, 500)

    def test_fault_corrupt(self):
        admin(self.state, "fault", "corrupt")
        with self.assertRaises(InvalidTag):
            self.client.get_secret()

    def test_fault_bad_signature(self):
        admin(self.state, "fault", "bad-signature")
        r = self.client.get_secret()
        self.assertEqual((r.status, r.error, r.json["message"]),
                         (403, "access_denied", "Signature is invalid"))

    def test_fault_key_once_and_always(self):
        admin(self.state, "fault", "key")
        r = self.client.get_secret()
        self.assertEqual((r.error, r.json["key_id"]), ("key", 99))
        self.assertEqual(self.client.get_secret().status, 200)  # once only
        admin(self.state, "fault", "key:always")
        self.assertEqual(self.client.get_secret().error, "key")
        self.assertEqual(self.client.get_secret().error, "key")

    def test_fault_unknown_mode_rejected(self):
        p = subprocess.run([ADMIN, "--state", self.state, "fault", "bogus"],
                           capture_output=True)
        self.assertNotEqual(p.returncode, 0)

    def test_concurrent_requests(self):
        results = []

        def run():
            results.append(self.client.get_secret().status)
        threads = [threading.Thread(target=run) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200] * 8)


class RestartTest(unittest.TestCase):
    def test_state_survives_restart(self):
        tmp = tempfile.mkdtemp(prefix="ksm-selftest.")
        try:
            state = os.path.join(tmp, "state")
            vault_path = os.path.join(tmp, "vault.json")
            with open(vault_path, "w") as f:
                json.dump(VAULT, f)
            srv = ServerProcess(vault_path, state)
            info = srv.start()
            c = Client(info, admin(state, "token", "--app", "test-app"))
            self.assertEqual(c.get_secret().status, 200)
            admin(state, "set-field", "--record", BOB, "--field", "password", "--value", "x")
            self.assertEqual(srv.stop(), 0)
            self.assertFalse(os.path.exists(os.path.join(state, "server.json")))
            info2 = srv.start()
            self.assertEqual(info2["server_public_key"], info["server_public_key"])
            c.info = info2
            rec, data, _ = c.record(BOB)
            self.assertEqual(data["fields"][1]["value"], ["x"])
            self.assertEqual(srv.stop(), 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=1)
