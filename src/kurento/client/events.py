"""Event listeners: one subscription per (object, event type), dispatch, streams.

Reference §1.6 (subscribe, onEvent) and §4.2: the first listener of a type on an
object sends ``subscribe``; further listeners share it; removing the last one
sends ``unsubscribe``. Notifications are dispatched by ``params.value.object``
and ``params.value.type``. Subscriptions belong to the server-side session, so
they survive a reconnection to the same session untouched; when the client has
to start a new session (40007), every topic is marked stale and subscribed
again, and the topics whose object is gone end (see :meth:`resubscribe_stale`).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

from kurento.client.values import Event
from kurento.protocol.errors import (
    ConnectionClosed,
    KurentoError,
    ProtocolViolation,
    RequestTimeout,
)

if TYPE_CHECKING:
    from kurento.client.client import KurentoClient
    from kurento.client.proxy import RemoteObject

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Callback = Callable[[E], Awaitable[None] | None]
"""A listener: a plain function, or a coroutine function run as a task."""


# --- client-level notifications -----------------------------------------------------


@dataclass(frozen=True)
class Disconnected:
    """The WebSocket closed. Pending requests have failed with ConnectionClosed."""

    reason: str
    reconnecting: bool


@dataclass(frozen=True)
class Reconnected:
    """A new WebSocket is up and bound to a session again.

    ``same_session``: ``connect {"sessionId": old}`` succeeded, so objects and
    subscriptions were kept by the server and nothing was re-sent. Otherwise
    (40007 INVALID_SESSION: server restarted, or the session expired) a new
    session was started, ``resubscribed`` topics were subscribed again and
    ``lost`` lists the (object id, event type) whose object no longer exists.
    """

    session_id: str
    same_session: bool
    server_id: str | None
    server_restarted: bool
    resubscribed: int = 0
    lost: tuple[tuple[str, str], ...] = ()


ConnectionEvent = Disconnected | Reconnected


# --- subscriptions --------------------------------------------------------------------


_END = object()


class _QueueSink:
    """The part of an EventStream the table holds (so the stream itself can be GC'd)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()

    def push(self, event: Event) -> None:
        self.queue.put_nowait(event)

    def finish(self) -> None:
        self.queue.put_nowait(_END)


class _Topic:
    """Listeners of one event type on one object, and its server subscription."""

    def __init__(self, object_id: str, event: str) -> None:
        self.object_id = object_id
        self.event = event
        self.subscription: str | None = None
        self.stale = False
        self.callbacks: list[Callback[Any]] = []
        self.sinks: list[_QueueSink] = []
        self.lock = asyncio.Lock()

    @property
    def empty(self) -> bool:
        return not self.callbacks and not self.sinks

    def attach(self, sink: Callback[Any] | _QueueSink) -> None:
        if isinstance(sink, _QueueSink):
            self.sinks.append(sink)
        else:
            self.callbacks.append(sink)

    def detach(self, sink: Callback[Any] | _QueueSink) -> bool:
        listeners: list[Any] = self.sinks if isinstance(sink, _QueueSink) else self.callbacks
        if sink not in listeners:
            return False
        listeners.remove(sink)
        return True

    def end(self) -> None:
        for sink in self.sinks:
            sink.finish()
        self.sinks.clear()
        self.callbacks.clear()


class SubscriptionTable:
    def __init__(self, client: KurentoClient) -> None:
        self._client = client
        self._topics: dict[tuple[str, str], _Topic] = {}

    async def add(self, proxy: RemoteObject, event: str,
                  sink: Callback[Any] | _QueueSink) -> None:
        key = (proxy.id, event)
        while True:
            topic = self._topics.get(key)
            if topic is None:
                topic = self._topics[key] = _Topic(proxy.id, event)
            async with topic.lock:
                if self._topics.get(key) is not topic:
                    continue  # emptied and removed while we waited: start over
                topic.attach(sink)
                if topic.subscription is not None:
                    return
                try:
                    result = await self._client._request(
                        "subscribe", {"object": proxy.id, "type": event})
                except BaseException:
                    topic.detach(sink)
                    if topic.empty:
                        self._topics.pop(key, None)
                    raise
                topic.subscription = str(result.get("value"))
                return

    async def remove(self, object_id: str, event: str, sink: Callback[Any] | _QueueSink) -> None:
        key = (object_id, event)
        topic = self._topics.get(key)
        if topic is None:
            return
        async with topic.lock:
            if not topic.detach(sink) or not topic.empty:
                return
            if self._topics.get(key) is topic:
                del self._topics[key]
            subscription, topic.subscription = topic.subscription, None
        if subscription is None:
            return
        try:
            await self._client._request(
                "unsubscribe", {"object": object_id, "subscription": subscription})
        except (KurentoError, ConnectionClosed, RequestTimeout) as exc:
            # The server drops subscriptions with their object or session anyway.
            log.info("unsubscribe %s %s failed: %s", object_id, event, exc)

    def discard_later(self, object_id: str, event: str, sink: _QueueSink) -> None:
        """Remove a sink from a finalizer (no await possible there)."""
        self._client._spawn(self.remove(object_id, event, sink), "discard event stream")

    # --- incoming -----------------------------------------------------------------------

    def dispatch(self, params: Any) -> None:
        """Deliver one ``onEvent`` notification to the listeners of its topic."""
        value = params.get("value") if isinstance(params, dict) else None
        if not isinstance(value, dict):
            log.warning("onEvent without params.value: %.200r", params)
            return
        object_id, event = value.get("object"), value.get("type")
        topic = self._topics.get((str(object_id), str(event)))
        if topic is None:
            log.debug("no listener for %s on %s: dropped", event, object_id)
            return
        event_class = self._client.types.events.get(str(event))
        if event_class is None:
            log.warning("unknown event type %r: dropped", event)
            return
        try:
            decoded = event_class.from_wire(value.get("data"), self._client)
        except (ProtocolViolation, TypeError, ValueError) as exc:
            log.warning("malformed %s event from the server: %s", event, exc)
            return
        for callback in list(topic.callbacks):
            try:
                result = callback(decoded)
            except Exception:
                log.exception("listener %r for %s on %s raised", callback, event, object_id)
                continue
            if inspect.isawaitable(result):
                self._client._spawn(result, f"listener {callback!r} for {event}")
        for sink in list(topic.sinks):
            sink.push(decoded)

    # --- life cycle ---------------------------------------------------------------------

    def forget(self, object_id: str) -> None:
        """The object was released: drop its topics and its children's."""
        prefix = object_id + "/"
        for key in [k for k in self._topics if k[0] == object_id or k[0].startswith(prefix)]:
            self._topics.pop(key).end()

    def mark_stale(self) -> None:
        """A new session: every server subscription we had is gone."""
        for topic in self._topics.values():
            if topic.subscription is not None:
                topic.stale = True

    async def resubscribe_stale(self) -> tuple[int, tuple[tuple[str, str], ...]]:
        """Subscribe stale topics again in the current session (during the handshake).

        A topic whose object is gone (or refuses the subscription) ends: its
        callbacks are dropped and its streams finish. Connection errors propagate
        so that the reconnection is retried; topics still stale are retried then.
        """
        done, lost = 0, []
        for key, topic in list(self._topics.items()):
            if not topic.stale:
                continue
            try:
                result = await self._client._request(
                    "subscribe", {"object": topic.object_id, "type": topic.event}, internal=True)
            except KurentoError as exc:
                log.warning("cannot re-subscribe %s on %s: %s", topic.event, topic.object_id, exc)
                if self._topics.get(key) is topic:
                    del self._topics[key]
                topic.end()
                lost.append(key)
                continue
            topic.subscription = str(result.get("value"))
            topic.stale = False
            done += 1
        return done, tuple(lost)

    def close(self) -> None:
        for topic in self._topics.values():
            topic.end()
        self._topics.clear()


class EventStream(Generic[E]):
    """``async for event in element.events(ElementConnected)``: see RemoteObject.events."""

    def __init__(self, table: SubscriptionTable, proxy: RemoteObject, event: str) -> None:
        self._table = table
        self._proxy = proxy
        self._event = event
        self._sink = _QueueSink()
        self._subscribed = False
        self._closed = False

    async def _open(self) -> None:
        if self._subscribed or self._closed:
            return
        self._subscribed = True
        try:
            await self._table.add(self._proxy, self._event, self._sink)
        except BaseException:
            self._subscribed = False
            self._closed = True
            raise
        if self._closed:  # aclose() ran while we were subscribing
            await self._table.remove(self._proxy.id, self._event, self._sink)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> E:
        if self._closed:
            raise StopAsyncIteration
        await self._open()
        item = await self._sink.queue.get()
        if item is _END:
            self._closed = True
            raise StopAsyncIteration
        return cast(E, item)

    async def aclose(self) -> None:
        """Stop: unsubscribe (if this was the last listener) and end the iteration."""
        if self._closed:
            return
        self._closed = True
        self._sink.finish()  # wakes a consumer blocked in __anext__
        if self._subscribed:
            await self._table.remove(self._proxy.id, self._event, self._sink)

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    def __del__(self) -> None:
        # ``break`` out of ``async for`` does not close an iterator: clean up on GC.
        if self._subscribed and not self._closed:
            self._closed = True
            with contextlib.suppress(RuntimeError):  # no running loop any more
                self._table.discard_later(self._proxy.id, self._event, self._sink)
