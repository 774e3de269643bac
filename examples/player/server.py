"""Player: a file or URL played to the page through a PlayerEndpoint (Kurento's "player"
tutorial, on our Python client), with pause, resume, seek and the source's video info.

Messages (page → server): ``start {sdpOffer, videourl}``, ``pause``, ``resume``,
``doSeek {position}``, ``getPosition``, ``stop``, ``onIceCandidate {candidate}``;
(server → page): ``startResponse {sdpAnswer}``, ``videoInfo {isSeekable, initSeekable,
endSeekable, videoDuration}``, ``position {position}``, ``playEnd``, ``iceCandidate``,
``error {message, code}``.

The page offers a sample clip that this app writes once with GStreamer's command line
tools into ``$KURENTO_PY_MEDIA`` (default ``/tmp/kurento-py-media``, inside the media
server's default media roots), so the demo works with no file of your own.
"""

from __future__ import annotations

import asyncio
import logging
import os
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
from kurento.client import EndOfStream, Error, MediaPipeline, PlayerEndpoint

log = logging.getLogger("examples.player")

STATIC = Path(__file__).resolve().parent / "static"
MEDIA = Path(os.environ.get("KURENTO_PY_MEDIA", "/tmp/kurento-py-media"))
SAMPLE = MEDIA / "sample.webm"
# Ten seconds of VP8 + Opus (a moving ball and ticks), small enough to write in a second or two.
_SAMPLE_PIPELINE = (
    "webmmux name=mux ! filesink location={path} "
    "videotestsrc num-buffers=300 pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 "
    "! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=60 "
    "target-bitrate=600000 ! queue ! mux. "
    "audiotestsrc num-buffers=470 wave=ticks ! audioconvert ! audioresample ! opusenc "
    "! queue ! mux."
)
_sample_lock = asyncio.Lock()


async def sample_uri() -> str:
    """The sample clip's URI, written first if it is missing."""
    async with _sample_lock:
        if not SAMPLE.is_file():
            MEDIA.mkdir(parents=True, exist_ok=True)
            partial = SAMPLE.with_suffix(".partial.webm")
            process = await asyncio.create_subprocess_exec(
                "gst-launch-1.0", "-q", *_SAMPLE_PIPELINE.format(path=partial).split(),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
            _, stderr = await process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"cannot write the sample clip: {stderr.decode()[-300:]}")
            partial.replace(SAMPLE)
    return SAMPLE.as_uri()


class PlayerSession:
    """One page's playback: a pipeline with a PlayerEndpoint feeding its WebRtcEndpoint."""

    def __init__(self, session: WebRtcSession) -> None:
        self.session = session
        self.pipeline: MediaPipeline | None = None
        self.player: PlayerEndpoint | None = None

    async def start(self, message: Json, request: web.Request) -> None:
        await self.stop(keep_pending=True)
        uri = message.get("videourl") or await sample_uri()
        if not isinstance(uri, str):
            raise ValueError("videourl: expected a URI")
        try:
            self.pipeline = await request.config_dict[MEDIA_SERVER_KEY].pipeline()
            endpoint = await self.session.create_endpoint(self.pipeline)
            player = await PlayerEndpoint.create(self.pipeline, uri)

            async def ended(_event: EndOfStream) -> None:
                await self.session.signal.send("playEnd")

            async def failed(event: Error) -> None:
                await self.session.signal.send("error", message=event.description,
                                               code=event.error_code)

            await player.on(EndOfStream, ended)
            await player.on(Error, failed)
            await player.connect(endpoint)
            sdp_answer = await self.session.answer(message.get("sdpOffer"))
        except BaseException:
            await self.stop()
            raise
        self.player = player
        await self.session.signal.send("startResponse", sdpAnswer=sdp_answer)
        await self.session.gather()
        await player.play()
        info = await player.get_video_info()
        await self.session.signal.send(
            "videoInfo",
            isSeekable=info.is_seekable,
            initSeekable=info.seekable_init,
            endSeekable=info.seekable_end,
            videoDuration=info.duration,
        )

    def _playing(self) -> PlayerEndpoint:
        if self.player is None:
            raise ValueError("nothing is playing")
        return self.player

    async def pause(self) -> None:
        await self._playing().pause()

    async def resume(self) -> None:
        await self._playing().play()

    async def seek(self, message: Json) -> None:
        position = message.get("position")
        if not isinstance(position, int | float):
            raise ValueError("position: expected milliseconds")
        await self._playing().set_position(int(position))

    async def position(self) -> None:
        position = await self._playing().get_position()
        await self.session.signal.send("position", position=position)

    async def stop(self, *, keep_pending: bool = False) -> None:
        pipeline, self.pipeline, self.player = self.pipeline, None, None
        self.session.reset(keep_pending=keep_pending)
        await release_quietly(pipeline)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    signal = await open_signal(request)
    player = PlayerSession(WebRtcSession(signal))
    try:
        await signal.serve(
            "player",
            {
                "start": lambda m: player.start(m, request),
                "pause": lambda m: player.pause(),
                "resume": lambda m: player.resume(),
                "doSeek": player.seek,
                "getPosition": lambda m: player.position(),
                "onIceCandidate": lambda m: player.session.add_candidate(m.get("candidate")),
                "stop": lambda m: player.stop(),
            },
        )
    finally:
        await player.stop()
    return signal.ws


def create_app() -> web.Application:
    return static_app(STATIC, websocket)
