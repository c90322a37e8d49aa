#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write corpus/fuzz_snapshot/: small valid snapshots from tests/nss/mksnap.py
(the independent writer), each under run-smoke.sh's 4096-byte -max_len.

    tests/fuzz/make-snapshot-seeds.py

Deterministic: running it again changes nothing.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "nss"))
import mksnap  # noqa: E402

OUT = os.path.join(HERE, "corpus", "fuzz_snapshot")


def many(n_users, n_groups):
    users = [{"name": "u%02d" % i, "uid": 1000 + i, "gid": 2000 + i % n_groups,
              "gecos": "U %d" % i, "groups": [2000 + (i + 1) % n_groups, 27]}
             for i in range(n_users)]
    groups = [{"name": "g%d" % k, "gid": 2000 + k,
               "members": ["u%02d" % i for i in range(n_users) if i % n_groups == k]}
              for k in range(n_groups)]
    groups.append({"name": "sudo", "gid": 27, "local": True,
                   "members": [u["name"] for u in users[:3]]})
    return {"users": users, "groups": groups}


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(HERE, "..", "nss", "users.json")) as f:
        base = json.load(f)
    seeds = {
        "empty.snap": {"users": [], "groups": []},
        "one-user.snap": {"users": [{"name": "a", "uid": 1, "gid": 1}], "groups": []},
        "users-json.snap": base,
        "many.snap": many(12, 4),
        "keys.snap": {"users": [{"name": "k", "uid": 5, "gid": 5, "keys": [
            {"line": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA k@h", "fingerprint": "SHA256:x"},
            {"line": "ssh-rsa AAAAB3NzaC1yc2E k2", "fingerprint": "SHA256:y"}]}],
            "groups": [{"name": "kg", "gid": 5, "members": ["k", "k"]}]},
    }
    for name, desc in sorted(seeds.items()):
        data = mksnap.build(desc, generated_at=1700000000)
        assert len(data) <= 4096, name
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
