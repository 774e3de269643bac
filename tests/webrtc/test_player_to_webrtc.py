"""PlayerEndpoint through the server: to aiortc peers from files, HTTP and RTSP; controls; errors."""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kurento.client import (
    EndOfStream,
    KurentoClient,
    MediaFlowOutStateChanged,
    MediaPipeline,
    MediaTranscodingStateChanged,
    MediaType,
    PlayerEndpoint,
    UriEndpointStateChanged,
    WebRtcEndpoint,
)
from kurento.client import Error as ErrorEvent
from kurento.protocol.errors import PlayerSeekFail
from kurento.server.app import MediaServer
from kurento.server.settings import Settings
from tests.media_files import CLIP_SECONDS, Clips, make_mp4, media_clips
from tests.support_rtsp import RtspServer

from .peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst


@pytest.fixture(scope="module")
def clips() -> Clips:
    return media_clips()


@pytest.fixture
async def server() -> AsyncIterator[MediaServer]:
    """The conftest's server, allowed to reach loopback HTTP/RTSP sources."""
    media_server = MediaServer(Settings(port=0, internal_networks="127.0.0.0/8"))
    await media_server.start()
    yield media_server
    await media_server.stop()


@pytest.fixture(scope="module")
def http_url(clips: Clips) -> Iterator[str]:
    """The clips directory over plain HTTP on 127.0.0.1."""
    handler = functools.partial(_QuietHandler, directory=str(clips.directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


async def receiving_peer(pipeline: MediaPipeline, peers: list[Peer],
                         video_mime: str = "video/VP8") -> tuple[WebRtcEndpoint, Peer]:
    endpoint = await WebRtcEndpoint.create(pipeline)
    peer = Peer(send_video=False, send_audio=False)
    peer.add_receiver("video")
    peer.add_receiver("audio")
    peer.prefer("video", video_mime)
    peers.append(peer)
    await negotiate_as_answerer(endpoint, peer)
    return endpoint, peer


async def test_webm_plays_to_a_peer_until_end_of_stream(
    pipeline: MediaPipeline, peers: list[Peer], clips: Clips
) -> None:
    endpoint, peer = await receiving_peer(pipeline, peers)
    player = await PlayerEndpoint.create(pipeline, clips.uri(clips.webm))
    states: list[str] = []
    ended = asyncio.Event()
    await player.on(UriEndpointStateChanged, lambda event: states.append(event.state.value))
    await player.on(EndOfStream, lambda _event: ended.set())
    await player.connect(endpoint)
    began = time.monotonic()
    await player.play()
    info = await player.get_video_info()  # right after play(), as Kurento's tutorials do
    assert info.is_seekable
    assert abs(info.duration - CLIP_SECONDS * 1000) <= CLIP_SECONDS * 1000 * 0.05
    assert await peer.wait_frames("video", 20, timeout=6) >= 20
    assert await peer.wait_frames("audio", 20, timeout=3) >= 20
    await asyncio.wait_for(ended.wait(), timeout=CLIP_SECONDS + 4)
    # Real-time pacing: the 2 s clip took about 2 s, not a burst.
    assert time.monotonic() - began >= CLIP_SECONDS - 0.2
    # Most of the clip's 60 frames reached the peer (it joined at the first keyframe).
    assert peer.received["video"] >= CLIP_SECONDS * 30 * 0.6
    assert states == ["START", "STOP"]
    assert (await player.get_state()).value == "STOP"


async def test_mp4_h264_passes_to_a_peer_with_aac_as_opus_and_seeks_back(
    pipeline: MediaPipeline, peers: list[Peer], clips: Clips
) -> None:
    endpoint, peer = await receiving_peer(pipeline, peers, "video/H264")
    player = await PlayerEndpoint.create(pipeline, clips.uri(clips.mp4))
    transcoding: list[tuple[str, str]] = []
    await player.on(MediaTranscodingStateChanged, lambda event: transcoding.append(
        (event.media_type.value, event.state.value)))
    await player.connect(endpoint)
    await player.play()
    assert await peer.wait_frames("video", 20, timeout=6) >= 20
    assert await peer.wait_frames("audio", 20, timeout=3) >= 20
    assert transcoding == [("AUDIO", "TRANSCODING")]
    assert await player.is_media_transcoding(MediaType.AUDIO)
    assert not await player.is_media_transcoding(MediaType.VIDEO)
    # Back to the start: the peer goes on decoding (timestamps did not go back).
    await player.set_position(0)
    assert await player.get_position() <= 300
    seen = peer.received["video"]
    assert await peer.wait_frames("video", seen + 20, timeout=4) >= seen + 20


async def test_transcoding_player_makes_a_keyframe_for_a_late_peer(
    pipeline: MediaPipeline, peers: list[Peer], clips: Clips
) -> None:
    """MJPEG → VP8 on the server: a peer joining mid-clip gets a keyframe at once.

    The encoder's own keyframes are 2 s apart, the clip's length: without the
    forwarded keyframe request the late peer would see nothing before the end.
    """
    player = await PlayerEndpoint.create(pipeline, clips.uri(clips.mkv))
    await player.play()
    await asyncio.sleep(0.5)
    endpoint, peer = await receiving_peer(pipeline, peers)
    await player.connect(endpoint)
    assert await peer.wait_frames("video", 10, timeout=CLIP_SECONDS) >= 10
    assert peer.received["audio"] > 0


async def test_rtsp_source_plays_to_a_peer(
    pipeline: MediaPipeline, peers: list[Peer], tmp_path: Path
) -> None:
    clip = tmp_path / "long.mp4"
    make_mp4(clip, seconds=8)
    with RtspServer(clip) as rtsp:
        endpoint, peer = await receiving_peer(pipeline, peers, "video/H264")
        player = await PlayerEndpoint.create(pipeline, rtsp.uri, network_cache=200)
        errors: list[ErrorEvent] = []
        await player.on(ErrorEvent, errors.append)
        await player.connect(endpoint)
        await player.play()
        assert await peer.wait_frames("video", 30, timeout=8) >= 30, errors
        assert not (await player.get_video_info()).is_seekable
        with pytest.raises(PlayerSeekFail):
            await player.set_position(1000)
        # Pause (an RTSP PAUSE) holds the media; play resumes it.
        await player.pause()
        await asyncio.sleep(0.5)
        held = peer.received["video"]
        await asyncio.sleep(0.5)
        assert peer.received["video"] <= held + 1
        await player.play()
        assert await peer.wait_frames("video", held + 20, timeout=5) >= held + 20
        await player.stop()
        assert not errors


async def test_http_source_plays_to_the_end(pipeline: MediaPipeline, http_url: str) -> None:
    player = await PlayerEndpoint.create(pipeline, f"{http_url}/clip.webm",
                                         use_encoded_media=True)
    flowing: list[str] = []
    ended = asyncio.Event()
    await player.on(MediaFlowOutStateChanged,
                    lambda event: flowing.append(event.media_type.value))
    await player.on(EndOfStream, lambda _event: ended.set())
    await player.play()
    await asyncio.wait_for(ended.wait(), timeout=CLIP_SECONDS + 4)
    assert sorted(set(flowing)) == ["AUDIO", "VIDEO"]


async def test_position_pause_and_seek(pipeline: MediaPipeline, clips: Clips) -> None:
    player = await PlayerEndpoint.create(pipeline, clips.uri(clips.webm))
    with pytest.raises(PlayerSeekFail):
        await player.set_position(500)  # not playing yet
    states: list[str] = []
    await player.on(UriEndpointStateChanged, lambda event: states.append(event.state.value))
    started = time.monotonic()
    await player.play()
    first = 0
    while first <= 0 and time.monotonic() - started < 3:
        await asyncio.sleep(0.1)
        first = await player.get_position()
    # Playing in real time: never ahead of the wall clock since play().
    assert 0 < first <= (time.monotonic() - started) * 1000 + 100
    await player.pause()
    paused = await player.get_position()
    await asyncio.sleep(0.3)
    assert await player.get_position() == paused
    await player.set_position(1500)
    assert 1400 <= await player.get_position() <= 1600
    await player.play()
    await asyncio.sleep(0.2)
    assert await player.get_position() > 1500
    dot = await player.get_element_gstreamer_dot()
    assert dot.startswith("digraph") and "uridecodebin" in dot.lower()
    await player.stop()
    assert await player.get_position() == 0
    assert states == ["START", "PAUSE", "START", "STOP"]


async def test_bad_sources_raise_error_events_and_the_server_carries_on(
    client: KurentoClient, pipeline: MediaPipeline, clips: Clips
) -> None:
    errors: dict[str, list[ErrorEvent]] = {"corrupt": [], "http": []}
    corrupt = await PlayerEndpoint.create(pipeline, clips.uri(clips.corrupt))
    # Port 9 (discard) on loopback: nothing listens there.
    unreachable = await PlayerEndpoint.create(pipeline, "http://127.0.0.1:9/clip.webm")
    await corrupt.on(ErrorEvent, errors["corrupt"].append)
    await unreachable.on(ErrorEvent, errors["http"].append)
    await corrupt.play()
    await unreachable.play()
    deadline = time.monotonic() + 5
    while not (errors["corrupt"] and errors["http"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert errors["corrupt"] and errors["http"]
    assert "Could not determine type" in errors["corrupt"][0].description
    assert (await corrupt.get_state()).value == "STOP"
    # The server still answers and still plays.
    other = await MediaPipeline.create(client)
    good = await PlayerEndpoint.create(other, clips.uri(clips.webm))
    await good.play()
    await asyncio.sleep(0.4)
    assert await good.get_position() > 0
    await other.release()
