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
#    Then ksmd itself under memcheck for the vault half of such logins
#    (auth, session, TOTP, keys, offline, a sync): no error, no definite
#    leak in its summary when it is stopped.
# 2. Wiping: tests/pam/freecheck.so (LD_PRELOAD) searches every heap block
#    freed (or moved by realloc) for a secret. The secret is each password,
#    the TOTP seed, the second record's secret. pam_ksm is a client of ksmd:
#    it holds the typed password (in the ipc request it builds) and the
#    session secrets ksmd answers, never the record. Two controls keep this
#    honest: the harness's "leakselftest" frees an unwiped copy (must be
#    caught), and a run searching for a field name of pam_ksm's ipc request
#    ("budget_ms", not secret, so not wiped) must find it in blocks pam_ksm
#    frees, which shows that the request next to the password is among the
#    blocks scanned. The test-only module pam_ksm_probe.so shows that
#    pam_ksm keeps no secret in PAM data between auth and the session (the
#    session asks ksmd, which answers from the auth's read: one request per
#    login, counted at the server), while it does see pam_ksm's keyring
#    data. ksmd, which reads the record, decrypts it and compares the
#    password, runs under freecheck.so too for the same secrets, with its
#    own control: the record UID (not secret) in blocks it frees.
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
# ksmd's state directory (tmpfiles makes /var/lib/ksmd on a host); the
# offline cells need frank's verifier, which only a sync with
# offline_verifiers = all makes (he never logs in live first).
mkdir -m 0700 "$T/private"
# conf [SECRET LINES]: ksm.conf with two session secrets unless others
# are given (ksmd starts again on it).
conf() {
	local secrets=("$@")
	[ $# -gt 0 ] || secrets=("session_secret = password keeper://{record}/field/password"
		"session_secret = db keeper://PamDbSecret00000000000/field/password")
	write_conf "snapshot = $T/lib/snapshot" "private_store = $T/private/store" \
		"timeout_auth = 5" "offline_max_failures = 2" "offline_verifiers = all" \
		"${secrets[@]}"
}
conf
bind
expect_rc "ksmctl init" 0
run_ksmctl sync
expect_rc "ksmctl sync" 0
pam_service ksm
pam_service ksm-totp totp=required
# The probe around pam_ksm: its PAM data after auth, before and after
# open_session.
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
	RC=$?
	[ -n "${FC_DEBUG:-}" ] && cat "$T/out" "$T/fc.log"
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
fc budget_ms alice auth end
check "control: a field name of pam_ksm's ipc request (not a secret) is found in blocks pam_ksm frees ($NHITS hits)" \
	grep -q "pam_ksm" <<<"$HITS"

# The default session secret only (ksm:password): one request per login.
conf "session_secret = password keeper://{record}/field/password"
reset_stats
fc "$PW_ALICE" alice auth end
expect_line "auth leaves no session secret in PAM data (probe)" \
	"^info-msg: probe auth: session secrets data no, keyring data no"
expect_wiped "auth, then pam_end: the typed password was wiped before every free"
past_reuse # this auth asks the vault again: no read of the last second
reset_stats
fc "$PW_ALICE" alice auth open keycheck close
expect_line "  ... the session's ksm:password holds the vault's value" "^keycheck password: ok"
expect_line "open_session: still no session secret in PAM data before pam_ksm's session (probe)" \
	"^info-msg: probe session: session secrets data no, keyring data no"
expect_line "open_session: after it pam_ksm's keyring data is there, and no secret (probe)" \
	"^info-msg: probe session: session secrets data no, keyring data yes"
check "auth + session: one request in all, the session took the auth's read ($(req_total))" [ "$(req_total)" = 1 ]
expect_wiped "auth + open_session + close: the password (typed, then from ksmd) was wiped before every free"
PW= EXPECT=$PW_ALICE
fc "$PW_ALICE" alice open close
expect_wiped "public-key session (asked in open_session): the password was wiped"
conf
PW=$PW_ALICE EXPECT=$PW_DB
fc "$PW_DB" alice auth open keycheck=db close
expect_line "  ... ksm:db holds the second record's value" "^keycheck db: ok"
expect_wiped "auth + session, the second record's secret (ksm:db): wiped before every free"
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

# -------------------------------------------------------- wiping in ksmd
# ksmd reads the record (the password, the TOTP seed), decrypts it, compares
# and answers the session: the same search in what it frees. It is stopped
# with SIGTERM, so freecheck writes no summary line, but every hit is
# written when it happens. The second auth of each run replaces the first
# auth's read in ksmd's cache, so the freed record is searched too.
KSMD_PLAIN=$KSMD_BIN
printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$FREECHECK" "$KSMD_PLAIN" >"$T/ksmd-fc"
chmod 0755 "$T/ksmd-fc"
# kfc NEEDLE SERVICE USER OP...: ksmd started again under freecheck.so
# looking for NEEDLE, the harness runs OP..., ksmd stopped; sets OUT (the
# harness's), HITS (ksmd's hit lines) and NHITS.
kfc() {
	local needle=$1
	shift
	ksmd_stop
	: >"$T/fc-ksmd.log"
	KSMD_BIN=$T/ksmd-fc FREECHECK_NEEDLE=$needle FREECHECK_LOG=$T/fc-ksmd.log ksmd_start "$T/ksm.conf"
	pam "$@"
	ksmd_stop
	HITS=$(grep -v "hit(s)," "$T/fc-ksmd.log")
	NHITS=$(grep -c . <<<"$HITS")
	[ -z "$HITS" ] && NHITS=0
}
kexpect_wiped() {
	if [ "$NHITS" = 0 ]; then
		ok "$1 (no hit in ksmd's frees)"
	else
		fail "$1: $NHITS block(s) freed by ksmd still held it:"
		sed 's/^/#   /' <<<"$HITS" | head -n 10
	fi
}
PW=$PW_ALICE EXPECT=$PW_ALICE
conf "session_secret = password keeper://{record}/field/password"
kfc PamAlice00000000000000 ksm alice auth open keycheck close end auth
check "ksmd control: the record UID (not a secret) is found in blocks ksmd frees ($NHITS hits)" \
	grep -qE "ksmd|libksm" <<<"$HITS"
kfc "$PW_ALICE" ksm alice auth open keycheck close end auth
expect_line "  ... the session's ksm:password holds the vault's value" "^keycheck password: ok"
kexpect_wiped "ksmd: auth, session, a second auth: the password was wiped before every free"
PW=wrong-password-Xy3
kfc "wrong-password-Xy3" ksm alice auth
kexpect_wiped "ksmd: a wrong password: the typed password was wiped"
PW=$PW_BOB CODE=$(totp_now)
kfc "$TOTP_SECRET" ksm-totp bob auth end auth
expect_line "  ... TOTP login succeeded" "^auth: PAM_SUCCESS"
kexpect_wiped "ksmd: TOTP: the oneTimeCode seed was wiped"
CODE=
fault refuse
PW=$PW_ALICE
kfc "$PW_ALICE" ksm alice auth
expect_line "  ... offline login succeeded" "^auth: PAM_SUCCESS"
kexpect_wiped "ksmd: offline verifier path: the password was wiped"
fault none

# ----------------------------------------------------- ksmd under valgrind
# The vault half of the same logins, in ksmd under memcheck: auth (right,
# wrong, TOTP), session, keys, offline, a sync. It is stopped with SIGTERM;
# memcheck's summary then counts every error and definite leak.
printf '#!/bin/sh\nexec valgrind --leak-check=full --errors-for-leak-kinds=definite --num-callers=30 --suppressions=%s --log-file=%s %s "$@"\n' \
	"$PAMDIR/valgrind.supp" "$T/vg-ksmd.log" "$KSMD_PLAIN" >"$T/ksmd-vg"
chmod 0755 "$T/ksmd-vg"
conf
ksmd_stop
KSMD_BIN=$T/ksmd-vg ksmd_start "$T/ksm.conf"
PW=$PW_ALICE EXPECT=$PW_DB
pam ksm alice auth open keycheck=db close
expect_line "ksmd under valgrind: auth and both session secrets" "^keycheck db: ok"
PW=wrong
pam ksm alice auth
expect_pam "ksmd under valgrind: a wrong password" auth PAM_AUTH_ERR
PW=$PW_BOB CODE=$(totp_now)
pam ksm-totp bob auth
expect_pam "ksmd under valgrind: TOTP" auth PAM_SUCCESS
CODE=
PW=
pam ksm gina open keycheck=db close
expect_line "ksmd under valgrind: a public-key session (no read to take)" "^keycheck db: ok"
check "ksmd under valgrind: a keys request" grep -q '^result=ok' <<<"$(ksmd_ask "$T/ksmd.sock" op=keys user=alice)"
run_ksmctl sync
expect_rc "ksmd under valgrind: ksmctl sync through it" 0
fault refuse
PW=$PW_ALICE
pam ksm alice auth
expect_pam "ksmd under valgrind: offline" auth PAM_SUCCESS
fault none
ksmd_stop
if grep -q "ERROR SUMMARY: 0 errors" "$T/vg-ksmd.log"; then
	ok "valgrind: ksmd: no errors, no definite leaks ($(grep -o 'definitely lost: [0-9,]* bytes' "$T/vg-ksmd.log" | head -n 1))"
else
	fail "valgrind: ksmd: $(grep -o 'ERROR SUMMARY: .*' "$T/vg-ksmd.log" | tail -n 1):"
	grep -E "^==[0-9]+== " "$T/vg-ksmd.log" | head -n 60 | sed 's/^/#   /'
fi
ksmd_start "$T/ksm.conf"

finish
