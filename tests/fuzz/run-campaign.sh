#!/bin/sh
# SPDX-License-Identifier: MIT
# The long fuzzing campaign (docs/fuzzing.md): every target in turn, one
# process at a time (no -jobs/-fork: the machine has 2 cores), ASan+UBSan.
#
#   tests/fuzz/run-campaign.sh [-o DIR] (-n TOTAL_EXECS | -s SECONDS) [TARGET...]
#
#   -n N   N executions in all, split evenly between the targets (-runs=)
#   -s S   S seconds per target (-max_total_time=)
#   -o DIR build and work directory (default $FUZZ_BUILD_DIR, else
#          build/fuzz-campaign); kept afterwards:
#            DIR/fuzz_*           the instrumented targets (build.sh)
#            DIR/corpus/T/        T's corpus, grown from tests/fuzz/corpus/T
#            DIR/minimized/T/     the seeds plus a -set_cover_merge=1 minimal set of
#                                 what the run added (candidates for corpus/)
#            DIR/crash/T/         crash, leak, timeout and OOM reproducers
#            DIR/logs/T.log       libFuzzer's output
#            DIR/results.md       one line per target (the table in
#                                 docs/fuzzing.md)
#
# Every target first replays tests/fuzz/regressions/T. Exit 1 if any target
# failed (a crash, leak, timeout, OOM or sanitizer report, or a regression
# input failing again).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_BUILD_DIR:-$top/build/fuzz-campaign}
total=
secs=
usage() {
	echo "usage: $0 [-o DIR] (-n TOTAL_EXECS | -s SECONDS) [TARGET...]" >&2
	exit 2
}
while getopts o:n:s: opt; do
	case $opt in
	o) out=$OPTARG ;;
	n) total=$OPTARG ;;
	s) secs=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ -z "$total$secs" ] || { [ -n "$total" ] && [ -n "$secs" ]; }; then
	usage
fi

"$here/build.sh" "$out" "$@"
out=$(cd "$out" && pwd)
if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046 # target names have no blanks
	set -- $(cd "$here" && for f in fuzz_*.c; do echo "${f%.c}"; done)
fi
if [ -n "$total" ]; then
	per=$(((total + $# - 1) / $#))
	budget="-runs=$per"
else
	budget="-max_total_time=$secs"
fi

mkdir -p "$out/logs"
res="$out/results.md"
{
	echo "| target | executions | seconds | exec/s | cov | ft | corpus (files) | minimized (files) | result |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
} >"$res"
status=0
all_execs=0
all_secs=0
for name in "$@"; do
	bin="$out/$name"
	log="$out/logs/$name.log"
	corpus="$out/corpus/$name"
	crash="$out/crash/$name"
	min="$out/minimized/$name"
	result=ok
	mkdir -p "$corpus" "$crash"
	if [ -d "$here/regressions/$name" ] &&
		! "$bin" "$here/regressions/$name"/* >"$out/logs/$name.reg.log" 2>&1; then
		echo "FAIL    $name: a regression input fails again" >&2
		result="regression fails"
		status=1
	fi
	echo "  FUZZ    $name ($budget)"
	t0=$(date +%s)
	# Leaks are reported (ASan's default under libFuzzer); UBSan stops at
	# the first report (-fno-sanitize-recover in build.sh).
	# shellcheck disable=SC2086 # $budget is one word
	if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$bin" $budget \
		-max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$crash/" \
		"$corpus" "$here/corpus/$name" >"$log" 2>&1; then
		echo "FAIL    $name; last lines of $log:" >&2
		tail -n 30 "$log" >&2
		result="FAILED: $(ls "$crash" | tr '\n' ' ')"
		status=1
	fi
	t1=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	execs=${execs:-0}
	# The last status line: "#N ... cov: C ft: F corp: K/..."
	line=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	# The seeds, then what the run added that brings new coverage.
	rm -rf "$min"
	mkdir -p "$min"
	cp "$here/corpus/$name"/* "$min/" 2>/dev/null || true
	"$bin" -set_cover_merge=1 -max_len=8192 -timeout=10 -rss_limit_mb=2048 "$min" \
		"$corpus" >"$out/logs/$name.merge.log" 2>&1 || true
	n_corpus=$(ls "$corpus" | wc -l)
	n_min=$(ls "$min" | wc -l)
	dt=$((t1 - t0))
	rate=$((execs / (dt > 0 ? dt : 1)))
	all_execs=$((all_execs + execs))
	all_secs=$((all_secs + dt))
	echo "        $execs executions in ${dt}s, cov $cov ft $ft, $result"
	echo "| $name | $execs | $dt | $rate | $cov | $ft | $n_corpus | $n_min | $result |" >>"$res"
done
echo "| total | $all_execs | $all_secs | | | | | | |" >>"$res"
echo "  DONE    $all_execs executions in ${all_secs}s; table: $res"
exit $status
