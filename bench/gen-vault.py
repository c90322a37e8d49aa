#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen-vault.py - a benchmark vault for tests/server/ksm-server.

    bench/gen-vault.py N [--seed S] [--app NAME] > vault.json

N realistic records, deterministic for a given seed: about 85 % pamUser records (login,
password, rotation script, private PEM key, distinguished name, managed checkbox, fileRef,
oneTimeCode; custom uid, gid, shell, home, groups, authorized_keys; notes), the rest
login records (login, password, url, fileRef, TOTP oneTimeCode, a custom field). They are
spread over two shared folders ("Linux Users" with an "Admins" subfolder, and
"Service Accounts"), both shared editable with one application.
"""
import argparse
import base64
import json
import random
import sys

GROUPS = ["wheel", "adm", "docker", "sudo", "dev", "ops", "dba", "www-data", "backup"]
SHELLS = ["/bin/bash", "/bin/bash", "/bin/bash", "/bin/zsh", "/bin/sh", "/usr/bin/fish"]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"]


def uid(rnd):
    return base64.urlsafe_b64encode(rnd.randbytes(16)).rstrip(b"=").decode()


def b64(rnd, n):
    return base64.b64encode(rnd.randbytes(n)).decode()


def password(rnd):
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#$%^&*-_=+"
    return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(16, 32)))


def totp(rnd, name):
    secret = base64.b32encode(rnd.randbytes(20)).decode().rstrip("=")
    return (f"otpauth://totp/ksm:{name}?secret={secret}&issuer=ksm"
            "&algorithm=SHA1&digits=6&period=30")


def pam_user(rnd, i, folder):
    login = f"{rnd.choice(WORDS)}{i:05d}"
    pem = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + b64(rnd, 300) +
           "\n-----END OPENSSH PRIVATE KEY-----\n") if rnd.random() < 0.3 else None
    keys = "\n".join(f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b64(rnd, 24)} {login}@host{k}"
                     for k in range(rnd.randint(1, 3)))
    return {
        "uid": uid(rnd), "folder": folder,
        "data": {
            "type": "pamUser", "title": login,
            "fields": [
                {"type": "login", "value": [login]},
                {"type": "password", "value": [password(rnd)]},
                {"type": "script", "label": "Rotation Scripts", "value": []},
                {"type": "secret", "label": "Private PEM Key", "value": [pem] if pem else []},
                {"type": "text", "label": "Distinguished Name",
                 "value": [f"cn={login},ou=people,dc=example,dc=com"]},
                {"type": "checkbox", "label": "Managed", "value": [True]},
                {"type": "fileRef", "value": []},
                {"type": "oneTimeCode", "value": [totp(rnd, login)] if rnd.random() < 0.2 else []},
            ],
            "custom": [
                {"type": "text", "label": "uid", "value": [str(20000 + i)]},
                {"type": "text", "label": "gid", "value": [str(20000 + i)]},
                {"type": "text", "label": "shell", "value": [rnd.choice(SHELLS)]},
                {"type": "text", "label": "home", "value": [f"/home/{login}"]},
                {"type": "text", "label": "groups", "value": rnd.sample(GROUPS, rnd.randint(0, 4))},
                {"type": "multiline", "label": "authorized_keys", "value": [keys]},
            ],
            "notes": f"Linux user {login}, managed by KeeperPAM (generated record {i})",
        },
    }


def login_record(rnd, i, folder):
    name = f"svc-{rnd.choice(WORDS)}-{i:05d}"
    return {
        "uid": uid(rnd), "folder": folder,
        "data": {
            "type": "login", "title": name,
            "fields": [
                {"type": "login", "value": [name]},
                {"type": "password", "value": [password(rnd)]},
                {"type": "url", "value": [f"https://{name}.example.com/login"]},
                {"type": "fileRef", "value": []},
                {"type": "oneTimeCode", "value": [totp(rnd, name)]},
            ],
            "custom": [{"type": "text", "label": "environment",
                        "value": [rnd.choice(["prod", "staging", "dev"])]}],
            "notes": "",
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--app", default="bench-app")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    users, admins, svc = uid(rnd), uid(rnd), uid(rnd)
    records = []
    for i in range(a.count):
        if rnd.random() < 0.85:
            folder = admins if rnd.random() < 0.1 else users
            records.append(pam_user(rnd, i, folder))
        else:
            records.append(login_record(rnd, i, svc))
    vault = {
        "applications": [{"name": a.app, "shares": [{"folder": users, "editable": True},
                                                    {"folder": svc, "editable": True}]}],
        "folders": [{"uid": users, "name": "Linux Users"},
                    {"uid": admins, "name": "Admins", "parent": users},
                    {"uid": svc, "name": "Service Accounts"}],
        "records": records,
    }
    json.dump(vault, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
