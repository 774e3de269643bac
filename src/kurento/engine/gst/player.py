"""Media part of PlayerEndpoint (work in progress)."""

from __future__ import annotations

from .element import GstElement


class PlayerElement(GstElement):
    factory = "PlayerEndpoint"

    def build(self) -> None:
        raise NotImplementedError("PlayerEndpoint is not built yet")
