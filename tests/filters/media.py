"""Test elements for filters: a pattern source (raw or VP8) and a sink that decodes frames."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement

from ..engine.helpers import Recorder

_SIZE = "width=160,height=120,framerate=15/1"


class FilterRecorder(Recorder):
    """A FilterListener that keeps transcoding reports and filter events too."""

    def __init__(self) -> None:
        super().__init__()
        self.transcoding: list[tuple[MediaKind, bool, str]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []

    def on_media_transcoding(self, kind: MediaKind, transcoding: bool, bin_name: str) -> None:
        self.transcoding.append((kind, transcoding, bin_name))

    def on_filter_event(self, name: str, fields: Mapping[str, Any]) -> None:
        self.events.append((name, dict(fields)))


class PatternSource(GstElement):
    """A live videotestsrc ``pattern``; ``encode`` sends it as VP8 (as a WebRtcEndpoint would)."""

    factory = "PatternSource"
    pattern = "smpte"
    encode = False
    __test__ = False

    def build(self) -> None:
        source = self.make("videotestsrc", is_live=True)
        Gst.util_set_object_arg(source, "pattern", self.pattern)
        caps = self.make("capsfilter",
                         caps=Gst.Caps.from_string(f"video/x-raw,format=I420,{_SIZE}"))
        source.link(caps)
        last = caps
        if self.encode:
            encoder = self.make("vp8enc", deadline=1, cpu_used=16, keyframe_max_dist=30)
            last.link(encoder)
            last = encoder
        self.add_output(MediaKind.VIDEO, last.get_static_pad("src"))


def pattern_source(pattern: str, *, encode: bool) -> type[PatternSource]:
    return type(f"{pattern}Source", (PatternSource,), {"pattern": pattern, "encode": encode})


class FrameSink(GstElement):
    """Decodes its video input (any codec) to RGB; :meth:`frame` is the latest frame."""

    factory = "FrameSink"
    __test__ = False

    def build(self) -> None:
        self._lock = threading.Lock()
        self._frames = 0
        entry = self.make("identity", "video_in")
        decode = self.make("decodebin")
        self._convert = self.make("videoconvert")
        rgb = self.make("capsfilter", caps=Gst.Caps.from_string("video/x-raw,format=RGB"))
        self._sink = self.make("appsink", sync=False, async_=False, emit_signals=True,
                               max_buffers=1, drop=True)
        entry.link(decode)
        self._convert.link(rgb)
        rgb.link(self._sink)
        decode.connect("pad-added", self._on_pad)
        self._sink.connect("new-sample", self._on_sample)
        self.add_input(MediaKind.VIDEO, entry.get_static_pad("sink"))
        self._last: Any = None

    def _on_pad(self, _decode: Any, pad: Any) -> None:
        pad.link(self._convert.get_static_pad("sink"))

    def _on_sample(self, sink: Any) -> Any:
        sample = sink.emit("pull-sample")
        with self._lock:
            self._frames += 1
            self._last = sample
        return Gst.FlowReturn.OK

    def frames(self) -> int:
        with self._lock:
            return self._frames

    def frame(self) -> np.ndarray:
        """The latest frame as an (H, W, 3) RGB array."""
        with self._lock:
            sample = self._last
        assert sample is not None, "no frame yet"
        structure = sample.get_caps().get_structure(0)
        width, height = structure.get_value("width"), structure.get_value("height")
        stride = (width * 3 + 3) & ~3
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        assert ok
        try:
            rows = np.frombuffer(info.data, np.uint8, stride * height).reshape(height, stride)
            return np.array(rows[:, : width * 3].reshape(height, width, 3))
        finally:
            buffer.unmap(info)
