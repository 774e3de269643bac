"""KurentoClient: the session, object creation and look-up, transactions, events.

Reference §1.3 (sessions and reconnection) and §4 (what kurento-client-js does,
and where we differ):

* Opening: a WebSocket, then ``connect`` without params; the reply gives the
  session id (sent in every later request) and the ``serverId``.
* Reconnection (``reconnect=True``): on a dropped socket, pending requests fail
  with ``ConnectionClosed``; new sockets are tried with exponential backoff and
  each one sends ``connect {"sessionId": old}``. On success nothing is re-sent:
  objects and subscriptions live on in the session, and a ``Reconnected``
  notification (``same_session=True``) is emitted. On ``40007
  INVALID_SESSION`` (server restarted, or session expired) the client sends
  ``connect`` without params to get a new session, subscribes again every
  listener whose object still exists, ends the others, and emits
  ``Reconnected(same_session=False, ...)``. (The JS client keeps the stale id.)
* Requests made while reconnecting wait for it within their timeout, then
  fail with ``ConnectionClosed`` (they were never sent). A request sent but not
  answered in ``request_timeout`` seconds raises ``RequestTimeout``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import aiohttp

from kurento.client import generated as g
from kurento.client.connection import Backoff, Channel
from kurento.client.events import (
    ConnectionEvent,
    Disconnected,
    Reconnected,
    SubscriptionTable,
)
from kurento.client.proxy import RemoteObject, class_for_id
from kurento.client.transaction import Transaction, recording
from kurento.client.values import TypeTable, WireParams, build_params
from kurento.protocol.errors import InvalidSession, ProtocolViolation

if TYPE_CHECKING:
    from kurento.protocol.jsonrpc import Notification

log = logging.getLogger(__name__)

P = TypeVar("P", bound=RemoteObject)
C = TypeVar("C", bound=ConnectionEvent)
SERVER_MANAGER_ID = "manager_ServerManager"


class KurentoClient:
    """A connection to a Kurento server, for an application server.

    Use ``async with KurentoClient.connect(url) as client:`` (or ``client =
    await KurentoClient.connect(url)`` and ``await client.close()``).
    """

    def __init__(
        self,
        url: str,
        *,
        request_timeout: float = 20.0,
        reconnect: bool = True,
        backoff: Backoff | None = None,
        heartbeat: float | None = 20.0,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.types: TypeTable = g.TYPES
        self.session_id: str | None = None
        self.server_id: str | None = None
        self._channel = Channel(url, self, request_timeout=request_timeout, reconnect=reconnect,
                                backoff=backoff or Backoff(), heartbeat=heartbeat, http=http)
        self._subscriptions = SubscriptionTable(self)
        self._listeners: dict[type[Any], list[Callable[[Any], object]]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._before_drop: tuple[str | None, str | None] = (None, None)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        request_timeout: float = 20.0,
        reconnect: bool = True,
        backoff: Backoff | None = None,
        heartbeat: float | None = 20.0,
        http: aiohttp.ClientSession | None = None,
    ) -> _Connecting:
        """Connect to ``ws://host:port/kurento``; await it or use it with ``async with``.

        ``heartbeat``: seconds between WebSocket pings that detect a dead peer
        (None: off). ``http``: an aiohttp session to use (else one is owned).
        """
        client = cls(url, request_timeout=request_timeout, reconnect=reconnect,
                     backoff=backoff, heartbeat=heartbeat, http=http)
        return _Connecting(client)

    async def close(self) -> None:
        """Close the connection. Server objects live on until released or the session
        expires (reference §1.3), as with the JS client."""
        await self._channel.close()
        self._subscriptions.close()
        for task in list(self._tasks):
            task.cancel()

    @property
    def connected(self) -> bool:
        return self._channel.connected

    # --- objects ------------------------------------------------------------------------

    @overload
    async def create(self, type_: type[P], /, **params: Any) -> P: ...

    @overload
    async def create(self, type_: str, /, **params: Any) -> g.MediaObject: ...

    async def create(self, type_: type[P] | str, /, **params: Any) -> P | g.MediaObject:
        """Create a remote object: ``await client.create("MediaPipeline")``,
        ``await client.create(g.PassThrough, media_pipeline=pipeline)``.

        ``params`` are the constructor params by their snake_case names. The
        generated ``Class.create(...)`` class methods are the typed way.
        """
        cls: type[Any] = self.types.classes.get(type_, RemoteObject) if isinstance(
            type_, str) else type_
        if not issubclass(cls, RemoteObject) or cls.CONSTRUCTOR is None:
            raise ValueError(f"{type_!r} is not a class that can be created")
        unknown = set(params) - {name for name, _, _ in cls.CONSTRUCTOR}
        if unknown:
            raise TypeError(f"{cls.WIRE_TYPE} has no constructor param {sorted(unknown)}")
        wire = [(wire_name, params.get(name), fill) for name, wire_name, fill in cls.CONSTRUCTOR]
        return cast("P | g.MediaObject", await self._create(cls, wire))

    async def create_media_pipeline(self) -> g.MediaPipeline:
        return await g.MediaPipeline.create(self)

    async def get_server_manager(self) -> g.ServerManager:
        """The ``manager_ServerManager`` singleton (checked with ``describe``)."""
        proxy = await self.get_object(SERVER_MANAGER_ID)
        return cast(g.ServerManager, proxy)

    async def get_object(self, object_id: str) -> g.MediaObject:
        """A proxy for an existing object, typed by ``describe``; 40101 if unknown."""
        result = await self._request("describe", {"object": object_id})
        found = self.types.classes.get(str(result.get("type")))
        if found is None:  # a class we do not know: its nearest known ancestor
            for qualified in result.get("hierarchy") or ():
                found = self.types.classes.get(str(qualified).rsplit(".", 1)[-1])
                if found is not None:
                    break
        cls = cast("type[g.MediaObject]", found or g.MediaObject)
        return cls(self, object_id)

    def proxy(self, object_id: str, declared: str = "MediaObject") -> RemoteObject:
        """A proxy for an id the server gave us, typed from the id itself (no request)."""
        classes = cast("dict[str, type[RemoteObject]]", self.types.classes)
        return class_for_id(object_id, declared, classes)(self, object_id)

    def transaction(self) -> Transaction:
        """``async with client.transaction() as tx:`` (see kurento.client.transaction)."""
        return Transaction(self)

    # --- connection notifications ---------------------------------------------------

    def on(self, event_type: type[C], callback: Callable[[C], object]) -> None:
        """Listen for ``Disconnected`` / ``Reconnected`` (sync or async callback)."""
        self._listeners.setdefault(event_type, []).append(callback)

    def off(self, event_type: type[C], callback: Callable[[C], object]) -> None:
        listeners = self._listeners.get(event_type, [])
        if callback in listeners:
            listeners.remove(callback)

    def _emit(self, event: ConnectionEvent) -> None:
        for callback in list(self._listeners.get(type(event), [])):
            try:
                result = callback(event)
            except Exception:
                log.exception("%s listener %r raised", type(event).__name__, callback)
                continue
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                self._spawn(result, f"{type(event).__name__} listener")

    # --- what proxies, events and transactions use --------------------------------------

    async def _request(self, method: str, params: dict[str, Any], *,
                       internal: bool = False) -> dict[str, Any]:
        """One request in this client's session; returns the ``result`` object."""
        tx = recording(self)
        if tx is not None:
            return await tx.record(method, params)
        if self.session_id is not None:
            params = {**params, "sessionId": self.session_id}
        result = await self._channel.call(method, params, internal=internal)
        if result is None:
            return {}
        if not isinstance(result, dict):
            raise ProtocolViolation(f"{method}: result is not an object: {result!r:.100}")
        session_id = result.get("sessionId")
        if isinstance(session_id, str):
            self.session_id = session_id
        return result

    async def _create(self, cls: type[P], params: WireParams) -> P:
        message: dict[str, Any] = {"type": cls.WIRE_TYPE}
        wire = build_params(params)
        if wire:
            message["constructorParams"] = wire
        tx = recording(self)
        if tx is not None:
            slot = tx.record("create", message, creates=cls)
            await slot
            return cast(P, slot.placeholder)
        result = await self._request("create", message)
        object_id = result.get("value")
        if not isinstance(object_id, str):
            raise ProtocolViolation(f"create: no object id in {result!r:.100}")
        return cls(self, object_id)

    def _forget(self, object_id: str) -> None:
        self._subscriptions.forget(object_id)

    def _spawn(self, awaitable: Awaitable[Any], what: str) -> None:
        """Run a listener's coroutine; log (never propagate) its failure."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)

        def done(finished: asyncio.Future[Any]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.error("%s raised", what, exc_info=finished.exception())

        task.add_done_callback(done)

    # --- ChannelOwner ------------------------------------------------------------------

    async def channel_opened(self, reconnecting: bool) -> None:
        """The handshake on every new socket (see the module docstring)."""
        result: dict[str, Any] | None = None
        if self.session_id is not None:
            try:
                result = await self._request("connect", {}, internal=True)
            except InvalidSession:
                log.warning("session %s is gone: starting a new one", self.session_id)
                self.session_id = None
                self._subscriptions.mark_stale()
        if result is None:
            result = await self._request("connect", {}, internal=True)
        server_id = result.get("serverId")
        self.server_id = server_id if isinstance(server_id, str) else None
        resubscribed, lost = await self._subscriptions.resubscribe_stale()
        if reconnecting and self.session_id is not None:
            # Compared with the moment of the drop: an earlier attempt of this same
            # reconnection may already have started the new session.
            before_session, before_server = self._before_drop
            self._emit(Reconnected(
                self.session_id, self.session_id == before_session, self.server_id,
                before_server is not None and self.server_id != before_server,
                resubscribed, lost))

    def channel_notification(self, notification: Notification) -> None:
        if notification.method == "onEvent":
            self._subscriptions.dispatch(notification.params)
        else:
            log.warning("ignoring notification %s", notification.method)

    def channel_lost(self, reason: str, reconnecting: bool) -> None:
        self._before_drop = (self.session_id, self.server_id)
        self._emit(Disconnected(reason, reconnecting))


class _Connecting:
    """What ``KurentoClient.connect`` returns: awaitable, or an async context manager."""

    def __init__(self, client: KurentoClient) -> None:
        self._client = client

    async def _open(self) -> KurentoClient:
        await self._client._channel.open()
        return self._client

    def __await__(self) -> Generator[Any, None, KurentoClient]:
        return self._open().__await__()

    async def __aenter__(self) -> KurentoClient:
        return await self._open()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self._client.close()

