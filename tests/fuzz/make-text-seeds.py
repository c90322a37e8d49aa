#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora that need no cryptography:

  corpus/fuzz_ssh_key/         authorized_keys lines (every key type, options,
                               type mismatches, odd spacing) and pastes
  corpus/fuzz_account_fields/  login/uid/gid/valid_until/groups/home/shell/
                               gecos/type/title parts (fuzz_account_fields.c)
  corpus/fuzz_vault/           sets of record plaintexts: collisions, local
                               clashes, groups, the same record twice
  corpus/fuzz_private_store/   offline stores, valid and damaged, with
                               verifiers of fakecrypt.c's stand-in
  corpus/fuzz_base64/          base64 texts of both alphabets, good and bad
  corpus/fuzz_sync_status/     SNAPSHOT.status files as ksmctl sync writes
                               them, and damaged ones
  corpus/fuzz_private_key/     the test keys of tests/vectors/keys (every
                               format), with and without their passphrase,
                               and damaged copies

    tests/fuzz/make-text-seeds.py

Deterministic (fixed bytes, no randomness): running it again changes
nothing. Each file is named after the SHA-1 of its content, as libFuzzer
names the inputs it keeps; files already there are left alone.
"""
import base64
import hashlib
import json
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, seeds):
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    for s in seeds:
        if isinstance(s, str):
            s = s.encode()
        with open(os.path.join(out, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print("%s: %d seeds" % (target, len(seeds)))


# ---------------------------------------------------------------- keys

def sshstr(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def filler(n, tag):
    return bytes((tag * 31 + i * 7) & 0xFF for i in range(n))


def blob(ktype):
    """The wire form of a public key of ktype (fields after the type are
    of the right shape; the validator only reads the type)."""
    b = sshstr(ktype)
    if ktype.startswith("ssh-ed25519"):
        b += sshstr(filler(32, 1))
    elif ktype.startswith("ssh-rsa"):
        b += sshstr(b"\x01\x00\x01") + sshstr(b"\x00" + filler(128, 2))
    elif "nistp" in ktype:
        curve = re.search(r"nistp[0-9]+", ktype).group(0)
        n = {"nistp256": 65, "nistp384": 97, "nistp521": 133}[curve]
        b += sshstr(curve) + sshstr(b"\x04" + filler(n - 1, 3))
    elif ktype.startswith("sk-ssh-ed25519"):
        b += sshstr(filler(32, 4))
    if ktype.startswith("sk-"):
        b += sshstr("ssh:")
    if "-cert-" in ktype:
        b = sshstr(ktype) + sshstr(filler(32, 5)) + b[4 + len(ktype):]
    return b


TYPES = [
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
    "ssh-rsa-cert-v01@openssh.com",
    "ecdsa-sha2-nistp256-cert-v01@openssh.com",
]


def key_line(ktype, comment="alice@laptop"):
    line = ktype + " " + base64.b64encode(blob(ktype)).decode()
    return line + (" " + comment if comment else "")


def ssh_key_seeds():
    ed = key_line("ssh-ed25519")
    ed64 = ed.split()[1]
    lines = [key_line(t) for t in TYPES]
    lines += [
        key_line("ssh-ed25519", ""),
        "  \tssh-ed25519   %s   two  words  \t" % ed64,
        'command="/bin/sh" ' + ed,
        'no-pty,from="10.0.0.0/8" ' + ed,
        "ssh-rsa " + ed64 + " mismatch",
        "ssh-ed25519 " + ed64.rstrip("=") + " nopad",
        "ssh-ed25519 " + ed64[:-8] + " cut",
        "ssh-ed25519 " + ed64.replace("+", "-").replace("/", "_") + " url",
        "ssh-ed25519 " + ed64 + " tab\tin comment",
        "ssh-ed25519 " + ed64 + " del\x7f",
        "ssh-dss AAAAB3NzaC1kc3M= old",
        "ssh-ed25519",
        "ssh-ed25519 " + base64.b64encode(sshstr("ssh-ed25519")).decode(),
    ]
    seeds = [b"\x00" + l.encode() for l in lines]
    paste = "\r\n".join([ed, "", "# a comment line",
                         key_line("ssh-rsa", "bob"), ed,
                         'command="x" ' + key_line("ssh-rsa")]) + "\r\n"
    seeds.append(b"\x02" + paste.encode())
    seeds.append(b"\x02" + ("\n".join(lines[:4])).encode())
    seeds.append(b"\x03" + ed.encode())
    seeds.append(b"\x03" + (ed + "\n" + ed).encode())
    return seeds


# ------------------------------------------------------ account fields

PARTS = ["login", "uid", "gid", "valid_until", "groups", "home", "shell",
         "gecos", "type", "title"]


def fields(flags=0, **kw):
    parts = [kw.get(p, "") for p in PARTS]
    while parts and parts[-1] == "":
        parts.pop()
    return bytes([flags]) + "\0".join(parts).encode()


def account_field_seeds():
    return [
        fields(login="alice"),
        fields(login="bob", uid="2001", gid="2001", title="Bob B"),
        fields(login="bob", uid="200001", gid="200002", title="Bob B"),
        fields(1, login="carol", uid="5004", gid="5010"),
        fields(2, login="dave", uid="5004", gid="5010"),
        fields(4, login="erin", uid="0200001", gid="200002",
               valid_until="1893456000"),
        fields(login="frank", valid_until="2030-01-02"),
        fields(login="grace", valid_until="2030-01-02T03:04:05Z"),
        fields(login="heidi", valid_until="2030-01-02 03:04+05:30"),
        fields(login="ivan", valid_until="2028-02-29T23:59:60-01:00"),
        fields(login="judy", valid_until="2027-02-29"),
        fields(login="mallory", valid_until="1970-01-01T00:30+01:00"),
        fields(login="oscar", valid_until="0"),
        fields(login="peggy", valid_until="soon"),
        fields(login="trent", groups="sudo, docker ,dev,sudo,,"),
        fields(login="victor", groups="Bad Group"),
        fields(login="walter", home="/srv/walter", shell="/bin/zsh",
               gecos="Walter W,,,"),
        fields(login="x", home="/home/../etc", shell="bin/sh"),
        fields(login="y", gecos="a:b"),
        fields(login="z", type="pamUser"),
        fields(login="z", type="sshKeys"),
        fields(login="z", type="serverCredentials"),
        fields(login="z", type="databaseCredentials"),
        fields(login="Root"),
        fields(login="-x"),
        fields(login="a" * 33),
        fields(login="_svc.name-1", uid="4294967295"),
        fields(login="big", uid="4294967296", gid="99999999999999999999"),
    ]


# ---------------------------------------------------------------- vault

def record(login, title=None, **custom):
    r = {"type": custom.pop("rtype", "login"), "title": title or login,
         "fields": [{"type": "login", "value": [login]},
                    {"type": "password", "value": ["pw-" + login]}],
         "custom": []}
    keys = custom.pop("keys", None)
    if keys:
        r["fields"].append({"type": "keyPair", "value": [
            {"publicKey": keys, "privateKey": "-"}]})
    for k, v in custom.items():
        r["custom"].append({"type": "text", "label": k, "value": [v]})
    return json.dumps(r, separators=(",", ":"))


def vault(flags, mask, *records):
    return bytes([flags, mask]) + "\0".join(records).encode()


def vault_seeds():
    ed = key_line("ssh-ed25519", "bob@host")
    return [
        vault(0, 0, record("bob", keys=ed), record("carol", groups="devs")),
        vault(0, 0, record("bob"), record("bob", "Other Bob")),
        vault(0, 0, record("bob", uid="200001"),
              record("carol", uid="200001")),
        vault(0, 0, record("alice"), record("dan", uid="200100"),
              record("erin", gid="200200"), record("ops"), record("lab")),
        vault(0, 2, record("bob"), record("bob")),
        vault(0, 0, record("bob", groups="sudo,devs,carol"),
              record("carol", groups="devs,staff"),
              record("staff")),
        vault(1, 0, record("u1"), record("u2"), record("u3"), record("u4"),
              record("u5"), record("u6")),
        vault(1, 0, record("g1", groups="x1,x2,x3,x4"),
              record("g2", groups="x5,x6,staff,devs")),
        vault(2, 0, record("alice"), record("root", uid="200000")),
        vault(0, 0, record("frank", valid_until="2030-01-01"),
              record("notacct", rtype="databaseCredentials"),
              '{"type":"login","fields":[]}', "not json"),
        vault(0, 0, record("gina", gid="230000"),
              record("hank", uid="230000"), record("ivy", uid="230001",
                                                     gid="230000")),
        vault(0, 0, record("jo", groups="lab,ops,sudo,users,newgrp"),
              record("kim", groups="newgrp,jo")),
        # A previous sync (flag 4): the last record is the newcomer.
        vault(5, 0, record("u1"), record("u2"), record("u3"), record("u4"),
              record("u5"), record("u6")),
        vault(4, 0, record("bob", uid="200001"), record("carol"),
              record("dave", uid="200001")),
        vault(4, 0, record("bob"), record("bob", "Other Bob")),
        vault(5, 0, record("v1", gid="5010"), record("v2"), record("v3"),
              record("v4", gid="5010")),
    ]


# -------------------------------------------------------- private store

def fake_crypt(phrase, salt):
    """fakecrypt.c's stand-in: "$fake$SALT$" + FNV-1a, 16 hex digits."""
    h = 1469598103934665603
    for c in ("$fake$" + salt + phrase).encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "$fake$%s$%016x" % (salt, h)


def store(flags, users, version=1):
    return bytes([flags]) + json.dumps(
        {"version": version, "users": users}, separators=(",", ":")).encode()


def entry(record, revision, phrase, confirmed=1700000000, failures=0,
          salt="s1"):
    return {"record": record, "revision": revision,
            "verifier": fake_crypt(phrase, salt), "confirmed": confirmed,
            "failures": failures}


def private_store_seeds():
    alice = entry("RecAlice", 4242, "alice-pw")
    return [
        store(0, {}),
        store(0, {"alice": alice}),
        store(0, {"alice": entry("RecAlice", 4242, "old-pw", failures=2)}),
        store(1, {"alice": entry("RecAlice", 4242, "alice-pw", failures=1)}),
        store(2, {"alice": alice}),
        store(0, {"alice": entry("RecAlice", 1, "alice-pw"),
                  "bob": entry("RecBob", 7, "bob-pw"),
                  "dave": entry("RecDave", 3, "x")}),
        store(4, {"alice": entry("RecOther", 4242, "alice-pw")}),
        store(0, {"alice": {"record": "RecAlice", "revision": "4242",
                            "verifier": "$y$j9T$abc$def", "confirmed": 1e18,
                            "failures": -5}}),
        store(0, {"alice": "not an object", "bob": None}),
        store(0, {"alice": {"verifier": 7}}),
        b"\x00" + b'{"version":1,"users":[]}',
        b"\x00" + b'{"version":1}',
        b"\x00" + b"[1,2,3]",
        b"\x00" + b"not json",
        b"\x00",
    ]


# --------------------------------------------------------------- base64

def base64_seeds():
    key = bytes(range(32))
    return [
        b"", b"QUJD", b"QUI=", b"QQ==", b"QQ", b"Q", b"====", b"QQ===",
        base64.b64encode(key), base64.urlsafe_b64encode(key).rstrip(b"="),
        base64.b64encode(bytes(range(256))),
        b"-_-_", b"+/+/", b"QU=J", b"QUJD\n", b"QU\x00J",
    ]


# ---------------------------------------------------------- sync status

def sync_status_seeds():
    ok = {"time": 1700000000, "ok": True,
          "message": "3 accounts, 4 groups, 1 refused, 2 hashed",
          "accounts": 3, "groups": 4,
          "refused": [{"record": "VaultRecord01AbCdEfGhIj", "name": "bob",
                       "reason": "the name is also claimed by record X",
                       "account": True},
                      {"record": "", "name": "devs",
                       "reason": "group devs dropped: gid 5 is also ...",
                       "account": False}]}
    failed = {"time": 1700000000, "ok": False,
              "message": "cannot reach the server", "accounts": -1,
              "groups": -1, "refused": []}
    vault = dict(ok, app_name="Linux hosts", device_expires_on=1893456000,
                 warnings=["notice one", "notice two"])
    return [json.dumps(ok, indent=2), json.dumps(failed), json.dumps(vault),
            json.dumps(dict(vault, device_expires_on="soon", warnings="x",
                            app_name=["x"])),
            json.dumps(dict(ok, refused=[{"record": 5, "name": None},
                                         "text", []])),
            json.dumps(dict(ok, time="yesterday", ok="yes", message=7)),
            '{"message":"tab\there \u001b[31m esc"}', "{}", "[]", "",
            "not json"]


def private_key_seeds():
    """Mode byte (bit 0: the passphrase, bit 1: a wrong one first) + key."""
    keys = os.path.join(HERE, "..", "vectors", "keys")
    out = []
    for name in sorted(os.listdir(keys)):
        if not name.endswith(".key"):
            continue
        with open(os.path.join(keys, name), "rb") as f:
            text = f.read()
        enc = b"ENCRYPTED" in text or "-enc" in name
        out.append(bytes([3 if enc else 0]) + text)
        if enc:
            out.append(b"\0" + text)
        # Cut in the middle of the body, and with CRLF line ends.
        out.append(b"\1" + text[: len(text) // 2] + text[-36:])
        out.append(b"\1" + text.replace(b"\n", b"\r\n"))
    return out


if __name__ == "__main__":
    write("fuzz_ssh_key", ssh_key_seeds())
    write("fuzz_account_fields", account_field_seeds())
    write("fuzz_vault", vault_seeds())
    write("fuzz_private_store", private_store_seeds())
    write("fuzz_base64", base64_seeds())
    write("fuzz_sync_status", sync_status_seeds())
    write("fuzz_private_key", private_key_seeds())
