"""The control plane's state: sessions, objects, subscriptions, engine (no transport)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from kurento.api.marshal import Marshaller
from kurento.api.registry import ApiRegistry
from kurento.engine.contract import MediaEngine
from kurento.objects.base import MediaObject
from kurento.objects.factory import FACTORIES
from kurento.objects.server_manager import SERVER_ID, ServerManager
from kurento.server.collector import DeferredCollector
from kurento.server.events import EventBus
from kurento.server.http_media import HttpMediaRegistry
from kurento.server.sessions import RequestCache, Session, SessionTable
from kurento.server.settings import Settings
from kurento.server.store import ObjectStore

log = logging.getLogger(__name__)


class MediaServerCore:
    """Implements ``kurento.objects.context.ObjectContext`` for the remote objects."""

    def __init__(self, settings: Settings, registry: ApiRegistry, engine: MediaEngine) -> None:
        self.settings = settings
        self.registry = registry
        self.engine = engine
        self.marshaller = Marshaller(registry)
        self.server_id = str(uuid.uuid4())
        self.sessions = SessionTable()
        self.cache = RequestCache(settings.request_cache_ttl)
        self.events = EventBus(registry, self.sessions)
        self.store = ObjectStore(self._object_destroyed)
        self.factories = dict(FACTORIES)
        self.manager = ServerManager(self, None, {}, object_id=SERVER_ID)
        self.store.objects[SERVER_ID] = self.manager
        self._gc_task: asyncio.Task[None] | None = None
        self.collector = DeferredCollector()
        # The app sets the real base URL once its port is bound.
        self.http_media = HttpMediaRegistry()

    # --- ObjectContext --------------------------------------------------------------

    def raise_event(self, source: MediaObject, event: str, fields: dict[str, Any]) -> None:
        try:
            self.events.raise_event(source, event, fields)
        except Exception:
            # One bad event must never stop the caller (often an engine callback).
            log.exception("could not deliver %s from %s", event, source.id)

    def all_objects(self) -> list[MediaObject]:
        return [o for o in self.store.objects.values() if o is not self.manager]

    def session_ids(self) -> list[str]:
        return list(self.sessions.sessions)

    def implemented_factories(self) -> set[str]:
        return set(self.factories)

    # --- objects ---------------------------------------------------------------------

    async def register(self, obj: MediaObject, session: Session) -> None:
        self.store.add(obj, session.id)
        # Sessions referencing the parent now reference the child too (reference §1.3).
        for holder_id in self.store.refs.get(obj.id, set()):
            holder = self.sessions.get(holder_id)
            if holder is not None:
                holder.references.add(obj.id)
        self.manager.emit("ObjectCreated", object=obj)

    async def _object_destroyed(self, obj: MediaObject) -> None:
        self.events.drop_object(obj.id)
        for session in self.sessions.sessions.values():
            session.references.discard(obj.id)
        self.manager.emit("ObjectDestroyed", objectId=obj.id)
        # Free the released media resources now, not whenever Python's GC gets to them.
        self.collector.request()

    def reference(self, obj: MediaObject, session: Session) -> None:
        if obj is self.manager:
            return
        for object_id in self.store.reference(obj, session.id):
            session.references.add(object_id)

    async def release_session(self, session: Session, release_objects: bool) -> None:
        """Forget a session: release its objects (``closeSession``) or just unref them."""
        self.events.drop_session(session)
        for object_id in list(session.references):
            obj = self.store.get(object_id)
            if obj is None:
                continue
            if release_objects:
                await self.store.release(obj)
            else:
                await self.store.unreference(object_id, session.id)
        session.references.clear()
        self.sessions.remove(session.id)

    # --- garbage collection ------------------------------------------------------------

    def start_gc(self) -> None:
        if self._gc_task is None and self.settings.gc_period > 0:
            self._gc_task = asyncio.get_running_loop().create_task(self._gc_loop())

    async def _gc_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.gc_period)
            await self.gc_tick()

    async def gc_tick(self) -> None:
        for session in self.sessions.gc_tick():
            log.info("session %s expired", session.id)
            self.sessions.sessions[session.id] = session  # release_session removes it
            await self.release_session(session, release_objects=False)
        self.cache.expire()

    async def close(self) -> None:
        if self._gc_task is not None:
            self._gc_task.cancel()
        self.collector.cancel()
        for obj in list(self.store.objects.values()):
            if obj.parent is None and obj is not self.manager:
                await self.store.release(obj)
        await self.engine.shutdown()
