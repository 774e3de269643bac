"""Face detection with an image drawn over each face (the processor behind FaceOverlayFilter).

Detection is OpenCV's Haar cascade for frontal faces (the cascade files ship in
the ``opencv-python-headless`` wheel, ``cv2.data``), run on a half-size grey
copy of the frame: 320 pixels wide costs ~10 ms per detection here against ~50 ms
at 640 and finds faces down to 40 pixels in a VGA frame; at 240 it missed the
test face in half the frames (histogram equalisation made that worse). Detection runs at
most every ``detect_interval`` of media time (default 120 ms, ~8 per second);
frames in between reuse the last boxes, so the image follows a moving face with
at most that lag, while the drawing itself happens on every frame. Once faces are
known, most detections only look again around each one at about its size (~2.5 ms
instead of ~20 ms for the whole frame, measured under load); the whole frame is
scanned again every second, for faces that came in. A face the
detector loses for a moment (Haar cascades flicker) keeps its image for
``hold`` (default 0.5 s) rather than blinking.

Placement follows Kurento's ``setOverlayedImage`` (reference §2.2): offsets and
sizes are fractions of the detected face's width and height, so Kurento's magic
mirror tutorial (``-0.35, -1.2, 1.6, 1.6``) puts a hat above the face. The image
is stretched to that box, as KMS does.

cv2 releases the GIL inside ``detectMultiScale`` and ``resize``, and is limited
to one thread here: each filter already has a worker thread of its own, and
OpenCV's own thread pool would make every session compete for all the cores.

In the server (``background=True``) detection runs off the frames' path, on a pool
shared by every FaceOverlay of the process, on a copy of the frame: the frame goes on
at once with the boxes known so far, and the detection's result applies from the
frame it completes before. Inline, the frame a detection runs on waited for it: a
whole-frame scan (~10-20 ms) once a second made that frame's delay the p99 of the
session's video delay (bench/README.md, scenario 4); the price is that the image
follows a moving face one frame later, at most.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from kurento.filters import VideoFilter

cv2.setNumThreads(1)

DETECT_WIDTH = 320
DETECT_INTERVAL_NS = 120_000_000
HOLD_NS = 500_000_000
FULL_SCAN_NS = 1_000_000_000
_CASCADE = "haarcascade_frontalface_alt2.xml"  # fewer false faces than "default"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _detection_pool() -> ThreadPoolExecutor:
    """The threads every background FaceOverlay of this process detects on (one
    detection in flight per overlay; a thread per core, as many as could run at once)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                       thread_name_prefix="face-detect")
        return _pool


@dataclass(frozen=True)
class FacePlacement:
    """Where the image goes, in fractions of the face box (Kurento's percentages)."""

    offset_x: float
    offset_y: float
    width: float
    height: float


@dataclass(frozen=True)
class Face:
    """A face box in frame pixels."""

    x: int
    y: int
    width: int
    height: int


class FaceDetector:
    """Frontal faces in RGB frames, found on a reduced grey copy.

    :meth:`detect` scans the whole frame (~20 ms here); :meth:`follow` looks for
    known faces again only around where they were and at about their size (~2.5 ms).
    """

    def __init__(self, detect_width: int = DETECT_WIDTH) -> None:
        path = str(cv2.data.haarcascades) + _CASCADE  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load OpenCV's face cascade {path}")
        self._width = detect_width

    def detect(self, frame: np.ndarray) -> list[Face]:
        grey, scale = self._grey(frame)
        found = self._cascade.detectMultiScale(grey, scaleFactor=1.2, minNeighbors=5,
                                               minSize=(20, 20))
        return [_scaled(box, scale, 0, 0) for box in found]

    def follow(self, frame: np.ndarray, faces: list[Face]) -> list[Face]:
        """Where each of ``faces`` is now (those not found again are left out)."""
        grey, scale = self._grey(frame)
        height, width = grey.shape
        followed = []
        for face in faces:
            x, y = round(face.x * scale), round(face.y * scale)
            w, h = round(face.width * scale), round(face.height * scale)
            left, top = max(x - w // 2, 0), max(y - h // 2, 0)
            window = grey[top:min(y + h + h // 2, height), left:min(x + w + w // 2, width)]
            found = self._cascade.detectMultiScale(
                window, scaleFactor=1.1, minNeighbors=4,
                minSize=(round(w * 0.7), round(h * 0.7)),
                maxSize=(round(w * 1.4), round(h * 1.4)))
            if len(found):
                followed.append(_scaled(found[0], scale, left, top))
        return followed

    def _grey(self, frame: np.ndarray) -> tuple[Any, float]:
        height, width = frame.shape[:2]
        scale = min(1.0, self._width / width)
        small: Any = frame
        if scale < 1.0:
            small = cv2.resize(frame, (round(width * scale), round(height * scale)),
                               interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), scale


def _scaled(box: Any, scale: float, left: int, top: int) -> Face:
    x, y, w, h = (int(v) for v in box)
    return Face(round((x + left) / scale), round((y + top) / scale),
                round(w / scale), round(h / scale))


class FaceOverlay(VideoFilter):
    """Draws one RGBA image over every face found in the video (or nothing, until set)."""

    name = "FaceOverlayFilter"

    def __init__(self, detector: FaceDetector | None = None,
                 detect_interval_ns: int = DETECT_INTERVAL_NS, hold_ns: int = HOLD_NS,
                 background: bool = False) -> None:
        super().__init__()
        self._background = background
        self._pending: Future[None] | None = None  # the background detection in flight
        # Made on the first frame, on the worker thread: loading the cascade takes ~30 ms.
        self._detector = detector
        self._interval = detect_interval_ns
        self._hold = hold_ns
        self._lock = threading.Lock()
        self._image: tuple[np.ndarray, FacePlacement] | None = None
        self._faces: list[Face] = []
        self._last_detection: int | None = None
        self._last_scan: int | None = None
        self._last_seen = 0

    def set_image(self, rgba: np.ndarray, placement: FacePlacement) -> None:
        """From the loop: draw ``rgba`` (H x W x 4 uint8) over faces from the next frame."""
        with self._lock:
            self._image = (rgba, placement)

    def unset_image(self) -> None:
        with self._lock:
            self._image = None

    def faces(self) -> list[Face]:
        """The boxes drawn on the last frame (for tests and diagnostics)."""
        return list(self._faces)

    def process(self, frame: np.ndarray, pts: int) -> None:
        with self._lock:
            image = self._image
        if image is None:
            return  # KMS detects nothing while no image is set; neither do we
        self._track(frame, pts)
        rgba, placement = image
        for face in self._faces:
            _draw(frame, rgba, _box(face, placement))

    def _track(self, frame: np.ndarray, pts: int) -> None:
        last = self._last_detection
        # A pts going backwards (a new source, a seek) restarts the schedule.
        if last is not None and 0 <= pts - last < self._interval:
            return
        pending = self._pending
        if pending is not None:
            if not pending.done():
                return  # the last detection still runs: the next frame asks again
            self._pending = None
            pending.result()  # a detection that failed fails the filter, as inline
        self._last_detection = pts
        scan = self._last_scan
        whole = not (self._faces and scan is not None and 0 <= pts - scan < FULL_SCAN_NS)
        if whole:
            self._last_scan = pts
        if self._background:
            # a copy: the frame is drawn on and sent on while the detection runs
            self._pending = _detection_pool().submit(self._detect, frame.copy(), pts, whole)
        else:
            self._detect(frame, pts, whole)

    def _detect(self, frame: np.ndarray, pts: int, whole: bool) -> None:
        """Inline, or on the detection pool (one at a time per overlay)."""
        if self._detector is None:
            self._detector = FaceDetector()  # ~30 ms: off the frames' path in background
        found = (self._detector.detect(frame) if whole
                 else self._detector.follow(frame, self._faces))
        if found:
            self._faces, self._last_seen = found, pts
        elif not 0 <= pts - self._last_seen <= self._hold:
            self._faces = []


def _box(face: Face, placement: FacePlacement) -> tuple[int, int, int, int]:
    return (round(face.x + placement.offset_x * face.width),
            round(face.y + placement.offset_y * face.height),
            round(placement.width * face.width),
            round(placement.height * face.height))


def _draw(frame: np.ndarray, rgba: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Alpha-blends ``rgba`` stretched to ``box`` (x, y, w, h), clipped to the frame."""
    x, y, width, height = box
    frame_h, frame_w = frame.shape[:2]
    left, top = max(x, 0), max(y, 0)
    right, bottom = min(x + width, frame_w), min(y + height, frame_h)
    if width <= 0 or height <= 0 or right <= left or bottom <= top:
        return
    resized = cv2.resize(rgba, (width, height), interpolation=cv2.INTER_LINEAR)
    part = resized[top - y:bottom - y, left - x:right - x]
    alpha = part[..., 3:4].astype(np.float32) * (1.0 / 255.0)
    region = frame[top:bottom, left:right]
    blended = region * (1.0 - alpha) + part[..., :3] * alpha
    region[...] = blended.astype(np.uint8)
