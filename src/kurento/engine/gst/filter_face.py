"""Media part of FaceOverlayFilter: a Python video filter (``kurento.filters.face``).

The image is decoded by GStreamer (see ``filter_overlay.decode_image``) on a
worker thread under the watchdog, then handed to the face processor, which draws
on the filter's own worker thread (see ``filter_python``) and detects in the
background, on a pool shared by the process's face filters (``kurento.filters.face``).
"""

from __future__ import annotations

from kurento.filters.face import FaceOverlay, FacePlacement

from .filter_overlay import decode_image
from .filter_python import PythonFilterElement


class FaceOverlayElement(PythonFilterElement):
    factory = "FaceOverlayFilter"

    def build(self) -> None:
        super().build()
        self._overlay = FaceOverlay(background=True)
        self.configure_processor(lambda: self._overlay)

    async def set_image(self, path: str, placement: FacePlacement) -> None:
        self._overlay.set_image(await decode_image(self.runtime, path), placement)

    def unset_image(self) -> None:
        self._overlay.unset_image()
