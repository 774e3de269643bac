"""The pre-encoded clip: VGA VP8 (~500 kbit/s) + Opus, made once with gst-launch-1.0.

The clip goes to a cache folder (``~/.cache/kurento-bench`` unless ``KPY_BENCH_CACHE``
says otherwise) and is loaded into memory as encoded frames: the generator replays
them in a loop without encoding anything again.

Variants, encoded alike (same size, rate, VP8 and Opus settings, muxing): the normal
one (a moving zone plate) and, with ``face=True``, a real face (``tests/face_media.py``'s
swaying astronaut photograph), for ``--filter face`` (a FaceOverlayFilter on a clip with
no face would find nothing to follow or draw on). With ``marked=True`` each picture
carries its frame index at the bottom (:mod:`loadgen.marker`): filtered sessions read it
back after decoding, to measure the video delay through the filter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import marker
from .gst import Gst, GstApp

WIDTH, HEIGHT, FPS = 640, 480, 30
SECONDS = 10
VIDEO_BITRATE = 450_000
AUDIO_BITRATE = 48_000
CLIP_NAME = f"vp8-{WIDTH}x{HEIGHT}-{FPS}fps-{VIDEO_BITRATE // 1000}k-opus-{SECONDS}s.webm"
FACE_FILTER = "face"  # the --filter spec whose sessions send the face clip
ZONE_PLATE = "pattern=zone-plate kx2=20 ky2=20 kt=1"  # videotestsrc: the normal clip


@dataclass(frozen=True)
class Frame:
    kind: str  # "video" or "audio"
    offset: float  # seconds from the start of the clip
    data: bytes
    keyframe: bool


@dataclass(frozen=True)
class Clip:
    video: list[Frame]
    audio: list[Frame]
    video_caps: str
    audio_caps: str
    duration: float
    marked: bool = False  # video frame i carries i in its picture (loadgen.marker)

    @property
    def bitrate(self) -> float:
        """Encoded media bits per second, both kinds."""
        total = sum(len(f.data) for f in self.video) + sum(len(f.data) for f in self.audio)
        return 8 * total / self.duration


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "kurento-bench"
    return Path(os.environ.get("KPY_BENCH_CACHE", str(default)))


def uses_face_clip(filter: str | None) -> bool:
    """Whether sessions through this filter spec send the face clip."""
    return filter == FACE_FILTER


def clip_name(face: bool = False, marked: bool = False) -> str:
    return CLIP_NAME.removesuffix(".webm") + ("-face" if face else "") + (
        "-marked" if marked else "") + ".webm"


def ensure_clip(face: bool = False, marked: bool = False) -> Path:
    """The clip's path (the face variant with ``face``, frame numbers drawn in with
    ``marked``); encoded with gst-launch-1.0 the first time."""
    path = cache_dir() / clip_name(face, marked)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    launcher = shutil.which("gst-launch-1.0") or "gst-launch-1.0"
    # A moving zone plate (~450 kbit/s at this size): every encoded frame differs (the delay
    # is matched by frame hash). Pink noise for the same reason on the audio side.
    # The face and marked variants: raw RGB frames piped in on stdin instead.
    raw = face or marked
    video = (f"fdsrc fd=0 ! rawvideoparse width={WIDTH} height={HEIGHT} format=rgb "
             f"framerate={FPS}/1 ! videoconvert ! " if raw else
             f"videotestsrc {ZONE_PLATE} num-buffers={SECONDS * FPS} ! ")
    description = (
        f"{video}video/x-raw,width={WIDTH},height={HEIGHT},framerate={FPS}/1 ! "
        f"vp8enc target-bitrate={VIDEO_BITRATE} end-usage=cbr keyframe-max-dist={FPS} "
        "deadline=1 cpu-used=4 threads=2 ! queue ! webmmux name=mux ! "
        f"filesink location={partial} "
        f"audiotestsrc wave=pink-noise samplesperbuffer=960 num-buffers={SECONDS * 50} ! "
        "audio/x-raw,rate=48000,channels=2 ! "
        f"opusenc bitrate={AUDIO_BITRATE} frame-size=20 ! queue ! mux."
    )
    if raw:
        frames = _face_frames() if face else _zone_plate_frames()
        _encode_raw(launcher, description,
                    (_marked(frame, index) if marked else frame
                     for index, frame in enumerate(frames)))
    else:
        subprocess.run([launcher, "-q", *description.split()], check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
    partial.rename(path)
    return path


def _zone_plate_frames() -> Iterator[bytes]:
    """The normal clip's pictures, raw RGB, one at a time."""
    pipeline = Gst.parse_launch(
        f"videotestsrc {ZONE_PLATE} num-buffers={SECONDS * FPS} ! "
        f"video/x-raw,format=RGB,width={WIDTH},height={HEIGHT},framerate={FPS}/1 ! "
        "appsink name=sink sync=false")
    sink: GstApp.AppSink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while (sample := sink.emit("pull-sample")) is not None:
            buffer = sample.get_buffer()
            yield buffer.extract_dup(0, buffer.get_size())
    finally:
        pipeline.set_state(Gst.State.NULL)


def _marked(frame: bytes, index: int) -> bytes:
    picture = bytearray(frame)
    marker.draw_rgb(picture, WIDTH, HEIGHT, index)
    return bytes(picture)


def _face_frames() -> Iterator[bytes]:
    """SECONDS * FPS of ``tests/face_media.py``'s face frames, raw RGB at WIDTH x HEIGHT:
    its sway period repeated (the clip loops without a jump when it holds whole periods)."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)
    import cv2
    from tests import face_media

    frames = []
    for index in range(face_media.FPS * face_media.SECONDS):  # face_shift's period
        frame = face_media.face_frame(index)
        if frame.shape[:2] != (HEIGHT, WIDTH):
            frame = cv2.resize(frame, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
        frames.append(frame.tobytes())
    for index in range(SECONDS * FPS):
        yield frames[index % len(frames)]


def _encode_raw(launcher: str, description: str, frames: Iterable[bytes]) -> None:
    """gst-launch-1.0 ``description``, fed ``frames`` (raw RGB) on its stdin."""
    encoder = subprocess.Popen([launcher, "-q", *description.split()],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert encoder.stdin is not None
    try:
        for frame in frames:
            encoder.stdin.write(frame)
        encoder.stdin.close()
    except BrokenPipeError:
        pass  # gst-launch-1.0 failed: its exit status says so below
    try:
        status = encoder.wait(300)
    except subprocess.TimeoutExpired:
        encoder.kill()
        encoder.wait()
        raise
    if status != 0:
        raise subprocess.CalledProcessError(status, [launcher, *description.split()])


def load_clip(path: Path | None = None, *, face: bool = False, marked: bool = False) -> Clip:
    """Every encoded frame of the clip (``path``, else the variant ``face`` and ``marked``
    name), in memory."""
    path = path or ensure_clip(face, marked)
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! matroskademux name=demux '
        "demux.video_0 ! queue ! appsink name=video sync=false "
        "demux.audio_0 ! queue ! appsink name=audio sync=false")
    frames: dict[str, list[Frame]] = {"video": [], "audio": []}
    caps: dict[str, str] = {}
    pipeline.set_state(Gst.State.PLAYING)
    try:
        for kind in ("video", "audio"):
            sink: GstApp.AppSink = pipeline.get_by_name(kind)
            while True:
                sample = sink.emit("pull-sample")
                if sample is None:
                    break
                buffer = sample.get_buffer()
                caps.setdefault(kind, sample.get_caps().to_string())
                frames[kind].append(Frame(
                    kind, buffer.pts / Gst.SECOND, buffer.extract_dup(0, buffer.get_size()),
                    not buffer.has_flags(Gst.BufferFlags.DELTA_UNIT)))
    finally:
        pipeline.set_state(Gst.State.NULL)
    video, audio = frames["video"], frames["audio"]
    if not video or not audio:
        raise RuntimeError(f"{path}: no video or no audio frames")
    duration = max(video[-1].offset + 1 / FPS, audio[-1].offset + 0.02)
    return Clip(video, audio, caps["video"], _plain_opus_caps(caps["audio"]), duration,
                marked=marked)


def _plain_opus_caps(caps: str) -> str:
    """Opus caps without the Matroska stream headers (rtpopuspay needs none)."""
    return "audio/x-opus,channel-mapping-family=0,channels=2,rate=48000" if "opus" in caps \
        else caps
