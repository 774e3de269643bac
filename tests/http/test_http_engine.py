"""The media parts of the HTTP endpoints on the real engine, without HTTP."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine, GstPipelineEngine
from kurento.engine.gst.http_get import HttpGetElement, SocketStreamClient
from kurento.engine.gst.http_post import HttpPostElement
from kurento.engine.gst.testing import create_test_sink, create_test_source
from kurento.engine.http_contract import StreamProfile

from ..engine.helpers import Recorder, wait_until
from .media import CLIP_AUDIO_BUFFERS, CLIP_VIDEO_FRAMES, decode_errors, probe_streams

pytestmark = pytest.mark.gst


class UploadRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.ended_at: float | None = None

    def on_end_of_stream(self) -> None:
        self.ended_at = time.monotonic()


async def upload(element: HttpPostElement, data: bytes, chunk: int = 16 * 1024) -> None:
    for start in range(0, len(data), chunk):
        assert await element.push(data[start:start + chunk])
    element.end_upload()


@pytest.mark.parametrize("clip", ["webm_clip", "mp4_clip"])
async def test_upload_plays_out_in_real_time(
    engine: GstMediaEngine, clip: str, request: pytest.FixtureRequest
) -> None:
    data = Path(request.getfixturevalue(clip)).read_bytes()
    pipeline = engine.create_pipeline("post")
    listener = UploadRecorder()
    post = pipeline.create_element_of(HttpPostElement, listener)
    sink = create_test_sink(pipeline)
    for kind in (MediaKind.VIDEO, MediaKind.AUDIO):
        post.link(sink, kind)
    started = time.monotonic()
    await upload(post, data)
    await wait_until(lambda: listener.ended_at is not None, timeout=10)
    assert listener.ended_at is not None
    # Paced like a live source: the 2 s clip takes about 2 s to come out.
    assert 1.8 <= listener.ended_at - started <= 5.0
    assert sink.buffers(MediaKind.VIDEO) == CLIP_VIDEO_FRAMES
    # Opus frames pass as they are; AAC (1024-sample frames) is re-encoded to 20 ms Opus.
    assert sink.buffers(MediaKind.AUDIO) >= 0.9 * CLIP_AUDIO_BUFFERS
    assert listener.errors == []
    assert listener.states("out", MediaKind.VIDEO)[:1] == [True]
    await pipeline.close()


async def test_garbage_upload_is_an_error(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("garbage")
    listener = UploadRecorder()
    post = pipeline.create_element_of(HttpPostElement, listener)
    await post.push(random.Random(7).randbytes(200_000))
    post.end_upload()
    await wait_until(lambda: bool(listener.errors), timeout=5)
    assert "Could not determine type of stream" in listener.errors[0][2]
    assert listener.ended_at is None
    assert not await post.push(b"more")  # the element takes no more bytes
    await pipeline.close()


async def read_for(client: SocketStreamClient, seconds: float, path: Path) -> float:
    """Save what ``client`` receives for ``seconds``; returns when its first bytes came."""
    started = time.monotonic()
    first: float | None = None
    with path.open("wb") as out:
        while (left := started + seconds - time.monotonic()) > 0:
            try:
                data = await asyncio.wait_for(client.read(), left)
            except TimeoutError:
                break
            if not data:
                break
            first = first if first is not None else time.monotonic() - started
            out.write(data)
    client.close()
    assert first is not None, "no bytes at all"
    return first


async def test_two_clients_get_playable_webm(engine: GstMediaEngine, tmp_path: Path) -> None:
    pipeline = engine.create_pipeline("get")
    listener = Recorder()
    get = pipeline.create_element_of(HttpGetElement, listener)
    source = create_test_source(pipeline)
    for kind in (MediaKind.VIDEO, MediaKind.AUDIO):
        source.link(get, kind)
    await wait_until(lambda: listener.states("in", MediaKind.VIDEO) == [True])
    await asyncio.sleep(0.3)  # past the encoder's first keyframe
    first, second = await get.open_client(), await get.open_client()
    assert get.client_count() == 2
    waits = await asyncio.gather(read_for(first, 2.0, tmp_path / "1.webm"),
                                 read_for(second, 1.5, tmp_path / "2.webm"))
    # The encoder makes a keyframe every 2 s by itself; a client's request gets one now.
    assert max(waits) < 1.0, f"first bytes after {waits} s"
    for name, seconds in (("1.webm", 2.0), ("2.webm", 1.5)):
        frames = probe_streams(tmp_path / name)
        assert set(frames) == {"vp8", "opus"}, frames
        assert frames["vp8"] >= 30 * seconds * 0.7, (name, frames)
        assert decode_errors(tmp_path / name) == []
    await wait_until(lambda: get.client_count() == 0)
    assert listener.errors == []
    await pipeline.close()


async def test_closing_the_element_ends_its_clients(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("close")
    get = pipeline.create_element_of(HttpGetElement, Recorder())
    source = create_test_source(pipeline)
    source.link(get, MediaKind.VIDEO)
    source.link(get, MediaKind.AUDIO)
    client = await get.open_client()
    await asyncio.sleep(0.5)
    await get.close()
    received = b""
    while data := await asyncio.wait_for(client.read(), 5):
        received += data
    assert received.startswith(b"\x1a\x45\xdf\xa3")  # the EBML (WebM) header came first
    client.close()
    await pipeline.close()


class VideoOnly(Recorder):
    stream_profile = StreamProfile.VIDEO_ONLY


async def test_video_only_stream_needs_no_audio(engine: GstMediaEngine, tmp_path: Path) -> None:
    pipeline = engine.create_pipeline("video-only")
    get = pipeline.create_element_of(HttpGetElement, VideoOnly())
    source = create_test_source(pipeline)
    source.link(get, MediaKind.VIDEO)  # no audio link: a WEBM (A+V) muxer would wait forever
    await read_for(await get.open_client(), 1.0, tmp_path / "v.webm")
    frames = probe_streams(tmp_path / "v.webm")
    assert set(frames) == {"vp8"} and frames["vp8"] >= 15
    await pipeline.close()


async def test_upload_is_paced_by_playback_and_release_frees_the_poster(
    engine: GstMediaEngine, big_clip: Path
) -> None:
    data = big_clip.read_bytes()
    pipeline = engine.create_pipeline("paced")
    post = pipeline.create_element_of(HttpPostElement, UploadRecorder())
    accepted = 0
    refused = asyncio.Event()

    async def poster() -> None:
        nonlocal accepted
        for start in range(0, len(data), 64 * 1024):
            if not await post.push(data[start:start + 64 * 1024]):
                refused.set()
                return
            accepted += len(data[start:start + 64 * 1024])

    task = asyncio.ensure_future(poster())
    await asyncio.sleep(1.0)
    # 1 s into an 8 s clip: a few seconds of media queued (+1 MB), not the whole file.
    assert 0 < accepted < len(data) * 0.75 and not task.done()
    await post.close()
    await asyncio.wait_for(refused.wait(), 5)  # the waiting push gave up at once
    assert accepted < len(data)
    await pipeline.close()


async def upload_through(
    engine: GstMediaEngine, name: str, clip: Path, out: Path, seconds: float,
    configure: Callable[[HttpPostElement, HttpGetElement], None] = lambda _post, _get: None,
) -> tuple[GstPipelineEngine, HttpPostElement, HttpGetElement]:
    """Upload ``clip`` to an HttpPostElement linked to an HttpGetElement (``configure``d
    before linking) while a client of the latter reads ``seconds`` of it into ``out``."""
    pipeline = engine.create_pipeline(name)
    post = pipeline.create_element_of(HttpPostElement, UploadRecorder())
    get = pipeline.create_element_of(HttpGetElement, Recorder())
    configure(post, get)
    for kind in (MediaKind.VIDEO, MediaKind.AUDIO):
        post.link(get, kind)
    client = await get.open_client()
    reading = asyncio.ensure_future(read_for(client, seconds, out))
    await upload(post, clip.read_bytes())
    await reading
    return pipeline, post, get


async def test_uploaded_h264_is_streamed_as_vp8(
    engine: GstMediaEngine, mp4_clip: Path, tmp_path: Path
) -> None:
    pipeline, _post, _get = await upload_through(
        engine, "h264", mp4_clip, tmp_path / "h264.webm", 3.0)
    frames = probe_streams(tmp_path / "h264.webm")
    assert set(frames) == {"vp8", "opus"}  # H.264 and AAC were transcoded
    assert frames["vp8"] >= CLIP_VIDEO_FRAMES * 0.75
    assert decode_errors(tmp_path / "h264.webm") == []
    await pipeline.close()


def video_encoder_bitrates(element: HttpPostElement | HttpGetElement) -> list[int]:
    return [child.get_property("target-bitrate") for child in element.pipeline.iterate_recurse()
            if child.get_factory() is not None
            and child.get_factory().get_name() == "vp8enc"]


async def test_http_encoders_follow_the_encoder_bitrate(
    engine: GstMediaEngine, mp4_clip: Path, vp9_clip: Path, tmp_path: Path
) -> None:
    # The upload is VP9, made VP8 by the post; the get's input is VP8 then: copied.
    pipeline, post, get = await upload_through(
        engine, "rates", vp9_clip, tmp_path / "vp9.webm", 2.5,
        lambda post, _get: post.set_encoder_bitrates(150_000, 0, 0))
    assert video_encoder_bitrates(post) == [150_000]
    assert video_encoder_bitrates(get) == []
    post.set_encoder_bitrates(400_000, 0, 250_000)  # live, and capped
    await wait_until(lambda: video_encoder_bitrates(post) == [250_000])
    assert probe_streams(tmp_path / "vp9.webm").keys() == {"vp8", "opus"}
    await pipeline.close()

    # H.264 passes the post; the get makes it VP8.
    pipeline, post, get = await upload_through(
        engine, "h264-rates", mp4_clip, tmp_path / "h264.webm", 2.5,
        lambda _post, get: get.set_encoder_bitrates(200_000, 0, 0))
    assert video_encoder_bitrates(post) == []
    assert video_encoder_bitrates(get) == [200_000]
    await pipeline.close()


async def test_a_new_source_replaces_the_old_one_for_connected_clients(
    engine: GstMediaEngine, tmp_path: Path
) -> None:
    pipeline = engine.create_pipeline("swap")
    get = pipeline.create_element_of(HttpGetElement, VideoOnly())
    first, second = create_test_source(pipeline), create_test_source(pipeline)
    link = first.link(get, MediaKind.VIDEO)
    client = await get.open_client()
    reading = asyncio.ensure_future(read_for(client, 2.5, tmp_path / "swap.webm"))
    await asyncio.sleep(1.0)
    await link.unlink()
    second.link(get, MediaKind.VIDEO)
    await reading
    frames = probe_streams(tmp_path / "swap.webm")
    # 2.5 s at 30 fps from either source; a stall after the swap would leave ~30.
    assert frames["vp8"] >= 60
    await pipeline.close()
