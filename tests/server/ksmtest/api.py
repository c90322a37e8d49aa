# SPDX-License-Identifier: MIT
"""KSM endpoint logic: request envelope verification, binding, and the endpoints.

Api.handle() takes one POST (endpoint name, headers, raw body) and returns
(status, body bytes, log info). Success bodies are GCM(transmission key, JSON) or empty;
errors are plaintext JSON shaped like the real server's (see the recorded transcript).
The whole request runs under the state-directory lock against a freshly loaded vault
state, so admin changes apply to the very next request.
"""

import email.parser
import email.policy
import json
import os
import re
import threading
import time
import traceback

from . import crypto
from .crypto import CryptoError, b64, b64u, unb64
from . import store
from .store import SERVER_KEY_ID

# Registered SDK prefixes (Python, JS, Java, .NET, Go, Ruby, Rust) followed by a version.
CLIENT_VERSION_RE = re.compile(r"^(mp|ms|mj|mn|mg|mb|mr)\d+(\.\d+){0,3}$")
TRANSACTION_TYPES = ("general", "rotation")
ENDPOINTS = ("get_secret", "get_folders", "update_secret", "finalize_secret_update",
             "rollback_secret_update", "create_secret", "delete_secret", "add_file",
             "create_folder", "update_folder", "delete_folder")


class ApiError(Exception):
    """An error answer: HTTP status + the JSON fields error/message/extras."""

    def __init__(self, status, error, message, additional_info="", **extra):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.additional_info, self.extra = additional_info, extra


def access_denied(message, info=""):
    return ApiError(403, "access_denied", message, info)


def bad_request(message, info=""):
    return ApiError(400, "bad_request", message, info)


def error_body(err, path):
    """Plaintext error JSON in the real server's key order."""
    obj = {"path": path, "additional_info": err.additional_info,
           "location": "default exception manager - api validation exception",
           "error": err.error, "message": err.message}
    obj.update(err.extra)
    return json.dumps(obj, separators=(",", ":")).encode()


def _blank(v):
    """Python sends nulls, Rust sends "", JS omits: all mean 'absent'."""
    return v is None or v == "" or v == []


def _opt(payload, name):
    v = payload.get(name)
    return None if _blank(v) else v


def _req(payload, name):
    v = _opt(payload, name)
    if v is None:
        raise bad_request("Missing field %s" % name)
    return v


def _key(b64text):
    return unb64(b64text)


class Context:
    """Per-request state: the loaded vault, the caller's app, and a dirty flag."""

    def __init__(self, st, client_id, payload, base_url):
        self.st, self.client_id, self.payload, self.base_url = st, client_id, payload, base_url
        self.client = None
        self.app = None
        self.app_name = None
        self.changed = False
        self.just_bound = False

    def next_revision(self):
        rev = self.st["next_revision"]
        self.st["next_revision"] = rev + 1
        return rev


class Api:
    def __init__(self, sd, server_key, base_url):
        self.sd = sd
        self.server_key = server_key
        self.base_url = base_url  # callable -> "https://127.0.0.1:PORT"
        self._rate = {}  # clientId -> request times (fault ratelimit)
        self._rate_lock = threading.Lock()

    # --- envelope -----------------------------------------------------------------

    def handle(self, endpoint, headers, body):
        """Returns (status, response bytes, {"client": clientId prefix})."""
        info = {"client": "-"}
        try:
            tk, payload = self._open_envelope(endpoint, headers, body)
            info["client"] = str(payload.get("clientId") or "-")[:8]
            self._ratelimit(str(payload.get("clientId") or "-"))
            result = self._run(endpoint, headers, body, payload)
            if result is None:
                return 200, b"", info
            plain = json.dumps(result, separators=(",", ":")).encode()
            return 200, crypto.gcm_encrypt(tk, plain), info
        except ApiError as err:
            return err.status, error_body(err, self._path(endpoint, headers)), info
        except Exception as exc:  # a server bug: answer 500, log only where (no values)
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            info["bug"] = "%s at %s:%d" % (type(exc).__name__, os.path.basename(frame.filename),
                                           frame.lineno)
            err = ApiError(500, "internal_error", "Internal server error")
            return 500, error_body(err, self._path(endpoint, headers)), info

    def _ratelimit(self, client_id):
        """Fault ratelimit:N/S: Keeper's per-device limiter. A clientId with N
        requests in the last S seconds is answered 403 throttled (counted
        requests include the refused ones, as a limiter that sees them)."""
        name, arg = store.parse_fault(self.sd.read_control().get("mode", "none"))
        if name != "ratelimit":
            return
        limit, window = store.parse_rate(arg)
        now = time.monotonic()
        with self._rate_lock:
            seen = [t for t in self._rate.get(client_id, []) if now - t < window]
            seen.append(now)
            self._rate[client_id] = seen
            over = len(seen) > limit
        if over:
            self.sd.bump_stat("ratelimited")
            raise ApiError(403, "throttled", "Due to repeated attempts, your request has been "
                           "throttled. Try again in 2 minutes.")

    def _path(self, endpoint, headers):
        return "%s/api/rest/sm/v1/%s, POST, %s" % (self.base_url(), endpoint,
                                                  headers.get("User-Agent", "-"))

    def _open_envelope(self, endpoint, headers, body):
        if endpoint not in ENDPOINTS:
            raise ApiError(404, "not_found", "Unknown endpoint %s" % endpoint)
        key_id = (headers.get("PublicKeyId") or "").strip()
        if key_id != str(SERVER_KEY_ID):
            # The SDKs switch to key_id and retry (JS refuses if a custom key is set).
            raise ApiError(403, "key", "invalid key id", key_id=SERVER_KEY_ID)
        try:
            tk = crypto.ecies_decrypt(self.server_key, unb64(headers.get("TransmissionKey", "")))
        except CryptoError:
            raise bad_request("Unable to decrypt the transmission key")
        if len(tk) != 32:
            raise bad_request("Transmission key has a bad length")
        try:
            payload = json.loads(crypto.gcm_decrypt(tk, body).decode("utf-8"))
        except (CryptoError, UnicodeDecodeError, ValueError):
            raise bad_request("Unable to decrypt the payload")
        if not isinstance(payload, dict):
            raise bad_request("Payload is not a JSON object")
        return tk, payload

    def _run(self, endpoint, headers, body, payload):
        version = payload.get("clientVersion")
        if not isinstance(version, str) or not CLIENT_VERSION_RE.match(version):
            raise ApiError(403, "invalid_client_version", "Invalid client version",
                           "Client version %s is not registered" % version)
        client_id = payload.get("clientId")
        if not isinstance(client_id, str) or _blank(client_id):
            raise access_denied("Unable to validate application access")
        signed = unb64(headers["TransmissionKey"]) + body
        signature = self._signature(headers)
        with self.sd.locked():
            ctx = Context(self.sd.load_state(), client_id, payload, self.base_url())
            try:
                self._authenticate(ctx, endpoint, signed, signature)
                return getattr(self, "ep_" + endpoint)(ctx)
            finally:
                if ctx.changed:
                    self.sd.save_state(ctx.st)

    @staticmethod
    def _signature(headers):
        auth = (headers.get("Authorization") or "").strip()
        if not auth.startswith("Signature "):
            return b""
        try:
            return unb64(auth[len("Signature "):])
        except CryptoError:
            return b""

    def _authenticate(self, ctx, endpoint, signed, signature):
        """clientId lookup, first-use binding, signature check."""
        client = ctx.st["clients"].get(ctx.client_id)
        if client is None:
            raise access_denied("Unable to validate application access")
        if client["status"] == "revoked":
            raise access_denied("Unable to validate application access", "client revoked")
        if client["status"] == "burned":
            raise access_denied("Unable to validate application access",
                                "one-time token already used")
        if client["status"] == "new" and endpoint != "get_secret":
            # Only get_secret can deliver encryptedAppKey; this does not use up the token.
            raise access_denied("Unable to validate application access",
                                "bind with get_secret first")
        if client["status"] == "new":
            # The token is consumed by the first attempt, successful or not.
            ctx.changed = True
            client["status"] = "burned"
            try:
                point = unb64(_req(ctx.payload, "publicKey"))
                crypto.load_point(point)
            except (CryptoError, ApiError):
                raise access_denied("Unable to validate application access",
                                    "binding requires a valid publicKey")
            if not crypto.verify_signature(point, signature, signed):
                raise access_denied("Signature is invalid")
            client.update(status="bound", publicKey=b64(point))
            ctx.just_bound = True
        elif not crypto.verify_signature(unb64(client["publicKey"]), signature, signed):
            raise access_denied("Signature is invalid")
        app = ctx.st["apps"].get(client["app"])
        if app is None:
            raise access_denied("Unable to validate application access", "application removed")
        ctx.client, ctx.app, ctx.app_name = client, app, client["app"]

    # --- vault views -----------------------------------------------------------------

    @staticmethod
    def _root_folder(st, folder_uid):
        while folder_uid and st["folders"][folder_uid]["parent"]:
            folder_uid = st["folders"][folder_uid]["parent"]
        return folder_uid

    def _shared_records(self, ctx):
        """[(record uid, shared folder uid or None, editable)] in share order."""
        out = []
        for share in ctx.app["shares"]:
            if "record" in share:
                if share["record"] in ctx.st["records"]:
                    out.append((share["record"], None, share["editable"]))
                continue
            for uid, rec in ctx.st["records"].items():
                if self._root_folder(ctx.st, rec["folder"]) == share["folder"]:
                    out.append((uid, share["folder"], share["editable"]))
        return out

    def _editable_record(self, ctx, uid):
        entries = [e for e in self._shared_records(ctx) if e[0] == uid]
        if not entries:
            raise access_denied("Access to the record is denied", "record %s" % uid)
        if not any(e[2] for e in entries):
            raise access_denied("Record is not editable", "record %s" % uid)
        return ctx.st["records"][uid]

    def _editable_folder(self, ctx, uid):
        for share in ctx.app["shares"]:
            if share.get("folder") == uid:
                if not share["editable"]:
                    raise access_denied("Folder is not editable", "folder %s" % uid)
                return ctx.st["folders"][uid]
        raise access_denied("Access to the folder is denied", "folder %s" % uid)

    def _record_json(self, ctx, uid, wrap_key, editable):
        rec = ctx.st["records"][uid]
        rkey = _key(rec["key"])
        inner = rec["folder"] if rec["folder"] and ctx.st["folders"][rec["folder"]]["parent"] \
            else None
        obj = {"recordUid": uid,
               "recordKey": b64(crypto.gcm_encrypt(wrap_key, rkey)),
               "data": b64(crypto.gcm_encrypt(rkey, crypto.padded_text(rec["data_text"])
                                              if rec.get("data_text") is not None
                                              else crypto.padded_json(rec["data"]))),
               "revision": rec["revision"], "isEditable": bool(editable),
               "files": [self._file_json(ctx, f, rkey) for f in rec["files"]] or None,
               "folderUid": None, "innerFolderUid": inner}
        if _opt(ctx.payload, "requestLinks"):
            obj["links"] = [self._link_json(link, rkey) for link in rec.get("links") or []]
        return obj

    @staticmethod
    def _link_json(link, record_key):
        """Keeper's shape: recordUid, data (B64 of the link's JSON object, under
        GCM with the owning record's key for jit_settings/ai_settings, or null),
        path (or null)."""
        data = link.get("data_b64")
        if data is None and link.get("data") is not None:
            text = json.dumps(link["data"], separators=(",", ":")).encode()
            data = b64(crypto.gcm_encrypt(record_key, text) if link.get("encrypt") else text)
        return {"recordUid": link["recordUid"], "data": data, "path": link.get("path")}

    @staticmethod
    def _file_json(ctx, f, record_key):
        fkey = _key(f["key"])
        meta = {"name": f["name"], "title": f["title"], "size": f["size"], "type": f["type"],
                "lastModified": f["lastModified"]}
        return {"fileUid": f["uid"], "fileKey": b64(crypto.gcm_encrypt(record_key, fkey)),
                "data": b64(crypto.gcm_encrypt(fkey, json.dumps(meta).encode())),
                "url": "%s/files/%s" % (ctx.base_url, f["uid"]), "thumbnailUrl": None}

    def _wanted(self, ctx, uid, shared_folder):
        """requestedRecords / requestedFolders filters (a record passes if either matches)."""
        recs, folders = _opt(ctx.payload, "requestedRecords"), _opt(ctx.payload, "requestedFolders")
        if recs is None and folders is None:
            return True
        if recs is not None and uid in recs:
            return True
        folder = ctx.st["records"][uid]["folder"]
        return folders is not None and (folder in folders or shared_folder in folders)

    # --- endpoints -----------------------------------------------------------------------

    def ep_get_secret(self, ctx):
        app_key = _key(ctx.app["appKey"])
        records, folders = [], {}

        def folder_entry(uid, editable):
            fkey = _key(ctx.st["folders"][uid]["key"])
            return folders.setdefault(uid, {
                "folderUid": uid, "folderKey": b64(crypto.gcm_encrypt(app_key, fkey)),
                "data": None, "parent": None, "isEditable": bool(editable),
                "records": []})  # never null: the SDKs iterate it unconditionally

        filtered = not (_opt(ctx.payload, "requestedRecords") is None and
                        _opt(ctx.payload, "requestedFolders") is None)
        for share in ctx.app["shares"]:  # shared folders are listed even when empty
            if share.get("folder") and (not filtered or share["folder"] in
                                        (_opt(ctx.payload, "requestedFolders") or [])):
                folder_entry(share["folder"], share["editable"])
        for uid, shared_folder, editable in self._shared_records(ctx):
            if not self._wanted(ctx, uid, shared_folder):
                continue
            if shared_folder is None:
                records.append(self._record_json(ctx, uid, app_key, editable))
                continue
            fkey = _key(ctx.st["folders"][shared_folder]["key"])
            folder_entry(shared_folder, editable)["records"].append(
                self._record_json(ctx, uid, fkey, editable))
        app_data = {"title": ctx.app_name, "type": "app"}
        resp = {"appData": b64u(crypto.gcm_encrypt(app_key, crypto.padded_json(app_data))),
                "encryptedAppKey": None, "appOwnerPublicKey": None,
                "folders": list(folders.values()) or None, "records": records or None,
                # The device's access expiry (ms since the epoch, 0: none), set with
                # `ksm-server-admin token --expires-on`; the app's warnings.
                "expiresOn": int(ctx.client.get("expiresOn") or 0),
                "warnings": list(ctx.app.get("warnings") or []) or None, "extra": None}
        if ctx.just_bound:
            # Only in the binding response: the app key wrapped with the token bytes.
            token = _key(ctx.client.pop("token"))
            resp["encryptedAppKey"] = b64(crypto.gcm_encrypt(token, app_key))
            resp["appOwnerPublicKey"] = ctx.st["owner"]["public"]
        return resp

    def ep_get_folders(self, ctx):
        """Shared folders GCM under the app key; subfolders CBC under their shared folder key."""
        app_key = _key(ctx.app["appKey"])
        out, seen = [], set()
        for share in ctx.app["shares"]:
            root = share.get("folder")
            if not root or root in seen:
                continue
            seen.add(root)
            root_key = _key(ctx.st["folders"][root]["key"])
            out.append(self._folder_json(ctx, root, crypto.gcm_encrypt(app_key, root_key)))
            queue = [root]  # breadth first, so parents precede children
            while queue:
                parent = queue.pop(0)
                for uid, f in ctx.st["folders"].items():
                    if f["parent"] == parent:
                        wrapped = crypto.cbc_encrypt(root_key, _key(f["key"]))
                        out.append(self._folder_json(ctx, uid, wrapped))
                        queue.append(uid)
        return {"folders": out}

    @staticmethod
    def _folder_json(ctx, uid, wrapped_key):
        f = ctx.st["folders"][uid]
        name = json.dumps({"name": f["name"]}).encode()
        return {"folderUid": uid, "folderKey": b64(wrapped_key),
                "data": b64(crypto.cbc_encrypt(_key(f["key"]), name)), "parent": f["parent"]}

    def _decrypt_record_data(self, key, text):
        try:
            data = json.loads(crypto.gcm_decrypt(key, unb64(text)).decode("utf-8"))
        except (CryptoError, UnicodeDecodeError, ValueError):
            raise bad_request("Unable to decrypt record data")
        if not isinstance(data, dict):
            raise bad_request("Record data is not a JSON object")
        return data

    @staticmethod
    def _revision(payload, name):
        try:
            return int(_req(payload, name))
        except (TypeError, ValueError):
            raise bad_request("Field %s must be an integer" % name)

    def ep_update_secret(self, ctx):
        uid = _req(ctx.payload, "recordUid")
        rec = self._editable_record(ctx, uid)
        ttype = _opt(ctx.payload, "transactionType")
        if ttype is not None and ttype not in TRANSACTION_TYPES:
            raise bad_request("Unknown transactionType %s" % ttype)
        if rec.get("pending"):
            raise ApiError(400, "transaction_pending",
                           "Record has a pending transaction; finalize or roll it back first")
        if self._revision(ctx.payload, "revision") != rec["revision"]:
            raise ApiError(400, "invalid_revision", "Record revision is out of date",
                           "current revision %d" % rec["revision"])
        data = self._decrypt_record_data(_key(rec["key"]), _req(ctx.payload, "data"))
        removed = _opt(ctx.payload, "links2Remove") or []
        ctx.changed = True
        rec["files"] = [f for f in rec["files"] if f["uid"] not in removed]
        if ttype:
            # Staged: readers keep seeing the committed value until finalize.
            rec["pending"] = {"data": data, "type": ttype}
        else:
            rec["data"] = data
            rec.pop("data_text", None)
            rec["revision"] = ctx.next_revision()
        return None

    def _pending_record(self, ctx):
        uid = _req(ctx.payload, "recordUid")
        rec = self._editable_record(ctx, uid)
        if not rec.get("pending"):
            raise bad_request("No pending transaction for the record", "record %s" % uid)
        ctx.changed = True
        return rec

    def ep_finalize_secret_update(self, ctx):
        rec = self._pending_record(ctx)
        rec["data"] = rec["pending"]["data"]
        rec.pop("data_text", None)
        rec["revision"] = ctx.next_revision()
        rec["pending"] = None
        return None

    def ep_rollback_secret_update(self, ctx):
        self._pending_record(ctx)["pending"] = None
        return None

    def ep_create_secret(self, ctx):
        uid = _req(ctx.payload, "recordUid")
        folder_uid = _req(ctx.payload, "folderUid")
        if uid in ctx.st["records"]:
            raise bad_request("Record UID already exists", "record %s" % uid)
        folder = self._editable_folder(ctx, folder_uid)
        target = _opt(ctx.payload, "subFolderUid") or folder_uid
        if target not in ctx.st["folders"] or self._root_folder(ctx.st, target) != folder_uid:
            raise bad_request("Subfolder is not inside the shared folder")
        # recordKey is ECIES to the owner; "folderKey" is the record key under the folder key.
        try:
            rkey = crypto.gcm_decrypt(_key(folder["key"]), unb64(_req(ctx.payload, "folderKey")))
        except CryptoError:
            raise bad_request("Unable to decrypt the record key")
        data = self._decrypt_record_data(rkey, _req(ctx.payload, "data"))
        ctx.changed = True
        ctx.st["records"][uid] = {"folder": target, "key": b64(rkey), "data": data,
                                  "revision": ctx.next_revision(), "files": [], "pending": None}
        return None

    def ep_delete_secret(self, ctx):
        results = []
        for uid in _req(ctx.payload, "recordUids"):
            try:
                self._editable_record(ctx, uid)
            except ApiError as err:
                results.append({"recordUid": uid, "responseCode": err.error,
                                "errorMessage": err.message})
                continue
            ctx.changed = True
            del ctx.st["records"][uid]
            for app in ctx.st["apps"].values():
                app["shares"] = [s for s in app["shares"] if s.get("record") != uid]
            results.append({"recordUid": uid, "responseCode": "ok", "errorMessage": ""})
        return {"records": results}

    def ep_add_file(self, ctx):
        owner_uid = _req(ctx.payload, "ownerRecordUid")
        rec = self._editable_record(ctx, owner_uid)
        if self._revision(ctx.payload, "ownerRecordRevision") != rec["revision"]:
            raise ApiError(400, "invalid_revision", "Record revision is out of date")
        rkey = _key(rec["key"])
        try:
            fkey = crypto.gcm_decrypt(rkey, unb64(_req(ctx.payload, "linkKey")))
            meta = json.loads(crypto.gcm_decrypt(fkey, unb64(_req(ctx.payload,
                                                                  "fileRecordData"))))
        except (CryptoError, ValueError):
            raise bad_request("Unable to decrypt the file key or metadata")
        data = self._decrypt_record_data(rkey, _req(ctx.payload, "ownerRecordData"))
        file_uid = _req(ctx.payload, "fileRecordUid")
        upload_id = b64u(os.urandom(16))
        ctx.changed = True
        rec["data"] = data
        rec.pop("data_text", None)
        rec["revision"] = ctx.next_revision()
        rec["files"].append({"uid": file_uid, "key": b64(fkey), "name": meta.get("name", ""),
                             "title": meta.get("title") or meta.get("name", ""),
                             "type": meta.get("type") or "application/octet-stream",
                             "size": meta.get("size", 0),
                             "lastModified": meta.get("lastModified", 0),
                             "content_b64": None, "upload_id": upload_id})
        return {"url": "%s/upload/%s" % (ctx.base_url, upload_id),
                "parameters": json.dumps({"key": upload_id}), "successStatusCode": 204}

    def ep_create_folder(self, ctx):
        uid = _req(ctx.payload, "folderUid")
        shared = _req(ctx.payload, "sharedFolderUid")
        folder = self._editable_folder(ctx, shared)
        parent = _opt(ctx.payload, "parentUid") or shared
        if uid in ctx.st["folders"] or parent not in ctx.st["folders"] \
                or self._root_folder(ctx.st, parent) != shared:
            raise bad_request("Bad folderUid or parentUid")
        try:
            fkey = crypto.cbc_decrypt(_key(folder["key"]), unb64(_req(ctx.payload,
                                                                        "sharedFolderKey")))
            name = json.loads(crypto.cbc_decrypt(fkey, unb64(_req(ctx.payload, "data"))))["name"]
        except (CryptoError, ValueError, KeyError, TypeError):
            raise bad_request("Unable to decrypt the folder key or data")
        ctx.changed = True
        ctx.st["folders"][uid] = {"name": name, "parent": parent, "key": b64(fkey)}
        return None

    def ep_update_folder(self, ctx):
        uid = _req(ctx.payload, "folderUid")
        if uid not in ctx.st["folders"]:
            raise bad_request("Unknown folder")
        self._editable_folder(ctx, self._root_folder(ctx.st, uid))
        folder = ctx.st["folders"][uid]
        try:
            name = json.loads(crypto.cbc_decrypt(_key(folder["key"]),
                                                 unb64(_req(ctx.payload, "data"))))["name"]
        except (CryptoError, ValueError, KeyError, TypeError):
            raise bad_request("Unable to decrypt the folder data")
        ctx.changed = True
        folder["name"] = name
        return None

    def ep_delete_folder(self, ctx):
        results = []
        force = bool(_opt(ctx.payload, "forceDeletion"))
        for uid in _req(ctx.payload, "folderUids"):
            code, msg = "ok", ""
            if uid not in ctx.st["folders"] or not ctx.st["folders"][uid]["parent"]:
                code, msg = "access_denied", "Only subfolders of a shared folder can be deleted"
            else:
                try:
                    self._editable_folder(ctx, self._root_folder(ctx.st, uid))
                except ApiError as err:
                    code, msg = err.error, err.message
            if code == "ok":
                used = [r for r in ctx.st["records"].values() if r["folder"] == uid] + \
                       [f for f in ctx.st["folders"].values() if f["parent"] == uid]
                if used and not force:
                    code, msg = "not_empty", "Folder is not empty"
                else:
                    ctx.changed = True
                    self._delete_folder_tree(ctx.st, uid)
            results.append({"folderUid": uid, "responseCode": code, "errorMessage": msg})
        return {"folders": results}

    def _delete_folder_tree(self, st, uid):
        for child in [u for u, f in st["folders"].items() if f["parent"] == uid]:
            self._delete_folder_tree(st, child)
        for ruid in [u for u, r in st["records"].items() if r["folder"] == uid]:
            del st["records"][ruid]
        del st["folders"][uid]

    # --- files (no KSM envelope) ---------------------------------------------------------

    def file_download(self, file_uid):
        """GCM(fileKey, content) for a GET of a file URL, or None if unknown."""
        with self.sd.locked():
            st = self.sd.load_state()
        for rec in st["records"].values():
            for f in rec["files"]:
                if f["uid"] == file_uid and f.get("content_b64") is not None:
                    return crypto.gcm_encrypt(_key(f["key"]), unb64(f["content_b64"]) if
                                              f["content_b64"] else b"")
        return None

    def file_upload(self, upload_id, content_type, body):
        """Accept the multipart POST of add_file; returns an HTTP status."""
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        blob = None
        for part in msg.iter_parts() if msg.is_multipart() else []:
            if part.get_param("name", header="content-disposition") == "file":
                blob = part.get_payload(decode=True)
        if blob is None:
            return 400
        with self.sd.locked():
            st = self.sd.load_state()
            for rec in st["records"].values():
                for f in rec["files"]:
                    if f.get("upload_id") == upload_id:
                        try:
                            content = crypto.gcm_decrypt(_key(f["key"]), blob)
                        except CryptoError:
                            return 400
                        f["content_b64"] = b64(content)
                        f["size"] = len(content)
                        del f["upload_id"]
                        self.sd.save_state(st)
                        return 204
        return 404
