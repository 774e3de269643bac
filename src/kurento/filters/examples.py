"""The Python filters this server ships (remote classes of module ``kurentopy``).

``EXAMPLES`` is the list the server registers: add a :class:`VideoFilter`
subclass here (then run ``scripts/gen_client.py``) to make it a remote class.
"""

from __future__ import annotations

import numpy as np

from kurento.filters import FilterEvent, VideoFilter

# Rows are the output R, G, B as mixes of the input R, G, B (the classic sepia matrix).
_SEPIA = np.array([[0.393, 0.769, 0.189],
                   [0.349, 0.686, 0.168],
                   [0.272, 0.534, 0.131]], dtype=np.float32)


class Sepia(VideoFilter):
    """Sepia tone: every pixel becomes a warm brown of its own brightness."""

    name = "SepiaFilter"

    def process(self, frame: np.ndarray, pts: int) -> np.ndarray:
        toned = np.matmul(frame.astype(np.float32), _SEPIA.T)
        out: np.ndarray = np.minimum(toned, 255.0).astype(np.uint8)
        return out


class MotionDetector(VideoFilter):
    """Raises MotionDetected when enough of the picture changes between frames.

    Works on a 4x-subsampled grey image; a pixel "moved" when its brightness
    changes by more than 24 levels; the event comes when more than 1 % of the
    pixels moved, then at most once a second while the motion lasts.
    """

    name = "MotionDetectorFilter"
    events = (FilterEvent("MotionDetected", {"ratio": "float"},
                          "Part of the picture (0 to 1) that changed since the last frame."),)
    THRESHOLD = 24
    MIN_RATIO = 0.01
    INTERVAL_NS = 1_000_000_000

    def __init__(self) -> None:
        super().__init__()
        self._previous: np.ndarray | None = None
        self._last_event = -self.INTERVAL_NS

    def process(self, frame: np.ndarray, pts: int) -> None:
        grey = frame[::4, ::4].mean(axis=2, dtype=np.float32)
        previous, self._previous = self._previous, grey
        if previous is None or previous.shape != grey.shape:
            return
        ratio = float(np.count_nonzero(np.abs(grey - previous) > self.THRESHOLD)) / grey.size
        if ratio > self.MIN_RATIO and pts - self._last_event >= self.INTERVAL_NS:
            self._last_event = pts
            self.emit("MotionDetected", ratio=ratio)


EXAMPLES: tuple[type[VideoFilter], ...] = (Sepia, MotionDetector)
