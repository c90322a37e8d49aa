#!/bin/sh
# SPDX-License-Identifier: MIT
# Build every fuzz target and run each on its seed corpus for a short time;
# fails (exit 1) if any target crashes, leaks or trips a sanitizer, or if an
# input of tests/fuzz/regressions/TARGET/ fails again.
#
#   tests/fuzz/run-smoke.sh [SECONDS]     (default 20 per target)
#
# FUZZ_SMOKE_JOBS (default 2, the machines' cores) targets run at a time,
# one process each. New inputs found go to a scratch corpus, so corpus/
# stays small and clean; the targets are built in a scratch directory too
# (tests/fuzz/build.sh). The long campaign is tests/fuzz/run-campaign.sh
# (docs/fuzzing.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-20}
jobs=${FUZZ_SMOKE_JOBS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/ksm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

t0=$(date +%s)
"$here/build.sh" "$work/bin"

# One target: regressions, then SECS of fuzzing; its report goes to
# $work/NAME.report, "ok" or "fail" to $work/NAME.result.
smoke_one() {
	bin=$1
	name=$(basename "$bin")
	rep="$work/$name.report"
	ok=ok
	mkdir -p "$work/corpus/$name" "$work/crash/$name"
	: >"$rep"
	if [ -d "$here/regressions/$name" ] &&
		! "$bin" "$here/regressions/$name"/* >"$work/$name.reg.log" 2>&1; then
		echo "FAIL    $name: a regression input fails again" >>"$rep"
		tail -n 30 "$work/$name.reg.log" >>"$rep"
		ok=fail
	fi
	if ! "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crash/$name/" \
		"$work/corpus/$name" "$here/corpus/$name" >"$work/$name.log" 2>&1; then
		echo "FAIL    $name; last lines of its log:" >>"$rep"
		tail -n 40 "$work/$name.log" >>"$rep"
		for a in "$work/crash/$name"/*; do
			[ -e "$a" ] || continue
			mkdir -p "$here/crashes"
			cp "$a" "$here/crashes/"
			echo "        reproducer kept: tests/fuzz/crashes/$(basename "$a")" >>"$rep"
		done
		ok=fail
	else
		grep -E '^stat::number_of_executed_units' "$work/$name.log" |
			sed "s/^/        /" >>"$rep" || true
	fi
	echo "$ok" >"$work/$name.result"
}

set -- "$work"/bin/fuzz_*
status=0
while [ $# -gt 0 ]; do
	batch=
	n=0
	while [ $# -gt 0 ] && [ $n -lt "$jobs" ]; do
		echo "  RUN     $(basename "$1") (${secs}s)"
		smoke_one "$1" &
		batch="$batch $(basename "$1")"
		n=$((n + 1))
		shift
	done
	wait
	for name in $batch; do
		cat "$work/$name.report"
		[ "$(cat "$work/$name.result" 2>/dev/null)" = ok ] || status=1
	done
done
echo "  SMOKE   $(ls "$work"/bin/fuzz_* | wc -l) targets in $(($(date +%s) - t0)) s"
exit $status
