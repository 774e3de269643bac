"""Media part of HttpPostEndpoint (work in progress)."""

from __future__ import annotations

from .element import GstElement


class HttpPostElement(GstElement):
    factory = "HttpPostEndpoint"

    def build(self) -> None:
        raise NotImplementedError("HttpPostEndpoint is not built yet")
