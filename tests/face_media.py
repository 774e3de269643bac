"""A clip with a real face in it, and a hat to draw on it (FaceOverlayFilter tests).

The face is scikit-image's astronaut photograph (Eileen Collins, public domain),
placed on a 640x480 grey canvas and swaying left and right (so an overlay has a
face to follow), as:

* ``y4m``: raw I420 for Chromium's ``--use-file-for-fake-video-capture`` (which
  loops it; the sway is periodic over the clip, so the loop has no jump);
* ``webm``: the same frames in VP8, for a PlayerEndpoint.

The hat is a pure-green PNG (green is nowhere in the photograph, so green pixels
in a frame can only be the overlay): opaque in its top three quarters and
transparent below, so that with Kurento's placement (:data:`HAT_PLACEMENT`) it
sits on the head and leaves the face itself visible (and detectable).

Generated once per test session into a temporary directory removed at exit.
"""

from __future__ import annotations

import atexit
import functools
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 15
SECONDS = 4
SWAY = 40  # pixels each way
# Kurento's magic mirror tutorial's placement: a hat above the face.
HAT_PLACEMENT = (-0.35, -1.2, 1.6, 1.6)


@dataclass(frozen=True)
class FaceClip:
    directory: Path
    y4m: Path
    webm: Path
    hat: Path

    def face_x(self, index: int) -> int:
        """Horizontal shift of the photograph in frame ``index`` (0 at the centre)."""
        return face_shift(index)


def face_shift(index: int) -> int:
    return round(SWAY * math.sin(2 * math.pi * index / (FPS * SECONDS)))


def face_frame(index: int) -> np.ndarray:
    """Frame ``index`` of the clip as RGB (H x W x 3 uint8)."""
    from skimage import data  # imported here: only the generating process needs it

    photo = _photo(data)
    frame = np.full((HEIGHT, WIDTH, 3), 128, np.uint8)
    left = (WIDTH - photo.shape[1]) // 2 + face_shift(index)
    frame[:, left:left + photo.shape[1]] = photo
    return frame


@functools.cache
def _photo(data: object) -> np.ndarray:
    astronaut: np.ndarray = data.astronaut()  # type: ignore[attr-defined]  # 512x512 RGB
    top = (astronaut.shape[0] - HEIGHT) // 2
    return astronaut[top:top + HEIGHT, 64:448]  # the head and shoulders, 384 wide


def write_y4m(path: Path) -> None:
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(FPS * SECONDS):
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(face_frame(index), cv2.COLOR_RGB2YUV_I420).tobytes())


def hat_rgba() -> np.ndarray:
    hat = np.zeros((64, 64, 4), np.uint8)
    hat[:48, :, 1] = 255
    hat[:48, :, 3] = 255
    return hat


def above(x: int, y: int, width: int, height: int) -> tuple[slice, slice]:
    """Rows above a face box and its middle columns: where the hat must be."""
    return (slice(max(y - height // 2, 0), max(y - height // 10, 0)),
            slice(x + width // 5, x + 4 * width // 5))


def _launch(*words: str) -> None:
    subprocess.run(["gst-launch-1.0", "-q", *words], check=True, timeout=120,
                   stdin=subprocess.DEVNULL)


def _generate(directory: Path) -> FaceClip:
    y4m, webm, hat = directory / "face.y4m", directory / "face.webm", directory / "hat.png"
    write_y4m(y4m)
    _launch("filesrc", f"location={y4m}", "!", "y4mdec", "!", "videoconvert", "!",
            "vp8enc", "deadline=1", "cpu-used=8", "target-bitrate=1500000",
            f"keyframe-max-dist={FPS}", "!", "webmmux", "!", "filesink", f"location={webm}")
    cv2.imwrite(str(hat), hat_rgba()[..., [2, 1, 0, 3]])  # cv2 writes BGRA
    return FaceClip(directory, y4m, webm, hat)


@functools.cache
def face_clip() -> FaceClip:
    directory = Path(tempfile.mkdtemp(prefix="kurento-py-face-", dir="/tmp"))
    atexit.register(shutil.rmtree, directory, True)
    return _generate(directory)


def green_fraction(frame: np.ndarray) -> float:
    """Share of the pixels of an RGB region that are clearly the green hat."""
    pixels = frame.reshape(-1, 3).astype(np.int32)
    green = (pixels[:, 1] > 150) & (pixels[:, 0] < 110) & (pixels[:, 2] < 110)
    return float(green.mean()) if len(pixels) else 0.0


def decoded_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a video file, decoded (OpenCV's bundled FFmpeg), as RGB."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                return frames
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
