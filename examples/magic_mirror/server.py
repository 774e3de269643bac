"""Magic mirror: the camera comes back with a hat on every face, and is recorded
(Kurento's magic mirror tutorial, on our Python client, with the recording of the seed's
example pipeline).

Pipeline: ``WebRtcEndpoint → FaceOverlayFilter → WebRtcEndpoint`` (the same one), and
``FaceOverlayFilter → RecorderEndpoint`` (WebM: the hatted video and the page's audio).

As in Kurento's tutorial, the media server fetches the hat from this app's own web
server (``/magic_mirror/img/hat.png``; ``$KURENTO_PY_HAT_URL`` overrides the URL when
the media server reaches this app by another address). The media server refuses to
fetch from loopback or private addresses unless its ``internal_networks`` setting
allows them: ``scripts/run.sh`` starts it with 127.0.0.1 allowed.

Messages (page → server): ``start {sdpOffer}``, ``stop``, ``onIceCandidate
{candidate}``; (server → page): ``startResponse {sdpAnswer}``, ``recording``,
``stopped {uri}``, ``iceCandidate {candidate}``, ``error {message, code}``.
"""

from __future__ import annotations

import os
import uuid
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
from kurento.client import (
    Error,
    FaceOverlayFilter,
    MediaPipeline,
    MediaProfileSpecType,
    RecorderEndpoint,
    Recording,
)

STATIC = Path(__file__).resolve().parent / "static"
RECORDINGS = Path(os.environ.get("KURENTO_PY_RECORDINGS", "/tmp/kurento-py-recordings"))
# Kurento's tutorial values: offsets and size as fractions of the face; the hat image is
# opaque in its top three quarters, so its brim sits on the forehead.
HAT_PLACEMENT = (-0.35, -1.2, 1.6, 1.6)


def hat_url(request: web.Request) -> str:
    configured = os.environ.get("KURENTO_PY_HAT_URL")
    if configured:
        return configured
    return str(request.url.with_path("/magic_mirror/img/hat.png").with_query(None))


class MagicMirrorSession:
    def __init__(self, session: WebRtcSession) -> None:
        self.session = session
        self.pipeline: MediaPipeline | None = None
        self.recorder: RecorderEndpoint | None = None
        self.uri: str | None = None

    async def start(self, message: Json, request: web.Request) -> None:
        await self.stop(keep_pending=True)
        RECORDINGS.mkdir(parents=True, exist_ok=True)
        uri = (RECORDINGS / f"magic-mirror-{uuid.uuid4()}.webm").as_uri()
        try:
            self.pipeline = await request.config_dict[MEDIA_SERVER_KEY].pipeline()
            endpoint = await self.session.create_endpoint(self.pipeline)
            face_filter = await FaceOverlayFilter.create(self.pipeline)
            await face_filter.set_overlayed_image(hat_url(request), *HAT_PLACEMENT)
            recorder = await RecorderEndpoint.create(
                self.pipeline, uri, media_profile=MediaProfileSpecType.WEBM)

            async def recording(_event: Recording) -> None:
                await self.session.signal.send("recording")

            async def failed(event: Error) -> None:
                await self.session.signal.send("error", message=event.description,
                                               code=event.error_code)

            await recorder.on(Recording, recording)
            await recorder.on(Error, failed)
            await face_filter.on(Error, failed)
            await endpoint.connect(face_filter)
            await face_filter.connect(endpoint)
            await face_filter.connect(recorder)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
            await recorder.record()
        except BaseException:
            await self.stop()
            raise
        self.recorder, self.uri = recorder, uri
        await self.session.signal.send("startResponse", sdpAnswer=sdp_answer)
        await self.session.gather()

    async def stop(self, *, keep_pending: bool = False) -> None:
        """Finishes the recording (everything written) and releases the pipeline."""
        recorder, self.recorder = self.recorder, None
        pipeline, self.pipeline = self.pipeline, None
        self.session.reset(keep_pending=keep_pending)
        if recorder is not None:
            try:
                await recorder.stop_and_wait()
            finally:
                await release_quietly(pipeline)
            await self.session.signal.send("stopped", uri=self.uri)
        else:
            await release_quietly(pipeline)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    mirror = MagicMirrorSession(WebRtcSession(signal))
    try:
        await signal.serve(
            "magic_mirror",
            {
                "start": lambda m: mirror.start(m, request),
                "onIceCandidate": lambda m: mirror.session.add_candidate(m.get("candidate")),
                "stop": lambda m: mirror.stop(),
            },
        )
    finally:
        await mirror.stop()
    return signal.ws


def create_app() -> web.Application:
    return static_app(STATIC, websocket)
