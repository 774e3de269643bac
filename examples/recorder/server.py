"""Recorder: the camera is shown back and recorded; then the recording is played back
(Kurento's "hello world with recording" tutorial, on our Python client).

Messages (page → server): ``start {sdpOffer}`` (record), ``stop``, ``play {sdpOffer}``
(play the last recording back), ``onIceCandidate {candidate}``; (server → page):
``startResponse {sdpAnswer}``, ``recording``, ``stopped {uri}``, ``playResponse
{sdpAnswer}``, ``playEnd``, ``iceCandidate {candidate}``, ``error {message, code}``.

Recordings go to ``$KURENTO_PY_RECORDINGS`` (default ``/tmp/kurento-py-recordings``),
which must be inside the media server's media roots (its default roots include /tmp).
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
    EndOfStream,
    Error,
    MediaPipeline,
    MediaProfileSpecType,
    PlayerEndpoint,
    RecorderEndpoint,
    Recording,
)

STATIC = Path(__file__).resolve().parent / "static"
RECORDINGS = Path(os.environ.get("KURENTO_PY_RECORDINGS", "/tmp/kurento-py-recordings"))


class RecorderSession:
    """One page: either recording its camera (loopback shown) or playing a recording."""

    def __init__(self, session: WebRtcSession) -> None:
        self.session = session
        self.pipeline: MediaPipeline | None = None
        self.recorder: RecorderEndpoint | None = None
        self.last_uri: str | None = None

    async def start(self, message: Json, request: web.Request) -> None:
        await self.stop(keep_pending=True)
        RECORDINGS.mkdir(parents=True, exist_ok=True)
        uri = (RECORDINGS / f"{uuid.uuid4()}.webm").as_uri()
        try:
            self.pipeline = await request.config_dict[MEDIA_SERVER_KEY].pipeline()
            endpoint = await self.session.create_endpoint(self.pipeline)
            recorder = await RecorderEndpoint.create(
                self.pipeline, uri, media_profile=MediaProfileSpecType.WEBM
            )

            async def recording(_event: Recording) -> None:
                await self.session.signal.send("recording")

            async def failed(event: Error) -> None:
                await self.session.signal.send("error", message=event.description,
                                               code=event.error_code)

            await recorder.on(Recording, recording)
            await recorder.on(Error, failed)
            await endpoint.connect(endpoint)
            await endpoint.connect(recorder)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
            await recorder.record()
        except BaseException:
            await self.stop()
            raise
        self.recorder, self.last_uri = recorder, uri
        await self.session.signal.send("startResponse", sdpAnswer=sdp_answer)
        await self.session.gather()

    async def play(self, message: Json, request: web.Request) -> None:
        await self.stop(keep_pending=True)
        if self.last_uri is None:
            raise ValueError("nothing recorded yet: record first")
        try:
            self.pipeline = await request.config_dict[MEDIA_SERVER_KEY].pipeline()
            endpoint = await self.session.create_endpoint(self.pipeline)
            player = await PlayerEndpoint.create(self.pipeline, self.last_uri)

            async def ended(_event: EndOfStream) -> None:
                await self.session.signal.send("playEnd")

            await player.on(EndOfStream, ended)
            await player.connect(endpoint)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
        except BaseException:
            await self.stop()
            raise
        await self.session.signal.send("playResponse", sdpAnswer=sdp_answer)
        await self.session.gather()
        await player.play()

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
            await self.session.signal.send("stopped", uri=self.last_uri)
        else:
            await release_quietly(pipeline)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    recorder = RecorderSession(WebRtcSession(signal))
    try:
        await signal.serve(
            "recorder",
            {
                "start": lambda m: recorder.start(m, request),
                "play": lambda m: recorder.play(m, request),
                "onIceCandidate": lambda m: recorder.session.add_candidate(m.get("candidate")),
                "stop": lambda m: recorder.stop(),
            },
        )
    finally:
        await recorder.stop()
    return signal.ws


def create_app() -> web.Application:
    return static_app(STATIC, websocket)
