"""What a remote object needs from the server around it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kurento.api.registry import ApiRegistry
from kurento.engine.contract import MediaEngine

if TYPE_CHECKING:
    from kurento.objects.base import MediaObject
    from kurento.server.http_media import HttpMediaRegistry
    from kurento.server.settings import Settings


class ObjectContext(Protocol):
    registry: ApiRegistry
    engine: MediaEngine
    settings: Settings
    http_media: HttpMediaRegistry  # URLs of the HTTP endpoints

    def raise_event(self, source: MediaObject, event: str, fields: dict[str, Any]) -> None:
        """Serialize and deliver an event raised by ``source``."""

    def all_objects(self) -> list[MediaObject]: ...

    def session_ids(self) -> list[str]: ...

    def implemented_factories(self) -> set[str]: ...
