#!/bin/bash
# SPDX-License-Identifier: MIT
# test_demo_vault.sh - the demo's sample vault (demo/vault.json, README
# quick start) holds what the demo shows: every SSH public key in it is a
# real key (ssh-keygen -l reads it), and a sync of it publishes its
# accounts with those keys (deploy's among them) and refuses nothing.
. "$(dirname "$0")/lib.sh"

V=$TOP_SRC/demo/vault.json
/usr/bin/python3 - "$V" >"$T/keys" <<'PY' || exit 99
import json, sys
vault = json.load(open(sys.argv[1]))
for r in vault["records"]:
    d = r["data"]
    for f in d.get("fields", []) + d.get("custom", []):
        if f.get("type") == "keyPair":
            for v in f["value"]:
                print(d["title"], v["publicKey"])
        elif f.get("label") == "ssh_public_key":
            for v in f["value"]:
                for line in v.splitlines():
                    print(d["title"], line)
PY
check "the demo vault holds SSH keys (deploy's among them)" grep -q '^deploy ssh-' "$T/keys"
while read -r title key; do
	check "demo vault: $title's key is a valid key (ssh-keygen -l)" \
		bash -c 'ssh-keygen -l -f /dev/stdin <<<"$1" >/dev/null 2>&1' _ "$key"
done <"$T/keys"

# What the demo's sync makes of it (direct mode: no ksmd needed); alice's
# sudo membership is the demo's explicit local_groups opt-in.
ksm_start_server "$V"
write_conf "snapshot = $T/snapshot" "local_groups = sudo"
KSM_TEST_NO_KSMD=1 bind demo-host
expect_rc "bind to the demo vault" 0
run_ksmctl sync
expect_rc "sync of the demo vault" 0
check "the demo's sync refuses nothing" grep -q ", 0 refused, 0 keys or groups dropped," <<<"$OUT"
run_ksmctl users --json
check "deploy is published with its one key, fingerprint as ssh-keygen prints it" /usr/bin/python3 -c '
import json, subprocess, sys
d = json.loads(sys.argv[1])
a = {u["name"]: u for u in d["accounts"]}
k = a["deploy"]["keys"]
want = subprocess.run(["ssh-keygen", "-l", "-f", "/dev/stdin"], input=k[0]["line"], capture_output=True,
                      text=True, check=True).stdout.split()[1]
assert len(k) == 1 and k[0]["fingerprint"] == want, (k, want)
assert "alice" in a' "$OUT"

finish
