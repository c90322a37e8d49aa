#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""syslog_listener.py SOCKET LOG - a tiny syslog daemon for tests: binds an
AF_UNIX SOCK_DGRAM socket at SOCKET (as /dev/log is) and appends every
datagram received as one line to LOG, flushed at once. Runs until killed."""
import os, signal, socket, sys

path, log = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
with open(log, "ab", buffering=0) as f:
    open(log + ".ready", "w").close()
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\0\n") + b"\n")
