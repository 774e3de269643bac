"""In-process server fixtures for control-plane tests (fake engine: no media)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from kurento.server.app import MediaServer
from kurento.server.settings import Settings
from tests.server.fake_engine import FakeEngine


class Rpc:
    """A raw Kurento Protocol peer: sends frames, returns decoded replies."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    async def send_raw(self, text: str) -> dict[str, Any]:
        await self.ws.send_str(text)
        return await self.next_response()

    async def next_response(self) -> dict[str, Any]:
        while True:
            message = await self.ws.receive(timeout=10)
            assert message.type == aiohttp.WSMsgType.TEXT, message
            data = json.loads(message.data)
            if data.get("method") == "onEvent":
                self.events.append(data)
                continue
            return data  # type: ignore[no-any-return]

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": next(self.ids)}
        if params is not None:
            message["params"] = params
        return await self.send_raw(json.dumps(message))

    async def ok(self, method: str, params: dict[str, Any] | None = None) -> Any:
        reply = await self.call(method, params)
        assert "result" in reply, reply
        return reply["result"]

    async def value(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.ok(method, params)).get("value")

    async def wait_event(self, event_type: str) -> dict[str, Any]:
        for event in self.events:
            if event["params"]["value"]["type"] == event_type:
                self.events.remove(event)
                return event
        while True:
            message = await self.ws.receive(timeout=10)
            data = json.loads(message.data)
            if data.get("method") == "onEvent" and data["params"]["value"]["type"] == event_type:
                return data  # type: ignore[no-any-return]
            self.events.append(data)


@pytest.fixture
async def server() -> AsyncIterator[MediaServer]:
    srv = MediaServer(Settings(port=0, max_message_size=1024 * 1024), engine=FakeEngine())
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def rpc(server: MediaServer, http: aiohttp.ClientSession) -> AsyncIterator[Rpc]:
    async with http.ws_connect(server.url) as ws:
        yield Rpc(ws)
