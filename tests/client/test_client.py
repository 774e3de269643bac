"""The client against an in-process server: objects, calls, events, tags, errors."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from kurento.client import (
    ElementConnected,
    ElementDisconnected,
    IceCandidateFound,
    KurentoClient,
    KurentoError,
    MediaObject,
    MediaPipeline,
    MediaType,
    ObjectCreated,
    PassThrough,
    ServerManager,
    ServerType,
    Tag,
)
from kurento.protocol.errors import (
    MalformedTransaction,
    MediaObjectNotAvailable,
    MediaObjectNotFound,
    MediaObjectTagKeyNotFound,
)
from kurento.server.app import MediaServer
from tests.client.conftest import wait_for


async def make_pair(client: KurentoClient) -> tuple[MediaPipeline, PassThrough, PassThrough]:
    pipeline = await client.create(MediaPipeline)
    a = await PassThrough.create(pipeline)
    b = await client.create(PassThrough, media_pipeline=pipeline)
    return pipeline, a, b


def subscriptions(server: MediaServer, client: KurentoClient) -> dict[str, tuple[str, str]]:
    assert server.core is not None and client.session_id is not None
    session = server.core.sessions.get(client.session_id)
    assert session is not None
    return session.subscriptions


async def test_create_connect_and_list_connections(client: KurentoClient) -> None:
    pipeline = await client.create("MediaPipeline")
    assert isinstance(pipeline, MediaPipeline)
    a = await PassThrough.create(pipeline)
    b = await PassThrough.create(pipeline)
    assert a.id.startswith(pipeline.id + "/") and a.id.endswith("_kurento.PassThrough")

    await a.connect(b)
    connections = await a.get_sink_connections()
    assert {c.type for c in connections} == {MediaType.AUDIO, MediaType.VIDEO, MediaType.DATA}
    assert all(c.source == a and c.sink == b for c in connections)
    assert all(type(c.sink) is PassThrough for c in connections)
    assert await b.get_source_connections(MediaType.VIDEO) == [
        c for c in connections if c.type is MediaType.VIDEO]
    assert await a.get_media_pipeline() == pipeline
    assert await pipeline.get_parent() is None
    assert await pipeline.get_children() == [a, b]

    await a.disconnect(b, MediaType.AUDIO)
    assert {c.type for c in await a.get_sink_connections()} == {MediaType.VIDEO, MediaType.DATA}
    await pipeline.release()


async def test_properties_and_typed_helpers(client: KurentoClient) -> None:
    pipeline = await client.create_media_pipeline()
    await pipeline.set_name("main")
    assert await pipeline.get_name() == "main"
    assert await pipeline.get_latency_stats() is False
    assert isinstance(await pipeline.get_creation_time(), int)
    manager = await client.get_server_manager()
    assert isinstance(manager, ServerManager)
    info = await manager.get_info()
    assert info.type is ServerType.KMS and "transactions" in info.capabilities
    assert {m.name for m in info.modules} == {"core", "elements", "filters", "kurentopy"}
    kurentopy = next(m for m in info.modules if m.name == "kurentopy")
    assert {"HttpGetEndpoint", "SepiaFilter", "MotionDetectorFilter"} <= set(kurentopy.factories)
    assert pipeline in await manager.get_pipelines()
    found = await client.get_object(pipeline.id)
    assert type(found) is MediaPipeline and found == pipeline
    await pipeline.release()


async def test_events_by_callback_sync_and_async(client: KurentoClient) -> None:
    pipeline, a, b = await make_pair(client)
    sync_events: list[ElementConnected] = []
    async_events: list[ElementConnected] = []

    async def on_async(event: ElementConnected) -> None:
        await asyncio.sleep(0)
        async_events.append(event)

    await a.on(ElementConnected, sync_events.append)
    await a.on(ElementConnected, on_async)
    await a.connect(b, MediaType.VIDEO)
    await wait_for(lambda: len(sync_events) == 1 and len(async_events) == 1)
    event = sync_events[0]
    assert event == async_events[0]
    assert (event.source, event.sink, event.media_type) == (a, b, MediaType.VIDEO)
    assert event.type == "ElementConnected" and event.timestamp_millis.isdigit()
    assert event.source_media_description == "default"
    await pipeline.release()


async def test_first_listener_subscribes_and_last_one_unsubscribes(
    server: MediaServer, client: KurentoClient
) -> None:
    pipeline, a, b = await make_pair(client)
    first: list[ElementConnected] = []
    second: list[ElementConnected] = []
    await a.on(ElementConnected, first.append)
    await a.on(ElementConnected, second.append)
    assert list(subscriptions(server, client).values()) == [(a.id, "ElementConnected")]
    await a.off(ElementConnected, first.append)
    assert len(subscriptions(server, client)) == 1
    await a.connect(b, MediaType.AUDIO)
    await wait_for(lambda: len(second) == 1)
    assert first == []
    await a.off(ElementConnected, second.append)
    assert subscriptions(server, client) == {}
    await pipeline.release()


async def test_a_raising_listener_is_logged_and_isolated(
    client: KurentoClient, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline, a, b = await make_pair(client)
    received: list[ElementConnected] = []

    def bad(event: ElementConnected) -> None:
        raise RuntimeError("listener bug")

    async def bad_async(event: ElementConnected) -> None:
        raise RuntimeError("async listener bug")

    await a.on(ElementConnected, bad)
    await a.on(ElementConnected, bad_async)
    await a.on(ElementConnected, received.append)
    with caplog.at_level(logging.ERROR, logger="kurento.client"):
        await a.connect(b)
        await wait_for(lambda: len(received) == 3)
        await wait_for(lambda: "async listener bug" in caplog.text)
    assert "listener bug" in caplog.text
    assert await a.get_name() == a.id  # the client still works
    await pipeline.release()


async def test_events_by_async_iteration(server: MediaServer, client: KurentoClient) -> None:
    pipeline, a, b = await make_pair(client)
    async with a.events(ElementConnected) as stream:
        await a.connect(b)
        kinds = set()
        async for event in stream:
            assert isinstance(event, ElementConnected) and event.sink == b
            kinds.add(event.media_type)
            if len(kinds) == 3:
                break
    assert kinds == {MediaType.AUDIO, MediaType.VIDEO, MediaType.DATA}
    assert subscriptions(server, client) == {}  # leaving ``async with`` unsubscribed

    # Plain ``async for`` subscribes on first use; a consumer task reads it.
    stream2 = a.events(ElementDisconnected)
    first = asyncio.ensure_future(anext(stream2))
    await wait_for(lambda: len(subscriptions(server, client)) == 1)
    await a.disconnect(b, MediaType.VIDEO)
    event = await asyncio.wait_for(first, 5)
    assert event.media_type is MediaType.VIDEO
    await stream2.aclose()
    assert subscriptions(server, client) == {}
    with pytest.raises(StopAsyncIteration):
        await anext(stream2)
    await pipeline.release()


async def test_breaking_out_of_async_for_unsubscribes_when_collected(
    server: MediaServer, client: KurentoClient
) -> None:
    pipeline = await client.create("MediaPipeline")
    a = await client.create("PassThrough", media_pipeline=pipeline)
    b = await client.create("PassThrough", media_pipeline=pipeline)
    assert isinstance(a, PassThrough) and isinstance(b, PassThrough)

    async def first_connection() -> ElementConnected:
        async for event in a.events(ElementConnected):
            return event  # leaves the stream unclosed
        raise AssertionError("stream ended")

    consumer = asyncio.ensure_future(first_connection())
    await wait_for(lambda: len(subscriptions(server, client)) == 1)
    await a.connect(b, MediaType.VIDEO)
    assert (await asyncio.wait_for(consumer, 5)).media_type is MediaType.VIDEO
    del consumer
    gc.collect()
    await wait_for(lambda: subscriptions(server, client) == {})
    await pipeline.release()


async def test_release_ends_the_streams_of_the_object_and_its_children(
    client: KurentoClient,
) -> None:
    pipeline, a, _ = await make_pair(client)
    stream = a.events(ElementConnected)
    await stream.__aenter__()
    await pipeline.release()
    assert [event async for event in stream] == []
    with pytest.raises(MediaObjectNotFound):
        await a.get_name()


async def test_tags_and_tags_in_events(client: KurentoClient) -> None:
    pipeline, a, b = await make_pair(client)
    await a.add_tag("room", "42")
    await a.add_tag("user", "alice")
    assert await a.get_tag("room") == "42"
    assert await a.get_tags() == [Tag(key="room", value="42"), Tag(key="user", value="alice")]
    await a.remove_tag("user")
    with pytest.raises(MediaObjectTagKeyNotFound):
        await a.get_tag("user")

    received: list[ElementConnected] = []
    await a.on(ElementConnected, received.append)
    await a.connect(b, MediaType.AUDIO)
    await wait_for(lambda: len(received) == 1)
    assert received[0].tags == ()
    await a.set_send_tags_in_events(True)
    await a.connect(b, MediaType.VIDEO)
    await wait_for(lambda: len(received) == 2)
    assert received[1].tags == (Tag(key="room", value="42"),)
    await pipeline.release()


async def test_server_manager_events(client: KurentoClient) -> None:
    manager = await client.get_server_manager()
    created: list[ObjectCreated] = []
    await manager.on(ObjectCreated, created.append)
    pipeline = await MediaPipeline.create(client)
    await wait_for(lambda: any(e.object == pipeline for e in created))
    assert type(created[-1].object) is MediaPipeline
    await manager.off(ObjectCreated, created.append)
    await pipeline.release()


async def test_errors_map_to_their_exception_classes(client: KurentoClient) -> None:
    with pytest.raises(MediaObjectNotFound) as caught:
        await client.get_object("4bd2d5e1-0000-4000-8000-000000000000_kurento.MediaPipeline")
    assert caught.value.code == 40101 and isinstance(caught.value, KurentoError)
    assert "not found" in caught.value.message

    ghost = PassThrough(client, "nope_kurento.PassThrough")
    with pytest.raises(MediaObjectNotFound):
        await ghost.get_name()
    bogus = type("Bogus", (MediaObject,), {"WIRE_TYPE": "Bogus"})
    with pytest.raises(MediaObjectNotAvailable):  # "Factory 'Bogus' not found"
        await client._create(bogus, ())
    pipeline = await client.create_media_pipeline()
    # An operation the server does not know is 40008 (reference §5 item 4).
    with pytest.raises(MalformedTransaction):
        await pipeline._invoke("frobnicate", (), None)
    await pipeline.release()


async def test_client_side_checks(client: KurentoClient) -> None:
    pipeline, a, _ = await make_pair(client)
    with pytest.raises(ValueError):
        await a.on(IceCandidateFound, print)  # PassThrough does not raise it
    with pytest.raises(ValueError):
        await client.create("MediaElement")  # abstract
    with pytest.raises(TypeError):
        await client.create(PassThrough, pipeline=pipeline)
    await pipeline.release()


async def test_close_ends_event_streams(server: MediaServer) -> None:
    client = await KurentoClient.connect(server.url)
    _, a, _ = await make_pair(client)
    stream = a.events(ElementConnected)
    await stream.__aenter__()
    await client.close()
    assert [event async for event in stream] == []
    assert not client.connected


async def test_the_readme_example_runs(server: MediaServer) -> None:
    readme = (Path(__file__).resolve().parents[2] / "src/kurento/client/README.md").read_text()
    match = re.search(r"```python\n(.*?)```", readme, re.S)
    assert match is not None
    code = match.group(1).replace("asyncio.run(main())", "")
    namespace: dict[str, Any] = {}
    exec(code.replace("ws://127.0.0.1:8888/kurento", server.url), namespace)
    await namespace["main"]()
