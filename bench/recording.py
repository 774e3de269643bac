"""Recording benchmark: CPU of the media engine per RecorderEndpoint recording.

The engine runs in this process (``GstMediaEngine``, the server's engine, without the
WebSocket layer, which costs nothing while media flows). One live source element feeds
N recorders of one MediaPipeline through the engine's bridges, as a WebRtcEndpoint would:

* ``passthrough``: VP8 640x480 @ 20 fps + Opus (what a browser sends) → WEBM, so the
  recorder only muxes (no encoder in its graph);
* ``raw→mp4``: raw I420 640x480 @ 20 fps + raw audio → MP4: x264enc + opusenc per recording;
* ``vp8→mp4``: the VP8 + Opus source → MP4: vp8dec + x264enc per recording.

Each row: the source alone for ``--window`` seconds (baseline), then N recordings for
``--window`` seconds; ``CPU/rec`` = (CPU % with recordings - baseline) / N, in % of one
core (``/proc/self/stat`` utime+stime). Every file is checked afterwards with ffprobe
(duration and codecs), so a row that did not really record says so.

Usage: .venv/bin/python bench/recording.py [--counts 1,4] [--modes passthrough,raw→mp4,vp8→mp4]
       [--window 6]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from procstats import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.media_check import probe  # noqa: E402

from kurento.engine.contract import MediaKind  # noqa: E402
from kurento.engine.gst import GstMediaEngine  # noqa: E402
from kurento.engine.gst._gst import Gst  # noqa: E402
from kurento.engine.gst.element import GstElement  # noqa: E402
from kurento.engine.gst.testing import NullListener  # noqa: E402
from kurento.engine.recording import PROFILES  # noqa: E402

RAW_VIDEO = "video/x-raw,format=I420,width=640,height=480,framerate=20/1"


class BenchSource(GstElement):
    """Live 640x480 @ 20 fps video and 48 kHz audio; VP8 + Opus unless ``raw``."""

    factory = "BenchSource"
    raw = False

    def build(self) -> None:
        video = self.make("videotestsrc", is_live=True, pattern="ball")
        caps = self.make("capsfilter", caps=Gst.Caps.from_string(RAW_VIDEO))
        audio = self.make("audiotestsrc", is_live=True)
        video.link(caps)
        video_out, audio_out = caps, audio
        if not self.raw:
            vp8 = self.make("vp8enc", deadline=1, cpu_used=8, target_bitrate=500_000,
                            keyframe_max_dist=60)
            opus = self.make("opusenc")
            caps.link(vp8)
            audio.link(opus)
            video_out, audio_out = vp8, opus
        self.add_output(MediaKind.VIDEO, video_out.get_static_pad("src"))
        self.add_output(MediaKind.AUDIO, audio_out.get_static_pad("src"))


class RawBenchSource(BenchSource):
    factory = "RawBenchSource"
    raw = True


class Listener(NullListener):
    def __init__(self) -> None:
        self.errors: list[str] = []

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        self.errors.append(error_type)

    def on_recording(self) -> None:
        pass

    def on_end_of_stream(self) -> None:
        pass

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        pass


MODES = {
    "passthrough": (BenchSource, "WEBM", {"video": "vp8", "audio": "opus"}),
    "raw→mp4": (RawBenchSource, "MP4", {"video": "h264", "audio": "opus"}),
    "vp8→mp4": (BenchSource, "MP4", {"video": "h264", "audio": "opus"}),
}


async def cpu_percent(window: float) -> float:
    pid = os.getpid()
    before, wall = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(window)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - wall)


async def run_row(mode: str, count: int, window: float, directory: Path) -> str:
    source_type, profile, codecs = MODES[mode]
    engine = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=10)
    pipeline = engine.create_pipeline(f"bench-{mode}-{count}")
    source = pipeline.create_element_of(source_type, NullListener())
    await asyncio.sleep(1.0)
    baseline = await cpu_percent(window)
    listener = Listener()
    paths = [directory / f"{mode}-{count}-{i}.{PROFILES[profile].container}"
             for i in range(count)]
    recorders: list[Any] = []
    for path in paths:
        recorder = pipeline.create_element("RecorderEndpoint", listener)
        recorder.configure(str(path), PROFILES[profile], False)  # type: ignore[attr-defined]
        for kind in (MediaKind.AUDIO, MediaKind.VIDEO):
            source.link(recorder, kind)
        recorders.append(recorder)
    await asyncio.sleep(0.5)
    for recorder in recorders:
        recorder.record()
    await asyncio.sleep(1.0)
    loaded = await cpu_percent(window)
    await asyncio.gather(*(recorder.stop() for recorder in recorders))
    await pipeline.close()
    await engine.shutdown()
    checks = [probe(path, count_packets=False) for path in paths]
    bad = sum(1 for info in checks
              if info.codecs() != codecs or not info.duration or info.duration < window)
    note = f"  {bad} bad files" if bad else ""
    if listener.errors:
        note += f"  errors: {sorted(set(listener.errors))}"
    per = (loaded - baseline) / count
    return (f"{mode:<12} {count:>3} {baseline:>10.1f} {loaded:>9.1f} {per:>8.1f}"
            f"{note}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,4")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--window", type=float, default=6.0)
    args = parser.parse_args()
    print(f"640x480 @ 20 fps + 48 kHz audio; window {args.window:.0f} s on {os.cpu_count()} CPUs")
    print(f"{'mode':<12} {'N':>3} {'source CPU%':>10} {'with recs':>9} {'CPU/rec':>8}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-recording-") as directory:
        for mode in args.modes.split(","):
            for count in (int(n) for n in args.counts.split(",")):
                print(await run_row(mode, count, args.window, Path(directory)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
