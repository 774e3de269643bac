"""The WebSocket transport: one JSON-RPC object per text frame (reference §1.1).

Any path upgrades; a path other than the configured one (leading ``/`` and any
``?query`` removed) is then closed with code 1002 "Invalid path", as KMS does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from kurento.protocol.jsonrpc import encode
from kurento.server.dispatch import Dispatcher

log = logging.getLogger(__name__)


class WebSocketConnection:
    """One client socket: a writer task keeps outgoing frames in order."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def send_message(self, message: dict[str, Any]) -> None:
        if not self.ws.closed:
            text = encode(message)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("S->C %.2000s", text)
            self._outbox.put_nowait(text)

    async def _write_loop(self) -> None:
        while True:
            text = await self._outbox.get()
            if text is None:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self) -> None:
        self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


class WebSocketTransport:
    def __init__(self, dispatcher: Dispatcher, path: str, max_message_size: int) -> None:
        self.dispatcher = dispatcher
        self.path = path.strip("/")
        self.max_message_size = max_message_size
        self.connections: set[WebSocketConnection] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/{tail:.*}", self.handle)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(status=426, text="Kurento Protocol: WebSocket only\n")
        # No permessage-deflate: KMS does not compress, and it costs CPU on every frame.
        ws = web.WebSocketResponse(
            max_msg_size=self.max_message_size, autoping=True, compress=False
        )
        await ws.prepare(request)
        if request.path.strip("/") != self.path:
            await ws.close(code=WSCloseCode.PROTOCOL_ERROR, message=b"Invalid path")
            return ws
        connection = WebSocketConnection(ws)
        self.connections.add(connection)
        try:
            await self._serve(ws, connection)
        finally:
            self.connections.discard(connection)
            self.dispatcher.core.sessions.unbind(connection)
            await connection.close()
        return ws

    async def _serve(self, ws: web.WebSocketResponse, connection: WebSocketConnection) -> None:
        async for message in ws:
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("C->S %.2000s", message.data)
                response = await self.dispatcher.handle_text(message.data, connection)
                if response is not None:
                    connection.send_message(response)
            elif message.type == WSMsgType.ERROR:
                log.info("websocket error: %s", ws.exception())
                break

    async def close_all(self) -> None:
        for connection in list(self.connections):
            await connection.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
