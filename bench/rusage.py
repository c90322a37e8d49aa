#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rusage.py [--pid P] [--out FILE] -- CMD [ARGS]: run CMD once, stdout to FILE (default
/dev/null), and print one JSON line: the child's user and sys CPU seconds (getrusage of the
waited child, so every thread and subprocess it waited for is in), wall seconds, max RSS
(KiB) and exit status. With --pid, also the CPU seconds process P (the server) used
meanwhile, from /proc/P/stat."""
import json
import os
import sys
import time


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def main():
    args = sys.argv[1:]
    pid, out = None, "/dev/null"
    while args and args[0] != "--":
        if args[0] == "--pid":
            pid = int(args[1])
        elif args[0] == "--out":
            out = args[1]
        else:
            sys.exit(f"rusage.py: unknown option {args[0]}")
        args = args[2:]
    cmd = args[1:]
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    s0 = proc_cpu(pid) if pid else 0.0
    t0 = time.perf_counter()
    child = os.fork()
    if child == 0:
        os.dup2(fd, 1)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(child, 0)
    wall = time.perf_counter() - t0
    s1 = proc_cpu(pid) if pid else 0.0
    os.close(fd)
    r = {"user": ru.ru_utime, "sys": ru.ru_stime, "cpu": ru.ru_utime + ru.ru_stime,
         "wall": wall, "maxrss_kib": ru.ru_maxrss, "status": os.waitstatus_to_exitcode(status)}
    if pid:
        r["server_cpu"] = round(s1 - s0, 3)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
