"""Media part of RtpEndpoint (work in progress)."""

from __future__ import annotations

from .element import GstElement


class RtpElement(GstElement):
    factory = "RtpEndpoint"

    def build(self) -> None:
        raise NotImplementedError("RtpEndpoint is not built yet")
