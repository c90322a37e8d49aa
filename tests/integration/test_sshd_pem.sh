#!/bin/bash
# SPDX-License-Identifier: MIT
# test_sshd_pem.sh - a vault as KeeperPAM leaves it: pamUser records whose
# only SSH key is the private key rotation wrote into privatePEMKey (the
# templates' and Commander's label) or "Private PEM Key" (the Terraform
# provider's), a pamMachine with links, application warnings and a device
# expiry. ksmctl sync (through ksmd, and directly) publishes the public
# halves; a real sshd logs the users in with their private keys; the
# private keys reach neither the snapshot nor any log. Then a rotation of
# the key in the vault (the live path derives the new one in ksmd), and
# keys_from_private_key = no.
#
# Needs root (exit 77 otherwise); the namespace is test_sshd.sh's.
# Run by hand: cd build/normal && bash ../../tests/integration/test_sshd_pem.sh
. "$(dirname "$0")/lib.sh"
. "$srcdir/tests/lib/namespace.sh"
. "$srcdir/tests/lib/sshd.sh"
need_root_ns "$@"
need_sshd

trap show_sshd_log EXIT

PASS=pem-passphrase-7
EXPIRES_MS=1893456000000 # 2030-01-01, the device's access expiry
WARNING="This application's devices expire on 2030-01-01"
# The private keys, in the formats KeeperPAM, ssh-keygen and openssl write:
#   camel: OpenSSH Ed25519 under privatePEMKey (the pamUser template);
#   human: PKCS#1 RSA under "Private PEM Key" (Terraform's spelling);
#   enc:   encrypted PKCS#8 ECDSA with a "Private Key Passphrase" field;
#   both:  one key under both spellings;
#   nopass: encrypted, no passphrase anywhere (its key is dropped);
#   camel2: camel's key after a rotation.
ssh-keygen -q -t ed25519 -N '' -f "$T/camel" &&
	ssh-keygen -q -t ed25519 -N '' -f "$T/camel2" &&
	ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f "$T/human" &&
	ssh-keygen -q -t ecdsa -b 384 -m PKCS8 -N "$PASS" -f "$T/enc" &&
	ssh-keygen -q -t ecdsa -b 256 -N '' -f "$T/both" &&
	ssh-keygen -q -t rsa -b 2048 -m PKCS8 -N "other-pass-1" -f "$T/nopass" &&
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" || exit 99
# ssh's own copy of the encrypted key, without its passphrase.
cp "$T/enc" "$T/enc-client" && ssh-keygen -q -p -P "$PASS" -N '' -f "$T/enc-client" >/dev/null || exit 99
for k in camel camel2 human enc both nopass; do rm -f "$T/$k.pub"; done

/usr/bin/python3 - "$T" "$PASS" "$WARNING" <<'PY' || exit 99
import json, sys
t, passphrase, warning = sys.argv[1:4]
pem = lambda n: open(f"{t}/{n}").read()
F = "PemFolder0000000000000"
def pam_user(uid, login, unix_uid, label, key, custom=()):
    """A pamUser as the vault template has it, rotated by KeeperPAM."""
    return {"uid": uid, "folder": F,
            "data": {"type": "pamUser", "title": login,
                     "fields": [{"type": "login", "value": [login]},
                                {"type": "password", "value": []},
                                {"type": "script", "label": "rotationScripts", "value": []},
                                {"type": "secret", "label": label, "value": [key]},
                                {"type": "text", "label": "distinguishedName", "value": []},
                                {"type": "text", "label": "connectDatabase", "value": []},
                                {"type": "checkbox", "label": "managed", "value": [True]},
                                {"type": "fileRef", "value": []},
                                {"type": "oneTimeCode", "value": []}],
                     "custom": [{"type": "text", "label": "uid", "value": [str(unix_uid)]}]
                               + list(custom)}}
machine = {"uid": "PemMachine000000000000", "folder": F,
           "data": {"type": "pamMachine", "title": "this-host",
                    "fields": [{"type": "pamHostname", "label": "pamHostname",
                                "value": [{"hostName": "localhost", "port": "22"}]}]},
           "links": [{"recordUid": "PemCamel00000000000000",
                      "data": {"is_admin": True, "rotation_settings": {"noop": True}}},
                     {"recordUid": "PemHuman00000000000000"},
                     {"recordUid": "PemMachine000000000000", "path": "jit_settings",
                      "data": {"createEphemeral": False}}]}
vault = {"applications": [{"name": "app", "shares": [{"folder": F, "editable": True}],
                           "warnings": [warning]}],
         "folders": [{"uid": F, "name": "KeeperPAM users"}],
         "records": [
             pam_user("PemCamel00000000000000", "camel", 251101, "privatePEMKey", pem("camel")),
             pam_user("PemHuman00000000000000", "human", 251102, "Private PEM Key", pem("human")),
             pam_user("PemEnc0000000000000000", "enc", 251103, "Private PEM Key", pem("enc"),
                      [{"type": "secret", "label": "Private Key Passphrase",
                        "value": [passphrase]}]),
             pam_user("PemBoth000000000000000", "both", 251104, "privatePEMKey", pem("both"),
                      [{"type": "secret", "label": "Private PEM Key", "value": [pem("both")]}]),
             pam_user("PemNoPass0000000000000", "nopass", 251105, "privatePEMKey", pem("nopass")),
             machine]}
json.dump(vault, open(f"{t}/vault.json", "w"), indent=1)
PY
ksm_start_server "$T/vault.json"
setup_system_ns
sshd_system_dirs

KSM_TEST_EXPIRES_ON=$EXPIRES_MS bind
expect_rc "ksmctl init" 0

# pub NAME: the public key ssh-keygen derives from $T/NAME (type and base64).
pub() { ssh-keygen -y -P "${2:-}" -f "$T/$1" | cut -d' ' -f1,2; }
fp() { pub "$@" | ssh-keygen -l -E sha256 -f - | awk '{print $2}'; }
status() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])).get(sys.argv[2])))' /var/lib/ksm/snapshot.status "$1"; }

# check_sync WHAT: what one sync published (ksmctl's OUT/ERR set).
check_sync() {
	expect_rc "$1: ksmctl sync" 0
	check "$1: the vault's warning on stderr" grep -qF "ksmctl: the vault warns: $WARNING" <<<"$ERR"
	check "$1: SNAPSHOT.status app_name" [ "$(status app_name)" = '"app"' ]
	check "$1: SNAPSHOT.status device_expires_on (epoch seconds)" \
		[ "$(status device_expires_on)" = "$((EXPIRES_MS / 1000))" ]
	check "$1: SNAPSHOT.status warnings" [ "$(status warnings)" = "[\"$WARNING\"]" ]
	check "$1: nopass's key dropped, with the reason" \
		grep -q "nopass.*privatePEMKey.*encrypted.*Private Key Passphrase" <<<"$ERR"
	for u in camel human both; do
		check "$1: $u's key from the cached path is ssh-keygen's" \
			[ "$(/usr/sbin/ksm-authorized-keys "$u")" = "$(pub "$u")" ]
	done
	check "$1: enc's key (decrypted with its passphrase field)" \
		[ "$(/usr/sbin/ksm-authorized-keys enc)" = "$(pub enc "$PASS")" ]
	check "$1: the key for sshd's %f (fingerprint of camel's)" \
		[ "$(/usr/sbin/ksm-authorized-keys camel "$(fp camel)")" = "$(pub camel)" ]
	check "$1: nopass is an account without keys" \
		bash -c "getent passwd nopass >/dev/null && [ -z \"\$(/usr/sbin/ksm-authorized-keys nopass)\" ]"
}

# --- Through ksmd (it runs: bind started it), then directly.
run_ksmctl sync
check_sync "through ksmd"
check "ksmd logged the vault's warning" grep -qF "the vault warns: $WARNING" "$T/ksmd.log"
ksmd_stop
run_ksmctl sync
check_sync "direct mode"
ksmd_start "$T/ksm.conf"

run_ksmctl status --local
check "ksmctl status shows the vault's warning (exit 7: a warning)" \
	bash -c '[ "$1" = 7 ] && grep -qF "the vault warns: $2" <<<"$3"' _ "$RC" "$WARNING" "$OUT$ERR"

# A sync that cannot reach the vault keeps what the vault last said.
fault refuse
run_ksmctl sync
check "server down: the sync fails" [ "$RC" -ne 0 ]
check "server down: SNAPSHOT.status keeps device_expires_on" \
	[ "$(status device_expires_on)" = "$((EXPIRES_MS / 1000))" ]
fault none
run_ksmctl sync
expect_rc "sync again" 0

for u in camel human enc both nopass; do
	mkdir -p "/home/$u" && chown "$u:" "/home/$u" && chmod 0755 "/home/$u"
done
sshd_start "UsePAM no" "KbdInteractiveAuthentication no" "AuthenticationMethods publickey"

key_logs_in "camel logs in with the OpenSSH key rotated into privatePEMKey" camel camel
key_logs_in "human logs in with the PKCS#1 key under \"Private PEM Key\"" human human
key_logs_in "enc logs in with the encrypted PKCS#8 key (passphrase field)" enc-client enc
key_logs_in "both logs in with the key given under both spellings" both both
key_refused "nopass (encrypted key, no passphrase) is refused" nopass nopass
key_refused "another user's rotated key is refused" camel human

# The private keys and the passphrase are nowhere but in the vault.
leaked=
for k in camel human enc both nopass; do
	# A line from the middle of the key's base64 body.
	line=$(sed -n 3p "$T/$k")
	[ -n "$line" ] || { leaked="$leaked (no line 3 in $k)"; continue; }
	for f in /var/lib/ksm/snapshot /var/lib/ksm/snapshot.status "$T/ksmd.log" "$T/sshd.log"; do
		grep -qF -- "$line" "$f" 2>/dev/null && leaked="$leaked $k:$f"
	done
done
grep -rqF -- "$PASS" /var/lib/ksm "$T/ksmd.log" "$T/sshd.log" && leaked="$leaked passphrase"
grep -qF -- "PRIVATE KEY" /var/lib/ksm/snapshot /var/lib/ksm/snapshot.status "$T/ksmd.log" && leaked="$leaked armour"
check "no private key or passphrase in the snapshot, its status or the logs${leaked:+:$leaked}" [ -z "$leaked" ]

# --- KeeperPAM rotates camel's key (a new privatePEMKey, a new revision).
# With a stale snapshot the keys helper asks ksmd, which derives the new
# public key from the record it reads now.
admin set-field --record PemCamel00000000000000 --field privatePEMKey \
	--value "$(cat "$T/camel2")" >/dev/null || fail "set-field privatePEMKey"
sleep 1.1
sysconf "keys_max_age = 0s"
key_logs_in "after the rotation: the new key logs in at once (live, ksmd derives it)" camel2 camel
key_refused "after the rotation: the old key is refused at once (live)" camel camel
sysconf
run_ksmctl sync
expect_rc "sync after the rotation" 0
fault refuse
key_logs_in "after sync: the new key logs in (cached, server down)" camel2 camel
key_refused "after sync: the old key is refused (cached, server down)" camel camel
fault none

# --- keys_from_private_key = no: privatePEMKey is not read at all.
sysconf "keys_from_private_key = no"
run_ksmctl sync
expect_rc "sync with keys_from_private_key = no" 0
check "keys_from_private_key = no: no refusal for nopass's key" bash -c "! grep -q nopass <<<\"\$1\"" _ "$ERR"
check "keys_from_private_key = no: camel has no key" [ -z "$(/usr/sbin/ksm-authorized-keys camel)" ]
key_refused "keys_from_private_key = no: camel's key is refused" camel2 camel
sysconf
run_ksmctl sync
key_logs_in "keys_from_private_key back on (the default): camel logs in" camel2 camel

finish
