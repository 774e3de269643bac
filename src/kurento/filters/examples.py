"""The Python filters this server ships (remote classes of module ``kurentopy``).

``EXAMPLES`` is the list the server always registers (the generated client
knows them: run ``scripts/gen_client.py`` after changing it). Filters of your
own need no change here: make them plug-ins (:mod:`kurento.filters.plugins`).
"""

from __future__ import annotations

import numpy as np

from kurento.filters import AudioFilter, FilterEvent, MediaFilter, VideoFilter

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


class AudioLevel(AudioFilter):
    """Raises AudioLevelCrossed when the sound gets louder or quieter than a threshold.

    The level is the RMS of each block of samples (both channels) in dBFS (0 is
    a full-scale square wave, silence about -120). It starts quiet; the event
    comes when the level rises above ``THRESHOLD_DB``, then when it falls below
    ``THRESHOLD_DB - HYSTERESIS_DB`` (so that a level near the threshold does not
    raise an event per block), and so on. ``GAIN`` multiplies the samples
    (saturating); a subclass may change it and the threshold.
    """

    name = "AudioLevelFilter"
    events = (FilterEvent("AudioLevelCrossed", {"levelDb": "double", "above": "boolean"},
                          "The sound level (dBFS) crossed the filter's threshold: above it "
                          "now, or back below it."),)
    THRESHOLD_DB = -30.0
    HYSTERESIS_DB = 6.0
    GAIN = 1.0

    def __init__(self) -> None:
        super().__init__()
        self.above = False

    def process(self, samples: np.ndarray, pts: int) -> np.ndarray | None:
        level = level_db(samples)
        if (not self.above and level > self.THRESHOLD_DB) or (
                self.above and level < self.THRESHOLD_DB - self.HYSTERESIS_DB):
            self.above = not self.above
            self.emit("AudioLevelCrossed", levelDb=level, above=self.above)
        if self.GAIN == 1.0:
            return None
        return samples * np.float32(self.GAIN)  # clipped to int16 by the server


def level_db(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-120 for digital silence)."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) / 32768.0
    return max(-120.0, 20.0 * float(np.log10(rms))) if rms > 0 else -120.0


EXAMPLES: tuple[type[MediaFilter], ...] = (Sepia, MotionDetector, AudioLevel)
