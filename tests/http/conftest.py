"""Fixtures: media clips made with gst-launch, an in-process server with the real engine."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kurento.client import KurentoClient, MediaPipeline
from kurento.engine.gst import GstMediaEngine
from kurento.server.app import MediaServer
from kurento.server.settings import Settings

from .media import CLIP_AUDIO_BUFFERS, CLIP_VIDEO_FRAMES


def _make_clip(path: Path, video: str, audio: str, mux: str) -> Path:
    pipeline = (
        f"videotestsrc num-buffers={CLIP_VIDEO_FRAMES} pattern=ball "
        f"! video/x-raw,width=320,height=240,framerate=30/1 ! {video} ! queue ! {mux} name=m "
        f"! filesink location={path} "
        f"audiotestsrc num-buffers={CLIP_AUDIO_BUFFERS} samplesperbuffer=960 "
        f"! audio/x-raw,rate=48000,channels=2 ! audioconvert ! {audio} ! queue ! m."
    )
    subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, timeout=60)
    return path


@pytest.fixture(scope="session")
def webm_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of VP8 (a keyframe every 0.5 s) and Opus in WebM: what a browser records."""
    return _make_clip(tmp_path_factory.mktemp("clips") / "clip.webm",
                      "vp8enc deadline=1 keyframe-max-dist=15", "opusenc", "webmmux")


@pytest.fixture(scope="session")
def mp4_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of H.264 and AAC in a fast-start MP4: the audio must be transcoded to Opus."""
    return _make_clip(tmp_path_factory.mktemp("clips") / "clip.mp4",
                      "x264enc tune=zerolatency key-int-max=15 ! h264parse", "avenc_aac",
                      "mp4mux faststart=true")


@pytest.fixture(scope="session")
def vp9_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of VP9 and Opus in WebM: an upload whose video must be re-encoded (to VP8)."""
    return _make_clip(tmp_path_factory.mktemp("clips") / "vp9.webm", "vp9enc deadline=1",
                      "opusenc", "webmmux")


@pytest.fixture(scope="session")
def big_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 s of 4 Mbps VP8 (noise), video only: about 4 MB, much more than the upload queue."""
    path = tmp_path_factory.mktemp("clips") / "big.webm"
    pipeline = (
        "videotestsrc num-buffers=240 pattern=snow ! video/x-raw,width=320,height=240,"
        "framerate=30/1 ! vp8enc deadline=1 target-bitrate=4000000 keyframe-max-dist=30 "
        f"! webmmux ! filesink location={path}"
    )
    subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, timeout=60)
    return path


@pytest.fixture
async def engine() -> AsyncIterator[GstMediaEngine]:
    media = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=5.0)
    yield media
    await media.shutdown()


@pytest.fixture
async def server() -> AsyncIterator[MediaServer]:
    media_server = MediaServer(Settings(port=0))
    await media_server.start()
    yield media_server
    await media_server.stop()


@pytest.fixture
async def client(server: MediaServer) -> AsyncIterator[KurentoClient]:
    async with KurentoClient.connect(server.url) as kurento:
        yield kurento


@pytest.fixture
async def pipeline(client: KurentoClient) -> AsyncIterator[MediaPipeline]:
    media_pipeline = await MediaPipeline.create(client)
    yield media_pipeline
    await media_pipeline.release()
