"""The WebRtcEndpoint's input path when negotiation and the first media cross.

A viewer's bridge can bring the source's CAPS event while a worker thread links the
negotiated payloader (``MediaPorts.link_input``). Whatever the order, media must then
reach the payloader: before the fix, one viewer in a few dozen of the one-to-many
bench got no video (or no audio) for its whole session.
"""

from __future__ import annotations

import threading
from typing import Any

from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst, ensure_init
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
        # Runs once, when link_input reads the input's caps (see CapsReadThenRace).
        self.race: Any = None
        self.pushers: list[threading.Thread] = []

    def make(self, factory: str, name: str | None = None, **props: object) -> Any:
        element = Gst.ElementFactory.make(factory, name)
        for key, value in props.items():
            element.set_property(key.rstrip("_").replace("_", "-"), value)
        self.pipeline.add(element)
        return element

    def add_input(self, kind: MediaKind, pad: Any) -> None:
        self.inputs[kind] = pad

    def add_output(self, kind: MediaKind, pad: Any) -> None:
        pass

    def input_pad(self, kind: MediaKind) -> Any:
        race, self.race = self.race, None
        if race is None:
            return self.inputs[kind]
        return CapsReadThenRace(self.inputs[kind], race, self.pushers)


class CapsReadThenRace:
    """The input pad, whose caps are read just before the source's CAPS event lands."""

    def __init__(self, pad: Any, race: Any, pushers: list[threading.Thread]) -> None:
        self._pad = pad
        self._race = race
        self._pushers = pushers

    def get_current_caps(self) -> Any:
        caps = self._pad.get_current_caps()  # none yet
        pusher = threading.Thread(target=self._race)
        self._pushers.append(pusher)
        pusher.start()
        # The event lands now, unless the check holds a lock against it (then later).
        pusher.join(0.5)
        return caps


def vp8_frame() -> Any:
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers=1 ! {VP8.replace('x-vp8', 'x-raw')} ! vp8enc "
        "! appsink name=out")
    pipeline.set_state(Gst.State.PLAYING)
    sample = pipeline.get_by_name("out").emit("pull-sample")
    pipeline.set_state(Gst.State.NULL)
    return sample.get_buffer()


def test_media_reaches_the_payloader_when_caps_arrive_during_negotiation() -> None:
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

    def caps_arrive() -> None:
        source.push_event(Gst.Event.new_stream_start("bridge"))
        source.push_event(Gst.Event.new_caps(Gst.Caps.from_string(VP8)))
        segment = Gst.Segment()
        segment.init(Gst.Format.TIME)
        source.push_event(Gst.Event.new_segment(segment))

    try:
        host.race = caps_arrive
        ports.link_input(MediaKind.VIDEO, "VP8", 96, 1234, 1200, sink.get_static_pad("sink"))
        assert host.pushers, "link_input no longer reads the input's caps"
        for pusher in host.pushers:
            pusher.join(5)
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
