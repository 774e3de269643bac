"""PlayerEndpoint (work in progress)."""

from __future__ import annotations

from kurento.objects.uri_endpoint import UriEndpoint


class PlayerEndpoint(UriEndpoint):
    TYPE = "PlayerEndpoint"
