"""Hello world: the page's camera goes to a ``WebRtcEndpoint`` connected to itself,
and comes back to the page (Kurento's tutorial 1, on our Python client).

Messages (page → server): ``start {sdpOffer}``, ``onIceCandidate {candidate}``,
``stop``; (server → page): ``startResponse {sdpAnswer}``, ``iceCandidate
{candidate}``, ``error {message, code}``.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from examples.common import (
    MEDIA_SERVER_KEY,
    Json,
    WebRtcSession,
    open_signal,
    release_quietly,
    static_app,
)
from kurento.client import MediaPipeline

STATIC = Path(__file__).resolve().parent / "static"


class Loopback:
    """One page's session: a pipeline with one endpoint that sends to itself."""

    def __init__(self, session: WebRtcSession) -> None:
        self.session = session
        self.pipeline: MediaPipeline | None = None

    async def start(self, message: Json, request: web.Request) -> None:
        # A new start replaces the old session; candidates of the new offer may
        # already be queued.
        await self.stop(keep_pending=True)
        try:
            self.pipeline = await request.config_dict[MEDIA_SERVER_KEY].pipeline()
            endpoint = await self.session.create_endpoint(self.pipeline)
            await endpoint.connect(endpoint)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
        except BaseException:
            await self.stop()  # nothing half-made stays on the media server
            raise
        await self.session.signal.send("startResponse", sdpAnswer=sdp_answer)
        await self.session.gather()

    async def stop(self, *, keep_pending: bool = False) -> None:
        pipeline, self.pipeline = self.pipeline, None
        self.session.reset(keep_pending=keep_pending)
        await release_quietly(pipeline)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    loopback = Loopback(WebRtcSession(signal))
    try:
        await signal.serve(
            "hello_world",
            {
                "start": lambda m: loopback.start(m, request),
                "onIceCandidate": lambda m: loopback.session.add_candidate(m.get("candidate")),
                "stop": lambda m: loopback.stop(),
            },
        )
    finally:
        await loopback.stop()
    return signal.ws


def create_app() -> web.Application:
    return static_app(STATIC, websocket)
