#!/bin/bash
# SPDX-License-Identifier: MIT
# plot.sh - the headline benchmark figures as one chart: ksm-unix against
# its baseline for each benchmark, on a log scale (the ratios range from
# about 1 to 5,000). Reads bench/results/*.json (whatever of them exists),
# writes bench/results/latency.png. Needs python3 and gnuplot
# (apt-get install gnuplot-nox).
#
#   bench/plot.sh [RESULTS_DIR [OUT.png]]
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$(realpath -m "${1:-$TOP/bench/results}")
OUT=$(realpath -m "${2:-$RESULTS/latency.png}")

command -v gnuplot >/dev/null || {
	echo "plot.sh: gnuplot not found: apt-get install gnuplot-nox" >&2
	exit 1
}
T=$(mktemp -d /tmp/ksm-plot.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Rows: label, ours and baseline in ms, what is compared; then the gnuplot script.
/usr/bin/python3 - "$RESULTS" "$T/plot.gp" "$OUT" "$TOP" <<'PY'
import json, os, sys

results, script, out, top = sys.argv[1:5]
shown = os.path.relpath(results, top) if results.startswith(top + "/") else results


def load(name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        print("plot.sh: %s missing, its rows are left out" % path, file=sys.stderr)
        return None
    with open(path) as f:
        return json.load(f)


rows = []  # (label, ours_ms, base_ms, ours_name, base_name, kind)

d = load("ksmctl-vs-js.json")
if d:
    big = max(d["summary"], key=lambda s: s["records"])
    n = "{:,}".format(big["records"])
    rows.append(("secret list, %s records: wall" % n, big["ksmctl"]["wall"] * 1e3,
                 big["js"]["wall"] * 1e3, "ksmctl", "JS SDK", "time"))
    rows.append(("secret list, %s records: CPU" % n, big["ksmctl"]["cpu"] * 1e3,
                 big["js"]["cpu"] * 1e3, "ksmctl", "JS SDK", "cpu"))

d = load("keys.json")
if d:
    c = d["summary"]["cached"]
    n = "{:,}".format(c["snapshot_accounts"])
    rows.append(("authorized keys, %s accounts: wall" % n, c["keys_fp"]["median_us"] / 1e3,
                 c["cat"]["median_us"] / 1e3, "ksm-authorized-keys", "cat", "time"))

d = load("pam.json")
if d:
    s = d["summary"]
    k, u = s["live/bench-ksm"], s["live/bench-unix"]
    rows.append(("password check: wall", k["wall_ms_per_auth"], u["wall_ms_per_auth"],
                 "pam_ksm (live)", "pam_unix", "time"))
    # pam_ksm's CPU with ksmd's, which does the vault half of the check.
    rows.append(("password check: CPU", k.get("cpu_ms_per_auth_with_ksmd", k["cpu_ms_per_auth"]),
                 u["cpu_ms_per_auth"], "pam_ksm + ksmd (live)", "pam_unix", "cpu"))

d = load("login.json")
if d:
    l = d["logins"]
    rows.append(("ssh key login (sshd, loopback)", l["key_vault"]["median_ms"], l["key_local"]["median_ms"],
                 "vault user (keys helper)", "local authorized_keys", "time"))
    rows.append(("ssh password login (sshd, loopback)", l["pw_vault"]["median_ms"], l["pw_local"]["median_ms"],
                 "vault user (pam_ksm, live)", "local pam_unix", "time"))

d = load("nss.json")
if d:
    n = "{:,}".format(d["accounts"])
    p = d["per_process"]
    rows.append(("getent passwd NAME, %s accounts" % n, p["ksm:name"]["median_us"] / 1e3,
                 p["files:name"]["median_us"] / 1e3, "nss_ksm", "nss_files", "time"))
    i = d["in_process"]["getpwnam_median_ns"]
    rows.append(("getpwnam in process, %s accounts" % n, i["ksm"] / 1e6, i["files"] / 1e6,
                 "nss_ksm", "nss_files", "time"))
    c = d.get("cold")
    if c:
        cp, small = c["per_process"], "{:,}".format(c["small_accounts"])
        rows.append(("cold id NAME, %s vs %s accounts" % (n, small),
                     cp["big:id"]["median_us"] / 1e3, cp["small:id"]["median_us"] / 1e3,
                     "nss_ksm, fresh process: %s" % n, small, "time"))

if not rows:
    sys.exit("plot.sh: no results in %s" % results)


def sig3(v):
    return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 10 else "%.2f" % v


def human(ms):
    if ms < 1:
        return sig3(ms * 1e3) + " µs"
    if ms < 1000:
        return sig3(ms) + " ms"
    return sig3(ms / 1e3) + " s"


def verdict(ours, base, kind):
    r = base / ours
    if r >= 1:
        f = "{:,.0f}".format(r) if r >= 100 else "%.1f" % r
        return "%s× %s" % (f, "less CPU" if kind == "cpu" else "faster")
    return "%.2f× %s" % (1 / r, "more CPU" if kind == "cpu" else "slower")


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


XMIN, XMAX = 1e-4, 1e5  # ms: 0.1 µs .. 100 s
H = 0.17  # half the height of a bar
n = len(rows)
g = []
g.append('set terminal pngcairo size 1200,%d enhanced font "DejaVu Sans,11"' % (170 + 80 * n))
g.append("set output %s" % q(out))
g.append('set title "ksm-unix against its baseline (median; log scale; shorter is better)"')
g.append("set logscale x 10")
g.append("set xrange [%g:%g]" % (XMIN, XMAX))
g.append("set yrange [-0.6:%g]" % (n - 0.4))
g.append('set xlabel "time per operation (median)"')
g.append('set xtics ("0.1 µs" 1e-4, "1 µs" 1e-3, "10 µs" 1e-2, "100 µs" 0.1, "1 ms" 1, '
         '"10 ms" 10, "100 ms" 100, "1 s" 1e3, "10 s" 1e4, "100 s" 1e5)')
g.append("set grid xtics mxtics lc rgb '#e4e4e4'")
g.append("set mxtics 10")
g.append("unset ytics")
g.append("set lmargin 38")
g.append("set rmargin 17")
g.append("set bmargin 5")
g.append("set key at graph 0.99, graph 0.02 right bottom box opaque")
g.append("set style fill solid 0.9 border lc rgb '#555555'")
g.append("set label %s at screen 0.01, screen 0.02 left noenhanced tc rgb '#666666' font ',9'"
         % q("Each pair is measured on the same machine in the same run, taking turns. "
             "Data: %s/*.json (see bench/README.md)." % shown))
with open(script + ".dat", "w") as f:
    for i, (label, ours, base, on, bn, kind) in enumerate(rows):
        y = n - 1 - i  # first row on top
        f.write("%g %g %g\n" % (y + H, ours, 0))
        f.write("%g %g %g\n" % (y - H, base, 1))
        g.append("set label %s at graph 0, first %g right offset -1,0.45 noenhanced font ',11'"
                 % (q(label), y))
        g.append("set label %s at graph 0, first %g right offset -1,-0.55 noenhanced tc rgb '#555555' font ',10'"
                 % (q("%s vs %s" % (on, bn)), y))
        g.append("set label %s at first %g, first %g left offset 0.5,0 noenhanced font ',10'"
                 % (q(human(ours)), ours, y + H))
        g.append("set label %s at first %g, first %g left offset 0.5,0 noenhanced font ',10'"
                 % (q(human(base)), base, y - H))
        g.append("set label %s at graph 1, first %g left offset 1,0 noenhanced font ',11' tc rgb '#1f4e79'"
                 % (q(verdict(ours, base, kind)), y))
        if i:
            g.append("set arrow from graph 0, first %g to graph 1, first %g nohead lc rgb '#bbbbbb' dt 2"
                     % (y + 0.5, y + 0.5))
dat = q(script + ".dat")
g.append("plot %s using (sqrt(%g*$2)):1:(%g):2:($1-%g):($1+%g):($3==0?0x2b6cb0:0xaaaaaa) "
         "with boxxyerror lc rgb variable notitle, \\" % (dat, XMIN, XMIN, H, H))
g.append("     NaN with boxes lc rgb '#2b6cb0' title 'ksm-unix', \\")
g.append("     NaN with boxes lc rgb '#aaaaaa' title 'baseline'")
with open(script, "w") as f:
    f.write("\n".join(g) + "\n")
PY
gnuplot "$T/plot.gp"
echo "wrote $OUT"
