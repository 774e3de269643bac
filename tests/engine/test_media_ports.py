"""The WebRtcEndpoint's input path when negotiation and the first media cross.

A viewer's bridge brings the source's CAPS event on a streaming thread while a worker
thread links the negotiated payloader (``MediaPorts.link_input``). In whatever order
they come, media must then reach the payloader: when they crossed, one viewer in a
few dozen of the one-to-many bench got no video (or no audio) for its whole session.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst, ensure_init, make_element
from kurento.engine.gst.webrtc_media import MediaPorts

VP8 = "video/x-vp8,width=160,height=120,framerate=30/1"


class PortsHost:
    """What MediaPorts needs of its element: a pipeline to build in, inputs, outputs."""

    def __init__(self) -> None:
        ensure_init()
        self.pipeline = Gst.Pipeline.new("ports")
        self.name = "ports"
        self.runtime: Any = None  # only a transcoder's encoder would use it
        self.listener: Any = None
        self.inputs: dict[MediaKind, Any] = {}

    def make(self, factory: str, name: str | None = None, **props: object) -> Any:
        element = make_element(factory, name, **props)
        self.pipeline.add(element)
        return element

    def add_input(self, kind: MediaKind, pad: Any) -> None:
        self.inputs[kind] = pad

    def add_output(self, kind: MediaKind, pad: Any) -> None:
        pass

    def input_pad(self, kind: MediaKind) -> Any:
        return self.inputs[kind]


def vp8_frame() -> Any:
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers=1 ! {VP8.replace('x-vp8', 'x-raw')} ! vp8enc "
        "! appsink name=out")
    pipeline.set_state(Gst.State.PLAYING)
    sample = pipeline.get_by_name("out").emit("pull-sample")
    pipeline.set_state(Gst.State.NULL)
    return sample.get_buffer()


def send_caps(source: Any) -> None:
    """What a bridge sends first: stream-start, caps, segment."""
    source.push_event(Gst.Event.new_stream_start("bridge"))
    source.push_event(Gst.Event.new_caps(Gst.Caps.from_string(VP8)))
    segment = Gst.Segment()
    segment.init(Gst.Format.TIME)
    source.push_event(Gst.Event.new_segment(segment))


class Crossing:
    """The worst crossings of negotiation and the bridge's CAPS event: negotiation has
    set the codec up, and checks the input while the streaming thread is held just past
    MediaPorts' probe (which opened the valve) at ``at``:

    * ``"query"``: the first ACCEPT_CAPS query, which comes before its CAPS event;
    * ``"event"``: the CAPS event, not back at the input pad yet (a sink pad stores a
      sticky event only once it has gone downstream).
    """

    def __init__(self, host: PortsHost, ports: MediaPorts, source: Any, at: str) -> None:
        self._source = source
        self._in_flight, self._release = threading.Event(), threading.Event()
        self.streaming: threading.Thread | None = None
        valve_sink = host.pipeline.get_by_name("video_valve").get_static_pad("sink")
        # (added after MediaPorts' own probes, so called after them)
        if at == "query":
            valve_sink.add_probe(Gst.PadProbeType.QUERY_DOWNSTREAM, self._hold_query)
        else:
            valve_sink.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._hold_event)
        self._check = ports._check
        ports._check = self._crossing_check  # type: ignore[method-assign]

    def _hold_query(self, _pad: Any, info: Any) -> Any:
        if info.get_query().type == Gst.QueryType.ACCEPT_CAPS:
            self._hold()
        return Gst.PadProbeReturn.OK

    def _hold_event(self, _pad: Any, info: Any) -> Any:
        if info.get_event().type == Gst.EventType.CAPS:
            self._hold()
        return Gst.PadProbeReturn.OK

    def _hold(self) -> None:
        if not self._in_flight.is_set():
            self._in_flight.set()
            self._release.wait(5)

    def _crossing_check(self, kind: MediaKind, caps_name: str | None,
                        **options: Any) -> None:
        if options.get("from_input") and self.streaming is None:
            self.streaming = threading.Thread(target=send_caps, args=(self._source,))
            self.streaming.start()
            assert self._in_flight.wait(5), "the CAPS event never reached the valve"
        self._check(kind, caps_name, **options)

    def finish(self) -> None:
        self._release.set()
        assert self.streaming is not None, "negotiation no longer checks the input"
        self.streaming.join(5)


@pytest.mark.parametrize(
    "order", ["caps first", "negotiation first", "crossing its query", "crossing its event"])
def test_media_reaches_the_payloader_whatever_the_order(order: str) -> None:
    host = PortsHost()
    ports = MediaPorts(host, on_refused=lambda why: None)  # type: ignore[arg-type]
    # What webrtcbin would get: RTP packets (the payloader pushes them as lists).
    sink = host.make("fakesink", "sent", sync=False, async_=False, signal_handoffs=True)
    arrived: list[int] = []
    sink.connect("handoff", lambda _sink, buffer, _pad: arrived.append(buffer.pts))
    source = Gst.Pad.new("source", Gst.PadDirection.SRC)
    source.set_active(True)
    assert source.link(host.inputs[MediaKind.VIDEO]) == Gst.PadLinkReturn.OK
    host.pipeline.set_state(Gst.State.PLAYING)

    def negotiate() -> None:
        ports.link_input(MediaKind.VIDEO, "VP8", 96, 1234, 1200, sink.get_static_pad("sink"))

    try:
        if order == "caps first":
            send_caps(source)
            negotiate()
        elif order == "negotiation first":
            negotiate()
            send_caps(source)
        else:
            crossing = Crossing(host, ports, source, at=order.split()[-1])
            negotiate()
            crossing.finish()
        frame = vp8_frame()
        for index in range(3):
            buffer = frame.copy()
            buffer.pts = index * Gst.SECOND // 30
            assert source.push(buffer) == Gst.FlowReturn.OK
        assert sorted(set(arrived)) == [0, Gst.SECOND // 30, 2 * Gst.SECOND // 30], \
            "the negotiated payloader got no media"
    finally:
        host.pipeline.set_state(Gst.State.NULL)
        ports.teardown()


def test_a_gated_input_opens_when_the_transport_sends_and_asks_for_a_keyframe() -> None:
    """A WebRtcEndpoint's input: webrtcbin would hold media until DTLS has its keys,
    and hold the thread of a source linked straight to it with them."""
    host = PortsHost()
    ports = MediaPorts(host, on_refused=lambda why: None, gated=True)  # type: ignore[arg-type]
    sink = host.make("fakesink", "sent", sync=False, async_=False, signal_handoffs=True)
    arrived: list[int] = []
    sink.connect("handoff", lambda _sink, buffer, _pad: arrived.append(buffer.pts))
    source = Gst.Pad.new("source", Gst.PadDirection.SRC)
    requests: list[str] = []

    def on_upstream(_pad: Any, info: Any) -> Any:
        event = info.get_event()
        if event.type == Gst.EventType.CUSTOM_UPSTREAM:
            requests.append(event.get_structure().get_name())
        return Gst.PadProbeReturn.OK

    source.add_probe(Gst.PadProbeType.EVENT_UPSTREAM, on_upstream)
    source.set_active(True)
    assert source.link(host.inputs[MediaKind.VIDEO]) == Gst.PadLinkReturn.OK
    host.pipeline.set_state(Gst.State.PLAYING)
    frame = vp8_frame()

    def push(pts: int) -> None:
        buffer = frame.copy()
        buffer.pts = pts
        assert source.push(buffer) == Gst.FlowReturn.OK  # dropped, never held

    try:
        send_caps(source)
        ports.link_input(MediaKind.VIDEO, "VP8", 96, 1234, 1200, sink.get_static_pad("sink"))
        push(0)
        assert arrived == [], "media went to the transport before it could send"
        assert requests == []
        ports.transport_ready()
        assert requests == ["GstForceKeyUnit"]
        push(Gst.SECOND // 30)
        assert sorted(set(arrived)) == [Gst.SECOND // 30]
        ports.transport_ready()  # DTLS keys again (a second transport): nothing more
        assert requests == ["GstForceKeyUnit"]
    finally:
        host.pipeline.set_state(Gst.State.NULL)
        ports.teardown()
