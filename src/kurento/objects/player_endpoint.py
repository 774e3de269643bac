"""PlayerEndpoint: a file, HTTP or RTSP source fed into the pipeline (reference §2.2, §2.3).

The URI was checked at create (:class:`UriEndpoint`). The media part is a
:class:`~kurento.engine.playing.PlayerMedia`; this object drives it and keeps
Kurento's state: START on play, PAUSE on pause, STOP on stop, at the end of the
stream (``EndOfStream``) and after a source error (``Error``).

``useEncodedMedia`` is accepted and kept, but both values behave alike: VP8,
H.264 and Opus pass through undecoded, other codecs are re-encoded to VP8/Opus
(see :mod:`kurento.engine.gst.player` for why). ``MediaTranscodingStateChanged``
says which streams are re-encoded.
"""

from __future__ import annotations

from typing import Any

from kurento.engine.contract import MediaKind
from kurento.engine.playing import PlayerConfig, PlayerMedia, SeekError
from kurento.objects.element import DEFAULT_PAD
from kurento.objects.uri_endpoint import PAUSE, START, STOP, UriEndpoint
from kurento.protocol import errors as e


class PlayerEndpoint(UriEndpoint):
    TYPE = "PlayerEndpoint"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.use_encoded_media = bool(self.params.get("useEncodedMedia", False))
        self.network_cache = int(self.params.get("networkCache", 2000))
        self.transcoding: dict[MediaKind, bool] = {}

    async def start(self) -> None:
        await super().start()
        self.player_media.configure(PlayerConfig(
            uri=self.uri,
            network_cache_ms=self.network_cache,
            use_encoded_media=self.use_encoded_media,
        ))

    @property
    def player_media(self) -> PlayerMedia:
        media = self.media
        if not isinstance(media, PlayerMedia):
            raise e.UnexpectedError("the media engine has no player")
        return media

    # --- UriEndpoint / PlayerEndpoint operations ----------------------------------------

    async def play(self) -> None:
        # START first: a source error found while starting then ends in STOP, not START.
        self.set_state(START)
        await self.player_media.play()

    async def pause(self) -> None:
        if self.state == START:
            await self.player_media.pause()
            self.set_state(PAUSE)

    async def stop(self) -> None:
        await self.player_media.stop()
        self.set_state(STOP)

    def get_position(self) -> int:
        return self.player_media.position()

    async def set_position(self, position: int) -> None:
        if position < 0:
            raise e.PlayerSeekFail(f"Cannot seek to a negative position ({position} ms)")
        try:
            await self.player_media.seek(position)
        except SeekError as error:
            raise e.PlayerSeekFail(f"Seek to {position} ms failed: {error}") from None

    async def get_video_info(self) -> dict[str, Any]:
        info = await self.player_media.media_info()
        return {
            "__type__": "VideoInfo",
            "isSeekable": info.seekable,
            "seekableInit": info.seekable_init,
            "seekableEnd": info.seekable_end,
            "duration": info.duration,
        }

    def get_element_gstreamer_dot(self) -> str:
        return self.media.gstreamer_dot("SHOW_ALL")

    # --- engine listener (on the loop) ----------------------------------------------

    def on_end_of_stream(self) -> None:
        self.set_state(STOP)
        self.emit("EndOfStream")

    def on_transcoding(self, kind: MediaKind, transcoding: bool) -> None:
        if self.transcoding.get(kind, False) == transcoding:
            return
        self.transcoding[kind] = transcoding
        self.emit("MediaTranscodingStateChanged",
                  state="TRANSCODING" if transcoding else "NOT_TRANSCODING",
                  binName=DEFAULT_PAD, mediaType=kind.value)

    def is_media_transcoding(self, media_type: str, bin_name: str | None = None) -> bool:
        super().is_media_transcoding(media_type, bin_name)  # refuses DATA
        return self.transcoding.get(MediaKind(media_type), False)

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        super().on_error(error_type, error_code, description)
        self.set_state(STOP)  # the engine dropped the source
