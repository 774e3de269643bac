"""The base of every typed proxy: identity, ``invoke``, ``release`` and events.

The generated classes in :mod:`kurento.client.generated` add one snake_case
coroutine per remote operation; everything they need from the client goes
through :meth:`RemoteObject._invoke`. Proxies are cheap views: two proxies with
the same id are equal and hash alike, and listeners belong to the id, not to a
proxy instance.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from kurento.client.values import Event, Referenceable, WireParams, build_params, decode

if TYPE_CHECKING:
    from kurento.client.client import KurentoClient
    from kurento.client.events import Callback, EventStream

E = TypeVar("E", bound=Event)

NEWREF = "newref:"
# ``<uuid>_kurento.PassThrough``, ``manager_ServerManager``: the class is in the id
# (reference §1.4), which spares a ``describe`` for every object a call returns.
_TYPE_IN_ID = re.compile(r"_(?:[A-Za-z0-9]+\.)?([A-Za-z][A-Za-z0-9]*)$")


class RemoteObject(Referenceable):
    """A proxy for one remote object, bound to the client that made it."""

    WIRE_TYPE: ClassVar[str] = "MediaObject"
    EVENTS: ClassVar[frozenset[str]] = frozenset()
    # (Python name, wire name, fill) per constructor param; None: not creatable.
    CONSTRUCTOR: ClassVar[tuple[tuple[str, str, Any], ...] | None] = None

    def __init__(self, client: KurentoClient, object_id: str) -> None:
        self._client = client
        self._ref = object_id

    # --- identity --------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The object id; ``newref:N`` for a transaction placeholder not yet committed."""
        return self._ref

    @property
    def client(self) -> KurentoClient:
        return self._client

    @property
    def committed(self) -> bool:
        """False while this is a placeholder of an uncommitted transaction."""
        return not self._ref.startswith(NEWREF)

    def wire_ref(self) -> str:
        return self._ref

    def _bind(self, object_id: str) -> None:
        """Give a transaction placeholder its real id (after commit)."""
        self._ref = object_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteObject) and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._ref}>"

    # --- operations --------------------------------------------------------------------

    async def _invoke(self, operation: str, params: WireParams, returns: str | None) -> Any:
        """``invoke`` one operation; the result is decoded by its wire type."""
        message: dict[str, Any] = {"object": self._ref, "operation": operation}
        wire = build_params(params)
        if wire:  # like the JS client: no ``operationParams`` key for no params
            message["operationParams"] = wire
        result = await self._client._request("invoke", message)
        return decode(result.get("value"), returns, self._client)

    async def release(self) -> None:
        """Destroy the object (and, for a pipeline, everything in it) for every session.

        Local listeners of the object and its children are dropped without
        ``unsubscribe`` (the server forgets them with the object) and their event
        streams end.
        """
        await self._client._request("release", {"object": self._ref})
        self._client._forget(self._ref)

    # --- events ----------------------------------------------------------------------

    def _check_event(self, event_type: type[Event]) -> str:
        name = event_type.EVENT_TYPE
        if name not in self.EVENTS:
            raise ValueError(f"{type(self).__name__} does not raise {name or event_type!r}")
        return name

    async def on(self, event_type: type[E], callback: Callback[E]) -> None:
        """Call ``callback(event)`` for each ``event_type`` event of this object.

        ``callback`` may be a plain function or a coroutine function (run as a
        task). The first listener of a type sends ``subscribe``; a callback that
        raises is logged and does not affect other listeners.
        """
        name = self._check_event(event_type)
        await self._client._subscriptions.add(self, name, callback)

    async def off(self, event_type: type[E], callback: Callback[E]) -> None:
        """Remove a listener added with :meth:`on`; the last one sends ``unsubscribe``."""
        name = self._check_event(event_type)
        await self._client._subscriptions.remove(self._ref, name, callback)

    def events(self, event_type: type[E]) -> EventStream[E]:
        """An async iterator over ``event_type`` events, with its own queue.

        It subscribes on first use (``async for`` or ``async with``) and
        unsubscribes on ``aclose()``/leaving ``async with``; it ends when the
        object is released or the client closes. The queue is unbounded: read it.
        """
        from kurento.client.events import EventStream

        name = self._check_event(event_type)
        return EventStream(self._client._subscriptions, self, name)


P = TypeVar("P", bound=RemoteObject)


def class_for_id(object_id: str, declared: str, classes: dict[str, type[P]]) -> type[P]:
    """The most specific known proxy class for an id, from its type suffix."""
    base = classes.get(declared) or classes["MediaObject"]
    match = _TYPE_IN_ID.search(object_id.rsplit("/", 1)[-1])
    if match is not None:
        found = classes.get(match.group(1))
        if found is not None and issubclass(found, base):
            return found
    return base
