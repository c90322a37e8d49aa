#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkvault.py OUT.json KEYDIR - the account-rules vault for test_sync.sh.

Reads public keys KEYDIR/{alice,bob,carol}.pub (made by ssh-keygen) and
writes a vault whose records exercise every account rule of docs/design.md.
"""
import json
import sys

out, keydir = sys.argv[1], sys.argv[2]
key = {n: open(f"{keydir}/{n}.pub").read().strip() for n in ("alice", "bob", "carol")}
FOLDER = "AcctFolder000000000000"


def user(uid, title, login, fields=(), custom=(), rtype="pamUser"):
    return {"uid": uid, "folder": FOLDER,
            "data": {"type": rtype, "title": title,
                     "fields": [{"type": "login", "value": [login]},
                                {"type": "password", "value": [f"pw-{login}"]}] + list(fields),
                     "custom": [{"type": "text", "label": k, "value": [v]} for k, v in custom]}}


records = [
    user("AliceAcct0000000000000", "Alice A", "alice",
         custom=[("uid", "250001"), ("groups", "sudo, devs"), ("ssh_public_key", key["alice"] + "\n" + key["carol"])]),
    user("BobAcct000000000000000", "Bob", "bob", rtype="sshKeys",
         fields=[{"type": "keyPair", "value": [{"publicKey": key["bob"], "privateKey": ""}]}],
         custom=[("uid", "250002"), ("gecos", "Bob B,room 1"), ("shell", "/bin/sh"), ("groups", "devs")]),
    user("DaveAcct00000000000000", "dave", "dave", custom=[("valid_until", "2001-01-01T00:00:00Z")]),
    # refused: names
    user("BadName1Acct0000000000", "x", "Bad-Upper"),
    user("BadName2Acct0000000000", "x", "-dash"),
    user("BadName3Acct0000000000", "x", "a" * 40),
    user("BadName4Acct0000000000", "x", "sl/ash"),
    user("RootAcct00000000000000", "x", "root", custom=[("uid", "250010")]),
    # refused: ids
    user("UidZeroAcct00000000000", "x", "zero", custom=[("uid", "0")]),
    user("UidLowAcct000000000000", "x", "low", custom=[("uid", "1000")]),
    user("UidDup1Acct00000000000", "x", "dup1", custom=[("uid", "250020")]),
    user("UidDup2Acct00000000000", "x", "dup2", custom=[("uid", "250020")]),
    user("NameDup1Acct0000000000", "x", "twin", custom=[("uid", "250021")]),
    user("NameDup2Acct0000000000", "x", "twin", custom=[("uid", "250022")]),
    # refused: values
    user("GecosAcct0000000000000", "x", "gecos", custom=[("gecos", "a:b")]),
    user("HomeAcct00000000000000", "x", "home", custom=[("home", "/home/x\n/root")]),
    user("ShellAcct0000000000000", "x", "shell", custom=[("shell", "bash")]),
    user("UntilAcct0000000000000", "x", "until", custom=[("valid_until", "next tuesday")]),
    # published, but its bad keys dropped
    user("KeysAcct00000000000000", "x", "keys", custom=[
        ("uid", "250030"),
        ("ssh_public_key", 'command="/bin/sh" ' + key["bob"]),
    ]),
    user("Keys2Acct0000000000000", "x", "keys2", fields=[
        {"type": "keyPair", "value": [{"publicKey": "ssh-dss AAAAB3NzaC1kc3MAAACBAP comment"}]},
        {"type": "keyPair", "value": [{"publicKey": key["bob"].split()[0] + " " + key["bob"].split()[1] + " x\ncommand=\"id\" ssh-ed25519 AAAA"}]},
        {"type": "keyPair", "value": [{"publicKey": "ssh-ed25519 bm90IGEga2V5"}]},
    ], custom=[("uid", "250031")]),
    # not accounts at all
    {"uid": "NotAcct1Rec00000000000", "folder": FOLDER,
     "data": {"type": "databaseCredentials", "title": "db", "fields": [{"type": "login", "value": ["dbuser"]}]}},
    {"uid": "NotAcct2Rec00000000000", "folder": FOLDER,
     "data": {"type": "login", "title": "no login", "fields": [{"type": "password", "value": ["x"]}]}},
]
vault = {"applications": [{"name": "app", "shares": [{"folder": FOLDER, "editable": True}]}],
         "folders": [{"uid": FOLDER, "name": "Accounts"}],
         "records": records}
json.dump(vault, open(out, "w"), indent=1)
