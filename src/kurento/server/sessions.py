"""Sessions, their sockets, their references and the duplicate-request cache.

Pure bookkeeping, no I/O, with the clock passed in. Reference §1.3:
* a session is a UUID, created implicitly; one socket talks for one session at a
  time, and a session's events follow its latest socket;
* each object is referenced by a set of sessions; ``create``/``describe``/
  ``invoke``/``subscribe`` reference their target and its ancestors;
* a GC tick expires sessions whose "in use" flag stayed false for a whole
  period; the flag is set by any activity and by having an open socket.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Connection(Protocol):
    """What the session layer needs of a socket."""

    def send_message(self, message: dict[str, Any]) -> None: ...


@dataclass
class Session:
    id: str
    connection: Connection | None = None
    in_use: bool = True
    # Subscription id → (object id, event type).
    subscriptions: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Object ids this session references.
    references: set[str] = field(default_factory=set)


class SessionTable:
    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self._by_connection: dict[int, str] = {}

    def get(self, session_id: str) -> Session | None:
        return self.sessions.get(session_id)

    def ensure(self, session_id: str | None) -> Session:
        """The session with that id, created if new (KMS accepts unknown ids)."""
        if session_id is None:
            session_id = str(uuid.uuid4())
        session = self.sessions.get(session_id)
        if session is None:
            session = Session(session_id)
            self.sessions[session_id] = session
        session.in_use = True
        return session

    def session_of(self, connection: Connection) -> str | None:
        return self._by_connection.get(id(connection))

    def bind(self, session: Session, connection: Connection) -> None:
        """Associate a socket with a session, dropping both old associations."""
        old_session_id = self._by_connection.get(id(connection))
        if old_session_id is not None and old_session_id != session.id:
            old = self.sessions.get(old_session_id)
            if old is not None and old.connection is connection:
                old.connection = None
        if session.connection is not None and session.connection is not connection:
            self._by_connection.pop(id(session.connection), None)
        session.connection = connection
        session.in_use = True
        self._by_connection[id(connection)] = session.id

    def unbind(self, connection: Connection) -> None:
        """The socket closed: the session lives on, without a socket (events dropped)."""
        session_id = self._by_connection.pop(id(connection), None)
        if session_id is not None:
            session = self.sessions.get(session_id)
            if session is not None and session.connection is connection:
                session.connection = None

    def gc_tick(self) -> list[Session]:
        """One GC period passed: return the sessions that expire now (and forget them)."""
        expired: list[Session] = []
        for session in list(self.sessions.values()):
            if session.connection is not None:
                # An open socket keeps its session alive, however idle (KMS's transport
                # marks such sessions in use), so expiry counts from the disconnect.
                session.in_use = True
                continue
            if session.in_use:
                session.in_use = False
            else:
                expired.append(session)
                del self.sessions[session.id]
        return expired

    def remove(self, session_id: str) -> Session | None:
        session = self.sessions.pop(session_id, None)
        if session is not None and session.connection is not None:
            self._by_connection.pop(id(session.connection), None)
        return session


class RequestCache:
    """Responses by (session id, request id) for ``ttl`` seconds (reference §1.3)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    def get(self, session_id: str | None, request_id: Any) -> dict[str, Any] | None:
        if self.ttl <= 0 or session_id is None or request_id is None:
            return None
        entry = self._entries.get((session_id, str(request_id)))
        if entry is None:
            return None
        stamp, response = entry
        if self._clock() - stamp > self.ttl:
            del self._entries[(session_id, str(request_id))]
            return None
        return response

    def put(self, session_id: str | None, request_id: Any, response: dict[str, Any]) -> None:
        if self.ttl <= 0 or session_id is None or request_id is None:
            return
        now = self._clock()
        key = (session_id, str(request_id))
        self._entries.pop(key, None)
        self._entries[key] = (now, response)
        self.expire(now)

    def expire(self, now: float | None = None) -> None:
        """Drop stale entries; dict order is insertion order, so the oldest come first."""
        now = self._clock() if now is None else now
        while self._entries:
            key, (stamp, _) = next(iter(self._entries.items()))
            if now - stamp <= self.ttl:
                break
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
