"""Replays the clip's encoded frames live, in a loop, into every session at once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from .clip import Clip
from .gst import GLib
from .peer import Session


@dataclass
class Source:
    """Pushes each frame at its time (clip offset + loop count x duration).

    ``sent_times`` maps hash(frame payload) → monotonic time of its last push: the
    sessions look arrivals up in it. ``pushes`` logs (time, kind, hash) of every push, to
    count what each session was sent during a window (and to match, afterwards, what
    viewers in other processes received).
    """

    clip: Clip
    phase: float = 0.0  # seconds: every push this much later
    sessions: list[Session] = field(default_factory=list)
    sent_times: dict[int, float] = field(default_factory=dict)
    pushes: list[tuple[float, str, int]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def sent_between(self, start: float, end: float, kind: str) -> int:
        return sum(1 for t, k, _key in self.pushes if start <= t < end and k == kind)

    async def _run(self) -> None:
        frames = sorted(self.clip.video + self.clip.audio, key=lambda f: f.offset)
        payloads: list[tuple[str, Any, int, bool, float]] = [
            (f.kind, GLib.Bytes.new(f.data), hash(f.data), f.keyframe, f.offset)
            for f in frames]
        start = time.monotonic() + 0.1 + self.phase
        lap = 0
        while True:
            for kind, data, key, keyframe, offset in payloads:
                due = start + lap * self.clip.duration + offset
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                now = time.monotonic()
                self.sent_times[key] = now
                self.pushes.append((now, kind, key))
                for session in self.sessions:
                    session.push(kind, data, keyframe)
            lap += 1
            horizon = time.monotonic() - 120  # keep two minutes of push log
            if self.pushes and self.pushes[0][0] < horizon:
                self.pushes = [p for p in self.pushes if p[0] >= horizon]
