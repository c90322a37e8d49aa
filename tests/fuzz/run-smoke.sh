#!/bin/sh
# Build every fuzz target and run each on its seed corpus for a short time;
# fails (exit 1) if any target crashes, leaks or trips a sanitizer.
#
#   tests/fuzz/run-smoke.sh [SECONDS]     (default 20 per target)
#
# New inputs found go to a scratch corpus, so corpus/ stays small and clean.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/ksm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

"$here/build.sh" "$work/bin"

status=0
for bin in "$work"/bin/fuzz_*; do
	name=$(basename "$bin")
	seeds="$here/corpus/$name"
	mkdir -p "$work/corpus/$name" "$work/crash/$name"
	# Inputs that once crashed must stay fixed.
	if [ -d "$here/regressions/$name" ] &&
		! "$bin" "$here/regressions/$name"/* >"$work/$name.reg.log" 2>&1; then
		echo "FAIL    $name: a regression input fails again" >&2
		tail -n 30 "$work/$name.reg.log" >&2
		status=1
	fi
	echo "  RUN     $name (${secs}s)"
	if ! "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/crash/$name/" \
		"$work/corpus/$name" "$seeds" >"$work/$name.log" 2>&1; then
		echo "FAIL    $name; last lines of its log:" >&2
		tail -n 40 "$work/$name.log" >&2
		for a in "$work/crash/$name"/*; do
			[ -e "$a" ] || continue
			mkdir -p "$here/crashes"
			cp "$a" "$here/crashes/"
			echo "        reproducer kept: tests/fuzz/crashes/$(basename "$a")" >&2
		done
		status=1
	else
		grep -E '^stat::number_of_executed_units' "$work/$name.log" |
			sed "s/^/        /" || true
	fi
done
exit $status
