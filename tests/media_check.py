"""Probing media files the way a user would: ffprobe for streams, duration and seeking.

Generic helpers for any test that produces a file (recorder, player fixtures...).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StreamInfo:
    kind: str  # "video" or "audio"
    codec: str  # ffprobe codec_name: "vp8", "h264", "opus", "aac"...
    start: float  # seconds; 0.0 when ffprobe gives none
    frames: int  # packets counted by ffprobe (0 when not counted)


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float | None  # None: the container states no duration
    streams: tuple[StreamInfo, ...]

    def stream(self, kind: str) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == kind), None)

    def codecs(self) -> dict[str, str]:
        return {s.kind: s.codec for s in self.streams}

    def start_skew(self) -> float:
        """Difference between the audio and video start times (0 with one stream)."""
        audio, video = self.stream("audio"), self.stream("video")
        if audio is None or video is None:
            return 0.0
        return abs(audio.start - video.start)


def probe(path: str | Path, count_packets: bool = True) -> MediaInfo:
    """ffprobe ``path``; raises ``AssertionError`` with ffprobe's complaint if it cannot."""
    command = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
               "-show_streams"]
    if count_packets:
        command.append("-count_packets")
    result = subprocess.run([*command, str(path)], capture_output=True, text=True,
                            timeout=30, check=False)
    if result.returncode != 0:
        raise AssertionError(f"ffprobe cannot read {path}: {result.stderr.strip()}")
    data = json.loads(result.stdout)
    streams = tuple(
        StreamInfo(
            kind=s.get("codec_type", ""),
            codec=s.get("codec_name", ""),
            start=float(s.get("start_time", 0.0) or 0.0),
            frames=int(s.get("nb_read_packets", 0) or 0),
        )
        for s in data.get("streams", [])
    )
    fmt = data.get("format", {})
    duration = fmt.get("duration")
    return MediaInfo(fmt.get("format_name", ""), float(duration) if duration else None, streams)


def decodes_after_seek(path: str | Path, position: float) -> bool:
    """True if ffmpeg can seek to ``position`` seconds and decode frames from there.

    ``-xerror`` makes any decoding error fatal; ffmpeg's timestamp remarks about its
    own null output are not errors of the file.
    """
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-ss", f"{position:.3f}", "-i", str(path),
         "-t", "0.5", "-f", "framecrc", "-"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    frames = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return result.returncode == 0 and len(frames) > 0


def has_cues(path: str | Path) -> bool:
    """True if a Matroska/WebM file carries a Cues element (its seek index)."""
    # Cues element id 0x1C53BB6B: written by matroskamux at EOS on a seekable sink.
    return b"\x1c\x53\xbb\x6b" in Path(path).read_bytes()


def first_video_frame_is_keyframe(path: str | Path) -> bool:
    """True if the first video packet of ``path`` is flagged as a keyframe."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
         "-read_intervals", "%+#1", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    first = result.stdout.strip().splitlines()
    return bool(first) and first[0].startswith("K")
