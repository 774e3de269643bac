"""UriEndpoint: a player or recorder with a URI and a STOP/START/PAUSE state.

The URI is checked against the server's confinement rules when the endpoint is
created (:mod:`kurento.objects.media_uri`), so a refused URI is a clear 40600
error on ``create`` and nothing is built. Subclasses move the state with
:meth:`UriEndpoint.set_state`, which raises ``UriEndpointStateChanged`` once per
real change, as KMS does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kurento.objects.element import MediaElement
from kurento.objects.media_uri import UriPolicy, check_uri

STOP, START, PAUSE = "STOP", "START", "PAUSE"


class UriEndpoint(MediaElement):
    TYPE = "UriEndpoint"

    # A recorder writes to its URI, a player reads it.
    WRITES: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.uri: str = self.params["uri"]
        self.state = STOP

    def uri_policy(self) -> UriPolicy:
        settings = self.context.settings
        return UriPolicy.from_settings(settings.media_roots, settings.internal_networks)

    async def start(self) -> None:
        await check_uri(self.uri, self.uri_policy(), for_writing=self.WRITES)
        await super().start()

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.emit("UriEndpointStateChanged", state=state)

    def get_uri(self) -> str:
        return self.uri

    def get_state(self) -> str:
        return self.state
