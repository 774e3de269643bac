"""An in-process server with the real engine, a client, and loopback-only aiortc peers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from kurento.client import KurentoClient, MediaPipeline
from kurento.server.app import MediaServer
from kurento.server.settings import Settings

from .peer import Peer, loopback_ice


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    with loopback_ice():
        yield


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


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    """Peers a test makes (append to the list); all closed at the end."""
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()
