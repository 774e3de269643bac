"""Image overlay over video frames (the processor behind Kurento's ImageOverlayFilter).

Pure numpy: images are RGBA arrays placed in boxes given as fractions of the
frame (reference §2.3: ``addImage`` percentages are 0 to 1). Images are added and
removed from the asyncio loop while frames are processed on the filter's worker
thread, so the table is swapped under a lock, never changed in place.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from kurento.filters import VideoFilter


@dataclass(frozen=True)
class Placement:
    """Where an image goes, in fractions (0 to 1) of the frame's width and height."""

    x: float
    y: float
    width: float
    height: float
    keep_aspect_ratio: bool = True
    center: bool = True


class ImageOverlay(VideoFilter):
    """Draws RGBA images (alpha-blended) at fixed places over the video."""

    name = "ImageOverlayFilter"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._images: dict[str, tuple[np.ndarray, Placement]] = {}
        # (id, frame shape) -> (y, x, resized RGB, alpha): resizing once per frame size.
        self._cache: dict[tuple[str, tuple[int, ...]], tuple[int, int, np.ndarray, np.ndarray]]
        self._cache = {}

    def set_image(self, image_id: str, rgba: np.ndarray, placement: Placement) -> None:
        with self._lock:
            images = dict(self._images)
            images[image_id] = (rgba, placement)
            self._images = images
            self._cache = {}

    def remove_image(self, image_id: str) -> bool:
        with self._lock:
            if image_id not in self._images:
                return False
            images = dict(self._images)
            del images[image_id]
            self._images = images
            self._cache = {}
            return True

    def process(self, frame: np.ndarray, pts: int) -> None:
        with self._lock:
            images, cache = self._images, self._cache
        for image_id, (rgba, placement) in images.items():
            key = (image_id, frame.shape)
            fitted = cache.get(key)
            if fitted is None:
                fitted = _fit(rgba, placement, frame.shape[0], frame.shape[1])
                cache[key] = fitted
            y, x, rgb, alpha = fitted
            if rgb.size == 0:
                continue
            region = frame[y:y + rgb.shape[0], x:x + rgb.shape[1]]
            blended = region * (1.0 - alpha) + rgb * alpha
            region[...] = blended.astype(np.uint8)


def _fit(rgba: np.ndarray, placement: Placement, height: int,
         width: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """The image resized (nearest neighbour) into its box, clipped to the frame."""
    box_x, box_y = round(placement.x * width), round(placement.y * height)
    box_w, box_h = round(placement.width * width), round(placement.height * height)
    out_w, out_h = box_w, box_h
    if placement.keep_aspect_ratio and rgba.shape[0] and rgba.shape[1]:
        scale = min(box_w / rgba.shape[1], box_h / rgba.shape[0])
        out_w, out_h = round(rgba.shape[1] * scale), round(rgba.shape[0] * scale)
    x, y = box_x, box_y
    if placement.center:
        x, y = box_x + (box_w - out_w) // 2, box_y + (box_h - out_h) // 2
    rows = (np.arange(out_h) * rgba.shape[0] // max(out_h, 1)).clip(0, rgba.shape[0] - 1)
    cols = (np.arange(out_w) * rgba.shape[1] // max(out_w, 1)).clip(0, rgba.shape[1] - 1)
    resized = rgba[rows][:, cols]
    # Clip to the frame (an image may hang over an edge).
    top, left = max(0, -y), max(0, -x)
    bottom = min(out_h, height - y)
    right = min(out_w, width - x)
    if bottom <= top or right <= left:
        empty = np.zeros((0, 0, 3), np.float32)
        return 0, 0, empty, empty
    part = resized[top:bottom, left:right].astype(np.float32)
    return max(y, 0), max(x, 0), part[..., :3], part[..., 3:4] / 255.0
