# SPDX-License-Identifier: MIT
"""ksm-server-admin: control a ksm-server through its state directory.

Every change is made under DIR/.lock with atomic renames; the server re-reads the vault
state and control.json on every request, so a change applies to the very next request.
"""

import argparse
import json
import os
import sys
import time

from . import store


def cmd_token(sd, args):
    from . import crypto  # imports `cryptography`; the other commands do not need it
    token = os.urandom(32)
    with sd.locked():
        st = sd.load_state()
        if args.app not in st["apps"]:
            raise SystemExit("ksm-server-admin: no application %r (have: %s)"
                             % (args.app, ", ".join(st["apps"]) or "none"))
        st["clients"][crypto.client_id_for_token(token)] = {
            "app": args.app, "status": "new", "token": crypto.b64(token), "publicKey": None,
            "expiresOn": args.expires_on or 0}
        sd.save_state(st)
    print(crypto.b64u(token))


def _find_field(data, name):
    """First field whose type or label equals name: standard fields, then custom."""
    for section in ("fields", "custom"):
        for field in data.get(section) or []:
            if name in (field.get("type"), field.get("label")):
                return field
    return None


def _find_record(st, ref):
    if ref in st["records"]:
        return st["records"][ref]
    hits = [r for r in st["records"].values() if r["data"].get("title") == ref]
    if len(hits) != 1:
        raise SystemExit("ksm-server-admin: no record with UID (or unique title) %r" % ref)
    return hits[0]


def cmd_set_field(sd, args):
    """Change a value the way a KeeperPAM rotation does: committed, with a new revision."""
    with sd.locked():
        st = sd.load_state()
        rec = _find_record(st, args.record)
        field = _find_field(rec["data"], args.field)
        if field is None:
            raise SystemExit("ksm-server-admin: record has no field %r" % args.field)
        value = json.loads(args.value) if args.json else args.value
        values = field.setdefault("value", [])
        if values:
            values[0] = value
        else:
            values.append(value)
        rec.pop("data_text", None)
        rec["revision"] = st["next_revision"]
        st["next_revision"] += 1
        sd.save_state(st)
    print(rec["revision"])


def _new_openssh_key():
    """A new Ed25519 key: (OpenSSH private key text, "ssh-ed25519 BASE64" public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public


def _norm(label):
    """A label as ksm-unix compares it: letters lower case, digits; no spaces or punctuation."""
    return "".join(c for c in (label or "").lower() if c.isalnum())


def _set_all(data, ftype, label, value):
    """The first value of every field whose label is label in either spelling
    ("privatePEMKey", "Private PEM Key"); one of type ftype is created if there is none."""
    hits = [f for section in ("fields", "custom") for f in data.get(section) or []
            if _norm(f.get("label")) == _norm(label)]
    for field in hits:
        field["value"] = [value]
    if not hits:
        data.setdefault("fields", []).append({"type": ftype, "label": label, "value": [value]})


def cmd_rotate(sd, args):
    """A KeeperPAM "Run PAM scripts only" (scripts_only, NOOP) rotation: the Gateway makes
    the new password and/or SSH key, commits them to the pamUser as a new revision and
    changes nothing on any machine. The links to the record say rotation_settings.noop.
    Prints {"revision", "password", "private_key", "public_key"} (what was rotated) as JSON."""
    import secrets
    if not (args.password or args.private_key):
        raise SystemExit("ksm-server-admin: rotate needs --password and/or --private-key")
    out = {}
    with sd.locked():
        st = sd.load_state()
        rec = _find_record(st, args.record)
        uid = next(u for u, r in st["records"].items() if r is rec)
        if args.password:
            out["password"] = secrets.token_urlsafe(24)
            field = _find_field(rec["data"], "password")
            if field is None:
                field = {"type": "password", "value": []}
                rec["data"].setdefault("fields", []).append(field)
            field["value"] = [out["password"]]
        if args.private_key:
            out["private_key"], out["public_key"] = _new_openssh_key()
            _set_all(rec["data"], "secret", "privatePEMKey", out["private_key"])
        for owner, other in st["records"].items():
            for link in other.get("links") or []:
                if link.get("path") or (link["recordUid"] != uid and owner != uid):
                    continue
                data = link.get("data")
                if data is None:
                    data = link["data"] = {}
                if isinstance(data, dict):
                    data.setdefault("rotation_settings", {})["noop"] = True
        rec.pop("data_text", None)
        rec["revision"] = st["next_revision"]
        st["next_revision"] += 1
        sd.save_state(st)
    out["revision"] = rec["revision"]
    print(json.dumps(out))


def cmd_revoke(sd, args):
    """Revoke a client (device) as removing it from the application in Keeper does:
    every later request with its clientId gets 403 access_denied."""
    if not args.client:
        raise SystemExit("ksm-server-admin: --client needs a clientId prefix")
    with sd.locked():
        st = sd.load_state()
        hits = [cid for cid in st["clients"] if cid.startswith(args.client)]
        if len(hits) != 1:
            raise SystemExit("ksm-server-admin: %d clients have a clientId starting with %r"
                             % (len(hits), args.client))
        client = st["clients"][hits[0]]
        client["status"] = "revoked"
        client.pop("token", None)  # an unused token can no longer bind either
        sd.save_state(st)
    print("%s %s" % (hits[0][:8], client["app"]))


def cmd_warnings(sd, args):
    """Set the warnings every get_secret answer of the application carries."""
    with sd.locked():
        st = sd.load_state()
        if args.app not in st["apps"]:
            raise SystemExit("ksm-server-admin: no application %r" % args.app)
        st["apps"][args.app]["warnings"] = list(args.text)
        sd.save_state(st)


def cmd_fault(sd, args):
    try:
        store.parse_fault(args.mode)
    except ValueError as exc:
        raise SystemExit("ksm-server-admin: %s" % exc)
    with sd.locked():
        gen = sd.write_control(args.mode)
    _wait_ack(sd, gen)


def _wait_ack(sd, gen, timeout=5.0):
    """Wait until the server's accept loop applied the change (matters for `refuse`)."""
    if sd.server_pid() is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ack = store.read_json(sd.file("control.ack"), {}) or {}
        if (ack.get("generation") or 0) >= gen:
            return
        time.sleep(0.02)
    raise SystemExit("ksm-server-admin: server did not acknowledge the fault change")


def cmd_stats(sd, args):
    if args.reset:
        sd.reset_stats()
    else:
        print(json.dumps(sd.read_stats(), sort_keys=True))


def cmd_add_records(sd, args):
    """Add the records of a VAULT.json file (its "records") to existing folders."""
    with open(args.file) as f:
        records = json.load(f).get("records", [])
    with sd.locked():
        st = sd.load_state()
        try:
            store.add_records(st, records)
        except store.VaultError as exc:
            raise SystemExit("ksm-server-admin: %s" % exc)
        sd.save_state(st)
    print(len(records))


def cmd_delete_records(sd, args):
    """Delete records (and their direct shares), as deleting them in Keeper does."""
    with sd.locked():
        st = sd.load_state()
        missing = [u for u in args.uids if u not in st["records"]]
        if missing:
            raise SystemExit("ksm-server-admin: no record %s" % ", ".join(missing))
        for uid in args.uids:
            del st["records"][uid]
            for app in st["apps"].values():
                app["shares"] = [s for s in app["shares"] if s.get("record") != uid]
        sd.save_state(st)
    print(len(args.uids))


def cmd_records(sd, args):
    """List records (uid, title, type, folder, revision, pending) as JSON lines."""
    st = sd.load_state()
    for uid, rec in st["records"].items():
        print(json.dumps({"uid": uid, "title": rec["data"].get("title"),
                          "type": rec["data"].get("type"), "folder": rec["folder"],
                          "revision": rec["revision"],
                          "pending": bool(rec.get("pending"))}))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ksm-server-admin", description=__doc__)
    ap.add_argument("--state", required=True, help="the server's state directory")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("token", help="print a new one-time access token for an application")
    p.add_argument("--app", required=True)
    p.add_argument("--expires-on", type=int, default=0, metavar="MS",
                   help="the device's access expiry (ms since the epoch), sent as expiresOn")
    p.set_defaults(fn=cmd_token)
    p = sub.add_parser("warnings", help="set the warnings of an application's answers")
    p.add_argument("--app", required=True)
    p.add_argument("text", nargs="*", help="one warning each; none clears them")
    p.set_defaults(fn=cmd_warnings)
    p = sub.add_parser("set-field", help="change the first value of a field (new revision)")
    p.add_argument("--record", required=True, help="record UID (or unique title)")
    p.add_argument("--field", required=True, help="field type or label")
    p.add_argument("--value", required=True)
    p.add_argument("--json", action="store_true", help="VALUE is JSON (e.g. a keyPair object)")
    p.set_defaults(fn=cmd_set_field)
    p = sub.add_parser("rotate", help="a scripts_only (NOOP) KeeperPAM rotation of a pamUser")
    p.add_argument("--record", required=True, help="record UID (or unique title)")
    p.add_argument("--password", action="store_true", help="a new password")
    p.add_argument("--private-key", action="store_true",
                   help="a new OpenSSH Ed25519 private key in privatePEMKey")
    p.set_defaults(fn=cmd_rotate)
    p = sub.add_parser("revoke", help="revoke a client (device): access_denied from now on")
    p.add_argument("--client", required=True, help="a unique prefix of its clientId")
    p.set_defaults(fn=cmd_revoke)
    p = sub.add_parser("fault", help="set the fault mode: " + ", ".join(store.FAULT_MODES))
    p.add_argument("mode")
    p.set_defaults(fn=cmd_fault)
    p = sub.add_parser("stats", help="print request counts per endpoint as JSON")
    p.add_argument("--reset", action="store_true")
    p.set_defaults(fn=cmd_stats)
    p = sub.add_parser("add-records", help="add the records of a VAULT.json file")
    p.add_argument("file")
    p.set_defaults(fn=cmd_add_records)
    p = sub.add_parser("delete-records", help="delete records by UID")
    p.add_argument("uids", nargs="+", metavar="UID")
    p.set_defaults(fn=cmd_delete_records)
    p = sub.add_parser("records", help="list records as JSON lines")
    p.set_defaults(fn=cmd_records)
    args = ap.parse_args(argv)
    try:
        sd = store.StateDir(args.state, create=False)
        args.fn(sd, args)
    except FileNotFoundError as exc:
        raise SystemExit("ksm-server-admin: %s" % exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
