"""Where blocking GStreamer work runs, and how its results reach the loop.

GStreamer state changes and teardown can block (notes §5.7: a cyclic graph hung
``set_state(NULL)`` forever and, run on the loop, stopped the whole server). So
every such call goes through :class:`Worker`: it runs on the engine's own
threads, and the awaiting coroutine gives up after a watchdog timeout, logs,
and abandons the stuck call so the server keeps serving.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._gst import Gst

if TYPE_CHECKING:
    from .bridge import RingWatch

log = logging.getLogger(__name__)


class Worker:
    """A thread pool for blocking GStreamer calls, each awaited under a watchdog."""

    def __init__(self, *, timeout: float, max_workers: int = 8) -> None:
        self.timeout = timeout
        self._max_workers = max_workers
        self._executor = self._new_executor()
        self._stuck = 0
        self._lock = threading.Lock()

    def _new_executor(self) -> concurrent.futures.ThreadPoolExecutor:
        return concurrent.futures.ThreadPoolExecutor(
            max_workers=self._max_workers, thread_name_prefix="kms-gst"
        )

    async def run(self, what: str, fn: Callable[[], object], timeout: float | None = None) -> bool:
        """Run ``fn`` on a worker thread; ``True`` if it finished without error in time."""
        limit = self.timeout if timeout is None else timeout
        try:
            future = self._executor.submit(fn)
        except RuntimeError:  # executor shut down: the engine is gone
            log.warning("engine shut down, skipped: %s", what)
            return False
        wrapped = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({wrapped}, timeout=limit)
        if not done:
            self._abandon(future, what, limit)
            return False
        if (error := wrapped.exception()) is not None:
            log.error("GStreamer work failed: %s", what, exc_info=error)
            return False
        return True

    def _abandon(self, future: concurrent.futures.Future[object], what: str, limit: float) -> None:
        """Give up on a stuck call; swap the pool if stuck calls would starve it."""
        log.error("watchdog: %s did not finish in %.1f s; abandoned", what, limit)
        with self._lock:
            self._stuck += 1
            if self._stuck * 2 >= self._max_workers:
                # Stuck threads are lost; new work must not queue behind them.
                log.error("watchdog: %d stuck GStreamer calls; new worker pool", self._stuck)
                self._executor.shutdown(wait=False)
                self._executor = self._new_executor()
                self._stuck = 0
        # Outside the lock: a call that finished meanwhile runs _unstuck right here.
        future.add_done_callback(self._unstuck)

    def _unstuck(self, _future: concurrent.futures.Future[object]) -> None:
        with self._lock:
            self._stuck = max(0, self._stuck - 1)

    def shutdown(self) -> None:
        """Let idle worker threads exit; a stuck one is left behind (daemon-like)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Runtime:
    """What every element of one MediaPipeline shares: loop, workers, clock domain, bridges."""

    loop: asyncio.AbstractEventLoop
    worker: Worker
    clock: Any  # Gst.Clock
    base_time: int
    rings: RingWatch

    def call_soon(self, fn: Callable[..., None], *args: object) -> None:
        """Hand a streaming-thread callback over to the loop; drop it if the loop is gone."""
        # RuntimeError: the loop closed (interpreter or test shutdown); nobody listens.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(_guarded, fn, *args)

    def share_clock(self, pipeline: Any) -> None:
        """Put ``pipeline`` into this MediaPipeline's clock domain.

        proxysink/proxysrc need both sides to agree on running time: same clock and
        same base time, and a fixed start time so a state change never re-bases it.
        """
        pipeline.use_clock(self.clock)
        pipeline.set_base_time(self.base_time)
        pipeline.set_start_time(Gst.CLOCK_TIME_NONE)


def _guarded(fn: Callable[..., None], *args: object) -> None:
    """Run a listener callback; one that raises is logged, never propagated."""
    try:
        fn(*args)
    except Exception:
        log.exception("listener callback %r failed", fn)
