# SPDX-License-Identifier: MIT
"""ksm-server: run the local KSM test server in the foreground (see tests/server/README.md)."""

import argparse
import contextlib
import json
import os
import signal
import socket
import ssl
import sys

from . import crypto, store
from .api import Api
from .httpd import KsmHTTPServer, log


def parse_listen(text):
    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return host, int(port), family


def load_or_import_vault(sd, vault_path):
    """Vault state lives in DIR; VAULT.json is imported only when DIR has none yet."""
    with open(vault_path, "rb") as f:
        vault = json.load(f)
    with sd.locked():
        if sd.has_state():
            log("using existing vault state in %s (delete vault-state.json to re-import)"
                % sd.path)
            return
        sd.save_state(store.import_vault(vault))
        log("imported %s" % vault_path)


def write_server_json(sd, server, server_key):
    host, port = server.server_address[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    hostname = ("[%s]" % host if ":" in host else host) + ":%d" % port
    store.atomic_write_json(sd.file("server.json"), {
        "hostname": hostname,
        "ca_file": sd.file("ca.pem"),
        "server_public_key": crypto.b64u(crypto.public_point(server_key)),
        "server_public_key_id": str(store.SERVER_KEY_ID),
    }, 0o644)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="ksm-server", description=__doc__)
    ap.add_argument("--vault", required=True, help="VAULT.json to import on first start")
    ap.add_argument("--state", required=True, help="state directory")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0 = any free)")
    args = ap.parse_args(argv)

    sd = store.StateDir(args.state)
    for stale in ("server.json", "server.pid"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sd.file(stale))
    try:
        load_or_import_vault(sd, args.vault)
    except (OSError, ValueError, KeyError, store.VaultError) as exc:
        log("cannot load vault: %s" % exc)
        return 2
    store.ensure_tls(sd)
    server_key = store.ensure_transmission_key(sd)
    mode = sd.read_control().get("mode", "none")
    if mode != "none":
        log("note: fault mode %r from a previous run is still active" % mode)

    ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ssl_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ssl_ctx.load_cert_chain(sd.file("server.pem"), sd.file("server-key.pem"))

    host, port, family = parse_listen(args.listen)
    api = Api(sd, server_key, base_url=None)
    server = KsmHTTPServer((host, port), sd, api, ssl_ctx, family)
    api.base_url = server.base_url  # file URLs and error "path" name the bound address

    def stop(signum, _frame):
        log("signal %d, shutting down" % signum)
        server.stopping.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    with open(sd.file("server.pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    write_server_json(sd, server, server_key)
    log("listening on %s (state %s)" % (server.base_url(), sd.path))
    try:
        server.run()
    finally:
        server.server_close()
        for name in ("server.json", "server.pid"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(sd.file(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
