"""Fixtures for the client tests: an in-process server, a connected client, a fake KMS.

``server`` runs the real MediaServer twice per test where it can: with the
GStreamer engine (marker ``gst``; skipped when the engine cannot be imported)
and with the in-memory FakeEngine of the server tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from kurento.client import Backoff, KurentoClient
from kurento.server.app import MediaServer
from kurento.server.settings import Settings
from tests.server.fake_engine import FakeEngine

FAST = Backoff(initial=0.02, maximum=0.2)


def gst_available() -> bool:
    try:
        from kurento.engine.gst import GstMediaEngine  # noqa: F401
    except Exception:
        return False
    return True


def make_server(engine: str, port: int = 0) -> MediaServer:
    settings = Settings(port=port)
    return MediaServer(settings) if engine == "gst" else MediaServer(settings, engine=FakeEngine())


@pytest.fixture(params=[pytest.param("gst", marks=pytest.mark.gst), "fake"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "gst" and not gst_available():
        pytest.skip("GStreamer engine not available")
    return str(request.param)


@pytest.fixture
async def server(engine: str) -> AsyncIterator[MediaServer]:
    srv = make_server(engine)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def client(server: MediaServer) -> AsyncIterator[KurentoClient]:
    async with KurentoClient.connect(server.url, request_timeout=5.0, backoff=FAST) as kc:
        yield kc


async def drop_sockets(server: MediaServer) -> None:
    """Close every client socket server-side, as a network failure would."""
    assert server.transport is not None
    for connection in list(server.transport.connections):
        await connection.ws.close()


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


Handler = Callable[[str, Any], Awaitable[Any]]


class Fail(Exception):
    """Raised by a FakeKms handler: answer with this error object instead."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.error = error


class Silent(Exception):
    """Raised by a FakeKms handler: do not answer this request."""


class FakeKms:
    """A tiny scriptable Kurento Protocol server (loopback only) that records frames.

    ``handler(method, params)`` returns a result object, raises ``Fail`` to answer
    with an error, or ``Silent`` to answer nothing; with no handler for a method,
    requests are never answered.
    """

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.handlers: dict[str, Handler] = {"connect": self._connect}
        self.sockets: list[web.WebSocketResponse] = []
        self.session = "S1"
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _connect(self, method: str, params: Any) -> Any:
        return {"serverId": "X", "sessionId": self.session}

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.get("/kurento", self._handle)])
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{port}/kurento"

    async def stop(self) -> None:
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            self.frames.append(frame)
            handler = self.handlers.get(frame["method"])
            if handler is None:
                continue  # never answered
            reply: dict[str, Any] = {"id": frame["id"], "jsonrpc": "2.0"}
            try:
                reply["result"] = await handler(frame["method"], frame.get("params"))
            except Fail as failure:
                reply["error"] = failure.error
            except Silent:
                continue
            await ws.send_str(json.dumps(reply))
        self.sockets.remove(ws)
        return ws

    def methods(self) -> list[str]:
        return [frame["method"] for frame in self.frames]


@pytest.fixture
async def fake_kms() -> AsyncIterator[FakeKms]:
    kms = FakeKms()
    await kms.start()
    yield kms
    await kms.stop()
