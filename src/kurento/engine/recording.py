"""What the control plane's RecorderEndpoint needs from its media part.

Same threading contract as :mod:`kurento.engine.contract`: methods are called on
the asyncio loop and never block it (finalizing a file awaits the engine's
worker threads under a watchdog); listener callbacks arrive on the loop.

The profile table lives here, without ``gi``, so that the control plane can
refuse a profile the engine cannot write before anything is built.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

from .contract import ElementEngine, ElementListener, MediaKind

_BOTH = frozenset({MediaKind.AUDIO, MediaKind.VIDEO})
_VIDEO = frozenset({MediaKind.VIDEO})
_AUDIO = frozenset({MediaKind.AUDIO})


@dataclasses.dataclass(frozen=True)
class RecordingFormat:
    """A container and the media kinds written into it."""

    container: str  # "webm", "mkv" or "mp4"
    kinds: frozenset[MediaKind]


# Kurento MediaProfileSpecType → what we write. JPEG_VIDEO_ONLY, KURENTO_SPLIT_RECORDER
# and FLV are not here: the control plane refuses them.
PROFILES: dict[str, RecordingFormat] = {
    "WEBM": RecordingFormat("webm", _BOTH),
    "WEBM_VIDEO_ONLY": RecordingFormat("webm", _VIDEO),
    "WEBM_AUDIO_ONLY": RecordingFormat("webm", _AUDIO),
    "MKV": RecordingFormat("mkv", _BOTH),
    "MKV_VIDEO_ONLY": RecordingFormat("mkv", _VIDEO),
    "MKV_AUDIO_ONLY": RecordingFormat("mkv", _AUDIO),
    "MP4": RecordingFormat("mp4", _BOTH),
    "MP4_VIDEO_ONLY": RecordingFormat("mp4", _VIDEO),
    "MP4_AUDIO_ONLY": RecordingFormat("mp4", _AUDIO),
}


class RecorderListener(ElementListener, Protocol):
    """The recorder's news, on the loop (the element listener's, plus these)."""

    def on_recording(self) -> None:
        """Media reached the file after ``record()`` (again after a pause)."""

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        """A recording started: ``kind`` is decoded and re-encoded (or copied) into the file."""

    def on_end_of_stream(self) -> None:
        """An input ended and ``stop_on_end_of_stream`` was set: the control plane stops."""


@runtime_checkable
class RecorderMedia(ElementEngine, Protocol):
    """The media part of a RecorderEndpoint: writes its inputs to one local file."""

    def configure(self, path: str, recording_format: RecordingFormat,
                  stop_on_end_of_stream: bool) -> None:
        """Set before the first ``record()``; a later call applies to the next recording."""

    def record(self) -> None:
        """Start (or resume after ``pause``) writing; media is written once it arrives."""

    def pause(self) -> None:
        """Stop writing for now; a later ``record()`` continues the same file without a gap."""

    async def stop(self) -> None:
        """Finish the file (index, duration) and return once it is on storage.

        Idempotent; never hangs: a finalization that does not end in time is abandoned
        (the file is closed as it is).
        """
