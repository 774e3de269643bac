"""RecorderEndpoint: writes what it receives to a file (reference §2.2, §2.3).

State machine (KMS): ``record()`` → START (``Recording`` once media reaches the
file), ``pause()`` → PAUSE (``Paused``), ``stop()`` / ``stopAndWait()`` → STOP
(``Stopped`` once the file is finalized: index and duration written). Releasing
the recorder or its pipeline finalizes the file too (the engine's ``close``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from kurento.engine.contract import MediaKind
from kurento.engine.recording import PROFILES, RecorderMedia
from kurento.objects.media_uri import file_path, scheme_of
from kurento.objects.uri_endpoint import PAUSE, START, STOP, UriEndpoint
from kurento.protocol.errors import MediaObjectIllegalParamError, UriPathFileNotFound


class RecorderEndpoint(UriEndpoint):
    TYPE = "RecorderEndpoint"
    WRITES = True

    media: RecorderMedia

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.media_profile = str(self.params.get("mediaProfile") or "WEBM")
        self.stop_on_end_of_stream = bool(self.params.get("stopOnEndOfStream", False))
        self._stopping: asyncio.Task[None] | None = None
        self.transcoding: dict[MediaKind, bool] = {}

    async def start(self) -> None:
        recording_format = PROFILES.get(self.media_profile)
        if recording_format is None:
            raise MediaObjectIllegalParamError(
                f"Media profile '{self.media_profile}' is not supported by this server "
                f"(supported: {', '.join(PROFILES)})"
            )
        if scheme_of(self.uri) != "file":
            # Upload by HTTP POST is not implemented: refuse at once rather than lose media.
            raise UriPathFileNotFound(f"Only file:// URIs can be recorded to: '{self.uri}'")
        await super().start()
        path = file_path(self.uri, self.uri_policy(), for_writing=True)
        self.media.configure(str(path), recording_format, self.stop_on_end_of_stream)

    # --- remote operations ---------------------------------------------------------

    async def record(self) -> None:
        if self._stopping is not None:
            await asyncio.shield(self._stopping)  # a new recording starts after the last
        if self.state == START:
            return
        self.media.record()
        self.set_state(START)

    def pause(self) -> None:
        if self.state != START:
            return
        self.media.pause()
        self.set_state(PAUSE)
        self.emit("Paused")

    async def stop(self) -> None:
        self._begin_stop()

    async def stop_and_wait(self) -> None:
        await asyncio.shield(self._begin_stop())

    def _begin_stop(self) -> asyncio.Task[None]:
        if self._stopping is None:
            self._stopping = asyncio.get_running_loop().create_task(self._stop_recording())
        return self._stopping

    async def _stop_recording(self) -> None:
        try:
            if self.state == STOP:
                return
            self.set_state(STOP)
            await self.media.stop()
            self.emit("Stopped")
        finally:
            self._stopping = None

    # --- engine listener (on the loop) ---------------------------------------------

    def on_recording(self) -> None:
        if self.state == START:
            self.emit("Recording")

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        if self.transcoding.get(kind, False) == transcoding:
            return  # KMS reports changes only: copying is where every element starts
        self.transcoding[kind] = transcoding
        self.emit("MediaTranscodingStateChanged",
                  state="TRANSCODING" if transcoding else "NOT_TRANSCODING",
                  binName=bin_name, mediaType=kind.value)

    def is_media_transcoding(self, media_type: str, bin_name: str | None = None) -> bool:
        super().is_media_transcoding(media_type, bin_name)  # refuses DATA
        return self.transcoding.get(MediaKind(media_type), False)

    def on_end_of_stream(self) -> None:
        if self.state != STOP and not self.released:
            self._begin_stop()
