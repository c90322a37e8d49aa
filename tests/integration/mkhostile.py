#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""mkhostile.py OUTDIR KEYDIR - the hostile vault for test_hostile.sh.

Reads the public keys KEYDIR/{good,keep,evil,note}.pub (made by ssh-keygen)
and /etc/passwd and /etc/group (ksmctl sync checks against the real ones),
and writes into OUTDIR:

  vault.json  VAULT.json for tests/server: good accounts next to hostile
              records (huge and deeply nested content is generated here,
              never committed)
  cases.tsv   one hostile case a line, tab separated:
              RECORD-UID  KIND  REASON-REGEX  NAME  UID  TOKEN
              KIND: account (the whole record refused), key (one key
              dropped, the account kept), group (one group dropped);
              NAME/UID: must not resolve through NSS ("-": none);
              TOKEN: must appear in no snapshot byte and no keys output
  range.conf  uid_range/gid_range lines around a local uid (nobody's), so
              that a collision with a local account can be tested
"""
import base64
import json
import os
import struct
import sys

outdir, keydir = sys.argv[1], sys.argv[2]
key = {n: open(f"{keydir}/{n}.pub").read().split()[:2] for n in ("good", "keep", "evil", "note")}
line = {n: " ".join(k) for n, k in key.items()}
FOLDER = "HostileFolder000000000"


def local(path):
    return [l.rstrip("\n").split(":") for l in open(path) if l.count(":") >= 3]


passwd, group = local("/etc/passwd"), local("/etc/group")
users = {p[0]: int(p[2]) for p in passwd}
groups = {g[0]: int(g[2]) for g in group}
# A local uid to collide with: nobody's (65534 on Debian), the range around it.
LOCAL_UID = users.get("nobody", 65534)
LO = LOCAL_UID - 534
LOCAL_GID_OWNER = next((n for n, g in groups.items() if g == LOCAL_UID), None)
local_user = next(n for n in users if n != "root" and n.isalpha() and n.islower())
local_group = next(n for n in groups if n not in users and n.isalpha() and n.islower())
ids = iter(range(LO + 10, LO + 290))

records, cases = [], []


def uid22(tag):
    assert len(tag) <= 22
    return tag + "0" * (22 - len(tag))


def user(tag, login, custom=(), fields=(), title=None, rtype="pamUser", uid=True):
    custom = list(custom)
    if uid and not any(k == "uid" for k, _ in custom):
        custom.insert(0, ("uid", str(next(ids))))
    rec = {"uid": uid22(tag), "folder": FOLDER,
           "data": {"type": rtype, "title": title if title is not None else "T " + tag,
                    "fields": [{"type": "login", "value": [login]},
                               {"type": "password", "value": ["pw-" + tag]}] + list(fields),
                    "custom": [{"type": "text", "label": k, "value": [v]} for k, v in custom]}}
    records.append(rec)
    return rec


def case(tag, kind, reason, name="-", uid="-", token="-"):
    cases.append((uid22(tag), kind, reason, name, str(uid), token))


def hostile(tag, login, reason, custom=(), name=None, **kw):
    """A record refused as a whole; its name and uid must never resolve."""
    rec = user(tag, login, custom, **kw)
    u = next((c["value"][0] for c in rec["data"]["custom"] if c["label"] == "uid"), "-")
    case(tag, "account", reason, login if name is None else name,
         u if str(u).isdigit() and LO <= int(u) < LO + 1000 else "-")


def fake_blob(ktype, body):
    t = ktype.encode()
    return base64.b64encode(struct.pack(">I", len(t)) + t + body).decode()


# --- good accounts, in the same vault: they must still be published ------------
user("GoodOneRec", "goodone", [("uid", str(LO + 1)), ("groups", "hdevs"),
                                ("ssh_public_key", line["good"])])
user("GoodTwoRec", "goodtwo", [("uid", str(LO + 2)), ("groups", "hdevs, goodone")],
     fields=[{"type": "keyPair", "value": [{"publicKey": line["good"], "privateKey": ""}]}])
# keyuser keeps one good key; every hostile key line of its record is dropped.
evil_b64 = key["evil"][1]
user("KeyUserRec", "keyuser", [("uid", str(LO + 3)), ("ssh_public_key",
     line["keep"] + "\n" + 'command="/bin/sh -c id" ' + line["evil"])],
     fields=[
         {"type": "keyPair", "value": [{"publicKey": line["evil"] + ' x\ncommand="id" ' + line["evil"]}]},
         {"type": "keyPair", "value": [{"publicKey": "ssh-dss " + fake_blob("ssh-dss", os.urandom(400)) + " dsa"}]},
         {"type": "keyPair", "value": [{"publicKey": "ssh-foo " + fake_blob("ssh-foo", os.urandom(32))}]},
         {"type": "keyPair", "value": [{"publicKey": "ssh-ed25519 " + fake_blob("ssh-ed25519", os.urandom(512 << 10)) + " huge"}]},
         {"type": "keyPair", "value": [{"publicKey": 'ssh-ed25519 command="/bin/sh" ' + line["evil"]}]},
         {"type": "keyPair", "value": [{"publicKey": "environment=\"LD_PRELOAD=/tmp/x\" " + line["evil"]}]},
     ])
case("KeyUserRec", "key", "key dropped: not a key of a known type \\(options such as command= are not allowed\\): 'command=", token=evil_b64)
case("KeyUserRec", "key", "key dropped: key contains a newline or control character", token=evil_b64)
case("KeyUserRec", "key", "key dropped: not a key of a known type .*'ssh-dss'")
case("KeyUserRec", "key", "key dropped: not a key of a known type .*'ssh-foo'")
case("KeyUserRec", "key", "key dropped: key longer than 16384 bytes")
case("KeyUserRec", "key", "key dropped: the ssh-ed25519 key data does not decode")
case("KeyUserRec", "key", "key dropped: not a key of a known type .*'environment=")
# Options smuggled into a comment: the line starts with the key type, so sshd
# reads no options from it; the key is kept, with its comment as text.
user("NoteUserRec", "noteuser", [("uid", str(LO + 4)), ("ssh_public_key",
     line["note"] + ' from="*",command="/bin/sh" no-pty')])

# --- ids ------------------------------------------------------------------
hostile("UidZeroRec", "hzero", "uid 0 is outside uid_range", [("uid", "0")])
hostile("GidZeroRec", "hgzero", "gid 0 is outside gid_range", [("gid", "0")])
hostile("UidNegRec", "hneg", "uid '-1' is not a number", [("uid", "-1")])
hostile("UidBigRec", "hbig", "uid 4294967295 is outside uid_range", [("uid", "4294967295")])
hostile("UidNlRec", "hnl", "uid is not a number", [("uid", "12\nksmctl: forged log line")])
hostile("UidDupARec", "hdupa", "the uid is also claimed by record " + uid22("UidDupBRec"),
        [("uid", str(LO + 300))])
hostile("UidDupBRec", "hdupb", "the uid is also claimed by record " + uid22("UidDupARec"),
        [("uid", str(LO + 300))])
hostile("UidLocalRec", "hlocaluid", "uid %d belongs to the local account " % LOCAL_UID,
        [("uid", str(LOCAL_UID))])
if LOCAL_GID_OWNER:
    hostile("GidLocalRec", "hlocalgid", "gid %d belongs to the local group %s" % (LOCAL_UID, LOCAL_GID_OWNER),
            [("gid", str(LOCAL_UID))])

# --- names ----------------------------------------------------------------
hostile("RootNameRec", "root", "the name belongs to a local account")
hostile("LocalNameRec", local_user, "the name belongs to a local account")
hostile("LocalGrpRec", local_group, "a local group has the same name as this user's private group")
BAD = "login is not a valid user name"
hostile("SlashRec", "ev/il", BAD)
hostile("ColonRec", "ev:il", BAD)
hostile("NewlineRec", "evil\nroot:x:0:0::/root:/bin/bash", BAD, name="evil")
hostile("DashRec", "-evil", BAD)
hostile("LongRec", "l" * 300, BAD)
hostile("NulRec", "evnul\u0000root", "NUL character", name="evnul")
hostile("NulGecosRec", "hnulgecos", "NUL character", [("gecos", "x\u0000:0:0")])
hostile("EscRec", "ev\u001b[2Jil", BAD, name="-")
hostile("UpperRec", "Root", BAD)

# --- passwd text ------------------------------------------------------------
hostile("GecosColonRec", "hgecos", "gecos .*contains ':'", [("gecos", "a:0:0")])
hostile("GecosNlRec", "hgecosnl", "gecos .*control characters", [("gecos", "a\nroot::0:0::/:/bin/sh")])
hostile("TitleNlRec", "htitle", "gecos \\(custom field or title\\)", title="Title\nroot::0:0::/:/bin/sh")
hostile("HomeColonRec", "hhome", "home is not an absolute path", [("home", "/home/x:/bin/sh")])
hostile("HomeNlRec", "hhomenl", "home is not an absolute path", [("home", "/home/x\nroot")])
hostile("HomeDotsRec", "hhomedots", "home is not an absolute path", [("home", "/home/../etc")])
hostile("ShellRelRec", "hshell", "shell is not an absolute path", [("shell", "bin/sh")])
hostile("ShellColonRec", "hshellc", "shell is not an absolute path", [("shell", "/bin/sh:x")])
hostile("UntilRec", "huntil", "valid_until is neither ISO 8601", [("valid_until", "next tuesday")])
hostile("Until2Rec", "huntil2", "valid_until is neither ISO 8601", [("valid_until", "2030-13-45")])
hostile("Until3Rec", "huntil3", "valid_until is neither ISO 8601", [("valid_until", "99999999999999999999")])

# --- groups -----------------------------------------------------------------
# The local root group (and other local groups not in local_groups) are
# dropped from 'groups', the account kept.
user("GrpRootRec", "grootuser", [("uid", str(LO + 5)), ("groups", "hdevs, root, disk")])
case("GrpRootRec", "group", "group root dropped")
case("GrpRootRec", "group", "group disk dropped")
hostile("GrpColonRec", "hgcolon", "invalid group name in 'groups'", [("groups", "hdevs, ev:il")])
hostile("GrpNlRec", "hgnl", "invalid group name in 'groups'", [("groups", "hdevs\nroot")])
hostile("GrpLongRec", "hglong", "invalid group name in 'groups'", [("groups", "g" * 300)])

# --- records that cannot be read at all -------------------------------------
# A record UID with a newline and ':' (only a hostile server sends one).
user("x", "hbaduid")["uid"] = "EvilUid\nksmctl: forged"
cases.append(("EvilUid?ksmctl??forged", "account", "record UID is not 1-64 characters", "hbaduid", "-", "-"))
# 10 MB of record data: refused by the record size limit (1 MiB), reported.
big = user("BigRec", "hbig10m", [("note", "A" * (10 << 20))])
case("BigRec", "account", "data too large \\([0-9]+ bytes, limit 1048576\\)", "hbig10m", "-")
# A 1 MiB key blob does not fit in a record (a 512 KiB one is dropped above).
user("HugeKeyRec", "hhugekey", fields=[{"type": "keyPair", "value": [
    {"publicKey": "ssh-ed25519 " + fake_blob("ssh-ed25519", os.urandom(1 << 20))}]}])
case("HugeKeyRec", "account", "data too large", "hhugekey", "-")
# 100,000 levels of nesting in a field value: the server sends it verbatim.
DEPTH = 100000
deep = user("DeepRec", "hdeep")
deep["data_text"] = ('{"type":"pamUser","title":"deep","fields":[{"type":"login","value":["hdeep"]}],'
                     '"custom":[{"type":"text","label":"note","value":[' + "[" * DEPTH + "]" * DEPTH + ']}]}')
case("DeepRec", "account", "nesting too deep", "hdeep", "-")
trunc = user("TruncRec", "htrunc")
trunc["data_text"] = '{"type":"pamUser","title":"t","fields":[{"type":"login","value":["htrunc"]}'
case("TruncRec", "account", "malformed JSON", "htrunc", "-")

vault = {"applications": [{"name": "app", "shares": [{"folder": FOLDER, "editable": True}]}],
         "folders": [{"uid": FOLDER, "name": "Hostile"}],
         "records": records}
with open(f"{outdir}/vault.json", "w") as f:
    json.dump(vault, f)
with open(f"{outdir}/cases.tsv", "w") as f:
    for c in cases:
        assert not any("\t" in x or "\n" in x for x in c), c
        f.write("\t".join(c) + "\n")
with open(f"{outdir}/range.conf", "w") as f:
    f.write("uid_range = %d-%d\ngid_range = %d-%d\n" % (LO, LO + 999, LO, LO + 999))
with open(f"{outdir}/ids.env", "w") as f:
    f.write("LO=%d\nLOCAL_UID=%d\n" % (LO, LOCAL_UID))
