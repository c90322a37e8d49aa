#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mksnap.py - write a ksm-unix snapshot from a JSON description.

An implementation of ksm-core/snapshot/snapshot_format.h written independently of
ksm-core/accounts/snapshot_writer.c, so that the reader and the NSS module are tested
against a second writer (an oracle), and so that tests can build snapshots
that ksmctl sync would never write (huge gecos, odd orders, many groups).

    mksnap.py [--generated-at SECS] IN.json|- OUT

IN.json:
    {"users":  [{"name": "alice", "uid": 20001, "gid": 20001,
                 "gecos": "Alice", "home": "/home/alice",
                 "shell": "/bin/bash", "groups": [27, 30001],
                 "keys": ["ssh-ed25519 AAAA... alice@x", ...],
                 "record_uid": "...", "flags": 1, "valid_until": 0}],
     "groups": [{"name": "devs", "gid": 30001, "members": ["alice"],
                 "local": false}]}

Only "name", "uid" and "gid" are required for a user, "name" and "gid" for a
group. A key is a string (the authorized_keys line; its SHA256 fingerprint is
computed as ssh-keygen -l prints it) or {"line": ..., "fingerprint": ...}.
Users are stored in the order given; group members name users. Standard
library only.
"""

import base64
import hashlib
import json
import struct
import sys

MAGIC = b"KSMSNAP\x01"
VERSION = 1
NSECTIONS = 9
(USERS, GROUPS, USER_BY_NAME, USER_BY_UID, GROUP_BY_NAME, GROUP_BY_GID, IDS,
 KEYS, STRINGS) = range(NSECTIONS)

# Native byte order, no padding: the C structs have none (checked below).
HEADER = struct.Struct("=8sIIQqIIII" + "QQ" * NSECTIONS)
USER = struct.Struct("=IIIIIIIIIIIIq")   # name gecos home shell record_uid
                                         # uid gid groups n_groups keys
                                         # n_keys flags valid_until
GROUP = struct.Struct("=IIIIII")         # name gid members n_members local pad
KEY = struct.Struct("=II")               # line fingerprint
assert HEADER.size == 192 and USER.size == 56 and GROUP.size == 24


def crc32c(data):
    """CRC-32C (Castagnoli, reflected 0x82f63b78, init and final ~0)."""
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None
assert crc32c(b"123456789") == 0xE3069283  # the standard check value


def fingerprint(line):
    blob = base64.b64decode(line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    return "SHA256:" + digest.rstrip("=")


class Strings:
    def __init__(self):
        self.data = bytearray(b"\0")  # offset 0 is ""
        self.offsets = {"": 0}

    def add(self, s):
        if s is None:
            s = ""
        if s not in self.offsets:
            self.offsets[s] = len(self.data)
            self.data += s.encode() + b"\0"
        return self.offsets[s]


def build(desc, generated_at=0):
    users = desc.get("users", [])
    groups = desc.get("groups", [])
    strings = Strings()
    ids = []
    keys = []
    user_index = {}
    for i, u in enumerate(users):
        if u["name"] in user_index:
            raise ValueError("duplicate user %s" % u["name"])
        user_index[u["name"]] = i

    user_recs = []
    for u in users:
        gids = [int(g) for g in u.get("groups", [])]
        groups_off = len(ids)
        ids.extend(gids)
        keys_off = len(keys)
        for k in u.get("keys", []):
            if isinstance(k, str):
                k = {"line": k, "fingerprint": fingerprint(k)}
            keys.append((strings.add(k["line"]),
                         strings.add(k.get("fingerprint", ""))))
        user_recs.append(USER.pack(
            strings.add(u["name"]), strings.add(u.get("gecos", "")),
            strings.add(u.get("home", "/home/" + u["name"])),
            strings.add(u.get("shell", "/bin/bash")),
            strings.add(u.get("record_uid", "")),
            int(u["uid"]), int(u["gid"]), groups_off, len(gids), keys_off,
            len(u.get("keys", [])), int(u.get("flags", 0)),
            int(u.get("valid_until", 0))))

    group_recs = []
    for g in groups:
        members = [user_index[m] for m in g.get("members", [])]
        members_off = len(ids)
        ids.extend(members)
        group_recs.append(GROUP.pack(
            strings.add(g["name"]), int(g["gid"]), members_off, len(members),
            1 if g.get("local") else 0, 0))

    # Indexes: byte-wise name order is strcmp order.
    by_name = sorted(range(len(users)), key=lambda i: users[i]["name"].encode())
    by_uid = sorted(range(len(users)), key=lambda i: int(users[i]["uid"]))
    g_by_name = sorted(range(len(groups)),
                       key=lambda i: groups[i]["name"].encode())
    g_by_gid = sorted(range(len(groups)), key=lambda i: int(groups[i]["gid"]))

    def u32s(v):
        return struct.pack("=%dI" % len(v), *v)

    bodies = [None] * NSECTIONS
    bodies[USERS] = b"".join(user_recs)
    bodies[GROUPS] = b"".join(group_recs)
    bodies[USER_BY_NAME] = u32s(by_name)
    bodies[USER_BY_UID] = u32s(by_uid)
    bodies[GROUP_BY_NAME] = u32s(g_by_name)
    bodies[GROUP_BY_GID] = u32s(g_by_gid)
    bodies[IDS] = u32s(ids)
    bodies[KEYS] = b"".join(KEY.pack(*k) for k in keys)
    bodies[STRINGS] = bytes(strings.data)

    out = bytearray(HEADER.size)
    secs = []
    for body in bodies:
        out += b"\0" * (-len(out) % 8)
        secs.append((len(out), len(body)))
        out += body
    flat = [x for sec in secs for x in sec]
    checksum = crc32c(out[HEADER.size:])
    out[:HEADER.size] = HEADER.pack(
        MAGIC, VERSION, HEADER.size, len(out), generated_at, checksum,
        len(users), len(groups), len(keys), *flat)
    return bytes(out)


def main(argv):
    args = argv[1:]
    generated_at = 0
    if len(args) >= 2 and args[0] == "--generated-at":
        generated_at = int(args[1])
        args = args[2:]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    src = sys.stdin if args[0] == "-" else open(args[0], encoding="utf-8")
    with src:
        desc = json.load(src)
    data = build(desc, generated_at)
    with open(args[1], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
