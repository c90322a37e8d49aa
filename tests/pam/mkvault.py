#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkvault.py OUT.json [KEYDIR] - the vault of the pam_ksm tests (tests/pam).

With KEYDIR, alice and gina get the SSH public keys KEYDIR/alice.pub and
KEYDIR/gina.pub (keyPair fields) for public-key logins.

Every password is a distinct string that appears nowhere else, so a test
can grep logs and files for it. lib.sh holds the same constants.
"""
import json
import sys

FOLDER = "PamFolder0000000000000"
TOTP_URL = "otpauth://totp/Test:bob?secret=JBSWY3DPEHPK3PXP&issuer=Test&algorithm=SHA1&digits=6&period=30"


def user(uid, login, unix_uid, password=None, fields=(), custom=()):
    f = [{"type": "login", "value": [login]}]
    if password is not None:
        f.append({"type": "password", "value": [password]})
    return {"uid": uid, "folder": FOLDER,
            "data": {"type": "pamUser", "title": login,
                     "fields": f + list(fields),
                     "custom": [{"type": "text", "label": k, "value": [v]}
                                for k, v in [("uid", str(unix_uid))] + list(custom)]}}


keys = {}
if len(sys.argv) > 2:
    keys = {n: open(f"{sys.argv[2]}/{n}.pub").read().strip() for n in ("alice", "gina")}


def keypair(name):
    if name not in keys:
        return []
    return [{"type": "keyPair", "value": [{"publicKey": keys[name], "privateKey": ""}]}]


records = [
    user("PamAlice00000000000000", "alice", 261001, "pw-alice-7Hq2xZ", fields=keypair("alice")),
    user("PamBob0000000000000000", "bob", 261002, "pw-bob-V8s1Lm",
         fields=[{"type": "oneTimeCode", "value": [TOTP_URL]}]),
    user("PamCarol00000000000000", "carol", 261003, "pw-carol-N4c6Tw",
         custom=[("valid_until", "2001-01-01T00:00:00Z")]),
    user("PamDan0000000000000000", "dan", 261004),
    user("PamErin000000000000000", "erin", 261005, "pw-erin-Q2w9Jz"),
    user("PamFrank00000000000000", "frank", 261006, "pw-frank-R5t3Yb"),
    user("PamGina000000000000000", "gina", 261007, "pw-gina-H6j2Pk", fields=keypair("gina"),
         custom=[("groups", "sudo")]),
    # Not an account (type not accepted): a second session secret.
    {"uid": "PamDbSecret00000000000", "folder": FOLDER,
     "data": {"type": "databaseCredentials", "title": "db",
              "fields": [{"type": "password", "value": ["db-secret-Z7x4Wq"]}]}},
]
vault = {"applications": [{"name": "app", "shares": [{"folder": FOLDER, "editable": True}]}],
         "folders": [{"uid": FOLDER, "name": "Linux Users"}],
         "records": records}
json.dump(vault, open(sys.argv[1], "w"), indent=1)
