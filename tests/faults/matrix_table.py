#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""matrix_table.py RESULTS [DOC] - the table of docs/fault-matrix.md from a real run.

RESULTS holds the lines the tests/faults/test_matrix_*.sh scripts append when run with
MATRIX_RESULTS=RESULTS (consumer, row, outcome, ms, log text, script and, optionally, the
ms of it that Linux-PAM's fail delay took; tab-separated).
Without DOC the table is printed; with DOC the part between the lines
"<!-- matrix:begin -->" and "<!-- matrix:end -->" is replaced by it.

  rm -f /tmp/m.tsv
  for s in sync keys pam_auth pam_session; do
      MATRIX_RESULTS=/tmp/m.tsv bash ../../tests/faults/test_matrix_$s.sh; done
  ../../tests/faults/matrix_table.py /tmp/m.tsv ../../docs/fault-matrix.md
"""
import re
import sys

ROWS = [("refuse", "refuse (ECONNREFUSED)"), ("blackhole", "blackhole (no answer)"),
        ("delay-under", "delay just under the budget"),
        ("delay-over", "delay just over the budget"), ("http500", "HTTP 500"),
        ("throttle", "throttled, no `retry_after`"), ("throttle-retry", "throttled, `retry_after` 1 s"),
        ("corrupt", "corrupt body"), ("bad-signature", "bad signature"),
        ("key-once", "key-id rejection (`key`, once)"), ("key-always", "key-id rejection (`key:always`)"),
        ("token-used", "token already used"), ("revoked", "device revoked (`access_denied`)"),
        ("other-ca", "TLS certificate from another CA")]
COLUMNS = [("ksmctl sync", "test_matrix_sync.sh"),
           ("ksm-authorized-keys", "test_matrix_keys.sh"),
           ("pam_ksm auth", "test_matrix_pam_auth.sh"),
           ("pam_ksm session", "test_matrix_pam_session.sh")]
MAX_LOG = 80
# The constant parts of each consumer's log line (docs/fault-matrix.md, legend).
PREFIXES = ["sync failed, the old snapshot is kept: ", "ksmctl: ", "alice: live refresh failed (",
            "alice: no keys: ", "alice: vault check failed", "alice: session secrets not available",
            "alice: password accepted by the offline verifier (vault unreachable: ",
            "alice: the vault refused this device: ", "alice: "]
REPLACE = [(re.compile(r"^ksmd: "), ""),
           (re.compile(r"budget: ksmd: "), "budget: "),
           (re.compile(r"https://[^ ]*?/api/rest/sm/v1/[a-z_]+: "), ""),
           (re.compile(r"/\S*/client\.json is not bound yet"), "client.json is not bound yet"),
           (re.compile(r" - Failed to connect to .*"), ""),
           (re.compile(r"time budget ran out: Timeout was reached.*"), "time budget ran out"),
           (re.compile(r"\); serving 1 snapshot key\(s\).*"), ""),
           (re.compile(r"^ \((timeout_\w+ budget)\)"), r"\1"),
           (re.compile(r"^: "), ""),
           (re.compile(r"get_secret: "), ""),
           (re.compile(r"server said "), ""),
           (re.compile(r"binding failed \(a one-time token works once, even for a failed "
                       r"attempt\)"), "binding failed"),
           (re.compile(r"; the device may be revoked or the token already used"), ""),
           (re.compile(r"; the device may be revoked"), ""),
           (re.compile(r"; the next try \(in \d+ ms\) would exceed the time budget"),
            "; the next try would exceed the time budget"),
           (re.compile(r" \(set ca_file in ksm.conf if the server uses a private CA\): .*"), ""),
           (re.compile(r": Internal server error.*"), ""),
           (re.compile(r" \(97 bytes\).*"), "")]


def short_log(text):
    """The cause as the log names it: no constant prefix, no URL (its port changes)."""
    for p in PREFIXES:
        if text.startswith(p):
            text = text[len(p):]
            break
    for rx, repl in REPLACE:
        text = rx.sub(repl, text)
    if len(text) > MAX_LOG:
        text = text[:MAX_LOG - 1].rstrip() + "…"
    return text


def cell_text(got, ms, log, extra=""):
    if got == "N/A":
        return "N/A: " + log
    delay = ""
    if extra and int(extra) > 0:
        delay = " (%.2f s of it the fail delay)" % (int(extra) / 1000.0)
    return "**%s** in %.2f s%s: “%s”" % (got, int(ms) / 1000.0, delay, short_log(log))


def table(results):
    lines = ["| fault | " + " | ".join("%s (`%s`)" % c for c in COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for row, label in ROWS:
        cells = []
        for consumer, _ in COLUMNS:
            text = cell_text(*results[(consumer, row)]) if (consumer, row) in results else "—"
            if consumer == "ksmctl sync" and ("ksmctl init", row) in results:
                text = "`init`: %s<br>`sync` with a pre-bind config: %s" % (
                    cell_text(*results[("ksmctl init", row)]), text)
            cells.append(text.replace("|", "\\|"))
        lines.append("| %s | %s |" % (label, " | ".join(cells)))
    return "\n".join(lines) + "\n"


def main():
    results = {}
    with open(sys.argv[1]) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            consumer, row, got, ms, log = fields[:5]
            extra = fields[6] if len(fields) > 6 else ""
            results[(consumer, row)] = (got, ms, log, extra)
    out = table(results)
    if len(sys.argv) < 3:
        sys.stdout.write(out)
        return 0
    with open(sys.argv[2]) as f:
        doc = f.read()
    begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
    if begin not in doc or end not in doc:
        sys.exit("matrix_table.py: %s has no matrix:begin/end markers" % sys.argv[2])
    head, rest = doc.split(begin, 1)
    tail = rest.split(end, 1)[1]
    with open(sys.argv[2], "w") as f:
        f.write(head + begin + out + end + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
