"""Blocking steps of the SDP elements (WebRTC and plain RTP), awaited from the loop.

Negotiation, stats and keyframe requests call into GStreamer and may block: they run
on the engine's worker threads under the watchdog, and their result or exception is
carried back to the loop as a :class:`~kurento.engine.contract.WebRtcError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..contract import WebRtcError
from .element import GstElement

T = TypeVar("T")


async def run_step(element: GstElement, what: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` on a worker thread once ``element`` has started; its result, or WebRtcError."""
    await element.started()
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(fn())
        except Exception as error:  # carried to the loop, with its message
            box.append(error)

    if not await element.runtime.worker.run(f"{what} {element!r}", run) or not box:
        raise WebRtcError(f"{what}: no result in time")
    if isinstance(box[0], WebRtcError):
        raise box[0]
    if isinstance(box[0], Exception):
        raise WebRtcError(f"{what}: {box[0]}") from box[0]
    result: T = box[0]
    return result
