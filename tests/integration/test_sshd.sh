#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sshd.sh - real sshd logins with keys from the vault: sshd asks
# /usr/sbin/ksm-authorized-keys (AuthorizedKeysCommandUser nobody), knows the
# vault users through nss_ksm, and the snapshot comes from ksmctl sync. The
# helper's live path asks the test's ksmd (keys_user = nobody), which alone
# reads client.json (0600 root).
#
# Needs root (exit 77 otherwise). Everything runs in a private mount
# namespace: tests/lib/namespace.sh's setup_system_ns (/etc/ksm,
# /var/lib/ksm and /etc/nsswitch.conf from $T, the built libksm.so.0 and
# libnss_ksm.so.2 overlaid into the system library directory),
# tests/lib/sshd.sh's sshd_system_dirs (the built helper overlaid into
# /usr/sbin, tmpfs over /home and /run/sshd) and a test /etc/group. The
# only trace on the host: the empty mount points /etc/ksm, /var/lib/ksm and
# /run/sshd, made if they are missing.
#
# Run by hand: cd build/normal && bash ../../tests/integration/test_sshd.sh
# (KEEP_TMP=1 keeps $T with sshd.log and server.log).
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/sshd.sh"
need_root_ns "$@"
need_sshd

trap show_sshd_log EXIT

# Keys: real ones, from ssh-keygen. alice2 replaces alice's key later;
# mallory is in no record; carol's account has expired.
for n in alice alice2 bob bob2 carol mallory; do
	ssh-keygen -q -t ed25519 -N '' -C "$n@test" -f "$T/$n" || exit 99
done
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99

/usr/bin/python3 - "$T" <<'PY' || exit 99
import json, sys
t = sys.argv[1]
key = lambda n: open(f"{t}/{n}.pub").read().strip()
F = "SshdFolder000000000000"
def user(uid, login, unix_uid, fields=(), custom=()):
    return {"uid": uid, "folder": F,
            "data": {"type": "pamUser", "title": login,
                     "fields": [{"type": "login", "value": [login]}] + list(fields),
                     "custom": [{"type": "text", "label": k, "value": [v]} for k, v in
                                [("uid", str(unix_uid))] + list(custom)]}}
vault = {"applications": [{"name": "app", "shares": [{"folder": F, "editable": True}]}],
         "folders": [{"uid": F, "name": "Linux Users"}],
         "records": [
             user("SshdAlice0000000000000", "alice", 251001,
                  fields=[{"type": "keyPair", "value": [{"publicKey": key("alice"), "privateKey": ""}]}]),
             user("SshdBob000000000000000", "bob", 251002,
                  custom=[("ssh_public_key", key("bob") + "\n" + key("bob2"))]),
             user("SshdCarol0000000000000", "carol", 251003,
                  fields=[{"type": "keyPair", "value": [{"publicKey": key("carol"), "privateKey": ""}]}],
                  custom=[("valid_until", "2001-01-01T00:00:00Z")]),
         ]}
json.dump(vault, open(f"{t}/vault.json", "w"), indent=1)
PY
ksm_start_server "$T/vault.json"

# --- The namespace: config, state, homes, binaries where the system looks.
setup_system_ns
sshd_system_dirs

bind
expect_rc "ksmctl init (client.json in the bind-mounted /etc/ksm)" 0
# client.json is root's (ksmd_user = root here) and 0600: the keys helper
# never reads it, its live path asks ksmd (keys_user = nobody).
check "client.json is 0600 root (no group access for the keys helper)" \
	[ "$(stat -c '%a %U' /etc/ksm/client.json)" = "600 root" ]
check "nobody cannot read client.json" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --init-groups cat /etc/ksm/client.json >/dev/null 2>&1"
run_ksmctl sync
expect_rc "ksmctl sync with client.json 0600 root" 0
check "snapshot written at /var/lib/ksm/snapshot (0644)" \
	[ "$(stat -c %a /var/lib/ksm/snapshot 2>/dev/null)" = 644 ]

check "nss_ksm through nsswitch.conf: getent passwd alice" \
	bash -c "getent passwd alice | grep -q '^alice:x:251001:'"
for u in alice bob carol; do
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u"
done
check "homes of vault users created (chown through NSS)" \
	[ "$(stat -c %U /home/alice)" = alice ]
check "the helper as nobody: alice's key from the cached path" \
	bash -c "[ \"\$(setpriv --reuid=nobody --regid=nogroup --init-groups /usr/sbin/ksm-authorized-keys alice)\" = \"\$(cut -d' ' -f1-3 '$T/alice.pub')\" ]"

# --- sshd on a free loopback port, public keys only, without PAM.
sshd_start "UsePAM no" "KbdInteractiveAuthentication no" "AuthenticationMethods publickey" \
	"LogLevel ${SSHD_LOGLEVEL:-VERBOSE}"

reset_stats
key_logs_in "alice logs in with her vault key, id -un is alice" alice alice
key_logs_in "bob logs in with the second key of his ssh_public_key field" bob2 bob
check "sshd logged the helper's key for alice" grep -q "Accepted publickey for alice" "$T/sshd.log"
key_refused "a key in no record is refused" mallory alice
key_refused "another vault user's key is refused" bob alice
key_refused "an expired account (valid_until passed) is refused" carol carol
key_refused "a user unknown to NSS and the snapshot is refused" alice nosuchuser
check "fresh snapshot: the logins sent no request to the server" [ "$(req_gets)" = 0 ]

# The server down or hanging: a fresh snapshot does not need it.
fault refuse
key_logs_in "server refusing connections: cached key still logs in" alice alice 3000
fault blackhole
key_logs_in "server black-holed: cached key still logs in" alice alice 3000
fault none

# A stale snapshot (keys_max_age = 0s): the helper, as nobody, goes live
# through ksmd (keys_user = nobody); client.json stays 0600 root.
sleep 1.1
sysconf "keys_max_age = 0s"
reset_stats
key_logs_in "stale snapshot, server up: live path logs alice in" alice alice 6000
check "stale snapshot: the helper asked the server (get_secret $(req_gets))" [ "$(req_gets)" -ge 1 ]
# With a black hole every helper run takes the whole timeout_keys budget.
# An OpenSSH client always offers the public key first (it reads it from
# KEY.pub or from the private key file) and signs afterwards, so sshd runs
# the helper twice per login. And sshd pads every userauth request that is
# not yet a success, the "postponed" query and the signed request itself, to
# its minimum failure time: ensure_minimum_time_since() doubles a per-user
# delay of a few ms until it exceeds the time spent. So one login costs
# 2 x pad(budget), between 2 x budget and 4 x budget: about 7 s with the
# default 2 s (2 x (2.0 + 1.5)), 2..4 s with timeout_keys = 1.
postponed() { grep -c "Postponed publickey" "$T/sshd.log"; }
fault blackhole
p0=$(postponed)
key_logs_in "stale, black-holed, timeout_keys 2 s: snapshot key logs in, < 2 x 2 x budget" alice alice 9500
check "stale, black-holed: the login waited for the budget twice (${MS} ms >= 3800)" [ "$MS" -ge 3800 ]
check "stale, black-holed: sshd ran the helper twice (one postponed query)" [ "$(postponed)" = "$((p0 + 1))" ]
sysconf "keys_max_age = 0s" "timeout_keys = 1"
key_logs_in "stale, black-holed, timeout_keys 1 s: snapshot key logs in, < 6 s" alice alice 6000
sysconf "keys_max_age = 0s"
fault refuse
key_logs_in "stale snapshot, server refusing: snapshot key, fast" alice alice 3000
fault none

# The helper itself, as sshd runs it, under a black hole: it returns in ~2 s.
fault blackhole
run setpriv --reuid=nobody --regid=nogroup --init-groups \
	/usr/sbin/ksm-authorized-keys alice "$(ssh-keygen -lf "$T/alice.pub" | awk '{print $2}')"
check "helper as nobody, black hole: snapshot key served" [ "$OUT" = "$(cut -d' ' -f1-3 "$T/alice.pub")" ]
expect_within "helper as nobody, black hole: returns within the 2 s budget" 2600
fault none

# Alice's key replaced in the vault. With a stale snapshot the live path
# already knows; after ksmctl sync the cached path knows too.
admin set-field --record SshdAlice0000000000000 --field keyPair --json \
	--value "{\"publicKey\": \"$(cut -d' ' -f1-3 "$T/alice2.pub")\", \"privateKey\": \"\"}" >/dev/null ||
	fail "set-field"
# Only root and keys_user may ask ksmd for keys: the helper run by another
# user (daemon) is refused by ksmd and serves the snapshot's (old) key.
key_line() { cut -d' ' -f1-3 "$T/$1.pub"; }
run setpriv --reuid=nobody --regid=nogroup --init-groups /usr/sbin/ksm-authorized-keys alice
check "helper as nobody (keys_user), stale snapshot: the vault's new key from ksmd" [ "$OUT" = "$(key_line alice2)" ]
if getent passwd daemon >/dev/null; then
	run setpriv --reuid=daemon --regid=daemon --clear-groups /usr/sbin/ksm-authorized-keys alice
	check "helper as daemon (not keys_user): the snapshot's key" [ "$OUT" = "$(key_line alice)" ]
	check "helper as daemon: ksmd logged the refusal" grep -q "uid $(id -u daemon) .*refused" "$T/ksmd.log"
fi
key_refused "stale snapshot: the key removed from the vault is refused at once (live)" alice alice
key_logs_in "stale snapshot: the new vault key logs in (live)" alice2 alice
sysconf
run_ksmctl sync
expect_rc "ksmctl sync after the key change" 0
fault refuse
key_refused "after sync: the removed key is refused (cached, server down)" alice alice
key_logs_in "after sync: the new key logs in (cached, server down)" alice2 alice
fault none

finish
