"""Audio and video stay in sync through a PlayerEndpoint and a RecorderEndpoint.

The source clip flashes white and beeps at the same instant once a second; in the
recording each flash must still meet its beep (issue: A/V drift under 100 ms), with
the codecs copied (WebM) and with the video transcoded (MP4, VP8 → H.264).
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from kurento.client import EndOfStream, MediaPipeline, MediaProfileSpecType, PlayerEndpoint
from kurento.client import RecorderEndpoint as Recorder

pytestmark = pytest.mark.gst

SECONDS = 5
FLASH = "lt(mod(t,1),0.2)"  # on for the first 200 ms of every second


def make_flash_and_beep(path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"color=c=black:s=160x120:r=30:d={SECONDS},drawbox=x=0:y=0:"
         f"w=160:h=120:color=white:t=fill:enable='{FLASH}'",
         "-f", "lavfi", "-i", f"aevalsrc='0.8*sin(2*PI*880*t)*{FLASH}':s=48000:d={SECONDS}",
         "-c:v", "libvpx", "-deadline", "realtime", "-g", "15", "-b:v", "200k",
         "-c:a", "libopus", "-shortest", str(path)],
        check=True, timeout=60, capture_output=True,
    )


def _series(lavfi: str, tag: str) -> list[tuple[float, float]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-f", "lavfi", "-i", lavfi,
         "-show_entries", f"frame=pts_time:frame_tags={tag}", "-of", "csv=p=0"],
        check=True, timeout=60, capture_output=True, text=True,
    ).stdout
    series = []
    for line in out.splitlines():
        time_text, _, value = line.partition(",")
        if time_text and value and value not in ("nan", "-inf"):
            series.append((float(time_text), float(value)))
    return series


def onsets(series: list[tuple[float, float]], threshold: float) -> list[float]:
    """Times where the value rises through ``threshold``."""
    found, above = [], True  # ignore a flash already on at the very start
    for time, value in series:
        if value > threshold and not above:
            found.append(time)
        above = value > threshold
    return found


def flash_and_beep_offsets(path: Path) -> list[float]:
    flashes = onsets(_series(f"movie={path},signalstats", "lavfi.signalstats.YAVG"), 128)
    beeps = onsets(_series(f"amovie={path},astats=metadata=1:reset=1",
                           "lavfi.astats.Overall.RMS_level"), -30)
    offsets = []
    for flash in flashes:
        nearest = min(beeps, key=lambda beep: abs(beep - flash), default=None)
        if nearest is not None and abs(nearest - flash) < 0.5:
            offsets.append(flash - nearest)
    return offsets


@pytest.mark.parametrize("profile", [MediaProfileSpecType.WEBM, MediaProfileSpecType.MP4])
async def test_flashes_meet_their_beeps_in_the_recording(
    pipeline: MediaPipeline, tmp_path: Path, profile: MediaProfileSpecType
) -> None:
    source = tmp_path / "flash-and-beep.webm"
    make_flash_and_beep(source)
    assert flash_and_beep_offsets(source), "the analysis finds the source's own pairs"
    target = tmp_path / f"recorded.{'mp4' if profile is MediaProfileSpecType.MP4 else 'webm'}"

    player = await PlayerEndpoint.create(pipeline, source.as_uri())
    recorder = await Recorder.create(pipeline, target.as_uri(), media_profile=profile)
    ended = asyncio.Event()
    await player.on(EndOfStream, lambda _event: ended.set())
    await player.connect(recorder)
    await recorder.record()
    await player.play()
    await asyncio.wait_for(ended.wait(), timeout=SECONDS + 10)
    await recorder.stop_and_wait()

    offsets = flash_and_beep_offsets(target)
    assert len(offsets) >= SECONDS - 2, offsets  # every second's pair, but maybe the edges
    assert max(abs(offset) for offset in offsets) < 0.1, offsets
