"""Helpers for the real GStreamer engine tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from kurento.engine.contract import MediaKind

TEARDOWN_TIMEOUT = 5.0


class Recorder:
    """An ElementListener that keeps every callback, in order."""

    def __init__(self) -> None:
        self.flows: list[tuple[str, MediaKind, bool]] = []
        self.errors: list[tuple[str, int, str]] = []

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        assert pad_name == "default"
        self.flows.append(("in", kind, flowing))

    def on_media_flow_out(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        assert pad_name == "default"
        self.flows.append(("out", kind, flowing))

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        self.errors.append((error_type, error_code, description))

    def states(self, direction: str, kind: MediaKind) -> list[bool]:
        return [f for d, k, f in self.flows if d == direction and k is kind]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` on the loop until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)
