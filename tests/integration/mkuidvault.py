#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkuidvault.py OUT.json COUNT [--seed S] [--first I] [--records-only]

COUNT pamUser records u<I>.. without uid or gid fields (so every uid is derived), in one
shared folder, with record UIDs of 16 bytes from random.Random(seed): the same vault for the
same arguments. --records-only writes just {"records": [...]} for ksm-server-admin
add-records. derived() is the reading of the uid derivation (docs/decisions.md, "Derived
uids") that test_uids.sh checks the snapshot against, written apart from ksm-core.
"""
import argparse
import base64
import hashlib
import json
import random

FOLDER = "UidFolder0000000000000"
LO, HI = 0x70000000, 0x7FFDFFFF  # derived_uid_range's default


def derived(record_uid, lo=LO, hi=HI):
    """lo + (first 8 bytes of SHA-256 of the record UID, big endian) mod the range size."""
    v = int.from_bytes(hashlib.sha256(record_uid.encode()).digest()[:8], "big")
    return lo + v % (hi - lo + 1)


def records(count, seed, first):
    rnd = random.Random(seed)
    out = []
    for i in range(first, first + count):
        uid = base64.urlsafe_b64encode(rnd.randbytes(16)).rstrip(b"=").decode()
        out.append({"uid": uid, "folder": FOLDER,
                    "data": {"type": "pamUser", "title": "u%05d" % i,
                             "fields": [{"type": "login", "value": ["u%05d" % i]}],
                             "custom": []}})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("count", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--records-only", action="store_true")
    a = ap.parse_args()
    recs = records(a.count, a.seed, a.first)
    vault = {"records": recs} if a.records_only else {
        "applications": [{"name": "app", "shares": [{"folder": FOLDER, "editable": True}]}],
        "folders": [{"uid": FOLDER, "name": "Users"}],
        "records": recs}
    with open(a.out, "w") as f:
        json.dump(vault, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
