#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A ksmd client written apart from ksm-core (docs/ksmd-protocol.md), for
tests that play a local user talking to ksmd directly.

    ksmd_client.py SOCKET op=ping                 one request, fields as key=value
    ksmd_client.py SOCKET --raw HEX               send bytes as they are
    ksmd_client.py SOCKET --stall SECONDS op=ping send half a frame, then wait

Prints the answer's fields as key=value lines (values with a newline or
non-UTF-8 bytes as hex), or "closed" when ksmd closed without an answer.
Exit 0 when an answer came, 1 when the connection closed, 2 on usage.
"""
import socket
import struct
import sys
import time


def frame(fields):
    body = b""
    for key, value in fields:
        k, v = key.encode(), value.encode()
        body += bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
    return struct.pack(">I", len(body)) + body


def parse(body):
    out, at = [], 0
    while at < len(body):
        klen = body[at]
        key = body[at + 1:at + 1 + klen].decode()
        at += 1 + klen
        (vlen,) = struct.unpack(">I", body[at:at + 4])
        out.append((key, body[at + 4:at + 4 + vlen]))
        at += 4 + vlen
    return out


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, rest = argv[1], argv[2:]
    raw, stall = None, 0.0
    if rest[:1] == ["--raw"]:
        raw, rest = bytes.fromhex(rest[1]), rest[2:]
    if rest[:1] == ["--stall"]:
        stall, rest = float(rest[1]), rest[2:]
    fields = [tuple(a.split("=", 1)) for a in rest]
    data = raw if raw is not None else frame(fields)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    if stall:
        s.sendall(data[: len(data) // 2])
        time.sleep(stall)
        try:
            s.sendall(data[len(data) // 2:])
        except OSError:
            pass
    else:
        s.sendall(data)
    try:
        hdr = recv_exact(s, 4)
    except OSError:
        hdr = None
    if hdr is None:
        print("closed")
        return 1
    body = recv_exact(s, struct.unpack(">I", hdr)[0]) or b""
    for key, value in parse(body):
        try:
            text = value.decode()
            if "\n" in text:
                raise ValueError
        except ValueError:
            text = value.hex()
        print("%s=%s" % (key, text))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
