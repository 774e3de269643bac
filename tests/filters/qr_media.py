"""Clips showing QR codes one after another, generated once per test session.

Frames are drawn with numpy from ``segno``'s module matrix (a code on a grey
background, inside its white quiet zone) and encoded by ``gst-launch-1.0``
(``rawvideoparse ! vp8enc ! webmmux``, or x264 in MP4) at a high bitrate, so
the code survives the codec intact. :func:`qr_clip` writes them into a
temporary directory (removed at exit) under ``/tmp``, which is one of the
server's default media roots. The helpers at the end compare encoded frames
byte for byte, to tell passed-through video from re-encoded video.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import segno

from kurento.engine.gst._gst import Gst, ensure_init

FPS = 15
WIDTH, HEIGHT = 320, 240
MODULE_PIXELS = 6  # a version-1 code (21 modules + quiet zone) is 174 px wide
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
BACKGROUND = 96  # grey: the code's white quiet zone stands out from it
_KEYFRAMES = FPS  # one a second, as a camera would send


@dataclass(frozen=True)
class QrClip:
    """A clip showing ``texts[i]`` as a QR code from ``i * seconds_each`` on."""

    path: Path
    texts: tuple[str, ...]
    seconds_each: float

    @property
    def uri(self) -> str:
        return self.path.resolve().as_uri()


def qr_frame(text: str) -> np.ndarray:
    """A (HEIGHT, WIDTH) uint8 grey frame with ``text`` as a QR code in the middle."""
    matrix = np.array(segno.make_qr(text, error="m").matrix, dtype=bool)
    matrix = np.pad(matrix, QUIET_ZONE, constant_values=False)
    code = np.where(matrix, 0, 255).astype(np.uint8)
    code = code.repeat(MODULE_PIXELS, axis=0).repeat(MODULE_PIXELS, axis=1)
    frame = np.full((HEIGHT, WIDTH), BACKGROUND, dtype=np.uint8)
    top, left = (HEIGHT - code.shape[0]) // 2, (WIDTH - code.shape[1]) // 2
    if top < 0 or left < 0:
        raise ValueError(f"{text!r} makes a code too big for {WIDTH}x{HEIGHT}")
    frame[top:top + code.shape[0], left:left + code.shape[1]] = code
    return frame


# Encoder and muxer per codec, at a bitrate high enough for the code to survive intact.
_ENCODERS = {
    "vp8": (f"vp8enc deadline=1 target-bitrate=1500000 keyframe-max-dist={_KEYFRAMES} "
            "! webmmux", ".webm"),
    "h264": (f"x264enc speed-preset=ultrafast tune=zerolatency bitrate=1500 "
             f"key-int-max={_KEYFRAMES} ! video/x-h264,profile=constrained-baseline "
             "! h264parse ! mp4mux", ".mp4"),
}


def make_qr_clip(path: Path, texts: tuple[str, ...], seconds_each: float,
                 codec: str = "vp8") -> QrClip:
    """Write a clip (VP8 in WebM or H.264 in MP4, no audio) showing each of ``texts``
    for ``seconds_each``."""
    raw = path.with_suffix(".gray8")
    per_text = round(seconds_each * FPS)
    with raw.open("wb") as out:
        for text in texts:
            frame = qr_frame(text).tobytes()
            for _ in range(per_text):
                out.write(frame)
    encode, _suffix = _ENCODERS[codec]
    subprocess.run(
        ["gst-launch-1.0", "-q", "filesrc", f"location={raw}", "!", "rawvideoparse",
         f"width={WIDTH}", f"height={HEIGHT}", "format=gray8", f"framerate={FPS}/1", "!",
         "videoconvert", "!", "video/x-raw,format=I420", "!", *encode.split(), "!",
         "filesink", f"location={path}"],
        check=True, timeout=60, stdin=subprocess.DEVNULL)
    raw.unlink()
    return QrClip(path, texts, seconds_each)


FIRST_TEXT = "Kurento ZBarFilter: first code"
SECOND_TEXT = "https://kurento.invalid/second?code=2"


@functools.cache
def _directory() -> Path:
    directory = Path(tempfile.mkdtemp(prefix="kurento-qr-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory


@functools.cache
def qr_clip(codec: str = "vp8") -> QrClip:
    """The session's clip: :data:`FIRST_TEXT` for 2.5 s, then :data:`SECOND_TEXT` for 2.5 s."""
    path = _directory() / f"codes{_ENCODERS[codec][1]}"
    return make_qr_clip(path, (FIRST_TEXT, SECOND_TEXT), 2.5, codec)


def frame_digest(buffer: Any) -> str:
    """A digest of one encoded frame's bytes: equal digests, untouched frames."""
    return hashlib.sha1(buffer.extract_dup(0, buffer.get_size())).hexdigest()


def vp8_frame_digests(path: Path) -> list[str]:
    """:func:`frame_digest` of each video frame in a WebM file, in order."""
    ensure_init()
    pipeline: Any = Gst.parse_launch("filesrc name=src ! matroskademux ! video/x-vp8 "
                                     "! fakesink name=sink sync=false")
    pipeline.get_by_name("src").set_property("location", str(path))
    digests: list[str] = []

    def keep(_pad: Any, info: Any) -> Any:
        digests.append(frame_digest(info.get_buffer()))
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, keep)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        message = pipeline.get_bus().timed_pop_filtered(
            10 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert message is not None and message.type == Gst.MessageType.EOS, message
    finally:
        pipeline.set_state(Gst.State.NULL)
    return digests


def is_subsequence(part: list[str], whole: list[str]) -> bool:
    """Whether ``part``'s items all appear in ``whole`` in the same order (gaps allowed:
    a link under load may drop a frame, but never changes one)."""
    remaining = iter(whole)
    return all(any(item == candidate for candidate in remaining) for item in part)
