"""One to many: one presenter sends, any number of viewers receive (Kurento's one2many
tutorial, on our Python client). The presenter's ``WebRtcEndpoint`` is connected to
one ``WebRtcEndpoint`` per viewer, all in the presenter's pipeline.

Messages (page → server): ``presenter {sdpOffer}``, ``viewer {sdpOffer}``,
``onIceCandidate {candidate}``, ``stop``. (server → page): ``presenterResponse`` /
``viewerResponse {response: "accepted", sdpAnswer | response: "rejected", message}``,
``iceCandidate {candidate}``, ``stopCommunication``, ``error {message, code}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from examples.common import (
    MEDIA_SERVER_KEY,
    Json,
    MediaServer,
    WebRtcSession,
    open_signal,
    release_quietly,
    static_app,
)
from kurento.client import MediaPipeline

STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class Broadcast:
    """The presenter (at most one) and the viewers of this application."""

    presenter: WebRtcSession | None = None
    pipeline: MediaPipeline | None = None
    viewers: set[WebRtcSession] = field(default_factory=set)


BROADCAST_KEY = web.AppKey("one_to_many_broadcast", Broadcast)


class OneToMany:
    """The messages of one page, which is the presenter, a viewer, or not yet either."""

    def __init__(self, session: WebRtcSession, broadcast: Broadcast, media: MediaServer) -> None:
        self.session = session
        self.broadcast = broadcast
        self.media = media

    async def presenter(self, message: Json) -> None:
        if self.broadcast.presenter is not None or self.session in self.broadcast.viewers:
            await self.session.signal.send(
                "presenterResponse", response="rejected",
                message="Another user is currently acting as presenter. Try again later.")
            return
        self.broadcast.presenter = self.session  # taken at once: no second presenter meanwhile
        try:
            pipeline = self.broadcast.pipeline = await self.media.pipeline()
            await self.session.create_endpoint(pipeline)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
        except BaseException:
            await self.stop()
            raise
        await self.session.signal.send("presenterResponse", response="accepted",
                                       sdpAnswer=sdp_answer)
        await self.session.gather()

    async def viewer(self, message: Json) -> None:
        presenter, pipeline = self.broadcast.presenter, self.broadcast.pipeline
        if (presenter is None or presenter.endpoint is None or pipeline is None
                or self.session is presenter or self.session in self.broadcast.viewers):
            await self.session.signal.send(
                "viewerResponse", response="rejected",
                message="No active presenter. Try again later.")
            return
        self.broadcast.viewers.add(self.session)
        try:
            endpoint = await self.session.create_endpoint(pipeline)
            await presenter.endpoint.connect(endpoint)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
        except BaseException:
            await self.stop()
            raise
        await self.session.signal.send("viewerResponse", response="accepted",
                                       sdpAnswer=sdp_answer)
        await self.session.gather()

    async def stop(self) -> None:
        """Ends this page's part: a presenter ends the broadcast for every viewer."""
        if self.session is self.broadcast.presenter:
            pipeline, viewers = self.broadcast.pipeline, list(self.broadcast.viewers)
            self.broadcast.presenter, self.broadcast.pipeline = None, None
            self.broadcast.viewers.clear()
            for viewer in viewers:
                viewer.reset()
                await viewer.signal.send("stopCommunication")
            self.session.reset()
            await release_quietly(pipeline)
        elif self.session in self.broadcast.viewers:
            self.broadcast.viewers.discard(self.session)
            endpoint = self.session.endpoint
            self.session.reset()
            await release_quietly(endpoint)
        else:
            self.session.reset()


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    page = OneToMany(WebRtcSession(signal), request.app[BROADCAST_KEY],
                     request.config_dict[MEDIA_SERVER_KEY])
    try:
        await signal.serve(
            "one_to_many",
            {
                "presenter": page.presenter,
                "viewer": page.viewer,
                "onIceCandidate": lambda m: page.session.add_candidate(m.get("candidate")),
                "stop": lambda m: page.stop(),
            },
        )
    finally:
        await page.stop()
    return signal.ws


def create_app() -> web.Application:
    app = static_app(STATIC, websocket)
    app[BROADCAST_KEY] = Broadcast()
    return app
