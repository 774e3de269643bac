"""HTTP endpoints (reference §2.2 HttpEndpoint, HttpPostEndpoint; HttpGetEndpoint is ours).

Each endpoint registers with the server's :class:`~kurento.server.http_media.HttpMediaRegistry`
for an unguessable URL on the server's own HTTP port (``getUrl``); the routes
there hand request and response bodies to the methods below, in chunks.

* ``HttpPostEndpoint``: the bodies of all POSTs form one stream (a client may
  resume an upload with a new POST). When ``disconnectionTimeout`` seconds pass
  with no POST in progress, the upload is over: the media plays out, then
  ``EndOfStream``. A POST after that is refused (410), and so is a POST while
  another is in progress (409).
* ``HttpGetEndpoint``: every GET gets the live WebM stream from a keyframe.
  ``MediaSessionStarted`` when a first client connects, ``MediaSessionTerminated``
  when the last one leaves (for the POST endpoint: first POST, end of the upload).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from kurento.engine.http_contract import StreamClient, StreamMedia, StreamProfile, UploadMedia
from kurento.objects.element import MediaElement
from kurento.protocol.errors import MediaObjectIllegalParamError


class Upload(enum.Enum):
    """How one POST went; the value is its HTTP status."""

    TAKEN = 200
    BUSY = 409  # another POST is still uploading: the bytes of two would interleave
    OVER = 410  # the upload has ended, or the endpoint failed or was released


_PROFILES = {
    "WEBM": StreamProfile.AUDIO_AND_VIDEO,
    "WEBM_VIDEO_ONLY": StreamProfile.VIDEO_ONLY,
    "WEBM_AUDIO_ONLY": StreamProfile.AUDIO_ONLY,
}


class HttpEndpoint(MediaElement):
    """Owns the endpoint's URL for as long as the endpoint lives."""

    TYPE = "HttpEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None

    async def start(self) -> None:
        await super().start()
        self._token = self.context.http_media.register(cast(Any, self))

    async def release_media(self) -> None:
        if self._token is not None:
            self.context.http_media.unregister(self._token)
        await super().release_media()

    def get_url(self) -> str:
        assert self._token is not None, "started endpoints always have a URL"
        return self.context.http_media.url(self._token)


class HttpPostEndpoint(HttpEndpoint):
    TYPE = "HttpPostEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        timeout = int(self.params.get("disconnectionTimeout", 2))
        if timeout < 0:
            raise MediaObjectIllegalParamError("disconnectionTimeout must not be negative")
        self.disconnection_timeout = timeout
        # Kept for getters/KMS parity; we never decode VP8/H.264/Opus (they pass as is).
        self.use_encoded_media = bool(self.params.get("useEncodedMedia", False))
        self._uploading = False  # a POST is in progress
        self._session_started = False
        self._end_timer: asyncio.TimerHandle | None = None
        self._ended = False

    @property
    def upload_media(self) -> UploadMedia:
        return cast(UploadMedia, self.media)

    async def release_media(self) -> None:
        self._cancel_end_timer()
        await super().release_media()

    async def upload(self, body: AsyncIterator[bytes]) -> Upload:
        """One POST's body into the stream (one POST at a time)."""
        if self._ended or self.released:
            return Upload.OVER
        if self._uploading:
            return Upload.BUSY
        self._cancel_end_timer()
        if not self._session_started:
            self._session_started = True
            self.emit("MediaSessionStarted")
        self._uploading = True
        try:
            async for chunk in body:
                if not await self.upload_media.push(chunk):
                    return Upload.OVER
            return Upload.TAKEN
        finally:
            self._uploading = False
            if not self.released:
                self._end_timer = asyncio.get_running_loop().call_later(
                    self.disconnection_timeout, self._end_upload
                )

    def _cancel_end_timer(self) -> None:
        if self._end_timer is not None:
            self._end_timer.cancel()
            self._end_timer = None

    def _end_upload(self) -> None:
        self._end_timer = None
        if not self._ended and not self.released:
            self._ended = True
            self.upload_media.end_upload()
            self.emit("MediaSessionTerminated")

    # --- engine listener -------------------------------------------------------------

    def on_end_of_stream(self) -> None:
        self.emit("EndOfStream")


class HttpGetEndpoint(HttpEndpoint):
    """Our extension: the pipeline's media as live WebM for HTTP GET clients."""

    TYPE = "HttpGetEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profile = str(self.params.get("mediaProfile") or "WEBM")
        if profile not in _PROFILES:
            raise MediaObjectIllegalParamError(
                f"HttpGetEndpoint streams WebM only: {', '.join(_PROFILES)}, not {profile}"
            )
        # Read by the engine when it builds the element.
        self.stream_profile = _PROFILES[profile]
        self._clients = 0

    async def open_stream(self) -> StreamClient:
        if self.released:
            raise RuntimeError("The endpoint has been released")
        client = _CountedClient(await cast(StreamMedia, self.media).open_client(),
                                self._client_left)
        self._clients += 1
        if self._clients == 1:
            self.emit("MediaSessionStarted")
        return client

    def _client_left(self) -> None:
        self._clients -= 1
        if self._clients == 0:
            self.emit("MediaSessionTerminated")


class _CountedClient:
    """A stream client that tells its endpoint when it closes (for the session events)."""

    def __init__(self, client: StreamClient, on_close: Callable[[], None]) -> None:
        self._client = client
        self._on_close: Callable[[], None] | None = on_close
        self.content_type = client.content_type

    async def read(self) -> bytes:
        return await self._client.read()

    def close(self) -> None:
        self._client.close()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()
