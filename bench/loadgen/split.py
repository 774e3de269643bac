"""The generator spread over several processes (``--processes K``).

In one process, every received frame runs a Python probe on its session's streaming
thread; when the server sends a frame to many sessions at once, those threads all queue
for the one GIL (futex calls were 40 % of the generator's samples at one-to-many
N = 32), which costs CPU and stamps the later arrivals late. K processes each hold a
K-th of the sessions and a GIL of their own.

The coordinating process starts K part processes (``--part``), each with its share of
the sessions and a disjoint range of session indexes; in one-to-many the first part
presents and tells the coordinator how to reach the presenter (``presenting``), which
the others then view. Each part says ``ready`` when its sessions are up; the coordinator
then names one window on their stdin in ``time.monotonic()`` seconds (one clock for
every process on the machine), emits ``sampling`` and ``window-end`` at its edges like a
single generator, gathers each part's raw figures (``part``) and prints ``done`` with
the figures of all sessions together, computed as for one process.

A viewer in another process than the presenter has no send times to look its frames
up in: it keeps each frame's hash and arrival, and the coordinator finds the send time
in the presenter's push log (its latest push of that frame before the arrival). The
parts share ``PYTHONHASHSEED`` so that a frame hashes alike in all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import ctypes
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .figures import silent_peers, summarise
from .peer import Arrival, RtpCounters

START_DELAY = 1.0  # seconds between naming the window and its start: the parts read stats
LINE_LIMIT = 1 << 28  # a part's figures are one JSON line: ~40 bytes per frame received


@dataclass
class Part:
    """What a part process was told: its first session index and, for a viewers-only
    part of one-to-many, how to reach the presenter (``Target.presenter_ref``)."""

    first_index: int
    presenter: dict[str, Any] | None = None


@dataclass
class MergedPeer:
    """A session as the coordinator sees it: what ``summarise`` reads."""

    index: int
    arrivals: list[Arrival] = field(default_factory=list)
    unmatched: int = 0
    dropped_candidates: int = 0


def raw_part(peers: list[Any], pushes: list[tuple[float, str, int]] | None, start: float,
             before: list[RtpCounters], after: list[RtpCounters],
             threads: dict[str, float]) -> dict[str, Any]:
    """A part's window, raw: every frame that arrived from ``start`` on, the stats, and
    (if this part pushed the clip) its push log from a clip's length before."""
    return {
        "peers": [{"index": p.index,
                   "arrivals": [[a.kind, a.sent, a.received] for a in p.arrivals
                                if a.received >= start],
                   "keys": None if p.keys is None else [
                       [kind, key, received] for kind, key, received in p.keys
                       if received >= start],
                   "unmatched": p.unmatched,
                   "dropped_candidates": p.dropped_candidates} for p in peers],
        "before": [dataclasses.asdict(c) for c in before],
        "after": [dataclasses.asdict(c) for c in after],
        # a frame comes round again every 10 s (the clip loops): 15 s back is enough
        "pushes": None if pushes is None else [list(p) for p in pushes if p[0] >= start - 15],
        "threads": threads,
    }


def shares(sessions: int, parts: int) -> list[int]:
    return [sessions // parts + (1 if i < sessions % parts else 0) for i in range(parts)]


def merge(parts: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """The figures of all parts' sessions, as ``summarise`` gives them for one process."""
    pusher = next((p["pushes"] for p in parts if p["pushes"] is not None), None)
    if pusher is None:
        raise RuntimeError("no part pushed the clip")
    peers: list[MergedPeer] = []
    sent: list[tuple[int, int]] = []
    before: list[RtpCounters] = []
    after: list[RtpCounters] = []
    for part in parts:
        log = part["pushes"] if part["pushes"] is not None else pusher
        pushed: dict[int, list[float]] = {}
        for at, _kind, key in log:  # in push order: each list is sorted
            pushed.setdefault(key, []).append(at)
        counts = (sum(1 for at, kind, _key in log if start <= at < end and kind == "video"),
                  sum(1 for at, kind, _key in log if start <= at < end and kind == "audio"))
        for raw in part["peers"]:
            peer = MergedPeer(raw["index"], [Arrival(*a) for a in raw["arrivals"]],
                              raw["unmatched"], raw["dropped_candidates"])
            for kind, key, received in raw["keys"] or ():
                times = pushed.get(key, [])
                latest = bisect.bisect_right(times, received) - 1
                if latest >= 0:
                    peer.arrivals.append(Arrival(kind, times[latest], received))
                else:
                    peer.unmatched += 1
            peers.append(peer)
            sent.append(counts)
        before += [RtpCounters(**c) for c in part["before"]]
        after += [RtpCounters(**c) for c in part["after"]]
    figures = summarise(peers, sent, start, end, before, after)
    figures["silent_detail"] = [{"session": p.index}
                                for p in silent_peers(peers, start, end)]
    threads: dict[str, float] = {}
    for part in parts:
        for name, cpu in part["threads"].items():
            threads[name] = threads.get(name, 0.0) + cpu
    figures["threads"] = dict(sorted(((n, round(c, 1)) for n, c in threads.items()
                                      if c >= 0.5), key=lambda item: -item[1])[:8])
    figures["processes"] = len(parts)
    return figures


def _die_with_parent() -> None:
    """In the part process, before exec: end when the coordinator ends (PR_SET_PDEATHSIG),
    so that a killed row leaves no generator behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)


class PartProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def event(self, name: str) -> dict[str, Any]:
        """The next event ``name`` from this part; its ``error`` raises."""
        assert self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"a generator part ended before {name!r} "
                                   f"(exit {await self.process.wait()})")
            if not line.startswith(b"{"):
                continue
            event: dict[str, Any] = json.loads(line)
            if event.get("event") == "error":
                raise RuntimeError(f"generator part: {event.get('message')}")
            if event.get("event") == name:
                return event

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def stop(self, wait: float) -> None:
        """Lets the part end by itself for ``wait`` seconds (it releases its sessions),
        then ends it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.process.wait()), wait)
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


async def coordinate(args: argparse.Namespace, count: int,
                     emit: Callable[..., None]) -> None:
    """Runs ``count`` parts; ``emit`` prints an event for the benchmark (as one
    generator would)."""
    base = [sys.executable, "-m", "loadgen", "--part", "--target", args.target,
            "--url", args.url, "--scenario", args.scenario, "--window", str(args.window)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}

    async def start(sessions: int, first: int,
                    presenter: dict[str, Any] | None = None) -> PartProcess:
        extra = ["--presenter", json.dumps(presenter)] if presenter is not None else []
        process = await asyncio.create_subprocess_exec(
            *base, "--sessions", str(sessions), "--first-index", str(first), *extra,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
            preexec_fn=_die_with_parent, limit=LINE_LIMIT)
        return PartProcess(process)

    sizes = shares(args.sessions, count)
    firsts = [sum(sizes[:i]) for i in range(count)]
    parts: list[PartProcess] = []
    finished = False
    try:
        if args.scenario == "one-to-many":
            parts.append(await start(sizes[0], 0))
            presenting = await parts[0].event("presenting")
            parts += [await start(n, f, presenting["ref"])
                      for n, f in zip(sizes[1:], firsts[1:], strict=True)]
        else:
            parts = [await start(n, f) for n, f in zip(sizes, firsts, strict=True)]
        readies = await asyncio.gather(*(p.event("ready") for p in parts))
        await asyncio.sleep(args.settle)
        start_at = time.monotonic() + START_DELAY
        end_at = start_at + args.window
        await asyncio.gather(*(p.send({"window": [start_at, end_at]}) for p in parts))
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        emit("sampling", missing=sum(r["missing"] for r in readies),
             setup_s=max(r["setup_s"] for r in readies))
        await asyncio.sleep(max(0.0, end_at - time.monotonic()))
        emit("window-end")
        raws = await asyncio.gather(*(p.event("part") for p in parts))
        figures = merge(raws, start_at, end_at)
        finished = True
    finally:
        await asyncio.gather(*(p.stop(30 if finished else 0) for p in parts))
    emit("done", **figures)
