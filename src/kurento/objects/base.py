"""MediaObject: ids, names, tags, parent/children, events (reference §2.2 MediaObject).

Remote operations are plain methods named by ``kurento.api.naming.snake_case`` of
the wire name (``addTag`` → ``add_tag``); the dispatcher binds and coerces the
parameters from our API description before calling them. A property getter or
setter that a class does not implement reads or writes the property store,
seeded with the description's defaults.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from kurento.api.model import NO_DEFAULT
from kurento.protocol.errors import MediaObjectTagKeyNotFound

if TYPE_CHECKING:
    from kurento.objects.context import ObjectContext
    from kurento.objects.pipeline import MediaPipeline


class MediaObject:
    TYPE: ClassVar[str] = "MediaObject"

    def __init__(
        self,
        context: ObjectContext,
        parent: MediaObject | None,
        params: dict[str, Any],
        object_id: str | None = None,
    ) -> None:
        self.context = context
        self.parent = parent
        label = context.registry.module_label(self.TYPE)
        if object_id is None:
            own = f"{uuid.uuid4()}_{label}.{self.TYPE}"
            object_id = f"{parent.id}/{own}" if parent is not None else own
        self.id: str = object_id
        self.name = object_id
        self.creation_time = int(time.time())
        self.tags: dict[str, str] = {}
        self.send_tags_in_events = False
        self.children: list[MediaObject] = []
        self.released = False
        # Set when a release of this object starts (before its children go).
        self.releasing = False
        self.params = params
        self.props: dict[str, Any] = {
            name: prop.default
            for name, prop in context.registry.properties(self.TYPE).items()
            if prop.writable and prop.default is not NO_DEFAULT
        }

    # --- life cycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Acquire media resources after construction; raise a KurentoError to refuse."""

    async def release_media(self) -> None:
        """Free media resources; called once, children first, when the object is released.

        Not ``stop``: that is a remote operation of players and recorders.
        """

    @property
    def pipeline(self) -> MediaPipeline | None:
        node: MediaObject | None = self
        while node is not None and node.parent is not None:
            node = node.parent
        from kurento.objects.pipeline import MediaPipeline

        return node if isinstance(node, MediaPipeline) else None

    def emit(self, event: str, **fields: Any) -> None:
        """Raise an event of this object (delivered to every subscribed session)."""
        if not self.released:
            self.context.raise_event(self, event, fields)

    def event_tags(self) -> list[dict[str, Any]]:
        if not self.send_tags_in_events:
            return []
        return [{"__type__": "Tag", "key": k, "value": v} for k, v in self.tags.items()]

    # --- MediaObject remote operations ------------------------------------------------

    def get_media_pipeline(self) -> MediaObject | None:
        return self.pipeline

    def get_parent(self) -> MediaObject | None:
        return self.parent

    def get_id(self) -> str:
        return self.id

    def get_children(self) -> list[MediaObject]:
        return list(self.children)

    def get_name(self) -> str:
        return self.name

    def set_name(self, name: str) -> None:
        self.name = name

    def get_send_tags_in_events(self) -> bool:
        return self.send_tags_in_events

    def set_send_tags_in_events(self, send_tags_in_events: bool) -> None:
        self.send_tags_in_events = send_tags_in_events

    def get_creation_time(self) -> int:
        return self.creation_time

    def add_tag(self, key: str, value: str) -> None:
        self.tags[key] = value

    def remove_tag(self, key: str) -> None:
        self.tags.pop(key, None)

    def get_tag(self, key: str) -> str:
        if key not in self.tags:
            raise MediaObjectTagKeyNotFound("Tag key not found")
        return self.tags[key]

    def get_tags(self) -> list[dict[str, Any]]:
        return [{"__type__": "Tag", "key": k, "value": v} for k, v in self.tags.items()]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"
