#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkvault.py OUT.json USERS.tsv N [KEYDIR] - the vault of the load tests.

N pamUser records load000.. (uid 262000 + i), each with its own password.
With KEYDIR, user i gets the public key KEYDIR/loadNNN.pub (keyPair field)
when that file exists. USERS.tsv gets one line per user: name, password,
uid, record UID (the scripts read the passwords from it, never from argv).
"""
import json
import os
import sys

out, tsv, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
keydir = sys.argv[4] if len(sys.argv) > 4 else None
FOLDER = "LoadFolder000000000000"

records, lines = [], []
for i in range(n):
    name = "load%03d" % i
    uid = "LoadUser%03d" % i + "0" * 11
    password = "ld-pw-%03d-Kq7Zx" % i
    fields = [{"type": "login", "value": [name]},
              {"type": "password", "value": [password]}]
    pub = keydir and os.path.join(keydir, name + ".pub")
    if pub and os.path.exists(pub):
        fields.append({"type": "keyPair",
                       "value": [{"publicKey": open(pub).read().strip(), "privateKey": ""}]})
    records.append({"uid": uid, "folder": FOLDER,
                    "data": {"type": "pamUser", "title": name, "fields": fields,
                             "custom": [{"type": "text", "label": "uid",
                                         "value": [str(262000 + i)]}]}})
    lines.append("%s\t%s\t%d\t%s\n" % (name, password, 262000 + i, uid))
vault = {"applications": [{"name": "app", "shares": [{"folder": FOLDER, "editable": True}]}],
         "folders": [{"uid": FOLDER, "name": "Linux Users"}],
         "records": records}
json.dump(vault, open(out, "w"), indent=1)
with open(tsv, "w") as f:
    f.writelines(lines)
