"""Watching one element pipeline's bus: errors, warnings and latency changes.

Why not ``Gst.Bus.set_sync_handler``: with PyGObject 3.42 every message handed
to a Python sync handler leaks a reference (measured: after one PLAYING/NULL
cycle the pipeline kept 6 extra references, so it and its bus file descriptors
were never freed). The detailed ``sync-message::<type>`` signals do not leak,
and they enter Python only for the types we connect. Messages of every other
type still queue on the bus; no main loop pops them, so :meth:`BusWatch.drain`
discards them in C once per interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ._gst import Gst
from .runtime import Runtime

log = logging.getLogger(__name__)

DRAIN_INTERVAL = 1.0
# pop_filtered() discards every queued message not of this type; nothing posts it.
_NEVER_POSTED = Gst.MessageType.REDIRECT


class BusWatch:
    """Calls ``on_error(message)`` / ``on_latency()`` from the posting thread."""

    def __init__(
        self,
        runtime: Runtime,
        pipeline: Any,
        on_error: Callable[[Any], None],
        on_latency: Callable[[], None],
    ) -> None:
        self._runtime = runtime
        self._bus = pipeline.get_bus()
        self._bus.enable_sync_message_emission()
        self._handlers = [
            self._bus.connect("sync-message::error", lambda _bus, message: on_error(message)),
            self._bus.connect("sync-message::warning", _log_warning),
            self._bus.connect("sync-message::latency", lambda _bus, _message: on_latency()),
        ]
        self._timer: asyncio.TimerHandle | None = runtime.loop.call_later(
            DRAIN_INTERVAL, self._tick
        )

    def stop(self) -> None:
        """Loop thread: stop the periodic drain."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """Worker thread, after the pipeline reached NULL: disconnect and empty the bus."""
        for handler in self._handlers:
            self._bus.disconnect(handler)
        self._handlers.clear()
        self._bus.disable_sync_message_emission()
        self.drain()

    def drain(self) -> None:
        self._bus.pop_filtered(_NEVER_POSTED)

    def _tick(self) -> None:
        self.drain()
        self._timer = self._runtime.loop.call_later(DRAIN_INTERVAL, self._tick)


def _log_warning(_bus: Any, message: Any) -> None:
    warning, debug = message.parse_warning()
    log.warning(
        "%s: %s [%s]", message.src.get_name() if message.src else "?", warning.message, debug
    )
