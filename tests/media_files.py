"""Small test clips, generated once per test session with ``gst-launch-1.0``.

:func:`media_clips` writes them into a temporary directory (removed at exit)
the first time it is called and returns the same :class:`Clips` afterwards:

* ``webm``: VP8 + Opus (what a WebRtcEndpoint takes as-is);
* ``mp4``: H.264 constrained-baseline + AAC (video passes, audio needs Opus);
* ``mkv``: Motion-JPEG + Vorbis (both need transcoding);
* ``corrupt``: random bytes named ``.webm`` (nothing can decode it).

Every clip lasts :data:`CLIP_SECONDS`, 160x120 at 30 fps, a keyframe every
half second (seeks land close to their target), 48 kHz mono audio.
"""

from __future__ import annotations

import atexit
import functools
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CLIP_SECONDS = 2.0
FPS = 30
WIDTH, HEIGHT = 160, 120
_KEYFRAMES = FPS // 2


def _video(seconds: float, width: int, height: int) -> str:
    return (f"videotestsrc num-buffers={int(seconds * FPS)} pattern=ball "
            f"! video/x-raw,width={width},height={height},framerate={FPS}/1")


def _audio(seconds: float) -> str:
    # 960 samples = 20 ms at 48 kHz: 50 buffers a second.
    return (f"audiotestsrc num-buffers={int(seconds * 50)} samplesperbuffer=960 "
            "! audio/x-raw,rate=48000,channels=1")


@dataclass(frozen=True)
class Clips:
    directory: Path
    webm: Path
    mp4: Path
    mkv: Path
    corrupt: Path

    def uri(self, path: Path) -> str:
        return path.resolve().as_uri()


def _launch(description: str) -> None:
    subprocess.run(["gst-launch-1.0", "-q", *description.split()], check=True,
                   timeout=60, stdin=subprocess.DEVNULL)


def make_webm(path: Path, seconds: float = CLIP_SECONDS, width: int = WIDTH,
              height: int = HEIGHT) -> None:
    """VP8 + Opus in WebM."""
    _launch(f"{_video(seconds, width, height)} ! vp8enc deadline=1 "
            f"keyframe-max-dist={_KEYFRAMES} ! webmmux name=mux ! filesink location={path} "
            f"{_audio(seconds)} ! opusenc ! mux.")


def make_mp4(path: Path, seconds: float = CLIP_SECONDS, width: int = WIDTH,
             height: int = HEIGHT) -> None:
    """H.264 constrained-baseline (what every WebRTC peer decodes) + AAC in MP4."""
    _launch(f"{_video(seconds, width, height)} ! x264enc speed-preset=ultrafast "
            f"tune=zerolatency key-int-max={_KEYFRAMES} "
            "! video/x-h264,profile=constrained-baseline ! h264parse "
            f"! mp4mux name=mux ! filesink location={path} "
            f"{_audio(seconds)} ! avenc_aac ! aacparse ! mux.")


def make_mkv(path: Path, seconds: float = CLIP_SECONDS, width: int = WIDTH,
             height: int = HEIGHT) -> None:
    """Motion-JPEG + Vorbis in Matroska: nothing a WebRTC peer takes as it is."""
    _launch(f"{_video(seconds, width, height)} ! jpegenc "
            f"! matroskamux name=mux ! filesink location={path} "
            f"{_audio(seconds)} ! audioconvert ! vorbisenc ! mux.")


def _generate(directory: Path) -> Clips:
    clips = Clips(directory, directory / "clip.webm", directory / "clip.mp4",
                  directory / "clip.mkv", directory / "corrupt.webm")
    make_webm(clips.webm)
    make_mp4(clips.mp4)
    make_mkv(clips.mkv)
    # Fixed bytes that no typefinder takes: about one urandom draw in 40 reads as
    # something (an LRC subtitle, an MP3 frame header...), and the "corrupt" file then
    # fails as a missing plug-in instead of an unknown type.
    clips.corrupt.write_bytes(random.Random(1).randbytes(64 * 1024))
    return clips


@functools.cache
def media_clips() -> Clips:
    """The session's clips (generated on first use)."""
    directory = Path(tempfile.mkdtemp(prefix="kurento-clips-"))
    atexit.register(shutil.rmtree, directory, True)
    return _generate(directory)
