"""A viewer's REMB sets the bitrate of the encoder that feeds it (engine.gst.encoder_rate),
within min/maxEncoderBitrate: a GStreamerFilter's, a PlayerEndpoint's (transcoding), a
WebRtcEndpoint's own transcoder (H.264 peer). Measured as bytes the aiortc viewer receives.

aiortc sends no REMB of its own here (see test_remb_relay): the viewer's REMB is made by
the test and sent on aiortc's RTCP path.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kurento.client import (
    GStreamerFilter,
    MediaElement,
    MediaPipeline,
    MediaType,
    PlayerEndpoint,
    WebRtcEndpoint,
)
from kurento.engine.gst.webrtc_sdp import parse
from kurento.server.app import MediaServer

from .peer import Peer, negotiate_as_answerer
from .test_remb_relay import send_remb

pytestmark = pytest.mark.gst

WINDOW = 2.0  # s of received video measured
# A moving zone plate, 320x240 at 15 fps: vp8enc meets targets from 150 kbps to 1 Mbps.
_BUSY = ("videotestsrc num-buffers={frames} pattern=zone-plate kx2=20 ky2=20 kt=3 "
         "! video/x-raw,width=320,height=240,framerate=15/1")


def _clip(path: Path, encode: str, mux: str, seconds: int = 12) -> Path:
    description = f"{_BUSY.format(frames=seconds * 15)} ! {encode} ! {mux} ! filesink location={path}"
    subprocess.run(["gst-launch-1.0", "-q", *description.split()], check=True, timeout=60,
                   stdin=subprocess.DEVNULL)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bitrate")  # under /tmp: inside the media roots
    return {
        # VP8 at 2 Mbps: the player passes it, a filter decodes it and encodes again.
        "webm": _clip(folder / "busy.webm", "vp8enc target-bitrate=2000000 deadline=1 "
                      "cpu-used=8 keyframe-max-dist=30", "webmmux"),
        # Motion JPEG: the player itself encodes VP8.
        "mkv": _clip(folder / "busy.mkv", "jpegenc quality=90", "matroskamux"),
    }


async def received_bps(viewer: Peer, seconds: float = WINDOW) -> int:
    """What the viewer's transport received (video only: the viewer takes nothing else)."""

    async def total() -> int:
        report = await viewer.pc.getStats()
        return sum(s.bytesReceived for s in report.values() if s.type == "transport")

    first, start = await total(), time.monotonic()
    await asyncio.sleep(seconds)
    return int((await total() - first) * 8 / (time.monotonic() - start))


@contextlib.asynccontextmanager
async def remb_from(viewer: Peer, endpoint: WebRtcEndpoint, bitrate: int) -> AsyncIterator[None]:
    """The viewer sends REMB ``bitrate`` every 300 ms (as browsers do) while in the block."""
    video = next(s for s in parse(await endpoint.get_local_session_descriptor()).sections
                 if s.media == "video")
    [ssrc] = video.media_ssrcs

    async def keep_sending() -> None:
        while True:
            await send_remb(viewer, bitrate, ssrc)
            await asyncio.sleep(0.3)

    task = asyncio.ensure_future(keep_sending())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def view(pipeline: MediaPipeline, source: MediaElement, peers: list[Peer],
               codec: str = "") -> tuple[WebRtcEndpoint, Peer]:
    """source → WebRtcEndpoint → an aiortc viewer of the video (``codec`` preferred)."""
    endpoint = await WebRtcEndpoint.create(pipeline, sendonly=True)
    await source.connect(endpoint, MediaType.VIDEO)
    viewer = Peer(send_video=False, send_audio=False)
    viewer.add_receiver("video")
    if codec:
        viewer.prefer("video", codec)
    peers.append(viewer)
    await negotiate_as_answerer(endpoint, viewer)
    return endpoint, viewer


async def player(pipeline: MediaPipeline, clip: Path) -> PlayerEndpoint:
    return await PlayerEndpoint.create(pipeline, uri=clip.resolve().as_uri())


async def test_viewer_remb_sets_the_filter_encoder_within_its_bounds(
    pipeline: MediaPipeline, peers: list[Peer], clips: dict[str, Path]
) -> None:
    source = await player(pipeline, clips["webm"])
    flip = await GStreamerFilter.create(pipeline, command="videoflip method=horizontal-flip")
    await flip.set_encoder_bitrate(1_000_000)
    await flip.set_max_encoder_bitrate(500_000)
    await source.connect(flip)
    endpoint, viewer = await view(pipeline, flip, peers)
    await source.play()
    assert await viewer.wait_frames("video", 10, timeout=8) >= 10
    capped = await received_bps(viewer)
    async with remb_from(viewer, endpoint, 150_000):
        await asyncio.sleep(0.8)  # the first REMB takes effect at once; past its frames
        lowered = await received_bps(viewer)
    print(f"filter → viewer, bps: capped at 500k {capped}, with a 150k REMB {lowered}")
    assert 300_000 < capped < 650_000  # not the 1 Mbps of encoderBitrate
    assert lowered < 230_000 and lowered < capped * 0.5


async def test_viewer_remb_sets_the_player_encoder(
    pipeline: MediaPipeline, peers: list[Peer], clips: dict[str, Path]
) -> None:
    source = await player(pipeline, clips["mkv"])  # Motion JPEG: the player encodes VP8
    await source.set_encoder_bitrate(800_000)
    await source.set_min_encoder_bitrate(250_000)
    endpoint, viewer = await view(pipeline, source, peers)
    await source.play()
    assert await viewer.wait_frames("video", 10, timeout=8) >= 10
    before = await received_bps(viewer)
    async with remb_from(viewer, endpoint, 100_000):
        await asyncio.sleep(0.8)
        floored = await received_bps(viewer)
    print(f"player → viewer, bps: at 800k {before}, with a 100k REMB and a 250k floor {floored}")
    assert before > 550_000
    assert 150_000 < floored < 380_000  # the floor, not the REMB's 100 kbps


async def test_viewer_remb_sets_the_endpoint_transcoder(
    server: MediaServer, pipeline: MediaPipeline, peers: list[Peer], clips: dict[str, Path]
) -> None:
    """VP8 in, an H.264-only viewer: the endpoint's own x264enc follows the REMB, within
    maxVideoSendBandwidth (default 500 kbps) as well as maxEncoderBitrate."""
    source = await player(pipeline, clips["webm"])
    endpoint = await WebRtcEndpoint.create(pipeline, sendonly=True)
    await endpoint.set_encoder_bitrate(900_000)
    await source.connect(endpoint, MediaType.VIDEO)
    viewer = Peer(send_video=False, send_audio=False)
    viewer.add_receiver("video")
    viewer.prefer("video", "video/H264")
    peers.append(viewer)
    await negotiate_as_answerer(endpoint, viewer)
    assert "H264" in await endpoint.get_local_session_descriptor()
    await source.play()
    assert await viewer.wait_frames("video", 10, timeout=8) >= 10
    assert await endpoint.is_media_transcoding(MediaType.VIDEO)
    before = await received_bps(viewer)
    async with remb_from(viewer, endpoint, 150_000):
        await asyncio.sleep(0.8)
        lowered = await received_bps(viewer)
    print(f"H.264 transcoder → viewer, bps: at 900k under a 500k maxVideoSendBandwidth "
          f"{before}, with a 150k REMB {lowered}")
    assert 300_000 < before < 650_000
    assert lowered < 260_000
