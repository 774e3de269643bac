"""What the control plane may call on the media parts of the HTTP endpoints.

``HttpPostEndpoint`` (Kurento) takes bytes uploaded by HTTP clients;
``HttpGetEndpoint`` (our extension) serves the pipeline's media as live WebM to
any number of HTTP clients. The aiohttp side only moves request and response
bodies in chunks; all parsing, pacing and muxing stays in GStreamer.

Same threading contract as :mod:`kurento.engine.contract`: these methods are
called on the asyncio loop and never block it, and listener callbacks arrive
on the loop.
"""

from __future__ import annotations

import enum
from typing import Protocol, runtime_checkable

from .contract import ElementEngine, ElementListener


class UploadListener(ElementListener, Protocol):
    """An HttpPostEndpoint's news (the element listener's, plus the end of the upload)."""

    def on_end_of_stream(self) -> None:
        """Everything uploaded has been played out (the upload ended)."""


@runtime_checkable
class UploadMedia(ElementEngine, Protocol):
    """The media part of an HttpPostEndpoint: one byte stream, possibly over many POSTs."""

    async def push(self, chunk: bytes) -> bool:
        """Append ``chunk`` to the uploaded stream; waits (without blocking) for room.

        Returns False when the element takes no more data (closed, failed, ended).
        """

    def end_upload(self) -> None:
        """No more bytes will come: the media plays out, then ``on_end_of_stream``."""


class StreamProfile(enum.Enum):
    """Which kinds an HttpGetEndpoint muxes (a WebM muxer waits for every kind it has)."""

    AUDIO_AND_VIDEO = "AUDIO_AND_VIDEO"
    VIDEO_ONLY = "VIDEO_ONLY"
    AUDIO_ONLY = "AUDIO_ONLY"


class StreamListener(ElementListener, Protocol):
    """An HttpGetEndpoint's listener; the engine reads ``stream_profile`` when it builds."""

    stream_profile: StreamProfile


class StreamClient(Protocol):
    """One HTTP client's copy of a live stream."""

    content_type: str

    async def read(self) -> bytes:
        """The next bytes of the stream (any size); ``b""`` once the stream is over."""

    def close(self) -> None:
        """Stop sending to this client (idempotent)."""


@runtime_checkable
class StreamMedia(ElementEngine, Protocol):
    """The media part of an HttpGetEndpoint."""

    async def open_client(self) -> StreamClient:
        """A new client: WebM header first, then clusters from the next keyframe."""

    def client_count(self) -> int: ...
