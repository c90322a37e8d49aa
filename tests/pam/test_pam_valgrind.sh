#!/bin/bash
# SPDX-License-Identifier: MIT
# test_pam_valgrind.sh - pam_ksm under valgrind and a secret-wipe check.
#
# 1. valgrind (memcheck, --leak-check=full --errors-for-leak-kinds=definite
#    --error-exitcode=1) on the libpam harness for: live auth + account +
#    session (keyring) + close, a public-key session, offline auth (right
#    and wrong), the failure limit, TOTP, fault modes that cut the request
#    short (blackhole with the budget, corrupt), chauthtok, unknown user.
#    Any invalid read/write, use of uninitialised memory or definite leak
#    fails. tests/pam/valgrind.supp says why each suppression is there.
# 2. Wiping: tests/pam/freecheck.so (LD_PRELOAD) searches every heap block
#    freed (or moved by realloc) for a secret. The secret is each password,
#    the TOTP seed, the second record's secret. Two controls keep this
#    honest: the harness's "leakselftest" frees an unwiped copy (must be
#    caught), and a run searching for the record UID (not secret, so not
#    wiped) must find it in blocks libksm/pam_ksm free, which shows that
#    the decrypted record data is among the blocks scanned. The test-only
#    module pam_ksm_probe.so shows that auth's PAM data really held the
#    password before its destructor (pam_end, or open_session) freed it.
#
# Needs root (see test_pam.sh) and valgrind; skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing"; exit 77; }
need_root_ns "$@"
PROBE="$builddir/tests/pam/.libs/pam_ksm_probe.so"
for f in "$FREECHECK" "$PROBE"; do
	[ -f "$f" ] || { echo "not built: $f (make check builds it)"; exit 99; }
done

"$PY" "$PAMDIR/mkvault.py" "$T/vault.json" || exit 99
ksm_start_server "$T/vault.json"
write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
	"timeout_auth = 5" "offline_max_failures = 2" \
	"session_secret = password keeper://{record}/field/password" \
	"session_secret = db keeper://PamDbSecret00000000000/field/password"
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0
pam_service ksm
pam_service ksm-totp totp=required
# The probe around pam_ksm: auth's PAM data before and after open_session.
{
	echo "auth [success=ok default=die] $PAM_MOD conf=$T/ksm.conf"
	echo "auth optional $PROBE"
	echo "session optional $PROBE"
	echo "session [success=ok ignore=ignore default=die] $PAM_MOD conf=$T/ksm.conf"
	echo "session optional $PROBE"
} >"$T/pam.d/ksm-probe"

VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1
	--num-callers=30 --track-origins=yes --suppressions="$PAMDIR/valgrind.supp")
# vg DESCRIPTION OP...: harness under valgrind for service ksm, user $U.
U=alice
vg() {
	local what=$1 t0
	shift
	t0=$(date +%s%N)
	PAM_HARNESS_PASSWORD="$PW" PAM_HARNESS_TOTP="$CODE" PAM_HARNESS_EXPECT="$EXPECT" \
		keyctl session - "${VG[@]}" --log-file="$T/vg.log" "$HARNESS" -c "$T/pam.d" "$@" \
		>"$T/out" 2>"$T/err"
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	OUT=$(cat "$T/out")
	if grep -q "^==[0-9]*== [A-Z]" "$T/vg.log" || ! grep -qE '^[a-z]+: PAM_' "$T/out"; then
		fail "valgrind: $what (harness exit $RC, ${MS} ms):"
		sed 's/^/#   /' "$T/vg.log" | head -n 60
	else
		ok "valgrind: $what: no errors, no definite leaks (${MS} ms; $(grep -oE '^[a-z]+: PAM_[A-Z_]+' "$T/out" | tr '\n' ' '))"
	fi
}

PW=$PW_ALICE EXPECT=$PW_ALICE
vg "live auth, account, session, keyring, close, chauthtok" ksm alice auth acct open keycheck close revcheck chauthtok
expect_line "  ... and the run itself succeeded" "^revcheck: ok"
EXPECT=$PW_DB
vg "public-key session (fetch in open_session)" ksm alice open keycheck=db close revcheck
expect_line "  ... ksm:db installed and revoked" "^revcheck: ok"
PW=wrong
vg "live, wrong password" ksm alice auth
PW=$PW_BOB CODE=$(totp_now)
vg "TOTP (totp=required)" ksm-totp bob auth
expect_line "  ... TOTP accepted" "^auth: PAM_SUCCESS"
CODE=
fault refuse
PW=$PW_ALICE
vg "offline, right password; session while the vault is down" ksm alice auth open close
expect_line "  ... accepted offline" "^auth: PAM_SUCCESS"
PW=wrong
vg "offline, two wrong passwords" ksm frank auth auth
PW=$PW_FRANK
vg "offline, locked (offline_max_failures)" ksm frank auth
expect_line "  ... PAM_MAXTRIES" "^auth: PAM_MAXTRIES"
fault blackhole
PW=$PW_ALICE
vg "black hole: the budget runs out mid-request, then offline" ksm alice auth
fault corrupt
vg "corrupt answer, then offline" ksm alice auth
fault none
vg "unknown user" ksm nosuchuser auth acct open close chauthtok

# ------------------------------------------------------------------- wiping
# fc NEEDLE USER OP...: the harness with freecheck.so, service ksm-probe
# unless $SVC. Sets OUT (harness output), HITS (freecheck hit lines), NHITS.
SVC=ksm-probe
fc() {
	local needle=$1
	shift
	: >"$T/fc.log"
	FREECHECK_NEEDLE=$needle FREECHECK_LOG="$T/fc.log" LD_PRELOAD="$FREECHECK" \
		PAM_HARNESS_PASSWORD="$PW" PAM_HARNESS_TOTP="$CODE" PAM_HARNESS_EXPECT="$EXPECT" \
		keyctl session - "$HARNESS" -c "$T/pam.d" "$SVC" "$@" >"$T/out" 2>"$T/err"
	[ -n "${FC_DEBUG:-}" ] && cat "$T/out" "$T/fc.log"
	RC=$?
	OUT=$(cat "$T/out")
	HITS=$(grep -v "hit(s)," "$T/fc.log")
	NHITS=$(grep -c . <<<"$HITS")
	[ -z "$HITS" ] && NHITS=0
	grep -q "hit(s)," "$T/fc.log" || fail "freecheck did not run (no summary line)"
}
expect_wiped() {
	if [ "$NHITS" = 0 ]; then
		ok "$1 ($(grep -oE '[0-9]+ block\(s\) scanned' "$T/fc.log"))"
	else
		fail "$1: $NHITS freed block(s) still held it:"
		sed 's/^/#   /' <<<"$HITS" | head -n 10
	fi
}

PW=$PW_ALICE EXPECT=$PW_ALICE
fc "$PW_ALICE" alice leakselftest
check "control: freecheck catches an unwiped free (the harness's leakselftest: $NHITS hit)" \
	[ "$NHITS" = 1 ]
fc PamAlice00000000000000 alice auth end
check "control: the record UID (not a secret) is found in blocks libksm/pam_ksm free ($NHITS hits)" \
	grep -qE "libksm|pam_ksm" <<<"$HITS"

fc "$PW_ALICE" alice auth end
expect_line "auth left the session secrets in PAM data (probe), value = the password" \
	"^info-msg: probe auth: session secrets data: 1 secret\(s\), first password, value matches"
expect_wiped "auth, then pam_end (the PAM data destructor): the password was wiped before every free"
fc "$PW_ALICE" alice auth open close
expect_line "open_session saw auth's PAM data (probe before pam_ksm)" \
	"^info-msg: probe session: session secrets data: 1 secret"
expect_line "after open_session the PAM data is gone (the values live only in the keyring)" \
	"^info-msg: probe session: no session secrets data"
expect_wiped "auth + open_session + close: the password was wiped before every free"
EXPECT=$PW_DB
fc "$PW_DB" alice auth open close
expect_wiped "auth + session, the second record's secret (ksm:db): wiped before every free"
PW= EXPECT=$PW_ALICE
fc "$PW_ALICE" alice open close
expect_wiped "public-key session (fetched in open_session): the password was wiped"
SVC=ksm
PW=wrong-password-Xy3
fc "$PW_ALICE" alice auth
expect_wiped "wrong password, live: the vault's password was wiped"
fc "wrong-password-Xy3" alice auth
expect_wiped "wrong password, live: the typed password was wiped"
PW=$PW_BOB CODE=$(totp_now)
SVC=ksm-totp
fc "$TOTP_SECRET" bob auth
expect_line "  ... TOTP login succeeded" "^auth: PAM_SUCCESS"
expect_wiped "TOTP: the oneTimeCode seed was wiped"
fc "$PW_BOB" bob auth
expect_wiped "TOTP: bob's password was wiped"
SVC=ksm CODE=
fault refuse
PW=$PW_ALICE
fc "$PW_ALICE" alice auth
expect_line "  ... offline login succeeded" "^auth: PAM_SUCCESS"
expect_wiped "offline verifier path: the password was wiped"
fault none

finish
