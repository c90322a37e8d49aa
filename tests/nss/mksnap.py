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

Every checksum is computed here from the values written (not by reading the
image back), as snapshot_format.h defines it. Tests that craft damaged or
inconsistent files patch build()'s output and call seal_header() to make
the header and section CRCs right again; sections() finds the sections.
"""

import base64
import hashlib
import json
import struct
import sys

MAGIC = b"KSMSNAP\x01"
VERSION = 2
NSECTIONS = 13
(USERS, GROUPS, USER_BY_NAME, USER_BY_UID, GROUP_BY_NAME, GROUP_BY_GID, IDS,
 KEYS, STRINGS, USER_NAME_HASH, USER_UID_HASH, GROUP_NAME_HASH,
 GROUP_GID_HASH) = range(NSECTIONS)

# Native byte order, no padding: the C structs have none (checked below).
HEADER = struct.Struct("=8sIIQqIIII" + "QQII" * NSECTIONS)
HEADER_CRC_AT = 32                       # header_crc's offset
USER = struct.Struct("=IIIIIIIIIIIIqII") # name gecos home shell record_uid
                                         # uid gid groups n_groups keys
                                         # n_keys flags valid_until crc
                                         # reserved
GROUP = struct.Struct("=IIIIII")         # name gid members n_members local crc
KEY = struct.Struct("=II")               # line fingerprint
BUCKET = struct.Struct("=II")            # start crc
HENT = struct.Struct("=II")              # key entry
assert HEADER.size == 360 and USER.size == 64 and GROUP.size == 24


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli, reflected 0x82f63b78, init and final ~0);
    crc32c(b, crc32c(a)) == crc32c(a + b)."""
    table = _TABLE
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


def fingerprint(line):
    blob = base64.b64decode(line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode()
    return "SHA256:" + digest.rstrip("=")


def name_key(name):
    return crc32c(name.encode())


def nbuckets(n):
    nb = 1
    while nb * 4 < n:
        nb *= 2
    return nb


def bucket_of(key, nb):
    """Fibonacci hashing: the top log2(nb) bits of key * 0x9e3779b1."""
    if nb <= 1:
        return 0
    return ((key * 0x9E3779B1) & 0xFFFFFFFF) >> (32 - (nb.bit_length() - 1))


def hash_table(keys):
    """A hash section: nb + 1 buckets (start, crc), then the entries (key,
    entry), each bucket's sorted by (key, entry); the CRC of bucket b is
    that of b, start, end (uint32 each) and the bucket's entry bytes."""
    n = len(keys)
    nb = nbuckets(n)
    rows = sorted((bucket_of(k, nb), k, i) for i, k in enumerate(keys))
    starts = []
    r = 0
    for b in range(nb + 1):
        while r < n and rows[r][0] < b:
            r += 1
        starts.append(r)
    ents = [HENT.pack(k, i) for _, k, i in rows]
    out = bytearray()
    for b in range(nb):
        s, e = starts[b], starts[b + 1]
        crc = crc32c(b"".join(ents[s:e]), crc32c(struct.pack("=III", b, s, e)))
        out += BUCKET.pack(s, crc)
    out += BUCKET.pack(n, 0)
    return bytes(out) + b"".join(ents)


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


def z(s):
    return (s or "").encode() + b"\0"


def seal_header(out):
    """Section CRCs and the header CRC of a laid-out image (bytearray)."""
    fields = list(HEADER.unpack_from(out))
    for i in range(NSECTIONS):
        off, ln = fields[9 + 4 * i], fields[10 + 4 * i]
        fields[11 + 4 * i] = crc32c(out[off:off + ln])
    fields[5] = 0
    out[:HEADER.size] = HEADER.pack(*fields)
    fields[5] = crc32c(out[:HEADER.size])
    out[:HEADER.size] = HEADER.pack(*fields)


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
        key_text = b""
        for k in u.get("keys", []):
            if isinstance(k, str):
                k = {"line": k, "fingerprint": fingerprint(k)}
            keys.append((strings.add(k["line"]),
                         strings.add(k.get("fingerprint", ""))))
            key_text += z(k["line"]) + z(k.get("fingerprint", ""))
        home = u.get("home", "/home/" + u["name"])
        shell = u.get("shell", "/bin/bash")
        fields = [
            strings.add(u["name"]), strings.add(u.get("gecos", "")),
            strings.add(home), strings.add(shell),
            strings.add(u.get("record_uid", "")),
            int(u["uid"]), int(u["gid"]), groups_off, len(gids), keys_off,
            len(u.get("keys", [])), int(u.get("flags", 0)),
            int(u.get("valid_until", 0)), 0, 0]
        # The entry's CRC: the record (crc 0), its strings, gids and keys.
        crc = crc32c(USER.pack(*fields) + z(u["name"]) + z(u.get("gecos", "")) +
                     z(home) + z(shell) + z(u.get("record_uid", "")) +
                     struct.pack("=%dI" % len(gids), *gids) + key_text)
        fields[13] = crc
        user_recs.append(USER.pack(*fields))

    group_recs = []
    for g in groups:
        members = [user_index[m] for m in g.get("members", [])]
        members_off = len(ids)
        ids.extend(members)
        fields = [strings.add(g["name"]), int(g["gid"]), members_off,
                  len(members), 1 if g.get("local") else 0, 0]
        crc = crc32c(GROUP.pack(*fields) + z(g["name"]) +
                     struct.pack("=%dI" % len(members), *members) +
                     b"".join(z(m) for m in g.get("members", [])))
        fields[5] = crc
        group_recs.append(GROUP.pack(*fields))

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
    bodies[USER_NAME_HASH] = hash_table([name_key(u["name"]) for u in users])
    bodies[USER_UID_HASH] = hash_table([int(u["uid"]) for u in users])
    bodies[GROUP_NAME_HASH] = hash_table([name_key(g["name"]) for g in groups])
    bodies[GROUP_GID_HASH] = hash_table([int(g["gid"]) for g in groups])

    out = bytearray(HEADER.size)
    secs = []
    for body in bodies:
        out += b"\0" * (-len(out) % 8)
        secs.append((len(out), len(body), 0, 0))
        out += body
    flat = [x for sec in secs for x in sec]
    out[:HEADER.size] = HEADER.pack(
        MAGIC, VERSION, HEADER.size, len(out), generated_at, 0,
        len(users), len(groups), len(keys), *flat)
    seal_header(out)
    return bytes(out)


def sections(data):
    """[(offset, length)] of each section of an image."""
    f = HEADER.unpack_from(data)
    return [(f[9 + 4 * i], f[10 + 4 * i]) for i in range(NSECTIONS)]


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
