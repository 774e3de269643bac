"""Checking media the way a user would: ffprobe and ffmpeg on what the server sent."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

CLIP_VIDEO_FRAMES = 60  # 2 s at 30 fps
CLIP_AUDIO_BUFFERS = 100  # 2 s of 20 ms buffers


def probe_streams(path: Path) -> dict[str, int]:
    """Codec name → decodable frames counted by ffprobe, per stream of the file."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,nb_read_frames", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    streams = json.loads(result.stdout)["streams"]
    return {s["codec_name"]: int(s.get("nb_read_frames", 0)) for s in streams}


# A live stream saved for a while ends wherever the client stopped reading.
_CUT_SHORT = "File ended prematurely"


def decode_errors(path: Path) -> list[str]:
    """ffmpeg's error messages when it decodes every frame (none for a clean stream)."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=60,
    )
    errors = [line for line in result.stderr.splitlines() if _CUT_SHORT not in line]
    if result.returncode != 0:
        errors.append(f"ffmpeg exit status {result.returncode}")
    return errors
