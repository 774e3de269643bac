"""Media part of ImageOverlayFilter: a Python video filter (``kurento.filters.overlay``).

Images are decoded by GStreamer itself (``filesrc ! decodebin ! videoconvert !
RGBA appsink``, any format GStreamer reads: PNG, JPEG...) on a worker thread,
under the watchdog, then handed to the overlay processor, which blends them on
the filter's own worker thread (see ``filter_python``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kurento.filters.overlay import ImageOverlay, Placement

from ..filtering import ImageLoadError
from ._gst import Gst
from .filter_python import PythonFilterElement
from .runtime import Runtime

LOAD_TIMEOUT = 5 * Gst.SECOND


class ImageOverlayElement(PythonFilterElement):
    factory = "ImageOverlayFilter"

    def build(self) -> None:
        super().build()
        self._overlay = ImageOverlay()
        self.configure_processor(lambda: self._overlay)

    async def add_image(self, image_id: str, path: str, placement: Placement) -> None:
        self._overlay.set_image(image_id, await decode_image(self.runtime, path), placement)

    def remove_image(self, image_id: str) -> bool:
        return self._overlay.remove_image(image_id)


async def decode_image(runtime: Runtime, path: str) -> np.ndarray:
    """The image at ``path`` as (H, W, 4) uint8, decoded on a worker thread under the
    watchdog. Raises :class:`ImageLoadError`."""
    images: list[np.ndarray] = []
    errors: list[str] = []

    def load() -> None:
        try:
            images.append(load_rgba(path))
        except ImageLoadError as error:
            errors.append(str(error))

    await runtime.worker.run(f"load image {path}", load)
    if errors or not images:
        raise ImageLoadError(errors[0] if errors else f"cannot load '{path}' in time")
    return images[0]


def load_rgba(path: str) -> np.ndarray:
    """Worker thread: decode an image file to an (H, W, 4) uint8 array."""
    pipeline: Any = Gst.parse_launch(
        "filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=RGBA "
        "! appsink name=sink sync=false")
    pipeline.get_by_name("src").set_property("location", path)
    try:
        pipeline.set_state(Gst.State.PLAYING)
        # Wait for the preroll or the first error, whichever comes: a file that is no
        # image fails at once (typefind), and must not hold a worker for LOAD_TIMEOUT.
        message = pipeline.get_bus().timed_pop_filtered(
            LOAD_TIMEOUT, Gst.MessageType.ASYNC_DONE | Gst.MessageType.ERROR)
        if message is None or message.type == Gst.MessageType.ERROR:
            raise ImageLoadError(f"'{path}' is not an image GStreamer can decode")
        sample = pipeline.get_by_name("sink").emit("try-pull-preroll", 0)
        if sample is None:
            raise ImageLoadError(f"'{path}' is not an image GStreamer can decode")
        structure = sample.get_caps().get_structure(0)
        width, height = structure.get_value("width"), structure.get_value("height")
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        if not ok:
            raise ImageLoadError(f"cannot read the decoded '{path}'")
        try:
            flat = np.frombuffer(info.data, np.uint8, width * height * 4)
            return np.array(flat.reshape(height, width, 4))
        finally:
            buffer.unmap(info)
    finally:
        pipeline.set_state(Gst.State.NULL)
