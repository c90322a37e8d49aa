#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen-keys-vault.py - a vault of N POSIX accounts with SSH keys, for bench/run-keys.sh.

    bench/gen-keys-vault.py N [--seed S] [--app NAME] [--no-passwords] > vault.json

Every record is a pamUser account that ksmctl sync publishes: login user%05d, a
password (empty with --no-passwords), explicit uid/gid (210000 + i, inside the
default uid_range, so 10,000 accounts never collide; derived uids would), gecos,
shell, and 1 to 3 SSH keys: the first in a keyPair field, the others in a custom
ssh_public_key field (one key a line). The keys are valid ed25519 public keys built without ssh-keygen: the blob
is string("ssh-ed25519") + string(32 random bytes), base64. Deterministic for a
given seed. Records sit in one shared folder "Linux Users", shared editable with
one application.

Every record whose index is a multiple of 100 has exactly 3 keys, so the benchmark
can pick user05000 as its 3-key user.
"""
import argparse
import base64
import json
import random
import struct
import sys

SHELLS = ["/bin/bash", "/bin/bash", "/bin/bash", "/bin/zsh", "/bin/sh"]
FOLDER = "KeysBenchFolder0000000"


def uid(rnd):
    return base64.urlsafe_b64encode(rnd.randbytes(16)).rstrip(b"=").decode()


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def ed25519_key(rnd, comment):
    blob = sshstr(b"ssh-ed25519") + sshstr(rnd.randbytes(32))
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def password(rnd):
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%^&*-_=+"
    return "".join(rnd.choice(alphabet) for _ in range(24))


def account(rnd, i, with_password=True):
    login = f"user{i:05d}"
    nkeys = 3 if i % 100 == 0 else rnd.randint(1, 3)
    keys = [ed25519_key(rnd, f"{login}@host{k}") for k in range(nkeys)]
    fields = [
        {"type": "login", "value": [login]},
        {"type": "password", "value": [password(rnd)] if with_password else []},
        {"type": "keyPair", "value": [{"publicKey": keys[0], "privateKey": ""}]},
    ]
    custom = [
        {"type": "text", "label": "uid", "value": [str(210000 + i)]},
        {"type": "text", "label": "gid", "value": [str(210000 + i)]},
        {"type": "text", "label": "gecos", "value": [f"User {i}"]},
        {"type": "text", "label": "shell", "value": [rnd.choice(SHELLS)]},
    ]
    if nkeys > 1:
        custom.append({"type": "multiline", "label": "ssh_public_key",
                       "value": ["\n".join(keys[1:])]})
    return {"uid": uid(rnd), "folder": FOLDER,
            "data": {"type": "pamUser", "title": login, "fields": fields, "custom": custom,
                     "notes": f"generated account {i}"}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--app", default="app")
    ap.add_argument("--no-passwords", action="store_true",
                    help="empty password fields: ksmctl sync then makes no offline verifiers")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    vault = {"applications": [{"name": a.app, "shares": [{"folder": FOLDER, "editable": True}]}],
             "folders": [{"uid": FOLDER, "name": "Linux Users"}],
             "records": [account(rnd, i, not a.no_passwords) for i in range(1, a.n + 1)]}
    json.dump(vault, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
