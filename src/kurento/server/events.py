"""Subscriptions and ``onEvent`` delivery (reference §1.6 subscribe, §5 items 7-8).

One delivery per (session, object, event type) however many times a session
subscribed; subscriptions belong to the session and follow it to a new
socket; events raised while a session has no socket are dropped.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from kurento.api.marshal import Marshaller
from kurento.api.registry import ApiRegistry
from kurento.objects.base import MediaObject
from kurento.protocol.jsonrpc import notification_message
from kurento.server.sessions import Session, SessionTable


class EventBus:
    def __init__(self, registry: ApiRegistry, sessions: SessionTable) -> None:
        self.registry = registry
        self.marshaller = Marshaller(registry)
        self.sessions = sessions
        # (object id, event type) → session id → subscription ids
        self._subscribers: dict[tuple[str, str], dict[str, set[str]]] = {}

    def subscribe(self, session: Session, object_id: str, event: str) -> str:
        subscription_id = str(uuid.uuid4())
        by_session = self._subscribers.setdefault((object_id, event), {})
        by_session.setdefault(session.id, set()).add(subscription_id)
        session.subscriptions[subscription_id] = (object_id, event)
        return subscription_id

    def unsubscribe(self, session: Session, subscription_id: str) -> None:
        key = session.subscriptions.pop(subscription_id, None)
        if key is None:
            return
        by_session = self._subscribers.get(key, {})
        ids = by_session.get(session.id, set())
        ids.discard(subscription_id)
        if not ids:
            by_session.pop(session.id, None)
        if not by_session:
            self._subscribers.pop(key, None)

    def drop_session(self, session: Session) -> None:
        for subscription_id in list(session.subscriptions):
            self.unsubscribe(session, subscription_id)

    def drop_object(self, object_id: str) -> None:
        for key in [k for k in self._subscribers if k[0] == object_id]:
            for session_id, ids in self._subscribers.pop(key).items():
                session = self.sessions.get(session_id)
                if session is not None:
                    for subscription_id in ids:
                        session.subscriptions.pop(subscription_id, None)

    def raise_event(self, source: MediaObject, event: str, fields: dict[str, Any]) -> None:
        subscribers = self._subscribers.get((source.id, event))
        if not subscribers:
            return
        message = notification_message(
            "onEvent",
            {"value": {"data": self.event_data(source, event, fields),
                       "object": source.id, "type": event}},
        )
        for session_id in subscribers:
            session = self.sessions.get(session_id)
            if session is not None and session.connection is not None:
                session.connection.send_message(message)

    def event_data(self, source: MediaObject, event: str, fields: dict[str, Any]) -> Any:
        data: dict[str, Any] = {
            "source": source.id,
            "tags": self.marshaller.to_wire(source.event_tags(), "Tag[]"),
            "timestampMillis": str(int(time.time() * 1000)),
        }
        if self.registry.event_is_media(event):
            data["type"] = event
        types = {f.name: f.type for f in self.registry.event_fields(event)}
        for name, value in fields.items():
            data[name] = self.marshaller.to_wire(value, types.get(name))
        return data
