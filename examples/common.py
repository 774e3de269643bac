"""What the three demo application servers share.

Each demo is an aiohttp sub-application that talks JSON over its own WebSocket with
the page (the messages of Kurento's tutorials: ``{"id": "start", "sdpOffer": ...}``,
``{"id": "iceCandidate", "candidate": {...}}``, ...) and drives the media server with
our client, :mod:`kurento.client`. This module holds the pieces they have in common:
the shared connection to the media server, the page's socket, and one browser's
``WebRtcEndpoint`` with the ICE candidates that arrive before it exists.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from kurento.client import (
    ConnectionClosed,
    IceCandidate,
    IceCandidateFound,
    KurentoClient,
    KurentoError,
    MediaPipeline,
    WebRtcEndpoint,
)

log = logging.getLogger("examples")

HERE = Path(__file__).resolve().parent
# Built by scripts/setup.sh (`npm run bundle` in examples/), as kurento-utils' own
# Gruntfile does: the npm package ships only CommonJS sources, no browser bundle.
KURENTO_UTILS_BUNDLE = HERE / "node_modules" / ".kurento-py" / "kurento-utils.js"
DEFAULT_MEDIA_SERVER = "ws://127.0.0.1:8888/kurento"

Json = dict[str, Any]
Handler = Callable[[Json], Awaitable[None]]


class MediaServer:
    """The application's one connection to the media server, opened on first use.

    Kurento's tutorials do the same (``getKurentoClient()``): the app starts even
    when the media server is not up yet, and each call waits for the connection.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: KurentoClient | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> KurentoClient:
        async with self._lock:
            if self._client is None:
                self._client = await KurentoClient.connect(self.url)
            return self._client

    async def pipeline(self) -> MediaPipeline:
        return await MediaPipeline.create(await self.client())

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None


MEDIA_SERVER_KEY = web.AppKey("media_server", MediaServer)


class Signal:
    """The page's WebSocket: JSON messages with an ``id``, as in Kurento's tutorials."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws

    async def send(self, message_id: str, **fields: Any) -> None:
        if self.ws.closed:
            return
        try:
            await self.ws.send_json({"id": message_id, **fields})
        except (ConnectionError, RuntimeError) as exc:  # the page went away meanwhile
            log.debug("could not send %s: %s", message_id, exc)

    async def error(self, exc: BaseException) -> None:
        """Tells the page what failed; Kurento errors keep their code."""
        code = exc.code if isinstance(exc, KurentoError) else None
        await self.send("error", message=str(exc) or type(exc).__name__, code=code)

    async def messages(self) -> AsyncIterator[Json]:
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except ValueError:
                await self.send("error", message="invalid JSON")
                continue
            if isinstance(data, dict) and isinstance(data.get("id"), str):
                yield data
            else:
                await self.send("error", message="a message is an object with an 'id'")


    async def serve(self, app_name: str, handlers: dict[str, Handler]) -> None:
        """Runs each page message's handler by its ``id``, until the page goes away.

        A handler that fails is reported to the page (``error``) and the socket stays
        open, so one bad message never ends the user's session.
        """
        async for message in self.messages():
            handler = handlers.get(message["id"])
            try:
                if handler is None:
                    await self.send("error", message=f"unknown message id {message['id']!r}")
                else:
                    await handler(message)
            except Exception as exc:  # reported to the page, which shows it
                log.warning("%s %s: %s", app_name, message["id"], exc)
                await self.error(exc)


async def open_signal(request: web.Request) -> Signal:
    ws = web.WebSocketResponse(heartbeat=20.0)
    await ws.prepare(request)
    return Signal(ws)


def candidate_from_page(data: Any) -> IceCandidate:
    """An ``RTCIceCandidate`` as the page's ``JSON.stringify`` wrote it."""
    if not isinstance(data, dict) or not isinstance(data.get("candidate"), str):
        raise ValueError("candidate: expected {candidate, sdpMid, sdpMLineIndex}")
    return IceCandidate(
        candidate=data["candidate"],
        sdp_mid=str(data.get("sdpMid") or ""),
        sdp_m_line_index=int(data.get("sdpMLineIndex") or 0),
    )


def candidate_to_page(candidate: IceCandidate) -> Json:
    return {
        "candidate": candidate.candidate,
        "sdpMid": candidate.sdp_mid,
        "sdpMLineIndex": candidate.sdp_m_line_index,
    }


class WebRtcSession:
    """One page's ``WebRtcEndpoint``, and the candidates the page trickles before it exists.

    The page starts sending candidates as soon as it has made its offer, which can be
    long before the endpoint is created (in a call, the callee may take its time).
    """

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.endpoint: WebRtcEndpoint | None = None
        self._pending: list[IceCandidate] = []

    async def add_candidate(self, data: Any) -> None:
        candidate = candidate_from_page(data)
        if self.endpoint is None:
            self._pending.append(candidate)
        else:
            await self.endpoint.add_ice_candidate(candidate)

    async def create_endpoint(self, pipeline: MediaPipeline) -> WebRtcEndpoint:
        """Creates the endpoint, sends its candidates to the page, adds the queued ones."""
        endpoint = await WebRtcEndpoint.create(pipeline)

        async def found(event: IceCandidateFound) -> None:
            await self.signal.send("iceCandidate", candidate=candidate_to_page(event.candidate))

        await endpoint.on(IceCandidateFound, found)
        self.endpoint = endpoint
        pending, self._pending = self._pending, []
        for candidate in pending:
            await endpoint.add_ice_candidate(candidate)
        return endpoint

    async def answer(self, sdp_offer: Any) -> str:
        """Processes the page's offer and starts gathering (candidates follow the answer)."""
        if self.endpoint is None:
            raise RuntimeError("no endpoint yet")
        if not isinstance(sdp_offer, str):
            raise ValueError("sdpOffer: expected the SDP text")
        sdp_answer = await self.endpoint.process_offer(sdp_offer)
        return sdp_answer

    async def gather(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.gather_candidates()

    def reset(self, *, keep_pending: bool = False) -> None:
        """Forgets the endpoint (and, unless kept, the queued candidates)."""
        self.endpoint = None
        if not keep_pending:
            self._pending = []


async def release_quietly(obj: MediaPipeline | WebRtcEndpoint | None) -> None:
    """Releases a remote object; one that is already gone is no error here."""
    if obj is None:
        return
    try:
        await obj.release()
    except (TimeoutError, KurentoError, ConnectionClosed, ConnectionError) as exc:
        log.debug("release %s: %s", obj, exc)


def static_app(folder: Path, ws_handler: Callable[[web.Request], Any]) -> web.Application:
    """A demo's sub-application: its page at ``/``, files under ``/``, its socket at ``/ws``."""
    app = web.Application()

    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(folder / "index.html")

    app.router.add_get("/", index)
    app.router.add_get("/ws", ws_handler)
    app.router.add_static("/", folder)
    return app
