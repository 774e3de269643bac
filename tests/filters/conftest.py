"""Fixtures for filter tests: the real GStreamer engine, and a real server with a client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from kurento.client import KurentoClient
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.server.app import MediaServer
from kurento.server.settings import Settings

from ..engine.helpers import TEARDOWN_TIMEOUT
from ..webrtc.peer import Peer, loopback_ice


@pytest.fixture
async def engine_pipeline() -> AsyncIterator[GstPipelineEngine]:
    media = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=TEARDOWN_TIMEOUT)
    yield media.create_pipeline("filters")
    await media.shutdown()


@pytest.fixture
def _loopback_only() -> Iterator[None]:
    with loopback_ice():
        yield


@pytest.fixture
async def server(_loopback_only: None) -> AsyncIterator[MediaServer]:
    media_server = MediaServer(Settings(port=0))
    await media_server.start()
    yield media_server
    await media_server.stop()


@pytest.fixture
async def client(server: MediaServer) -> AsyncIterator[KurentoClient]:
    async with KurentoClient.connect(server.url) as kurento:
        yield kurento


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()
