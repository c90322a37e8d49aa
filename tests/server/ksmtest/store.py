# SPDX-License-Identifier: MIT
"""The state directory shared by ksm-server and ksm-server-admin.

Layout of DIR (all JSON written by atomic rename, all mutations under DIR/.lock):
  ca.pem, ca-key.pem          test CA (clients trust ca.pem)
  server.pem, server-key.pem  TLS certificate for 127.0.0.1 / localhost / ::1
  transmission-key.pem        the P-256 server transmission key (PublicKeyId SERVER_KEY_ID)
  vault-state.json            records, keys, revisions, tokens and bound clients
  control.json                {"mode": fault mode, "generation": n}  (written by admin)
  control.ack                 {"generation": n} once the server's accept loop applied it
  stats.json                  {endpoint: request count}
  server.json                 connection info for clients, present while the server runs
  server.pid                  pid of the running server
"""

import contextlib
import datetime
import fcntl
import ipaddress
import json
import os
import tempfile
import threading

# `cryptography` is imported inside the functions that need it, so that the admin tool
# (which mostly flips small JSON files) starts quickly.

SERVER_KEY_ID = 99          # outside Keeper's real ids 1-18
FIRST_REVISION = 1000

FAULT_MODES = ("none", "refuse", "blackhole", "delay", "throttle", "http500", "corrupt",
               "bad-signature", "key", "ratelimit", "clock")


class VaultError(Exception):
    """VAULT.json is inconsistent."""


def atomic_write(path, data, mode=0o600):
    """Write bytes via a temp file in the same directory and rename over path."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)  # no fsync: rename atomicity is what readers need here
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_json(path, obj, mode=0o600):
    atomic_write(path, (json.dumps(obj, indent=1) + "\n").encode(), mode)


def read_json(path, default=None):
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def parse_rate(arg):
    """'N/SECONDS' (an 's' suffix allowed) -> (N, seconds)."""
    count, _, window = (arg or "").partition("/")
    n, secs = int(count), float(window.rstrip("s"))
    if n < 1 or secs <= 0:
        raise ValueError("ratelimit takes N/SECONDS, e.g. ratelimit:100/10s")
    return n, secs


def parse_fault(mode):
    """Validate a fault mode string; returns (name, argument-or-None)."""
    name, _, arg = mode.partition(":")
    if name not in FAULT_MODES:
        raise ValueError("unknown fault mode %r (one of %s)" % (mode, ", ".join(FAULT_MODES)))
    if name in ("delay", "clock"):
        float(arg)  # must be a number
    elif name == "throttle" and arg:
        int(arg)
    elif name == "key" and arg not in ("", "once", "always"):
        raise ValueError("key fault takes no argument, ':once' or ':always'")
    elif name == "ratelimit":
        parse_rate(arg)
    elif arg and name not in ("delay", "throttle", "key", "ratelimit", "clock"):
        raise ValueError("fault %s takes no argument" % name)
    return name, (arg or None)


class StateDir:
    """Paths, the cross-process lock and the small JSON files in DIR."""

    _thread_lock = threading.RLock()

    def __init__(self, path, create=True):
        self.path = os.path.abspath(path)
        if create:
            os.makedirs(self.path, mode=0o700, exist_ok=True)
        elif not os.path.isdir(self.path):
            raise FileNotFoundError("no state directory %s" % self.path)

    def file(self, name):
        return os.path.join(self.path, name)

    @contextlib.contextmanager
    def locked(self):
        """Exclusive lock across threads (RLock) and processes (flock)."""
        with self._thread_lock:
            with open(self.file(".lock"), "a") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)

    # --- vault state ---
    def has_state(self):
        return os.path.exists(self.file("vault-state.json"))

    def load_state(self):
        st = read_json(self.file("vault-state.json"))
        if st is None:
            raise FileNotFoundError("no vault state in %s (start ksm-server first)" % self.path)
        return st

    def save_state(self, st):
        atomic_write_json(self.file("vault-state.json"), st)
        self._note_secrets(st)

    # Every password-like value the vault ever held, one a line, so that a
    # test run can search its logs and state for them afterwards (the leak
    # sweep, tests/leak-sweep.sh). vault-state.json holds them in the clear
    # already; this file only remembers the rotated-away ones too.
    SECRET_FIELD_TYPES = ("password", "secret", "pinCode", "oneTimeCode")

    def _note_secrets(self, st):
        found = set()

        def walk(o):
            if isinstance(o, dict):
                if o.get("type") in self.SECRET_FIELD_TYPES and isinstance(o.get("value"), list):
                    found.update(v for v in o["value"] if isinstance(v, str) and len(v) >= 6)
                for v in o.values():
                    walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
        walk(st)
        path = self.file("secrets-seen")
        try:
            with open(path) as f:
                found.difference_update(f.read().splitlines())
        except FileNotFoundError:
            pass
        if found:
            with open(path, "a") as f:
                f.write("".join(v + "\n" for v in sorted(found) if "\n" not in v))

    # --- control / fault mode ---
    def read_control(self):
        return read_json(self.file("control.json"), {"mode": "none", "generation": 0})

    def write_control(self, mode):
        """Set the fault mode (caller holds the lock); returns the new generation."""
        gen = self.read_control().get("generation", 0) + 1
        atomic_write_json(self.file("control.json"), {"mode": mode, "generation": gen})
        return gen

    # --- stats ---
    def bump_stat(self, endpoint):
        with self.locked():
            stats = read_json(self.file("stats.json"), {})
            stats[endpoint] = stats.get(endpoint, 0) + 1
            atomic_write_json(self.file("stats.json"), stats)

    def read_stats(self):
        return read_json(self.file("stats.json"), {})

    def reset_stats(self):
        with self.locked():
            atomic_write_json(self.file("stats.json"), {})

    def server_pid(self):
        """pid of a live server using this DIR, or None."""
        try:
            with open(self.file("server.pid")) as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None


# --- key material --------------------------------------------------------------------

def _cert_builder(subject, issuer, pub, days):
    from cryptography import x509
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(pub).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False))


def ensure_tls(sd):
    """Create the test CA and the server certificate on first start."""
    if os.path.exists(sd.file("server.pem")) and os.path.exists(sd.file("ca.pem")):
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from . import crypto
    ca_key = crypto.new_ec_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ksm-unix test CA")])
    ca_cert = (_cert_builder(ca_name, ca_name, ca_key.public_key(), 3650)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                            False, False), critical=True)
               .sign(ca_key, hashes.SHA256()))
    srv_key = crypto.new_ec_key()
    srv_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1"))])
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    srv_cert = (_cert_builder(srv_name, ca_name, srv_key.public_key(), 825)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(san, critical=False)
                .add_extension(aki, critical=False)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                             False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
    atomic_write(sd.file("ca-key.pem"), crypto.private_pem(ca_key))
    atomic_write(sd.file("server-key.pem"), crypto.private_pem(srv_key))
    atomic_write(sd.file("server.pem"), srv_cert.public_bytes(Encoding.PEM), 0o644)
    atomic_write(sd.file("ca.pem"), ca_cert.public_bytes(Encoding.PEM), 0o644)


def ensure_transmission_key(sd):
    """The server's static P-256 key; kept across restarts."""
    from . import crypto
    path = sd.file("transmission-key.pem")
    if not os.path.exists(path):
        atomic_write(path, crypto.private_pem(crypto.new_ec_key()))
    with open(path, "rb") as f:
        return crypto.load_private_pem(f.read())


# --- vault import ----------------------------------------------------------------------

def _key():
    from . import crypto
    return crypto.b64(os.urandom(32))


def _import_files(rec):
    from . import crypto
    files = []
    for f in rec.get("files") or []:
        content = crypto.unb64(f["content_b64"]) if f.get("content_b64") else b""
        files.append({"uid": f.get("uid") or crypto.random_uid(), "key": _key(),
                      "name": f["name"], "title": f.get("title") or f["name"],
                      "type": f.get("type") or "application/octet-stream",
                      "size": len(content), "lastModified": 1700000000000,
                      "content_b64": crypto.b64(content)})
    return files


def _link_files(data, files):
    """Put the attachment UIDs in the record's fileRef field, as Keeper does."""
    if not files:
        return
    fields = data.setdefault("fields", [])
    ref = next((f for f in fields if f.get("type") == "fileRef"), None)
    if ref is None:
        ref = {"type": "fileRef", "value": []}
        fields.append(ref)
    for f in files:
        if f["uid"] not in ref["value"]:
            ref["value"].append(f["uid"])


def _resolver(kind, items, alias_of):
    """Resolve a reference by UID, or by unique name/title when UIDs were generated."""
    aliases = {}
    for uid, item in items.items():
        aliases.setdefault(alias_of(item), []).append(uid)

    def resolve(ref, where):
        if ref in items:
            return ref
        if len(aliases.get(ref, [])) == 1:
            return aliases[ref][0]
        raise VaultError("%s: unknown or ambiguous %s %r" % (where, kind, ref))
    return resolve


def add_records(st, records):
    """Add the records of a VAULT.json "records" list to a vault state, in folders it has
    (by UID or name), as creating them in Keeper does: each gets a new key and revision."""
    from . import crypto
    folder_ref = _resolver("folder", st["folders"], lambda f: f["name"])
    for r in records:
        uid = r.get("uid") or crypto.random_uid()
        if uid in st["records"]:
            raise VaultError("record %s already exists" % uid)
        _add_record(st, uid, r, folder_ref)


def _add_record(st, uid, r, folder_ref):
    """One VAULT.json record into the state, with a new key and the next revision."""
    folder = folder_ref(r["folder"], "record %s" % uid) if r.get("folder") else None
    data = json.loads(json.dumps(r["data"]))
    files = _import_files(r)
    _link_files(data, files)
    st["records"][uid] = {"folder": folder, "key": _key(), "data": data,
                          "revision": st["next_revision"], "files": files, "pending": None}
    if r.get("data_text") is not None:  # served verbatim (malformed-content tests)
        st["records"][uid]["data_text"] = r["data_text"]
    st["next_revision"] += 1


def import_vault(vault):
    """Turn a VAULT.json document into a fresh vault state with generated keys.

    References (record.folder, folder.parent, shares) may name a UID, or, for
    objects whose UID is generated, the folder name / record title."""
    from . import crypto
    owner = crypto.new_ec_key()
    st = {"version": 1, "next_revision": FIRST_REVISION,
          "owner": {"private_pem": crypto.private_pem(owner).decode(),
                    "public": crypto.b64(crypto.public_point(owner))},
          "apps": {}, "folders": {}, "records": {}, "clients": {}}
    for f in vault.get("folders", []):
        uid = f.get("uid") or crypto.random_uid()
        st["folders"][uid] = {"name": f.get("name", uid), "parent": f.get("parent") or None,
                              "key": _key()}
    folder_ref = _resolver("folder", st["folders"], lambda f: f["name"])
    for uid, f in st["folders"].items():
        if f["parent"]:
            f["parent"] = folder_ref(f["parent"], "folder %s" % uid)
    record_links = []  # resolved once every record (and title) is known
    for r in vault.get("records", []):
        uid = r.get("uid") or crypto.random_uid()
        record_links.append((uid, r.get("links")))
        _add_record(st, uid, r, folder_ref)
    record_ref = _resolver("record", st["records"], lambda r: r["data"].get("title"))
    for uid, links in record_links:
        st["records"][uid]["links"] = _import_links(links, record_ref, "record %s" % uid)
    for app in vault.get("applications", []):
        st["apps"][app["name"]] = {"appKey": _key(),
                                   "shares": _import_shares(st, app, folder_ref, record_ref),
                                   "warnings": _import_warnings(app)}
    return st


# Link paths whose data Keeper encrypts with the owning record's key.
ENCRYPTED_LINK_PATHS = ("jit_settings", "ai_settings")


def _import_links(links, record_ref, where):
    """VAULT.json links -> state: [{"recordUid", "path", "data" (a JSON object, or None),
    "data_b64" (served verbatim), "encrypt"}]. recordUid may name a record by title."""
    out = []
    for i, link in enumerate(links or []):
        if not isinstance(link, dict) or not link.get("recordUid"):
            raise VaultError("%s: links[%d] needs a recordUid" % (where, i))
        path = link.get("path")
        data = link.get("data")
        if data is not None and not isinstance(data, dict):
            raise VaultError("%s: links[%d].data must be a JSON object" % (where, i))
        out.append({"recordUid": record_ref(link["recordUid"], "%s links[%d]" % (where, i)),
                    "path": path, "data": data, "data_b64": link.get("data_b64"),
                    "encrypt": bool(link.get("encrypt", path in ENCRYPTED_LINK_PATHS))})
    return out


def _import_warnings(app):
    warnings = app.get("warnings") or []
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise VaultError("app %s: warnings must be a list of strings" % app["name"])
    return warnings


def _import_shares(st, app, folder_ref, record_ref):
    shares = []
    where = "app %s" % app["name"]
    for s in app.get("shares", []):
        editable = bool(s.get("editable", False))
        if s.get("folder"):
            uid = folder_ref(s["folder"], where)
            if st["folders"][uid]["parent"]:
                raise VaultError("%s: only root (shared) folders can be shared, %s is a "
                                 "subfolder" % (where, uid))
            shares.append({"folder": uid, "editable": editable})
        elif s.get("record"):
            shares.append({"record": record_ref(s["record"], where), "editable": editable})
        else:
            raise VaultError("%s: a share needs 'folder' or 'record'" % where)
    return shares
