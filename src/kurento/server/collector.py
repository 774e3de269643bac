"""Deferred cyclic garbage collection after releases.

Released elements leave reference cycles between Python wrappers and GStreamer
objects (signal closures, probes, listeners). Until Python's cyclic collector
runs, each released WebRtcEndpoint keeps its webrtcbin: ICE and DTLS threads,
sockets, eventfds. Left to the collector's own thresholds that can take many
sessions; so after releases we collect once, soon, at most once per interval.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


class DeferredCollector:
    def __init__(self, delay: float = 0.2, min_interval: float = 1.0,
                 trailing: float = 2.0) -> None:
        self.delay = delay
        self.min_interval = min_interval
        self.trailing = trailing
        self._handle: asyncio.TimerHandle | None = None
        self._trailing_handle: asyncio.TimerHandle | None = None
        self._last = 0.0
        self.collections = 0

    def request(self) -> None:
        """Ask for a collection; many requests in a burst give one collection."""
        if self._handle is not None:
            return
        loop = asyncio.get_running_loop()
        wait = max(self.delay, self._last + self.min_interval - time.monotonic())
        self._handle = loop.call_later(wait, self._collect)

    def _collect(self) -> None:
        self._handle = None
        if self._trailing_handle is not None:
            self._trailing_handle.cancel()
        self._trailing_handle = asyncio.get_running_loop().call_later(
            self.trailing, self._collect_trailing)
        self._run()

    def _collect_trailing(self) -> None:
        self._trailing_handle = None
        self._run()

    def _run(self) -> None:
        began = time.monotonic()
        found = gc.collect()
        self._last = time.monotonic()
        self.collections += 1
        log.debug("collected %d objects in %.1f ms", found, (self._last - began) * 1000)

    def cancel(self) -> None:
        for handle in (self._handle, self._trailing_handle):
            if handle is not None:
                handle.cancel()
        self._handle = self._trailing_handle = None
