"""HTTP endpoints with WebRTC: an upload plays live to a peer; a peer streams to HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from kurento.client import (
    EndOfStream,
    HttpGetEndpoint,
    HttpPostEndpoint,
    MediaPipeline,
    WebRtcEndpoint,
)
from kurento.server.app import MediaServer

from ..webrtc.peer import Peer, loopback_ice, negotiate_as_answerer
from .media import CLIP_VIDEO_FRAMES, decode_errors, probe_streams

pytestmark = pytest.mark.gst


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_ice():
        yield


@pytest.fixture
async def viewer() -> AsyncIterator[Peer]:
    peer = Peer(send_video=False, send_audio=False)
    peer.add_receiver("video")
    peer.add_receiver("audio")
    yield peer
    await peer.close()


async def test_uploaded_clip_plays_to_a_webrtc_peer(
    pipeline: MediaPipeline, viewer: Peer, webm_clip: Path
) -> None:
    post = await HttpPostEndpoint.create(pipeline, disconnection_timeout=0)
    webrtc = await WebRtcEndpoint.create(pipeline)
    await post.connect(webrtc)
    ended = asyncio.Event()
    await post.on(EndOfStream, lambda _event: ended.set())
    await negotiate_as_answerer(webrtc, viewer)
    deadline = time.monotonic() + 10
    while viewer.pc.connectionState != "connected" and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert viewer.pc.connectionState == "connected"
    async with aiohttp.ClientSession() as http, http.post(
        await post.get_url(), data=webm_clip.read_bytes()
    ) as response:
        assert response.status == 200
    await asyncio.wait_for(ended.wait(), 10)
    await asyncio.sleep(0.3)  # the last packets are on their way
    # A live stream: frames came as the clip played, not in one burst at the start.
    assert viewer.received["video"] >= CLIP_VIDEO_FRAMES * 0.7
    assert viewer.received["audio"] >= 50  # 20 ms Opus frames over 2 s
    assert time.monotonic() - viewer.first_frame["video"] >= 1.5


async def test_webrtc_peer_is_streamed_to_an_http_client(
    server: MediaServer, pipeline: MediaPipeline, tmp_path: Path
) -> None:
    sender = Peer()  # aiortc sends VP8 and Opus
    try:
        webrtc = await WebRtcEndpoint.create(pipeline)
        get = await HttpGetEndpoint.create(pipeline)
        await webrtc.connect(get)
        await negotiate_as_answerer(webrtc, sender)
        path = tmp_path / "peer.webm"
        async with aiohttp.ClientSession() as http, http.get(await get.get_url()) as response:
            assert response.status == 200
            deadline = time.monotonic() + 3
            with path.open("wb") as out:
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        chunk = await asyncio.wait_for(response.content.readany(), left)
                    except TimeoutError:
                        break
                    out.write(chunk)
        frames = probe_streams(path)
        assert set(frames) == {"vp8", "opus"}
        assert frames["vp8"] >= 10  # aiortc sends 15 fps; the first keyframe may take a while
        assert decode_errors(path) == []
    finally:
        await sender.close()
