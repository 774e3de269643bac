"""What the control plane's PlayerEndpoint may call on its media part, and hears back.

Same threading contract as :mod:`kurento.engine.contract`: every method is
called on the asyncio loop and never blocks it (the ``async`` ones await the
engine's worker threads, under the watchdog); every listener callback arrives
on the loop.

Output convention: a player's outputs are always encoded as a WebRtcEndpoint
accepts them (VP8 or H.264 byte-stream/au video, Opus audio), paced at the
media's real rate, with running times in the MediaPipeline's shared domain
counted from the moment :meth:`PlayerMedia.play` was called.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

from .contract import ElementEngine, ElementListener, MediaKind


class SeekError(Exception):
    """The source cannot be sought, or the seek failed (Kurento 40700); says why."""


@dataclasses.dataclass(frozen=True)
class PlayerConfig:
    """Set before the first :meth:`PlayerMedia.play`.

    ``network_cache_ms``: receive buffer (jitter buffer latency) of RTSP sources.
    ``use_encoded_media``: recorded for completeness; the engine passes VP8, H.264
    and Opus through and transcodes only other codecs in either mode.
    """

    uri: str
    network_cache_ms: int = 2000
    use_encoded_media: bool = False


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """What the engine knows of the source (Kurento ``VideoInfo``); times in ms."""

    seekable: bool = False
    seekable_init: int = 0
    seekable_end: int = 0
    duration: int = 0


class PlayerListener(ElementListener, Protocol):
    """The player's news, on the loop (the element listener's, plus this)."""

    def on_end_of_stream(self) -> None:
        """Every stream of the source ended; the engine has stopped the source."""

    def on_transcoding(self, kind: MediaKind, transcoding: bool) -> None:
        """The source's ``kind`` stream started or stopped being decoded and re-encoded."""


@runtime_checkable
class PlayerMedia(ElementEngine, Protocol):
    """The media part of a PlayerEndpoint.

    Source errors (unreachable URL, undecodable content) arrive as
    ``ElementListener.on_error``; the engine then stops the source by itself.
    """

    def configure(self, config: PlayerConfig) -> None:
        """Set the source; takes effect at the next :meth:`play` from stopped."""

    async def play(self) -> None:
        """Start reading the source (from the start when stopped), or resume when paused."""

    async def pause(self) -> None:
        """Hold the media where it is; :meth:`play` resumes it."""

    async def stop(self) -> None:
        """Drop the source; the next :meth:`play` starts from the beginning."""

    def position(self) -> int:
        """Where the media leaving the player is, in ms of the source's own time."""

    async def seek(self, position_ms: int) -> None:
        """Jump to ``position_ms``; :class:`SeekError` when impossible."""

    async def media_info(self) -> MediaInfo:
        """Seekability and duration (zeros until the source is open)."""
