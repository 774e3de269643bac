"""One logical JSON-RPC channel to a Kurento server over successive WebSockets.

The thin I/O shell around :mod:`kurento.protocol.jsonrpc` (reference §1.1): one
compact JSON object per text frame, responses matched by ``id``, notifications
handed to the owner. Request ids come from one counter per client and are never
reset, not even across reconnections (the server's duplicate-request cache is
keyed by session and id, reference §1.3).

When the socket drops, every pending request fails with ``ConnectionClosed``
(it may or may not have run on the server; we do not resend it). With
``reconnect`` the channel then opens new sockets with exponential backoff and
runs the owner's handshake on each before letting requests through again;
requests made meanwhile wait for that, within their own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from kurento.protocol.errors import (
    ConnectionClosed,
    KurentoError,
    ProtocolViolation,
    RequestTimeout,
)
from kurento.protocol.jsonrpc import Notification, Request, Response, encode, parse_incoming
from kurento.protocol.jsonrpc import request_to_wire as to_wire

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: ``initial``, doubling up to ``maximum``."""

    initial: float = 0.1
    maximum: float = 5.0
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


class ChannelOwner(Protocol):
    """What the channel reports to, and asks of, the client that owns it."""

    async def channel_opened(self, reconnecting: bool) -> None:
        """Handshake on a fresh socket; requests must pass ``internal=True``."""

    def channel_notification(self, notification: Notification) -> None: ...

    def channel_lost(self, reason: str, reconnecting: bool) -> None: ...


class Channel:
    def __init__(
        self,
        url: str,
        owner: ChannelOwner,
        *,
        request_timeout: float,
        reconnect: bool,
        backoff: Backoff,
        heartbeat: float | None,
        http: aiohttp.ClientSession | None,
    ) -> None:
        self.url = url
        self.request_timeout = request_timeout
        self.reconnect = reconnect
        self._owner = owner
        self._backoff = backoff
        self._heartbeat = heartbeat
        self._http = http
        self._own_http = http is None
        self._ids = itertools.count()
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._dead = asyncio.Event()
        self._closing = False

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    # --- opening and closing --------------------------------------------------------

    async def open(self) -> None:
        """Open the first socket and run the handshake; raise ConnectionClosed on failure."""
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            ws = await self._connect_socket()
            self._attach(ws)
            await self._owner.channel_opened(False)
        except BaseException:
            await self.close()
            raise
        self._ready.set()

    async def close(self) -> None:
        """Close for good: stop reconnecting, close the socket, fail what is pending."""
        self._closing = True
        self._ready.clear()
        self._dead.set()
        if self._reconnector is not None:
            self._reconnector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnector
        ws, reader = self._ws, self._reader
        if ws is not None:
            await ws.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._fail_pending(ConnectionClosed("client closed"))
        if self._own_http and self._http is not None:
            await self._http.close()

    async def _connect_socket(self) -> aiohttp.ClientWebSocketResponse:
        assert self._http is not None
        try:
            return await self._http.ws_connect(
                self.url, heartbeat=self._heartbeat, max_msg_size=0, autoping=True)
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionClosed(f"cannot connect to {self.url}: {exc}") from exc

    def _attach(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))

    # --- requests -------------------------------------------------------------------------

    async def call(self, method: str, params: Any, *, internal: bool = False) -> Any:
        """Send one request and return its ``result``, or raise its mapped error.

        ``internal`` requests belong to the handshake and do not wait for it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.request_timeout
        if not internal:
            await self._wait_ready(method, deadline)
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionClosed(f"{method}: not connected")
        request_id = next(self._ids)
        future: asyncio.Future[Response] = loop.create_future()
        self._pending[request_id] = future
        try:
            text = encode(to_wire(Request(method, params, request_id)))
            try:
                await ws.send_str(text)
            except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
                raise ConnectionClosed(f"{method}: connection lost while sending") from exc
            try:
                async with asyncio.timeout_at(deadline):
                    response = await future
            except TimeoutError:
                raise RequestTimeout(
                    f"{method} (id {request_id}): no response within {self.request_timeout} s"
                ) from None
        finally:
            self._pending.pop(request_id, None)
        if response.error is not None:
            raise KurentoError.from_wire(response.error)
        return response.result

    async def _wait_ready(self, method: str, deadline: float) -> None:
        while not self._ready.is_set():
            if self._dead.is_set():
                raise ConnectionClosed(f"{method}: the client is closed")
            waiters = [asyncio.ensure_future(self._ready.wait()),
                       asyncio.ensure_future(self._dead.wait())]
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait(waiters, timeout=max(0.0, deadline - loop.time()),
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if not self._ready.is_set() and loop.time() >= deadline:
                raise ConnectionClosed(f"{method}: not sent, still reconnecting")

    def _fail_pending(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()

    # --- incoming -------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = "closed by the server"
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._on_text(message.data)
                elif message.type == aiohttp.WSMsgType.ERROR:
                    reason = f"websocket error: {ws.exception()}"
                    break
                else:
                    log.warning("ignoring a non-text frame (%s)", message.type)
        finally:
            if ws.close_code is not None and reason == "closed by the server":
                reason = f"closed (code {ws.close_code})"
            self._lost(ws, reason)

    def _on_text(self, text: str) -> None:
        try:
            message = parse_incoming(text)
        except ProtocolViolation as exc:
            log.warning("dropping a frame: %s", exc)
            return
        if isinstance(message, Response):
            future = self._pending.get(message.id) if isinstance(message.id, int) else None
            if future is None or future.done():
                log.debug("response to unknown or abandoned request %r", message.id)
            else:
                future.set_result(message)
        elif isinstance(message, Notification):
            self._owner.channel_notification(message)
        else:
            log.warning("ignoring a request from the server: %s", message.method)

    # --- losing and regaining the socket ----------------------------------------------

    def _lost(self, ws: aiohttp.ClientWebSocketResponse, reason: str) -> None:
        if ws is not self._ws:
            return
        self._ws = None
        self._ready.clear()
        self._fail_pending(ConnectionClosed(f"connection lost: {reason}"))
        if self._closing:
            return
        if self._reconnector is not None:
            return  # a handshake socket died: the running loop retries
        log.info("connection to %s lost: %s", self.url, reason)
        self._owner.channel_lost(reason, self.reconnect)
        if self.reconnect:
            self._reconnector = asyncio.get_running_loop().create_task(self._reconnect())
        else:
            self._dead.set()

    async def _reconnect(self) -> None:
        try:
            for delay in self._backoff.delays():
                await asyncio.sleep(delay)
                try:
                    ws = await self._connect_socket()
                except ConnectionClosed as exc:
                    log.info("reconnection failed: %s", exc)
                    continue
                self._attach(ws)
                try:
                    await self._owner.channel_opened(True)
                except (KurentoError, ConnectionClosed, RequestTimeout, ProtocolViolation) as exc:
                    log.warning("reconnection handshake failed: %s", exc)
                    await ws.close()
                    continue
                if self._ws is ws and not ws.closed:
                    self._ready.set()
                    return
        finally:
            self._reconnector = None
