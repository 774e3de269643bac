"""What the control plane's filters need from their media part (reference §2.3, §3.1).

Same threading contract as :mod:`kurento.engine.contract`: methods are called on
the asyncio loop and never block it; listener callbacks arrive on the loop.

A filter element takes one media kind through a processing step and passes the
others through untouched. The step works on raw media: the engine decodes the
input only when it is encoded (raw input is filtered as it is) and encodes the
result (video: VP8 in real-time mode; audio: Opus), which it reports as
``MediaTranscodingStateChanged``. Keyframe requests reaching a filter's output
are answered by its own encoder. Nothing is buffered without bound: a filter
without a consumer drops its output natively, and a slow step loses frames
rather than queueing them.

Two kinds of step:

* a GStreamer element given in gst-launch syntax (Kurento ``GStreamerFilter``);
* a Python :class:`FrameProcessor` (our ``kurento.filters`` API), run outside the
  streaming threads (see ``kurento.engine.gst.filter_python``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .contract import ElementEngine, ElementListener, MediaKind


class FilterCommandError(ValueError):
    """The GStreamer command cannot be a filter (Kurento 40001); the message says why."""


class PropertyValueError(ValueError):
    """No such property, or the value does not convert to its type (Kurento 40001)."""


class PropertyTypeNotSupported(Exception):
    """A property type ``setElementProperty`` does not convert (Kurento 40006)."""


class ImageLoadError(Exception):
    """An overlay image could not be read or decoded; the message says why."""


class TranscodingListener(Protocol):
    """News of an element that decodes and re-encodes (RecorderListener has the same)."""

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        """``kind`` started (or stopped) being decoded and re-encoded in ``bin_name``."""


class FilterListener(ElementListener, TranscodingListener, Protocol):
    """A filter's news, on the loop (the element listener's, plus these)."""

    def on_filter_event(self, name: str, fields: Mapping[str, Any]) -> None:
        """A Python filter raised one of its declared events."""


class FrameProcessor(Protocol):
    """One running Python filter (``kurento.filters.VideoFilter`` and ``AudioFilter``
    implement it).

    ``process`` runs on the filter's own worker thread, never on a streaming
    thread or the loop; ``emit`` (set by the engine before the first frame) is
    safe to call from it.
    """

    emit: Callable[..., None]

    def process(self, frame: Any, pts: int) -> Any:
        """Filter one RGB frame (H x W x 3 uint8 numpy array, writable) or one block of
        audio samples ((n, channels) int16); return the data to send (same shape) or
        None to send the input itself. ``pts`` is in ns."""


@runtime_checkable
class GStreamerFilterMedia(ElementEngine, Protocol):
    """The media part of a GStreamerFilter."""

    def configure_command(self, command: str, filter_type: str) -> MediaKind:
        """Put the element described by ``command`` in the path of one kind.

        ``filter_type`` is Kurento's FilterType (``AUDIO``, ``VIDEO``,
        ``AUTODETECT``). Returns the kind filtered. Raises
        :class:`FilterCommandError`; the element is then unusable (close it).
        """

    def set_element_property(self, name: str, value: str) -> None:
        """Set a property of the wrapped element from text (Kurento's conversions).

        Raises :class:`PropertyValueError` or :class:`PropertyTypeNotSupported`.
        """


@runtime_checkable
class PythonFilterMedia(ElementEngine, Protocol):
    """The media part of a video or audio filter written in Python."""

    def configure_processor(self, make: Callable[[], FrameProcessor]) -> None:
        """Filter video through processors made by ``make`` (on the worker thread)."""

    def processing_stats(self) -> tuple[int, int]:
        """(frames processed, frames dropped because the processor was busy)."""


@runtime_checkable
class ImageOverlayMedia(ElementEngine, Protocol):
    """The media part of an ImageOverlayFilter (images are local files, already confined)."""

    async def add_image(self, image_id: str, path: str, placement: Any) -> None:
        """Decode the image and draw it from the next frame on (replacing one with that id).

        ``placement`` is a ``kurento.filters.overlay.Placement``. Raises
        :class:`ImageLoadError`.
        """

    def remove_image(self, image_id: str) -> bool:
        """Stop drawing the image; False if no image has that id."""


@runtime_checkable
class FaceOverlayMedia(ElementEngine, Protocol):
    """The media part of a FaceOverlayFilter (the image is a local file, already fetched)."""

    async def set_image(self, path: str, placement: Any) -> None:
        """Decode the image and draw it over every face from the next frame on.

        ``placement`` is a ``kurento.filters.face.FacePlacement``. Raises
        :class:`ImageLoadError`.
        """

    def unset_image(self) -> None:
        """Stop drawing (and detecting)."""


class CodeListener(ElementListener, Protocol):
    """A ZBarFilter's news, on the loop (the element listener's, plus this)."""

    def on_code_found(self, code_type: str, value: str) -> None:
        """A code was read that Kurento reports (new, or the same one a second later).

        ``code_type`` is zbar's name for the symbology (``QR-Code``, ``EAN-13``...).
        """


@runtime_checkable
class ZBarFilterMedia(ElementEngine, Protocol):
    """The media part of a ZBarFilter: its listener is a :class:`CodeListener`.

    Unlike the other filters it does not re-encode: the video leaves as it came,
    and a decoded copy is scanned for codes on the engine's own threads.
    """
