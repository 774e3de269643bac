"""MediaTranscodingStateChanged and isMediaTranscoding for elements whose engine transcodes.

Filters decode and re-encode; WebRtcEndpoint and RtpEndpoint transcode at their input
when a source's codec differs from the negotiated one. Their engines report it through
the listener method ``on_media_transcoding``; this mixin turns it into Kurento's event
and state.
"""

from __future__ import annotations

from kurento.engine.contract import MediaKind


class TranscodingReports:
    """MediaTranscodingStateChanged and isMediaTranscoding from ``on_media_transcoding``.

    A mixin for any MediaElement whose engine reports transcoding (filters here;
    the WebRtcEndpoint's media reports it too, through the same listener method).
    """

    transcoding: dict[MediaKind, bool]

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        table = self.__dict__.setdefault("transcoding", {})
        if table.get(kind, False) == transcoding:
            return  # KMS reports changes only: not transcoding is where every element starts
        table[kind] = transcoding
        self.emit("MediaTranscodingStateChanged",  # type: ignore[attr-defined]
                  state="TRANSCODING" if transcoding else "NOT_TRANSCODING",
                  binName=bin_name, mediaType=kind.value)

    def is_media_transcoding(self, media_type: str, bin_name: str | None = None) -> bool:
        super().is_media_transcoding(media_type, bin_name)  # type: ignore[misc]  # DATA: 40107
        return bool(self.__dict__.get("transcoding", {}).get(MediaKind(media_type), False))
