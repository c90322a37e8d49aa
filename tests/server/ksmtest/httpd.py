# SPDX-License-Identifier: MIT
"""HTTPS front end of the test server: accept loop, fault injection, request logging.

A ThreadingHTTPServer whose accept loop is driven by hand, so that the `refuse` fault
can really close the listening socket (clients then get ECONNREFUSED) and reopen it on
the same port. TLS is set up in the per-connection thread, so a stalled client (or the
`blackhole` fault) never blocks other clients.
"""

import http.server
import json
import os
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

from . import store
from .api import ApiError, error_body

API_PREFIX = "/api/rest/sm/v1/"
BLACKHOLE_MAX_SECONDS = 600


class Abort(Exception):
    """Drop the connection without an answer."""


def log(msg):
    sys.stderr.write("%s ksm-server: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and proper `Expect: 100-continue`
    timeout = 60                   # idle keep-alive connections
    server_version = "ksm-test-server"
    sys_version = ""

    def setup(self):
        self.request.settimeout(10)
        # Headers and body are two writes: without this, Nagle holds the body
        # until the client's delayed ACK (40 ms) of the headers.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request = self.server.ssl_ctx.wrap_socket(self.request, server_side=True)
        super().setup()

    def date_time_string(self, timestamp=None):
        """The Date header; the `clock:SECONDS` fault moves it (a server clock off ours)."""
        name, arg = store.parse_fault(self.server.sd.read_control().get("mode", "none"))
        offset = float(arg) if name == "clock" else 0.0
        return super().date_time_string((time.time() if timestamp is None else timestamp) + offset)

    def handle(self):
        try:
            super().handle()
        except (Abort, OSError, ssl.SSLError):
            self.close_connection = True

    def finish(self):
        try:
            super().finish()
        finally:
            self.request.close()

    def log_message(self, fmt, *args):  # the default access log is replaced by log()
        pass

    # --- plumbing ---
    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self):
        """Close with RST (SO_LINGER 0), like a host that refuses us."""
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()
        raise Abort()

    def _blackhole(self):
        """Never answer: hold the connection until the fault is cleared (or a long cap)."""
        deadline = time.monotonic() + BLACKHOLE_MAX_SECONDS
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            if not self.server.sd.read_control().get("mode", "none").startswith("blackhole"):
                break
            time.sleep(0.1)
        raise Abort()

    def _fault(self, api_call, path, mode):
        """Apply fault `mode`; returns (status, body) if it answers instead of the server."""
        name, arg = store.parse_fault(mode)
        if name == "refuse":
            self._reset()
        if name == "blackhole":
            self._blackhole()
        if name == "delay":
            time.sleep(float(arg))
        if name == "http500":
            err = ApiError(500, "internal_error", "Internal server error (injected)")
            return 500, error_body(err, path)
        if name == "corrupt":
            return 200, os.urandom(97)
        if not api_call:
            return None
        if name == "throttle":
            extra = {"retry_after": int(arg)} if arg else {}
            err = ApiError(403, "throttled", "Due to repeated attempts, your request has been "
                           "throttled. Try again in 2 minutes.", **extra)
            return 403, error_body(err, path)
        if name == "bad-signature":
            return 403, error_body(ApiError(403, "access_denied", "Signature is invalid"), path)
        if name == "key" and self._take_key_fault(arg):
            err = ApiError(403, "key", "invalid key id", key_id=store.SERVER_KEY_ID)
            return 403, error_body(err, path)
        return None

    def _take_key_fault(self, arg):
        """`key` (= key:once) fires for one request, then resets itself; key:always stays."""
        if arg == "always":
            return True
        sd = self.server.sd
        with sd.locked():
            if not sd.read_control().get("mode", "").startswith("key"):
                return False  # another thread took it
            sd.write_control("none")
        return True

    # --- verbs ---
    def do_POST(self):
        body = self._read_body()
        if self.path.startswith(API_PREFIX):
            endpoint = self.path[len(API_PREFIX):].split("?")[0]
            self._api(endpoint, body)
        elif self.path.startswith("/upload/"):
            self.server.sd.bump_stat("file_upload")
            faulted = self._fault(False, self.path, self.server.sd.read_control()["mode"])
            if faulted:
                return self._send(*faulted)
            status = self.server.api.file_upload(self.path[len("/upload/"):],
                                                 self.headers.get("Content-Type", ""), body)
            log("POST upload status=%d" % status)
            self._send(status, b"")
        else:
            self._send(404, b"")

    def _api(self, endpoint, body):
        self.server.sd.bump_stat(endpoint)
        path = "%s%s%s, POST, %s" % (self.server.base_url(), API_PREFIX, endpoint,
                                     self.headers.get("User-Agent", "-"))
        mode = self.server.sd.read_control().get("mode", "none")
        faulted = self._fault(True, path, mode)
        if faulted:
            status, resp = faulted
            client, note = "-", "fault=%s" % mode
        else:
            status, resp, info = self.server.api.handle(endpoint, self.headers, body)
            client, note = info["client"], "bug=%s" % info["bug"] if "bug" in info else ""
        if status != 200 and resp[:1] == b"{":
            note = ("error=%s %s" % (json.loads(resp).get("error"), note)).strip()
        # One line per request: endpoint, clientId prefix, status, error code. No secrets.
        log(("POST %s client=%s status=%d %s" % (endpoint, client, status, note)).rstrip())
        self._send(status, resp)

    def do_GET(self):
        if not self.path.startswith("/files/"):
            return self._send(404, b"")
        self.server.sd.bump_stat("file_download")
        faulted = self._fault(False, self.path, self.server.sd.read_control()["mode"])
        if faulted:
            return self._send(*faulted)
        file_uid = self.path[len("/files/"):].split("?")[0]
        blob = self.server.api.file_download(file_uid)
        log("GET file %s status=%d" % (file_uid[:8], 200 if blob is not None else 404))
        if blob is None:
            return self._send(404, b"")
        self._send(200, blob)


class KsmHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, sd, api, ssl_ctx, family=socket.AF_INET):
        self.address_family = family
        self.sd, self.api, self.ssl_ctx = sd, api, ssl_ctx
        self.stopping = threading.Event()
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind would call getfqdn(), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        log("connection error: %s" % (sys.exc_info()[1],))

    def base_url(self):
        host = self.server_address[0]
        if ":" in host:
            host = "[%s]" % host
        return "https://%s:%d" % (host, self.server_address[1])

    def _set_listening(self, want):
        if want and self.socket is None:
            self.socket = socket.socket(self.address_family, self.socket_type)
            self.server_bind()
            self.server_activate()
            log("listening again on %s" % self.base_url())
        elif not want and self.socket is not None:
            self.socket.close()
            self.socket = None
            log("listening socket closed (fault refuse)")

    def run(self):
        """Accept loop; applies control.json changes and acknowledges them in control.ack."""
        acked = None
        while not self.stopping.is_set():
            ctl = self.sd.read_control()
            self._set_listening(not ctl.get("mode", "none").startswith("refuse"))
            if ctl.get("generation") != acked:
                acked = ctl.get("generation")
                store.atomic_write_json(self.sd.file("control.ack"), {"generation": acked})
            if self.socket is None:
                time.sleep(0.05)
                continue
            ready, _, _ = select.select([self.socket], [], [], 0.05)
            if ready:
                self._handle_request_noblock()
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def server_close(self):
        if self.socket is not None:
            super().server_close()
