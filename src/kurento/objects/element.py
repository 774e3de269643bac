"""MediaElement: connections, media-flow state, dot graphs (reference §2.2, §2.3).

The control plane owns the connection table and its events; the engine only
makes and removes the media links it is told to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kurento.engine.contract import ElementEngine, EncoderBitrateControl, Link, MediaKind
from kurento.objects.base import MediaObject
from kurento.objects.pipeline import MediaPipeline, write_dot_file
from kurento.protocol.errors import ConnectError, MediaObjectIllegalParamError

ALL_KINDS = (MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.DATA)
DEFAULT_PAD = "default"


@dataclass
class ElementLink:
    source: MediaElement
    sink: MediaElement
    kind: MediaKind
    source_description: str
    sink_description: str
    media: Link

    def as_connection_data(self) -> dict[str, Any]:
        return {
            "__type__": "ElementConnectionData",
            "source": self.source,
            "sink": self.sink,
            "type": self.kind.value,
            "sourceDescription": self.source_description,
            "sinkDescription": self.sink_description,
        }


class MediaElement(MediaObject):
    TYPE = "MediaElement"

    media: ElementEngine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flow_in: dict[tuple[MediaKind, str], bool] = {}
        self.flow_out: dict[tuple[MediaKind, str], bool] = {}
        self.video_caps: dict[str, Any] | None = None
        self.audio_caps: dict[str, Any] | None = None
        # KMS's own defaults (the interface gives none): 300 kbps, no floor, no ceiling.
        self.props.update(encoderBitrate=300_000, minEncoderBitrate=0, maxEncoderBitrate=0)

    @property
    def media_pipeline(self) -> MediaPipeline:
        pipeline = self.pipeline
        assert pipeline is not None, "a MediaElement always lives in a pipeline"
        return pipeline

    async def start(self) -> None:
        self.media = self.media_pipeline.engine_pipeline.create_element(self.TYPE, self)
        self._push_encoder_bitrates()

    async def release_media(self) -> None:
        pipeline = self.media_pipeline
        if pipeline.releasing:
            # The whole pipeline goes: its engine tears every element down at once.
            pipeline.links = [lk for lk in pipeline.links if self not in (lk.source, lk.sink)]
            return
        async with pipeline.lock:
            for link in [lk for lk in pipeline.links if self in (lk.source, lk.sink)]:
                pipeline.links.remove(link)
                await link.media.unlink()
        await self.media.close()

    # --- engine listener (called on the loop) -------------------------------------------

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        self._flow_changed(self.flow_in, "MediaFlowInStateChanged", kind, pad_name, flowing)

    def on_media_flow_out(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        self._flow_changed(self.flow_out, "MediaFlowOutStateChanged", kind, pad_name, flowing)

    def _flow_changed(
        self,
        table: dict[tuple[MediaKind, str], bool],
        event: str,
        kind: MediaKind,
        pad_name: str,
        flowing: bool,
    ) -> None:
        if table.get((kind, pad_name)) == flowing:
            return
        table[(kind, pad_name)] = flowing
        self.emit(
            event,
            state="FLOWING" if flowing else "NOT_FLOWING",
            padName=pad_name,
            mediaType=kind.value,
        )

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        self.emit("Error", type=error_type, errorCode=error_code, description=description)

    # --- connections ---------------------------------------------------------------------

    async def connect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
    ) -> None:
        # Connection changes of one pipeline never interleave (they await the engine).
        async with self.media_pipeline.lock:
            await self._connect(sink, media_type, source_media_description,
                                sink_media_description)

    async def _connect(
        self,
        sink: MediaElement,
        media_type: str | None,
        source_media_description: str | None,
        sink_media_description: str | None,
    ) -> None:
        source_pad = source_media_description or DEFAULT_PAD
        sink_pad = sink_media_description or DEFAULT_PAD
        if sink.media_pipeline is not self.media_pipeline:
            raise ConnectError("Media elements do not share pipeline")
        if source_pad != DEFAULT_PAD or sink_pad != DEFAULT_PAD:
            raise ConnectError(f"Cannot connect: no pad '{source_pad}' to '{sink_pad}'")
        kinds = [MediaKind(media_type)] if media_type else list(ALL_KINDS)
        links = self.media_pipeline.links
        for kind in kinds:
            previous = next(
                (lk for lk in links
                 if lk.sink is sink and lk.kind is kind and lk.sink_description == sink_pad),
                None,
            )
            if previous is not None and previous.source is self:
                continue  # already connected: nothing changes, as in KMS
            if previous is not None:
                # A sink pad has one source per media type: the old link goes first.
                await previous.source._remove_link(previous)
            link = ElementLink(self, sink, kind, source_pad, sink_pad,
                               self.media.link(sink.media, kind))
            links.append(link)
            self._emit_link_event("ElementConnected", link)

    async def disconnect(
        self,
        sink: MediaElement,
        media_type: str | None = None,
        source_media_description: str | None = None,
        sink_media_description: str | None = None,
    ) -> None:
        async with self.media_pipeline.lock:
            await self._disconnect(sink, media_type, source_media_description,
                                   sink_media_description)

    async def _disconnect(
        self,
        sink: MediaElement,
        media_type: str | None,
        source_media_description: str | None,
        sink_media_description: str | None,
    ) -> None:
        for link in list(self.media_pipeline.links):
            if (
                link.source is self
                and link.sink is sink
                and (media_type is None or link.kind.value == media_type)
                and (source_media_description is None
                     or link.source_description == source_media_description)
                and (sink_media_description is None
                     or link.sink_description == sink_media_description)
            ):
                await self._remove_link(link)

    async def _remove_link(self, link: ElementLink) -> None:
        self.media_pipeline.links.remove(link)
        await link.media.unlink()
        self._emit_link_event("ElementDisconnected", link)

    def _emit_link_event(self, event: str, link: ElementLink) -> None:
        self.emit(
            event,
            sink=link.sink,
            mediaType=link.kind.value,
            sourceMediaDescription=link.source_description,
            sinkMediaDescription=link.sink_description,
        )

    def _connections(
        self, mine: str, media_type: str | None, description: str | None
    ) -> list[dict[str, Any]]:
        result = []
        for link in self.media_pipeline.links:
            if getattr(link, mine) is not self:
                continue
            if media_type is not None and link.kind.value != media_type:
                continue
            pad = link.sink_description if mine == "sink" else link.source_description
            if description is not None and pad != description:
                continue
            result.append(link.as_connection_data())
        return result

    def get_source_connections(
        self, media_type: str | None = None, description: str | None = None
    ) -> list[dict[str, Any]]:
        """What feeds this element's sink pads."""
        return self._connections("sink", media_type, description)

    def get_sink_connections(
        self, media_type: str | None = None, description: str | None = None
    ) -> list[dict[str, Any]]:
        """What this element feeds."""
        return self._connections("source", media_type, description)

    # --- state queries ---------------------------------------------------------------

    def is_media_flowing_in(
        self, media_type: str, sink_media_description: str | None = None
    ) -> bool:
        return self._is_flowing(self.flow_in, media_type, sink_media_description)

    def is_media_flowing_out(
        self, media_type: str, source_media_description: str | None = None
    ) -> bool:
        return self._is_flowing(self.flow_out, media_type, source_media_description)

    def _is_flowing(
        self, table: dict[tuple[MediaKind, str], bool], media_type: str, pad: str | None
    ) -> bool:
        if media_type == "DATA":
            raise MediaObjectIllegalParamError("MediaType DATA is not supported for this query")
        return table.get((MediaKind(media_type), pad or DEFAULT_PAD), False)

    def is_media_transcoding(self, media_type: str, bin_name: str | None = None) -> bool:
        if media_type == "DATA":
            raise MediaObjectIllegalParamError("MediaType DATA is not supported for this query")
        return False

    # --- encoder bitrates (MediaElement properties; the engine applies them) -------------

    def set_encoder_bitrate(self, encoder_bitrate: int) -> None:
        self.props["encoderBitrate"] = encoder_bitrate
        self._push_encoder_bitrates()

    def set_min_encoder_bitrate(self, min_encoder_bitrate: int) -> None:
        self.props["minEncoderBitrate"] = min_encoder_bitrate
        self._push_encoder_bitrates()

    def set_max_encoder_bitrate(self, max_encoder_bitrate: int) -> None:
        self.props["maxEncoderBitrate"] = max_encoder_bitrate
        self._push_encoder_bitrates()

    def _push_encoder_bitrates(self) -> None:
        """Elements whose media never encodes (PassThrough...) only store the values."""
        media = getattr(self, "media", None)
        if isinstance(media, EncoderBitrateControl):
            media.set_encoder_bitrates(self.props["encoderBitrate"],
                                       self.props["minEncoderBitrate"],
                                       self.props["maxEncoderBitrate"])

    # --- formats, dot, stats --------------------------------------------------------

    def set_video_format(self, caps: dict[str, Any]) -> None:
        self.video_caps = caps

    def set_audio_format(self, caps: dict[str, Any]) -> None:
        self.audio_caps = caps

    def get_gstreamer_dot(self, details: str | None = None) -> str:
        return self.media.gstreamer_dot(details or "SHOW_ALL")

    def dump_gstreamer_dot(self, details: str | None = None) -> None:
        write_dot_file(self.id, self.get_gstreamer_dot(details))

    def get_stats(self, media_type: str | None = None) -> dict[str, Any]:
        return {
            self.id: {
                "__type__": "ElementStats",
                "id": self.id,
                "type": "element",
                "timestampMillis": int(time.time() * 1000),
                "inputLatency": [],
            }
        }
