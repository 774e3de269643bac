"""HttpPostEndpoint and HttpGetEndpoint through the server: client API plus plain HTTP."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from kurento.client import (
    EndOfStream,
    Error,
    HttpGetEndpoint,
    HttpPostEndpoint,
    KurentoClient,
    MediaPipeline,
    MediaProfileSpecType,
    MediaSessionStarted,
    MediaSessionTerminated,
)
from kurento.protocol.errors import KurentoError
from kurento.server.app import MediaServer

from .media import CLIP_VIDEO_FRAMES, decode_errors, probe_streams

pytestmark = pytest.mark.gst


async def save_stream(url: str, path: Path, stop: asyncio.Event, limit: float) -> None:
    """GET ``url`` into ``path`` until ``stop`` is set (or ``limit`` seconds pass)."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "video/webm"
        deadline = time.monotonic() + limit
        with path.open("wb") as out:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    chunk = await asyncio.wait_for(response.content.readany(), 0.2)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                out.write(chunk)


async def chunked(data: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def test_urls_are_on_the_server_port_and_unguessable(
    server: MediaServer, pipeline: MediaPipeline
) -> None:
    post = await HttpPostEndpoint.create(pipeline)
    get = await HttpGetEndpoint.create(pipeline)
    post_url, get_url = await post.get_url(), await get.get_url()
    pattern = rf"http://127\.0\.0\.1:{server.port}/kurento-media/[A-Za-z0-9_-]{{32}}"
    assert re.fullmatch(pattern, post_url) and re.fullmatch(pattern, get_url)
    assert post_url != get_url
    async with aiohttp.ClientSession() as http:
        async with http.get(post_url[:-4] + "abcd") as response:
            assert response.status == 404
        async with http.post(get_url, data=b"x") as response:
            assert response.status == 405
    await post.release()
    async with aiohttp.ClientSession() as http, http.post(post_url, data=b"x") as response:
        assert response.status == 404  # released: its URL is gone


async def test_upload_in_two_posts_reaches_two_get_clients(
    pipeline: MediaPipeline, webm_clip: Path, tmp_path: Path
) -> None:
    post = await HttpPostEndpoint.create(pipeline, disconnection_timeout=1)
    get = await HttpGetEndpoint.create(pipeline)
    await post.connect(get)
    ended = asyncio.Event()
    await post.on(EndOfStream, lambda _event: ended.set())
    get_url, post_url = await get.get_url(), await post.get_url()
    readers = [asyncio.create_task(save_stream(get_url, tmp_path / f"{n}.webm", ended, 15))
               for n in (1, 2)]
    await asyncio.sleep(0.3)  # both clients are waiting
    data = webm_clip.read_bytes()
    half = len(data) // 2
    async with aiohttp.ClientSession() as http:
        # A chunked POST, then (within disconnectionTimeout) one with Content-Length.
        async with http.post(post_url, data=chunked(data[:half])) as response:
            assert response.status == 200
        await asyncio.sleep(0.3)
        assert not ended.is_set()
        async with http.post(post_url, data=data[half:]) as response:
            assert response.status == 200
    await asyncio.wait_for(ended.wait(), 10)
    await asyncio.gather(*readers)
    for n in (1, 2):
        frames = probe_streams(tmp_path / f"{n}.webm")
        assert set(frames) == {"vp8", "opus"}
        # Both halves arrived, as one stream (a client starts at a keyframe).
        assert frames["vp8"] >= CLIP_VIDEO_FRAMES * 0.75
        assert decode_errors(tmp_path / f"{n}.webm") == []
    async with aiohttp.ClientSession() as http, http.post(post_url, data=b"late") as response:
        assert response.status == 410  # the upload is over


async def test_garbage_upload_raises_error_and_server_goes_on(
    client: KurentoClient, pipeline: MediaPipeline
) -> None:
    post = await HttpPostEndpoint.create(pipeline, disconnection_timeout=0)
    errors: asyncio.Queue[Error] = asyncio.Queue()
    await post.on(Error, errors.put_nowait)
    garbage = random.Random(3).randbytes(100_000)
    url = await post.get_url()
    async with aiohttp.ClientSession() as http, http.post(url, data=garbage) as response:
        assert response.status in (200, 410)
    error = await asyncio.wait_for(errors.get(), 10)
    assert error.source == post and error.description
    other = await MediaPipeline.create(client)  # the server still serves
    assert await other.get_name()
    await other.release()


async def test_get_endpoint_profile_is_checked(pipeline: MediaPipeline) -> None:
    with pytest.raises(KurentoError, match="WebM"):
        await HttpGetEndpoint.create(pipeline, media_profile=MediaProfileSpecType.MP4)


async def test_form_upload_ends_and_get_clients_make_sessions(
    pipeline: MediaPipeline, webm_clip: Path, tmp_path: Path
) -> None:
    post = await HttpPostEndpoint.create(pipeline, disconnection_timeout=0)
    get = await HttpGetEndpoint.create(pipeline)
    await post.connect(get)
    events: asyncio.Queue[str] = asyncio.Queue()
    await post.on(EndOfStream, lambda _e: events.put_nowait("post ended"))
    await post.on(Error, lambda e: events.put_nowait(f"post error {e.description}"))
    await get.on(MediaSessionStarted, lambda _e: events.put_nowait("get started"))
    await get.on(MediaSessionTerminated, lambda _e: events.put_nowait("get terminated"))
    stop = asyncio.Event()
    reader = asyncio.create_task(save_stream(await get.get_url(), tmp_path / "g.webm", stop, 10))
    assert await asyncio.wait_for(events.get(), 5) == "get started"
    form = aiohttp.FormData()
    form.add_field("comment", "a browser form sends other fields too")
    form.add_field("file", webm_clip.read_bytes(), filename="clip.webm",
                   content_type="video/webm")
    async with aiohttp.ClientSession() as http, http.post(await post.get_url(),
                                                          data=form) as response:
        assert response.status == 200
    assert await asyncio.wait_for(events.get(), 10) == "post ended"
    stop.set()
    await reader
    assert await asyncio.wait_for(events.get(), 5) == "get terminated"
    assert probe_streams(tmp_path / "g.webm")["vp8"] >= CLIP_VIDEO_FRAMES * 0.75


async def test_live_upload_from_ffmpeg(
    pipeline: MediaPipeline, webm_clip: Path, tmp_path: Path
) -> None:
    """ffmpeg -re sends the clip as it plays (chunked POST): a live source, as a camera."""
    post = await HttpPostEndpoint.create(pipeline, disconnection_timeout=0)
    get = await HttpGetEndpoint.create(pipeline)
    await post.connect(get)
    ended = asyncio.Event()
    await post.on(EndOfStream, lambda _e: ended.set())
    reader = asyncio.create_task(save_stream(await get.get_url(), tmp_path / "live.webm",
                                             ended, 15))
    ffmpeg = await asyncio.create_subprocess_exec(
        "ffmpeg", "-v", "error", "-re", "-i", str(webm_clip), "-c", "copy", "-f", "webm",
        "-method", "POST", await post.get_url(),
    )
    assert await asyncio.wait_for(ffmpeg.wait(), 15) == 0
    await asyncio.wait_for(ended.wait(), 10)
    await reader
    frames = probe_streams(tmp_path / "live.webm")
    assert set(frames) == {"vp8", "opus"} and frames["vp8"] >= CLIP_VIDEO_FRAMES * 0.75
    assert decode_errors(tmp_path / "live.webm") == []


async def test_second_concurrent_post_is_refused(
    pipeline: MediaPipeline, webm_clip: Path
) -> None:
    post = await HttpPostEndpoint.create(pipeline)
    url = await post.get_url()
    data = webm_clip.read_bytes()
    first_half_sent = asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield data[: len(data) // 2]
        first_half_sent.set()
        await asyncio.sleep(1.0)
        yield data[len(data) // 2:]

    async with aiohttp.ClientSession() as http:
        first = asyncio.ensure_future(http.post(url, data=slow_body()))
        await asyncio.wait_for(first_half_sent.wait(), 5)
        async with http.post(url, data=b"interleaved bytes") as response:
            assert response.status == 409
        async with await first as response:
            assert response.status == 200
