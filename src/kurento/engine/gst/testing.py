"""Engine-level test sources and sinks; not Kurento types, never in ``FACTORIES``.

Tests (and, as a pattern, later source/sink elements) make them with
:func:`create_test_source` / :func:`create_test_sink`. Counting needs no
Python per buffer: the sink reads ``fakesink``'s own ``stats``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..contract import ElementListener, MediaKind
from ._gst import Gst
from .element import GstElement
from .pipeline import GstPipelineEngine

_CAPS = {
    MediaKind.VIDEO: "video/x-raw,format=I420,width=160,height=120,framerate=30/1",
    MediaKind.AUDIO: "audio/x-raw,rate=48000,channels=1",
}
_SOURCES = {MediaKind.VIDEO: "videotestsrc", MediaKind.AUDIO: "audiotestsrc"}


class NullListener:
    """An :class:`ElementListener` that ignores everything."""

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        pass

    def on_media_flow_out(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        pass

    def on_error(self, error_type: str, error_code: int, description: str) -> None:
        pass


class TestSource(GstElement):
    """Live ``videotestsrc`` / ``audiotestsrc`` outputs; counts keyframe requests reaching it."""

    factory = "TestSource"
    __test__ = False  # not a pytest class

    def build(self) -> None:
        self._lock = threading.Lock()
        self._key_frame_requests = dict.fromkeys(_SOURCES, 0)
        self._probes: list[tuple[Any, int]] = []
        for kind, factory in _SOURCES.items():
            source = self.make(factory, is_live=True)
            caps = self.make("capsfilter", caps=Gst.Caps.from_string(_CAPS[kind]))
            source.link(caps)
            self.add_output(kind, caps.get_static_pad("src"))
            tee_sink = self.output_tee(kind).get_static_pad("sink")
            # Python only for upstream events, which are rare.
            probe = tee_sink.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, self._on_upstream, kind)
            self._probes.append((tee_sink, probe))

    def teardown(self) -> None:
        # The probe's closure holds us; C holds the closure: break the cycle.
        for pad, probe in self._probes:
            pad.remove_probe(probe)
        self._probes.clear()

    def key_frame_requests(self, kind: MediaKind) -> int:
        """How many GstForceKeyUnit events arrived back at this source's output."""
        with self._lock:
            return self._key_frame_requests[kind]

    def _on_upstream(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        if info.get_event().has_name("GstForceKeyUnit"):
            with self._lock:
                self._key_frame_requests[kind] += 1
        return Gst.PadProbeReturn.OK


class TestSink(GstElement):
    """Inputs that end in ``fakesink`` (no sync, no preroll); buffers counted natively."""

    factory = "TestSink"
    __test__ = False

    def build(self) -> None:
        self._sinks: dict[MediaKind, Any] = {}
        for kind in _SOURCES:
            sink = self.make("fakesink", sync=False, async_=False, enable_last_sample=False)
            self._sinks[kind] = sink
            self.add_input(kind, sink.get_static_pad("sink"))

    def buffers(self, kind: MediaKind) -> int:
        """Buffers rendered so far on the ``kind`` input."""
        stats = self._sinks[kind].get_property("stats")
        return int(stats.get_value("rendered"))

    def request_key_frame(self, kind: MediaKind) -> bool:
        """Send a GstForceKeyUnit upstream from this sink's input, as an encoder would."""
        structure = Gst.Structure.new_from_string(
            "GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"
        )
        event = Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, structure)
        return bool(self._sinks[kind].get_static_pad("sink").push_event(event))


def create_test_source(
    pipeline: GstPipelineEngine, listener: ElementListener | None = None
) -> TestSource:
    return pipeline.create_element_of(TestSource, listener or NullListener())


def create_test_sink(
    pipeline: GstPipelineEngine, listener: ElementListener | None = None
) -> TestSink:
    return pipeline.create_element_of(TestSink, listener or NullListener())
