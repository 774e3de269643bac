"""Congestion benchmark: N Chromium loopback sessions, with and without a narrow path.

Compares with the prototype's collapse at 12 sessions (notes §4.4: Chromium kept its
full rate, nothing told it to back off). Everything runs in a loopback-only network
namespace of its own (``kpy-congestion-*``, the lab of
``tests/browser/test_congestion.py``): the media server, the page's signalling app and
headless Debian Chromium with its fake camera (640x480, 20 fps asked). Each session
is one page (one tab) whose camera goes to a WebRtcEndpoint connected to itself and
comes back; all N tabs are in one Chromium.

For each N, two rows:

* ``free``: the namespace's ``lo`` as it is;
* ``tbf``: ``lo`` limited with ``tc qdisc ... tbf`` to N x ``--path-kbit`` (600 by
  default). Each packet of the echo crosses ``lo`` twice, so each session's fair
  share is about ``--path-kbit`` / 2 of video each way.

The sessions start one after another; once all play, the script waits ``--settle``
seconds (the REMB ramps up from 300 kbps), samples for ``--window`` seconds, then
shapes the path and does the same again.

Columns (over the window):

* ``fps min/mean``: frames per second the returned <video> decoded, worst session
  and mean over sessions;
* ``rx kbps``, ``tx kbps``: mean per session, video RTP (headers included) received
  and sent by the page;
* ``REMB``: mean per session of the last REMB our server sent (kbps, its getStats);
* ``bw-limited``: sessions whose sender says ``qualityLimitationReason: bandwidth``
  (it backs off because of the estimate) at the end of the window;
* ``server CPU %``: media server utime+stime, % of one core;
* ``Chromium CPU %``: every other process in the namespace (the browser's whole
  tree) but the signalling app, % of one core;
* ``busy %``: the whole machine, from /proc/stat, of 100 x cores.

Per-session figures follow each row (``fps/rx kbps``). The machine may be shared:
treat CPU figures as noisy.

Usage (as root): .venv/bin/python bench/congestion.py [--sessions 1,4,8,12]
       [--path-kbit 600] [--settle 12] [--window 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from procstats import cpu_seconds  # noqa: E402
from tests.browser.test_congestion import Lab, Rates, Session  # noqa: E402


def netns_pids(reference_pid: int) -> list[int]:
    """Every process in the network namespace of ``reference_pid``."""
    target = os.readlink(f"/proc/{reference_pid}/ns/net")
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/net") == target:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def system_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def cpu_of(pids: list[int]) -> dict[int, float]:
    result = {}
    for pid in pids:
        try:
            result[pid] = cpu_seconds(pid)
        except (OSError, IndexError):
            continue
    return result


@dataclass
class Row:
    path: str
    sessions: int
    rates: list[Rates]
    remb: list[float]
    limited: int
    server_cpu: float
    chromium_cpu: float
    busy: float
    missing: int


def measure(lab: Lab, sessions: list[Session], path: str, window: float) -> Row:
    browser_pids = [p for p in netns_pids(lab.server.proc.pid)
                    if p not in (lab.server.proc.pid, lab.app.proc.pid)]
    first = [s.sample() for s in sessions]
    server_before = cpu_seconds(lab.server.proc.pid)
    browser_before = cpu_of(browser_pids)
    busy_before = system_busy()
    began = time.monotonic()
    time.sleep(window)
    elapsed = time.monotonic() - began
    server_cpu = 100 * (cpu_seconds(lab.server.proc.pid) - server_before) / elapsed
    browser_after = cpu_of(browser_pids)
    chromium_cpu = 100 * sum(browser_after[p] - browser_before[p]
                             for p in browser_after if p in browser_before) / elapsed
    busy_after = system_busy()
    busy = 100 * (os.cpu_count() or 1) * (busy_after[0] - busy_before[0]) / max(
        1, busy_after[1] - busy_before[1])
    last = [s.sample() for s in sessions]
    rates = [Rates.between(a, b) for a, b in zip(first, last, strict=True)]
    remb = []
    for session in sessions:
        try:
            value = session.remb_kbps()
        except Exception:  # a page whose signalling broke: counted as missing
            value = None
        if value is not None:
            remb.append(value)
    return Row(path, len(sessions), rates, remb,
               sum(1 for r in rates if r.limitation == "bandwidth"), server_cpu,
               chromium_cpu, busy, sum(1 for s in last if not s.width))


def print_header() -> None:
    print(f"{'path':<16} {'N':>3} {'fps min/mean':>13} {'rx kbps':>8} {'tx kbps':>8} "
          f"{'REMB':>6} {'bw-limited':>10} {'server CPU %':>12} {'Chromium CPU %':>14} "
          f"{'busy %':>7}", flush=True)


def print_row(row: Row) -> None:
    fps = [r.decoded_fps for r in row.rates]
    rx = statistics.fmean(r.received_kbps for r in row.rates)
    tx = statistics.fmean(r.sent_kbps for r in row.rates)
    remb = f"{statistics.fmean(row.remb):.0f}" if row.remb else "-"
    note = f"  ({row.missing} without video)" if row.missing else ""
    print(f"{row.path:<16} {row.sessions:>3} {min(fps):>6.1f}/{statistics.fmean(fps):<6.1f} "
          f"{rx:>8.0f} {tx:>8.0f} {remb:>6} {row.limited:>7}/{row.sessions:<2} "
          f"{row.server_cpu:>12.1f} {row.chromium_cpu:>14.1f} {row.busy:>7.0f}{note}",
          flush=True)
    detail = " ".join(f"{r.decoded_fps:.0f}/{r.received_kbps:.0f}" for r in row.rates)
    print(f"{'':<16}     per session fps/rx kbps: {detail}", flush=True)


def run(lab: Lab, count: int, path_kbit: int, settle: float, window: float) -> list[Row]:
    sessions: list[Session] = []
    rows = []
    try:
        for _ in range(count):
            session = lab.session(start=False)
            sessions.append(session)
            session.start()
        for session in sessions:
            session.wait_playing(timeout_s=30)
        time.sleep(settle)
        rows.append(measure(lab, sessions, "free", window))
        print_row(rows[-1])
        lab.shape(count * path_kbit)
        time.sleep(settle)
        rows.append(measure(lab, sessions, f"tbf {count * path_kbit} kbit", window))
        print_row(rows[-1])
    finally:
        lab.unshape()
        for session in sessions:
            session.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,4,8,12")
    parser.add_argument("--path-kbit", type=int, default=600)
    parser.add_argument("--settle", type=float, default=12.0)
    parser.add_argument("--window", type=float, default=15.0)
    parser.add_argument("--server-log-level", default="WARNING")
    parser.add_argument("--keep-logs", type=Path, help="a folder for the server's log")
    args = parser.parse_args()
    print(f"Chromium fake camera 640x480 @ 20 fps, loopback echo per session; window "
          f"{args.window:.0f} s after {args.settle:.0f} s; {os.cpu_count()} CPUs "
          f"(load average {os.getloadavg()[0]:.1f} before)", flush=True)
    with tempfile.TemporaryDirectory(prefix="kpy-congestion-") as logs, \
            Lab(args.keep_logs or Path(logs), server_log_level=args.server_log_level) as lab:
        print_header()
        for count in (int(n) for n in args.sessions.split(",")):
            try:
                run(lab, count, args.path_kbit, args.settle, args.window)
            except Exception as error:  # one broken row must not hide the others
                print(f"{'':<16} {count:>3} failed: {type(error).__name__}: {error}",
                      flush=True)
                print(lab.logs()[-2000:], flush=True)


if __name__ == "__main__":
    main()
