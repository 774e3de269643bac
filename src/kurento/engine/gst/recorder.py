"""Media part of RecorderEndpoint (work in progress)."""

from __future__ import annotations

from .element import GstElement


class RecorderElement(GstElement):
    factory = "RecorderEndpoint"

    def build(self) -> None:
        raise NotImplementedError("RecorderEndpoint is not built yet")
