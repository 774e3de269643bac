"""Live remote objects and which sessions reference them (reference §1.3 ownership)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kurento.objects.base import MediaObject

log = logging.getLogger(__name__)


class ObjectStore:
    def __init__(self, on_destroyed: Callable[[MediaObject], Awaitable[None]]) -> None:
        self.objects: dict[str, MediaObject] = {}
        self.refs: dict[str, set[str]] = {}
        self._on_destroyed = on_destroyed

    def get(self, object_id: str) -> MediaObject | None:
        return self.objects.get(object_id)

    def add(self, obj: MediaObject, session_id: str | None) -> None:
        """Register a new object; sessions that reference its parent reference it too."""
        self.objects[obj.id] = obj
        sessions: set[str] = set()
        if obj.parent is not None:
            obj.parent.children.append(obj)
            sessions |= self.refs.get(obj.parent.id, set())
        if session_id is not None:
            sessions.add(session_id)
        self.refs[obj.id] = sessions

    def reference(self, obj: MediaObject, session_id: str) -> list[str]:
        """``session_id`` references obj and its ancestors; return the ids newly referenced."""
        added = []
        node: MediaObject | None = obj
        while node is not None:
            holders = self.refs.get(node.id)
            if holders is not None and session_id not in holders:
                holders.add(session_id)
                added.append(node.id)
            node = node.parent
        return added

    async def unreference(self, object_id: str, session_id: str) -> None:
        """Drop one session's reference; the object dies with its last reference."""
        holders = self.refs.get(object_id)
        if holders is None:
            return
        holders.discard(session_id)
        obj = self.objects.get(object_id)
        if not holders and obj is not None and not obj.released:
            await self.release(obj)

    async def release(self, obj: MediaObject) -> None:
        """Destroy obj for every session, children first (a pipeline takes its elements)."""
        if obj.released:
            return
        obj.releasing = True
        for child in list(obj.children):
            await self.release(child)
        obj.released = True
        try:
            await obj.release_media()
        except Exception:
            # A failed teardown must not leave the object half-registered.
            log.exception("teardown of %s failed", obj.id)
        self.objects.pop(obj.id, None)
        self.refs.pop(obj.id, None)
        if obj.parent is not None and obj in obj.parent.children:
            obj.parent.children.remove(obj)
        await self._on_destroyed(obj)
