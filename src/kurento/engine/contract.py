"""What the control plane needs from a media engine.

The control plane (asyncio, no ``gi``) owns ids, sessions, connections and
events. It talks to media only through these protocols. The GStreamer engine in
``kurento.engine.gst`` implements them; it is the only code that imports ``gi``.

Threading contract:
* Every method here is called on the asyncio loop thread and must not block it.
  Work that may block (GStreamer state changes, teardown) runs on the engine's
  own worker threads; the ``async`` methods await that work, guarded by a
  watchdog so a stuck GStreamer call can never hang the server.
* Every ``ElementListener`` callback is delivered on the asyncio loop thread
  (the engine hands GStreamer's streaming-thread callbacks over with
  ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import enum
from typing import Protocol


class MediaKind(enum.Enum):
    """Kurento's MediaType values, as the engine sees them."""

    AUDIO = "AUDIO"
    VIDEO = "VIDEO"
    DATA = "DATA"


class ElementListener(Protocol):
    """Receives an element's media-plane news on the asyncio loop."""

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        """Buffers started (``flowing``) or stopped (~2 s without) arriving at a sink pad."""

    def on_media_flow_out(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        """Buffers started or stopped leaving a src pad."""

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        """An asynchronous GStreamer error (Kurento ``Error`` event fields)."""


class Link(Protocol):
    """One media link source→sink for one media kind, made by ``ElementEngine.link``."""

    async def unlink(self) -> None:
        """Remove the link; idempotent; never blocks the loop."""


class ElementEngine(Protocol):
    """An element's own part of the media graph."""

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        """Start sending this element's ``kind`` output to ``sink``.

        ``sink`` may be this very element (loopback) or part of a cycle: the
        engine guarantees no GStreamer-level cycle, so teardown cannot deadlock.
        The control plane guarantees a sink has at most one link per kind: it
        unlinks the previous source before linking a new one.
        """

    def gstreamer_dot(self, details: str) -> str:
        """Graphviz text for this element's part of the graph."""

    async def close(self) -> None:
        """Tear down (after the control plane has unlinked everything)."""


class PipelineEngine(Protocol):
    """One MediaPipeline: a clock domain and the elements in it."""

    def create_element(self, factory: str, listener: ElementListener) -> ElementEngine:
        """Create the media part of a remote element type, e.g. ``"PassThrough"``.

        Raises ``ValueError`` for an element type the engine cannot build.
        """

    def gstreamer_dot(self, details: str) -> str:
        """Graphviz text for the whole pipeline (one valid ``digraph``)."""

    def set_latency_stats(self, enabled: bool) -> None: ...

    async def close(self) -> None:
        """Tear down every element still in the pipeline; never blocks the loop."""


class MediaEngine(Protocol):
    """Factory of pipelines; one per server process."""

    def create_pipeline(self, name: str) -> PipelineEngine: ...

    async def shutdown(self) -> None: ...
