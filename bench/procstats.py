"""What the benchmark scripts read about the server process they started."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_pids(pid: int) -> list[int]:
    """A process and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += children.get(current, [])
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its live descendants, seconds (a
    generator spread over processes, ``--gen-processes``; a server whose filters run in
    processes of their own)."""
    total = 0.0
    for current in tree_pids(pid):
        try:
            total += cpu_seconds(current)
        except OSError:
            continue  # ended meanwhile
    return total


def tree_rss_mib(pid: int) -> float:
    """The resident memory of a process and its live descendants, summed (pages they
    share count once per process)."""
    total = 0.0
    for current in tree_pids(pid):
        try:
            total += rss_mib(current)
        except OSError:
            continue
    return total


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of a process's threads, summed by thread name (``comm``).

    Digits are folded (``nicesrc12:src`` → ``nicesrc#:src``) so that one figure
    stands for all the sessions' threads of a kind.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    result: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        name = re.sub(r"\d+", "#", name)
        result[name] = result.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return result


def thread_count(pid: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = re.sub(r"\d+", "#", (task / "comm").read_text().strip())
        except OSError:
            continue
        counts[name] = counts.get(name, 0) + 1
    return counts
