"""The HTTP side of the HTTP endpoints: one unguessable URL per endpoint, on the server's port.

``HttpPostEndpoint`` URLs take uploads (``POST``, chunked or with a length, raw
or ``multipart/form-data`` as a browser form sends it); ``HttpGetEndpoint`` URLs
serve a live stream (``GET``). One upload at a time: a second concurrent POST
answers 409. Bodies move in chunks between aiohttp and the
endpoint; the endpoint's media part does the rest. Unknown ids answer 404, a
method the endpoint does not serve answers 405.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from aiohttp import BodyPartReader, web

from kurento.engine.http_contract import StreamClient
from kurento.objects.http_endpoint import Upload

log = logging.getLogger(__name__)

ROUTE_PREFIX = "kurento-media"
CHUNK_SIZE = 64 * 1024
# How often a GET whose stream brings nothing checks that its client is still connected.
IDLE_CHECK_S = 1.0


@runtime_checkable
class UploadTarget(Protocol):
    async def upload(self, body: AsyncIterator[bytes]) -> Upload:
        """Take one POST's body."""


@runtime_checkable
class StreamSource(Protocol):
    async def open_stream(self) -> StreamClient:
        """A new client's copy of the live stream (RuntimeError when there is none)."""


_UPLOAD_TEXT = {
    Upload.TAKEN: "OK\n",
    Upload.BUSY: "Another upload to this endpoint is in progress\n",
    Upload.OVER: "The endpoint takes no more media\n",
}


class HttpMediaRegistry:
    """Maps the opaque ids in endpoint URLs to the endpoints (loop thread only)."""

    def __init__(self, base_url: str = "http://127.0.0.1:8888") -> None:
        self.base_url = base_url.rstrip("/")
        self._targets: dict[str, UploadTarget | StreamSource] = {}

    def register(self, target: UploadTarget | StreamSource) -> str:
        """A fresh id for ``target`` (unguessable: 192 random bits)."""
        token = secrets.token_urlsafe(24)
        self._targets[token] = target
        return token

    def unregister(self, token: str) -> None:
        self._targets.pop(token, None)

    def url(self, token: str) -> str:
        return f"{self.base_url}/{ROUTE_PREFIX}/{token}"

    def routes(self) -> list[web.RouteDef]:
        path = f"/{ROUTE_PREFIX}/{{token}}"
        return [web.post(path, self._post), web.get(path, self._get)]

    def _find(self, request: web.Request) -> UploadTarget | StreamSource:
        target = self._targets.get(request.match_info["token"])
        if target is None:
            raise web.HTTPNotFound(text="No such media endpoint\n")
        return target

    async def _post(self, request: web.Request) -> web.StreamResponse:
        target = self._find(request)
        if not isinstance(target, UploadTarget):
            raise web.HTTPMethodNotAllowed("POST", ["GET"])
        result = await target.upload(_request_body(request))
        return web.Response(status=result.value, text=_UPLOAD_TEXT[result])

    async def _get(self, request: web.Request) -> web.StreamResponse:
        target = self._find(request)
        if not isinstance(target, StreamSource):
            raise web.HTTPMethodNotAllowed("GET", ["POST"])
        try:
            client = await target.open_stream()
        except RuntimeError as error:
            raise web.HTTPGone(text=f"{error}\n") from None
        response = web.StreamResponse(
            headers={"Content-Type": client.content_type, "Cache-Control": "no-store"}
        )
        try:
            await response.prepare(request)
            while not _gone(request):
                try:
                    data = await asyncio.wait_for(client.read(), IDLE_CHECK_S)
                except TimeoutError:
                    continue  # a stalled stream: check that the client is still there
                if not data:
                    break
                await response.write(data)
            return response
        except (ConnectionError, OSError):
            return response  # the client went away
        finally:
            client.close()


def _gone(request: web.Request) -> bool:
    """The client hung up (aiohttp does not cancel handlers when that happens)."""
    transport = request.transport
    return transport is None or transport.is_closing()


async def _request_body(request: web.Request) -> AsyncIterator[bytes]:
    """The uploaded bytes: the raw body, or the first file of a multipart form."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.filename is not None:
                while chunk := await part.read_chunk(CHUNK_SIZE):
                    yield chunk
                return
        return
    async for chunk in request.content.iter_chunked(CHUNK_SIZE):
        yield chunk
