"""Real GStreamer media behind the protocol: flow events and state reach the wire.

Kurento has no test-source element, so the test attaches the engine's own test source
and sink to the pipeline a client created, and watches what the client sees.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.testing import create_test_sink, create_test_source
from kurento.objects.element import MediaElement
from kurento.objects.pipeline import MediaPipeline
from kurento.server.app import MediaServer
from kurento.server.settings import Settings
from tests.server.conftest import Rpc

pytestmark = pytest.mark.gst


@pytest.fixture
async def real_server() -> AsyncIterator[MediaServer]:
    server = MediaServer(Settings(port=0))
    await server.start()
    yield server
    await server.stop()


def engine_of(server: MediaServer, pipeline_id: str) -> GstPipelineEngine:
    assert server.core is not None
    pipeline = server.core.store.get(pipeline_id)
    assert isinstance(pipeline, MediaPipeline)
    engine = pipeline.engine_pipeline
    assert isinstance(engine, GstPipelineEngine)
    return engine


def element_of(server: MediaServer, element_id: str) -> MediaElement:
    assert server.core is not None
    element = server.core.store.get(element_id)
    assert isinstance(element, MediaElement)
    return element


async def flow_event(rpc: Rpc, event_type: str, media: str, state: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        event = await rpc.wait_event(event_type)
        data = event["params"]["value"]["data"]
        if data["mediaType"] == media and data["state"] == state:
            return data  # type: ignore[no-any-return]
    raise AssertionError(f"no {event_type} {media} {state}")


async def test_flow_events_and_media_through_two_passthroughs(real_server: MediaServer) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(real_server.url) as ws:
        rpc = Rpc(ws)
        pipeline = await rpc.value("create", {"type": "MediaPipeline"})
        first, second = [await rpc.value("create", {
            "type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}})
            for _ in range(2)]
        for event in ("MediaFlowInStateChanged", "MediaFlowOutStateChanged"):
            await rpc.ok("subscribe", {"object": second, "type": event})
        await rpc.ok("invoke", {"object": first, "operation": "connect",
                                "operationParams": {"sink": second}})

        engine = engine_of(real_server, pipeline)
        source, sink = create_test_source(engine), create_test_sink(engine)
        feed = source.link(element_of(real_server, first).media, MediaKind.VIDEO)
        element_of(real_server, second).media.link(sink, MediaKind.VIDEO)

        data = await flow_event(rpc, "MediaFlowInStateChanged", "VIDEO", "FLOWING")
        assert data["padName"] == "default" and data["source"] == second
        await flow_event(rpc, "MediaFlowOutStateChanged", "VIDEO", "FLOWING")
        assert await rpc.value("invoke", {"object": second, "operation": "isMediaFlowingIn",
                                          "operationParams": {"mediaType": "VIDEO"}}) is True
        assert await rpc.value("invoke", {"object": second, "operation": "isMediaFlowingIn",
                                          "operationParams": {"mediaType": "AUDIO"}}) is False
        before = sink.buffers(MediaKind.VIDEO)
        await asyncio.sleep(0.5)
        assert sink.buffers(MediaKind.VIDEO) > before + 5  # 30 fps source: frames keep coming

        dot = await rpc.value("invoke", {"object": pipeline, "operation": "getGstreamerDot"})
        assert dot.startswith("digraph") and dot.count("subgraph") >= 4 and "bridge" in dot

        await feed.unlink()
        await flow_event(rpc, "MediaFlowInStateChanged", "VIDEO", "NOT_FLOWING")
        assert await rpc.value("invoke", {"object": second, "operation": "isMediaFlowingIn",
                                          "operationParams": {"mediaType": "VIDEO"}}) is False
        began = time.monotonic()
        await rpc.ok("release", {"object": pipeline})
        assert time.monotonic() - began < 5


async def test_loopback_with_media_releases_cleanly_many_times(real_server: MediaServer) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(real_server.url) as ws:
        rpc = Rpc(ws)
        for _ in range(10):
            pipeline = await rpc.value("create", {"type": "MediaPipeline"})
            element = await rpc.value("create", {
                "type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}})
            await rpc.ok("invoke", {"object": element, "operation": "connect",
                                    "operationParams": {"sink": element}})
            source = create_test_source(engine_of(real_server, pipeline))
            source.link(element_of(real_server, element).media, MediaKind.VIDEO)
            await asyncio.sleep(0.2)
            began = time.monotonic()
            await rpc.ok("release", {"object": pipeline})
            assert time.monotonic() - began < 5
        assert (await rpc.ok("ping"))["value"] == "pong"


def _counts() -> tuple[int, int]:
    import os

    return len(os.listdir("/proc/self/fd")), len(os.listdir("/proc/self/task"))


async def test_create_connect_release_leaves_no_threads_or_fds(real_server: MediaServer) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(real_server.url) as ws:
        rpc = Rpc(ws)

        async def cycle() -> None:
            pipeline = await rpc.value("create", {"type": "MediaPipeline"})
            a, b = [await rpc.value("create", {
                "type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}})
                for _ in range(2)]
            await rpc.ok("invoke", {"object": a, "operation": "connect",
                                    "operationParams": {"sink": b}})
            await rpc.ok("invoke", {"object": b, "operation": "connect",
                                    "operationParams": {"sink": a}})
            await rpc.ok("release", {"object": pipeline})

        for _ in range(5):  # warm-up: thread pools reach their steady size
            await cycle()
        # No gc.collect() here: the server itself must free released elements soon
        # (its deferred collector), not whenever Python's GC thresholds say.
        await asyncio.sleep(1.5)
        fds, threads = _counts()
        for _ in range(50):
            await cycle()
        await asyncio.sleep(1.5)
        fds_after, threads_after = _counts()
        assert fds_after <= fds + 4, (fds, fds_after)
        assert threads_after <= threads + 4, (threads, threads_after)


async def test_released_objects_are_freed(real_server: MediaServer) -> None:
    import weakref

    async with aiohttp.ClientSession() as http, http.ws_connect(real_server.url) as ws:
        rpc = Rpc(ws)
        pipeline = await rpc.value("create", {"type": "MediaPipeline"})
        element = await rpc.value("create", {"type": "PassThrough",
                                             "constructorParams": {"mediaPipeline": pipeline}})
        await rpc.ok("invoke", {"object": element, "operation": "connect",
                                "operationParams": {"sink": element}})
        refs = [weakref.ref(element_of(real_server, element)),
                weakref.ref(element_of(real_server, element).media),
                weakref.ref(engine_of(real_server, pipeline))]
        await rpc.ok("release", {"object": pipeline})
        await asyncio.sleep(0.2)
        gc.collect()
        assert [ref() for ref in refs] == [None, None, None]
