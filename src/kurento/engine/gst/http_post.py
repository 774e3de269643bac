"""Media part of HttpPostEndpoint: uploaded bytes → parsebin → live VP8/H.264 and Opus.

Layout::

    appsrc (bytes) → parsebin ─video→ queue → [VP8/H.264 as is | decode → vp8enc]
                              │          → clocksync → video output tee
                              └─audio→ queue → [Opus as is | decode → opusenc]
                                         → clocksync → audio output tee

* Bytes arrive from aiohttp in request-body chunks (no Python per packet) and
  wait for room: when ``appsrc`` holds ``MAX_QUEUED_BYTES``, ``push`` awaits
  its ``need-data`` signal (queue half empty), so a fast uploader is paced by
  playback and the loop never blocks.
* A file's timestamps start near zero. When ``parsebin`` exposes its streams,
  one pad offset, the same for every stream, moves them to "now" in the
  MediaPipeline's shared running time, and ``clocksync`` paces them in real
  time: downstream elements see a live stream.
* The upload's end (EOS) never leaves the element (downstream elements must
  keep working); it is reported once every output has seen it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Iterable
from typing import Any

from ..contract import MediaKind
from ._gst import Gst
from .element import GstElement
from .encoder_rate import EncoderRate

log = logging.getLogger(__name__)

MAX_QUEUED_BYTES = 1 << 20
ROOM_POLL_S = 0.2
# Headroom between "now" and the first buffer's running time, for the first decode.
START_DELAY_NS = 300 * Gst.MSECOND
_PASS_THROUGH = {
    MediaKind.VIDEO: ("video/x-vp8", "video/x-h264"),
    MediaKind.AUDIO: ("audio/x-opus",),
}
_H264_OUT = "video/x-h264,stream-format=byte-stream,alignment=au"


class HttpPostElement(GstElement):
    """The upload's byte stream, demuxed and paced onto live encoded outputs."""

    factory = "HttpPostEndpoint"

    def build(self) -> None:
        self._lock = threading.Lock()
        self._offset: int | None = None  # the shared pad offset, once known
        self._room = asyncio.Event()
        self._room.set()
        self._ended = False
        self._failed = False
        self._kinds_found: set[MediaKind] = set()  # the upload's streams, by kind
        self._kinds_ended: set[MediaKind] = set()  # ... whose EOS reached the output
        self._probes: list[tuple[Any, int]] = []
        self.encoder_rate = EncoderRate(self.runtime, self.name)
        self._appsrc = self.make(
            "appsrc", "upload", format=Gst.Format.BYTES, is_live=False,
            max_bytes=MAX_QUEUED_BYTES, min_percent=50, block=False,
        )
        self._appsrc.set_property("stream-type", 0)  # GST_APP_STREAM_TYPE_STREAM
        parsebin = self.make("parsebin")
        self._appsrc.link(parsebin)
        # (object, handler id): C holds these closures, and through them us.
        self._handlers = [
            (self._appsrc, self._appsrc.connect("need-data", self._on_need_data)),
            (parsebin, parsebin.connect("pad-added", self._on_stream)),
        ]
        # The outputs exist from the start (links may be made before the upload).
        self._branch_heads: dict[MediaKind, Any] = {}
        for kind in (MediaKind.VIDEO, MediaKind.AUDIO):
            clocksync = self.make("clocksync", f"{kind.value.lower()}_pace", sync=True)
            self._branch_heads[kind] = clocksync
            src = clocksync.get_static_pad("src")
            self.add_output(kind, src)
            probe = src.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_output_event, kind)
            self._probes.append((src, probe))

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return ()  # no inputs

    def teardown(self) -> None:
        for gobject, handler in self._handlers:
            gobject.disconnect(handler)
        self._handlers.clear()
        for pad, probe in self._probes:
            pad.remove_probe(probe)
        self._probes.clear()
        self.encoder_rate.close()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        self.encoder_rate.configure(target, minimum, maximum)

    # -- UploadMedia (loop thread) ------------------------------------------------

    async def push(self, chunk: bytes) -> bool:
        await self.started()
        while self._appsrc.get_property("current-level-bytes") >= MAX_QUEUED_BYTES:
            if self._closed_for_input():
                return False
            # need-data sets it again once the queue is half empty; the timeout covers
            # a signal that came between the level check and this clear().
            self._room.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._room.wait(), ROOM_POLL_S)
        if self._closed_for_input():
            return False
        result = self._appsrc.emit("push-buffer", Gst.Buffer.new_wrapped(chunk))
        return bool(result == Gst.FlowReturn.OK)

    async def close(self) -> None:
        self._room.set()  # a push waiting for room wakes up and sees the element closing
        await super().close()

    def end_upload(self) -> None:
        if not self._ended:
            self._ended = True
            self._appsrc.emit("end-of-stream")
            self._room.set()

    def _closed_for_input(self) -> bool:
        return self._ended or self._failed or self._close_task is not None

    # -- streaming threads ----------------------------------------------------------

    def _on_need_data(self, _appsrc: Any, _length: int) -> None:
        self.runtime.call_soon(self._room.set)

    def _on_stream(self, _parsebin: Any, pad: Any) -> None:
        """parsebin found an elementary stream: route it to its output, or refuse it."""
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_name() if caps.get_size() else ""
        kind = MediaKind.VIDEO if media.startswith("video/") else (
            MediaKind.AUDIO if media.startswith("audio/") else None)
        with self._lock:
            taken = kind in self._kinds_found
            if kind is not None:
                self._kinds_found.add(kind)
        if kind is None or taken:
            # Subtitles, a second video track...: dropped, the upload goes on.
            log.warning("%r: ignoring uploaded stream %s", self, media or "?")
            self._terminate(pad)
            return
        with self._lock:
            if self._offset is None:
                # Demuxers expose every stream before their first data: "now" is the
                # upload's start, the same for all streams (A/V sync is kept).
                now = self.runtime.clock.get_time() - self.runtime.base_time
                self._offset = now + START_DELAY_NS
            pad.set_offset(self._offset)
        # The queue decouples the streams: a file's coarse interleaving must not
        # stall one output while the other waits for its time.
        queue = self.make("queue", max_size_buffers=0, max_size_bytes=0,
                          max_size_time=3 * Gst.SECOND)
        self._link_chain(pad, [queue, *self._encoding(kind, media)], self._branch_heads[kind])

    def _encoding(self, kind: MediaKind, media: str) -> list[Any]:
        """Elements that turn an uploaded ``media`` stream into our output convention."""
        if media == "video/x-h264":
            return [self.make("h264parse", config_interval=-1),
                    self.make("capsfilter", caps=Gst.Caps.from_string(_H264_OUT))]
        if media in _PASS_THROUGH[kind]:
            return []
        if kind is MediaKind.VIDEO:
            encoder = self.make("vp8enc", deadline=1, cpu_used=8, keyframe_max_dist=60,
                                error_resilient=1)
            self.encoder_rate.attach(encoder)  # its bitrate, and REMB from downstream
            return [self.make("decodebin"), self.make("videoconvert"), encoder]
        return [self.make("decodebin"), self.make("audioconvert"), self.make("audioresample"),
                self.make("opusenc")]

    def _link_chain(self, pad: Any, chain: list[Any], tail: Any) -> None:
        # Downstream first, so the stream's first buffer finds a linked chain.
        for upstream, downstream in itertools.pairwise([*chain, tail]):
            if upstream.get_factory().get_name() == "decodebin":
                upstream.connect("pad-added", _link_decoded, downstream)
            else:
                upstream.link(downstream)
        for element in chain:
            element.sync_state_with_parent()
        if pad.link(chain[0].get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            log.error("%r: cannot take the uploaded stream %s", self, pad.get_current_caps())

    def _terminate(self, pad: Any) -> None:
        sink = self.make("fakesink", sync=False, async_=False)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))

    def _on_output_event(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        """EOS stays inside: downstream elements outlive an upload."""
        if info.get_event().type != Gst.EventType.EOS:
            return Gst.PadProbeReturn.OK
        with self._lock:
            self._kinds_ended.add(kind)
            done = self._kinds_ended >= self._kinds_found
        if done:
            self.runtime.call_soon(self._report_end)
        return Gst.PadProbeReturn.DROP

    def _report_end(self) -> None:
        on_end = getattr(self.listener, "on_end_of_stream", None)
        if on_end is not None and self._close_task is None:
            on_end()

    def _on_error(self, message: Any) -> None:
        self._failed = True
        self.runtime.call_soon(self._room.set)
        super()._on_error(message)


def _link_decoded(_decodebin: Any, pad: Any, downstream: Any) -> None:
    """decodebin exposed its decoded pad: link it on (once)."""
    sink = downstream.get_static_pad("sink")
    if not sink.is_linked():
        pad.link(sink)
