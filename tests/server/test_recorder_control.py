"""RecorderEndpoint's control plane over the protocol, on a fake recorder engine.

Only the state machine, events and refusals: the media itself is proven by
tests/engine/test_recorder.py and tests/webrtc/test_recording.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from kurento.engine.contract import ElementEngine, ElementListener, MediaKind
from kurento.engine.recording import RecordingFormat
from kurento.server.app import MediaServer
from kurento.server.settings import Settings
from tests.server.conftest import Rpc
from tests.server.fake_engine import FakeElement, FakeEngine, FakePipeline


class FakeRecorder(FakeElement):
    """Records the calls; ``stop()`` waits until the test lets the file be 'finalized'."""

    def __init__(self, pipeline: FakePipeline, factory: str, listener: ElementListener) -> None:
        super().__init__(pipeline, factory, listener)
        self.calls: list[str] = []
        self.configured: tuple[str, RecordingFormat, bool] | None = None
        self.finalized = asyncio.Event()

    def configure(self, path: str, recording_format: RecordingFormat,
                  stop_on_end_of_stream: bool) -> None:
        self.configured = (path, recording_format, stop_on_end_of_stream)

    def record(self) -> None:
        self.calls.append("record")

    def pause(self) -> None:
        self.calls.append("pause")

    async def stop(self) -> None:
        self.calls.append("stop")
        await self.finalized.wait()

    async def close(self) -> None:
        self.calls.append("close")
        await super().close()


class RecorderPipeline(FakePipeline):
    def create_element(self, factory: str, listener: ElementListener) -> ElementEngine:
        if factory != "RecorderEndpoint":
            return super().create_element(factory, listener)
        element = FakeRecorder(self, factory, listener)
        self.elements.append(element)
        return element


class RecorderEngine(FakeEngine):
    def create_pipeline(self, name: str) -> RecorderPipeline:
        pipeline = RecorderPipeline(name)
        self.pipelines.append(pipeline)
        return pipeline


@pytest.fixture
async def engine() -> RecorderEngine:
    return RecorderEngine()


@pytest.fixture
async def rpc(engine: RecorderEngine) -> AsyncIterator[Rpc]:
    server = MediaServer(Settings(port=0, media_roots="/tmp"), engine=engine)
    await server.start()
    async with aiohttp.ClientSession() as http, http.ws_connect(server.url) as ws:
        yield Rpc(ws)
    await server.stop()


async def create_recorder(rpc: Rpc, **params: Any) -> tuple[str, str]:
    pipeline = await rpc.value("create", {"type": "MediaPipeline", "constructorParams": {}})
    recorder = await rpc.value("create", {
        "type": "RecorderEndpoint",
        "constructorParams": {"mediaPipeline": pipeline, "uri": "file:///tmp/out.webm",
                              **params},
    })
    for event in ("Recording", "Paused", "Stopped", "UriEndpointStateChanged",
                  "MediaTranscodingStateChanged"):
        await rpc.ok("subscribe", {"object": recorder, "type": event})
    return pipeline, recorder


def fake_of(engine: RecorderEngine) -> FakeRecorder:
    element = engine.pipelines[-1].elements[-1]
    assert isinstance(element, FakeRecorder)
    return element


async def invoke(rpc: Rpc, recorder: str, operation: str) -> Any:
    return await rpc.value("invoke", {"object": recorder, "operation": operation})


def events_of(rpc: Rpc) -> list[str]:
    names = []
    for event in rpc.events:
        value = event["params"]["value"]
        state = value["data"].get("state")
        names.append(f"{value['type']}:{state}" if state else value["type"])
    return names


async def test_record_pause_stop_events_and_states(rpc: Rpc, engine: RecorderEngine) -> None:
    _, recorder = await create_recorder(rpc, mediaProfile="MP4_VIDEO_ONLY")
    fake = fake_of(engine)
    assert fake.configured is not None
    assert fake.configured[1] == RecordingFormat("mp4", frozenset({MediaKind.VIDEO}))
    await invoke(rpc, recorder, "record")
    await invoke(rpc, recorder, "record")  # already recording: nothing more happens
    assert await invoke(rpc, recorder, "getState") == "START"
    fake.listener.on_recording()  # type: ignore[attr-defined]
    fake.listener.on_media_transcoding(  # type: ignore[attr-defined]
        MediaKind.VIDEO, True, "bin0")
    changed = await rpc.wait_event("MediaTranscodingStateChanged")
    assert changed["params"]["value"]["data"]["mediaType"] == "VIDEO"
    for kind, expected in (("VIDEO", True), ("AUDIO", False)):
        assert await rpc.value("invoke", {
            "object": recorder, "operation": "isMediaTranscoding",
            "operationParams": {"mediaType": kind}}) is expected
    await invoke(rpc, recorder, "pause")
    await rpc.wait_event("Paused")
    # Remote stop: returns at once, Stopped only once the engine has finalized.
    await invoke(rpc, recorder, "stop")
    assert await invoke(rpc, recorder, "getState") == "STOP"
    await asyncio.sleep(0.1)
    assert "Stopped" not in events_of(rpc)
    fake.finalized.set()
    await rpc.wait_event("Stopped")
    # The remote stop is not the life-cycle stop: the recorder is alive and usable.
    assert fake.calls == ["record", "pause", "stop"]
    assert await invoke(rpc, recorder, "getUri") == "file:///tmp/out.webm"
    await invoke(rpc, recorder, "stopAndWait")  # already stopped: returns at once
    await asyncio.sleep(0.1)
    assert events_of(rpc).count("Stopped") == 0  # the first Stopped was taken by wait_event


async def test_event_order_over_the_wire(rpc: Rpc, engine: RecorderEngine) -> None:
    _, recorder = await create_recorder(rpc)
    fake = fake_of(engine)
    fake.finalized.set()
    await invoke(rpc, recorder, "record")
    fake.listener.on_recording()  # type: ignore[attr-defined]
    await invoke(rpc, recorder, "stopAndWait")
    await asyncio.sleep(0.1)
    assert events_of(rpc) == ["UriEndpointStateChanged:START", "Recording",
                              "UriEndpointStateChanged:STOP", "Stopped"]


async def test_release_while_recording_closes_the_engine_element(
    rpc: Rpc, engine: RecorderEngine
) -> None:
    _, recorder = await create_recorder(rpc)
    fake = fake_of(engine)
    await invoke(rpc, recorder, "record")
    await rpc.ok("release", {"object": recorder})
    # Release goes through close() (which finalizes the file in the real engine).
    assert fake.calls == ["record", "close"]


async def test_stop_on_end_of_stream(rpc: Rpc, engine: RecorderEngine) -> None:
    _, recorder = await create_recorder(rpc, stopOnEndOfStream=True)
    fake = fake_of(engine)
    fake.finalized.set()
    await invoke(rpc, recorder, "record")
    fake.listener.on_end_of_stream()  # type: ignore[attr-defined]
    await rpc.wait_event("Stopped")
    assert await invoke(rpc, recorder, "getState") == "STOP"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"mediaProfile": "FLV"}, 40107),
        ({"mediaProfile": "KURENTO_SPLIT_RECORDER"}, 40107),
        ({"mediaProfile": "JPEG_VIDEO_ONLY"}, 40107),
        ({"uri": "https://example.com/upload"}, 40600),
        ({"uri": "file:///etc/passwd.webm"}, 40600),
    ],
)
async def test_refused_at_create(rpc: Rpc, params: dict[str, Any], code: int) -> None:
    pipeline = await rpc.value("create", {"type": "MediaPipeline", "constructorParams": {}})
    reply = await rpc.call("create", {
        "type": "RecorderEndpoint",
        "constructorParams": {"mediaPipeline": pipeline, "uri": "file:///tmp/x.webm", **params},
    })
    assert reply["error"]["code"] == code, reply
