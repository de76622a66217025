#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the consoles of `make bench` into results, a ratio table and plots.

  bench-report.py collect OUTDIR LOG:MODE...   results.csv, table.md, plots
  bench-report.py table CSV                    print the table of a results.csv
  bench-report.py check CSV README             README quotes that table?

A console line "BENCH <bench> <param> <iface> <metric> <value>" is one
sample; the n-th sample of a figure is run n.  MODE names the QEMU mode of
the boot that printed the log (tcg, icount).
"""

import csv
import os
import statistics
import subprocess
import sys

IFACES = ["kevent", "kevent_poll", "epoll", "poll", "uring",
          "naio", "uring_io", "uring_fixed", "uring_mshot", "inotify"]
# The interfaces that move the data themselves (kbench echo and stream):
# network AIO and io_uring I/O requests, in a table of their own.
AIO_IFACES = ["naio", "uring_io", "uring_fixed", "uring_mshot"]
# Metrics where more is better; for the others (costs) less is better.
HIGHER = {"events_per_s", "requests_per_s", "mb_per_s"}
BENCHES = ["pipe", "echo", "idle", "mem", "stream", "libevent_bench",
           "libevent_cascade", "memcached", "inode"]
BEGIN = "<!-- bench-table-begin -->"
END = "<!-- bench-table-end -->"


def parse_logs(pairs):
    rows, seen = [], {}
    for path, mode in pairs:
        with open(path, errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) != 6 or p[0] != "BENCH":
                    continue
                key = (mode, p[1], p[2], p[3], p[4])
                seen[key] = seen.get(key, 0) + 1
                rows.append({"mode": mode, "bench": p[1], "param": p[2],
                             "iface": p[3], "metric": p[4],
                             "run": seen[key], "value": float(p[5])})
    return rows


def read_csv(path):
    with open(path) as f:
        return [dict(r, run=int(r["run"]), value=float(r["value"]))
                for r in csv.DictReader(f)]


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, ["mode", "bench", "param", "iface", "metric",
                               "run", "value"], lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(dict(r, value="%.6g" % r["value"]))


def summarize(rows):
    """(mode, bench, param, metric) -> iface -> (median, spread %, runs)"""
    groups = {}
    for r in rows:
        k = (r["mode"], r["bench"], r["param"], r["metric"])
        groups.setdefault(k, {}).setdefault(r["iface"], []).append(r["value"])
    out = {}
    for k, by_iface in groups.items():
        out[k] = {}
        for iface, vals in by_iface.items():
            med = statistics.median(vals)
            spread = (max(vals) - min(vals)) / med * 100 if med else 0.0
            out[k][iface] = (med, spread, len(vals))
    return out


def fmt(x):
    if x >= 1e6:
        return "%.3gM" % (x / 1e6)
    if x >= 1e4:
        return "%.3gk" % (x / 1e3)
    return "%.3g" % x


def param_key(param):
    """Sort n=100 before n=1000: numbers as numbers."""
    out = []
    for kv in param.split(","):
        k, _, v = kv.partition("=")
        out.append((k, int(v) if v.isdigit() else 0))
    return out


def table(rows):
    s = summarize(rows)
    modes = sorted({k[0] for k in s}, key=lambda m: (m != "icount", m))
    runs = max(r["run"] for r in rows) if rows else 0
    lines = []
    for mode in modes:
        lines.append("**%s** (%s; median of %d runs, spread = (max - min) "
                     "/ median of the kevent runs)" %
                     (mode, "QEMU TCG with -icount shift=0: guest time "
                      "counts instructions" if mode == "icount"
                      else "plain QEMU TCG", runs))
        lines.append("")
        lines.append("| benchmark | metric | epoll | kevent/epoll | "
                     "kevent/io_uring | poll/epoll | io_uring/epoll | "
                     "spread |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
        keys = sorted((k for k in s if k[0] == mode),
                      key=lambda k: (BENCHES.index(k[1]), k[3],
                                     param_key(k[2])))
        for k in keys:
            v = s[k]
            if "epoll" not in v or "kevent" not in v:
                continue
            ep = v["epoll"][0]
            ratio = ratio_of(v)
            better = "higher" if k[3] in HIGHER else "lower"
            lines.append("| %s %s | %s (%s is better) | %s | %s | %s | %s "
                         "| %s | %.1f%% |" %
                         (k[1], k[2].replace(",", " "), k[3], better, fmt(ep),
                          ratio("kevent", "epoll"), ratio("kevent", "uring"),
                          ratio("poll", "epoll"), ratio("uring", "epoll"),
                          v["kevent"][1]))
        if any(k[0] == mode and "kevent_poll" in s[k] for k in s):
            lines.append("")
            lines.append("kevent through `KEVENT_TYPE_POLL` instead of "
                         "`KEVENT_TYPE_PIPE`, pipe ping-pong, ns per event "
                         "(kevent_poll/kevent): " + ", ".join(
                             "%s %.2f" % (k[2].split(",")[0],
                                          s[k]["kevent_poll"][0] /
                                          s[k]["kevent"][0])
                             for k in sorted(s, key=lambda k: param_key(k[2]))
                             if k[0] == mode and k[1] == "pipe" and
                             k[3] == "ns_per_event" and "kevent_poll" in s[k]))
        lines.append("")
        lines += aio_table(s, mode, keys)
        lines += inode_table(s, mode)
    return "\n".join(lines).rstrip() + "\n"


def ratio_of(v):
    """ratio(a, b): the median of a over that of b, as the table shows it"""
    def ratio(a, b):
        if a not in v or b not in v or not v[b][0]:
            return "-"
        return "%.2f" % (v[a][0] / v[b][0])
    return ratio


def aio_table(s, mode, keys):
    """The figures of the interfaces that move the data (network AIO and
    io_uring I/O requests), against epoll and naio against each io_uring
    way; nothing for results that have none of them."""
    keys = [k for k in keys if "epoll" in s[k] and
            any(i in s[k] for i in AIO_IFACES)]
    if not keys:
        return []
    lines = ["Network AIO: kevent's `KEVENT_TYPE_NAIO` requests (naio) and "
             "io_uring's (uring_io: `IORING_OP_RECV`/`SEND`; uring_fixed: "
             "`IORING_OP_READ_FIXED` into registered buffers; uring_mshot: "
             "multishot receive into provided buffers), the kernel moving "
             "the data; spread of the naio runs", "",
             "| benchmark | metric | epoll | naio | naio/epoll | "
             "uring_io/epoll | uring_fixed/epoll | uring_mshot/epoll | "
             "naio/uring_io | naio/uring_fixed | naio/uring_mshot | spread |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in keys:
        v = s[k]
        ratio = ratio_of(v)
        better = "higher" if k[3] in HIGHER else "lower"
        lines.append("| %s %s | %s (%s is better) | %s | %s | %s | %s | %s "
                     "| %s | %s | %s | %s | %s |" %
                     (k[1], k[2].replace(",", " "), k[3], better,
                      fmt(v["epoll"][0]),
                      fmt(v["naio"][0]) if "naio" in v else "-",
                      ratio("naio", "epoll"),
                      ratio("uring_io", "epoll"),
                      ratio("uring_fixed", "epoll"),
                      ratio("uring_mshot", "epoll"),
                      ratio("naio", "uring_io"), ratio("naio", "uring_fixed"),
                      ratio("naio", "uring_mshot"),
                      "%.1f%%" % v["naio"][1] if "naio" in v else "-"))
    lines.append("")
    return lines


def inode_table(s, mode):
    """kevent's KEVENT_TYPE_INODE against inotify, for a burst of file
    changes; nothing for results that have none."""
    keys = sorted((k for k in s if k[0] == mode and k[1] == "inode" and
                   "kevent" in s[k] and "inotify" in s[k]),
                  key=lambda k: (k[3], param_key(k[2])))
    if not keys:
        return []
    lines = ["Inode events: a burst of one-byte writes spread over files, "
             "read when it ends, by kevent (`KEVENT_TYPE_INODE`) and by "
             "inotify (`IN_MODIFY`, default queue of 16384)", "",
             "| benchmark | metric | inotify | kevent | spread |",
             "|---|---|---:|---:|---:|"]
    for k in keys:
        v = s[k]
        lines.append("| %s %s | %s | %s | %s | %.1f%% |" %
                     (k[1], k[2].replace(",", " "), k[3],
                      fmt(v["inotify"][0]), fmt(v["kevent"][0]),
                      v["kevent"][1]))
    lines.append("")
    return lines


def plots(rows, outdir):
    s = summarize(rows)
    mode = "icount" if any(r["mode"] == "icount" for r in rows) else "tcg"
    specs = [
        ("pipe", "events_per_s", "pipe ping-pong, 10 tokens",
         "pipes", "events/s", "n"),
        ("idle", "us_per_round", "10 active among N registrations",
         "registrations", "us per round", "n"),
        ("mem", "bytes_per_registration", "slab memory per registration",
         "registrations", "bytes", "n"),
        ("echo", "requests_per_s", "loopback TCP echo, 64 B",
         "connections", "requests/s", "conns"),
        ("stream", "mb_per_s", "loopback TCP stream, 64 KiB messages",
         "connections", "MiB/s", "conns"),
    ]
    made = []
    for bench, metric, title, xlabel, ylabel, pname in specs:
        ifaces = [i for i in IFACES
                  if any(k[1] == bench and k[3] == metric and k[0] == mode
                         and i in v for k, v in s.items())]
        if not ifaces:
            continue
        dat = os.path.join(outdir, "%s.dat" % bench)
        pts = {}
        for k, v in s.items():
            if k[0] != mode or k[1] != bench or k[3] != metric:
                continue
            params = dict(kv.split("=") for kv in k[2].split(","))
            if bench == "echo" and params.get("size") != "64":
                continue
            x = int(params[pname])
            pts[x] = [v[i][0] if i in v else float("nan") for i in ifaces]
        with open(dat, "w") as f:
            for x in sorted(pts):
                f.write("%d %s\n" % (x, " ".join("%g" % y for y in pts[x])))
        png = os.path.join(outdir, "%s.png" % bench)
        plot = ", ".join("'%s' using 1:%d with linespoints title '%s'" %
                         (dat, c + 2, i) for c, i in enumerate(ifaces))
        script = ("set terminal png size 800,500\nset output '%s'\n"
                  "set title '%s (%s)'\nset xlabel '%s'\nset ylabel '%s'\n"
                  "set logscale x\n%sset key outside\nplot %s\n" %
                  (png, title, mode, xlabel, ylabel,
                   "set logscale y\n" if bench == "idle" else "", plot))
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
        made.append(png)
    return made


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "collect":
        outdir = sys.argv[2]
        os.makedirs(outdir, exist_ok=True)
        pairs = [a.rsplit(":", 1) for a in sys.argv[3:]]
        rows = parse_logs(pairs)
        if not rows:
            sys.exit("bench-report: no BENCH lines in " + " ".join(sys.argv[3:]))
        write_csv(rows, os.path.join(outdir, "results.csv"))
        t = table(rows)
        with open(os.path.join(outdir, "table.md"), "w") as f:
            f.write(t)
        sys.stdout.write(t)
        for png in plots(rows, outdir):
            print("plot: " + png)
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        sys.stdout.write(table(read_csv(sys.argv[2])))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        want = table(read_csv(sys.argv[2]))
        text = open(sys.argv[3]).read()
        if BEGIN not in text or END not in text:
            sys.exit("bench-report: no table markers in " + sys.argv[3])
        have = text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n") + "\n"
        if have != want:
            sys.exit("bench-report: the table in %s is not the one %s gives;"
                     " run: scripts/bench-report.py table %s" %
                     (sys.argv[3], sys.argv[2], sys.argv[2]))
        print("bench-report: %s quotes %s: ok" % (sys.argv[3], sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
