"""Sticky events through a real ``rtpfunnel``, the element BUNDLE puts in webrtcbin.

The funnel pushes the SEGMENT and custom sticky events of the input it forwards each
time the input changes; webrtc_segments.SharedSegments gives equivalent events one
object, so those pushes stop reaching what is downstream (nicesink, in webrtcbin).
"""

from __future__ import annotations

import threading
from typing import Any

from kurento.engine.gst._gst import Gst, ensure_init
from kurento.engine.gst.webrtc_fixes import GstWebRTC
from kurento.engine.gst.webrtc_segments import TOS_EVENT, SharedSegments

RUN_SECONDS = 1.5


class Funnel:
    """Live Opus and VP8 RTP into an rtpfunnel; counts what reaches its sink."""

    def __init__(self, segments: SharedSegments | None, video_offset: int = 0) -> None:
        ensure_init()
        self.pipeline = Gst.parse_launch(
            "rtpfunnel name=funnel ! fakesink name=sink sync=false async=false "
            "audiotestsrc is-live=true ! opusenc "
            "! rtpopuspay ssrc=1 name=audio ! funnel. "
            "videotestsrc is-live=true "
            "! video/x-raw,width=160,height=120,framerate=50/1 ! vp8enc deadline=1 "
            "! rtpvp8pay ssrc=2 name=video ! funnel.")
        if segments is not None:
            segments.attach(self.pipeline.get_by_name("funnel"))
        video = self.pipeline.get_by_name("video").get_static_pad("src")
        video.set_offset(video_offset)  # shifts its segments' base
        self._lock = threading.Lock()
        self.segment_bases: list[int] = []
        self.tos: list[str] = []
        self.ssrcs: list[int] = []
        sink = self.pipeline.get_by_name("sink").get_static_pad("sink")
        sink.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM | Gst.PadProbeType.BUFFER
                       | Gst.PadProbeType.BUFFER_LIST, self._on_data)

    def _on_data(self, _pad: Any, info: Any) -> Any:
        with self._lock:
            if info.type & (Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST):
                buffers = ([info.get_buffer()] if info.type & Gst.PadProbeType.BUFFER
                           else [info.get_buffer_list().get(i)
                                 for i in range(info.get_buffer_list().length())])
                for buffer in buffers:
                    ssrc = int.from_bytes(buffer.extract_dup(8, 4), "big")
                    if not self.ssrcs or self.ssrcs[-1] != ssrc:
                        self.ssrcs.append(ssrc)
                return Gst.PadProbeReturn.OK
            event = info.get_event()
            if event.type == Gst.EventType.SEGMENT:
                self.segment_bases.append(event.parse_segment().base)
            elif event.has_name(TOS_EVENT):
                self.tos.append(event.get_structure().get_string("mid"))
        return Gst.PadProbeReturn.OK

    def send_tos(self) -> None:
        """What webrtcbin sends into each input once it knows the transceiver's mid."""
        for name, mid in (("audio", "audio1"), ("video", "video0")):
            structure = Gst.Structure.new_empty(TOS_EVENT)
            structure.set_value("mid", mid)
            pad = self.pipeline.get_by_name(name).get_static_pad("src")
            pad.push_event(Gst.Event.new_custom(Gst.EventType.CUSTOM_DOWNSTREAM_STICKY,
                                                structure))

    def run(self) -> None:
        self.pipeline.set_state(Gst.State.PLAYING)
        self.send_tos()
        error = self.pipeline.get_bus().timed_pop_filtered(
            int(RUN_SECONDS * Gst.SECOND), Gst.MessageType.ERROR)
        self.pipeline.set_state(Gst.State.NULL)
        assert error is None, error.parse_error()
        # The streams interleaved: the funnel changed input many times.
        assert len(self.ssrcs) > 20, self.ssrcs


def test_without_sharing_the_funnel_pushes_a_segment_at_every_change_of_input() -> None:
    funnel = Funnel(None)
    funnel.run()
    assert len(funnel.segment_bases) >= len(funnel.ssrcs) - 1


def test_equal_segments_reach_the_sink_once_whatever_the_interleaving() -> None:
    segments = SharedSegments()
    funnel = Funnel(segments)
    funnel.run()
    segments.detach()
    # The first input's segment, and at most the second's before they were shared.
    assert 1 <= len(funnel.segment_bases) <= 2, funnel.segment_bases
    assert 1 <= len(funnel.tos) <= 2, funnel.tos


def test_segments_that_differ_are_not_shared() -> None:
    segments = SharedSegments()
    funnel = Funnel(segments, video_offset=Gst.SECOND)
    funnel.run()
    segments.detach()
    # Each stream keeps its own running time: the funnel still switches segments.
    assert len(funnel.segment_bases) >= len(funnel.ssrcs) - 1
    assert set(funnel.segment_bases) == {0, Gst.SECOND}


def test_transport_priority_events_stay_apart_once_a_sender_priority_is_set() -> None:
    ensure_init()
    webrtc = Gst.ElementFactory.make("webrtcbin")
    transceiver = webrtc.emit("add-transceiver",
                              GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY,
                              Gst.Caps.from_string("application/x-rtp,media=video"))
    sender = transceiver.get_property("sender")
    segments = SharedSegments()
    segments.watch_sender(sender)
    sender.set_priority(GstWebRTC.WebRTCPriorityType.HIGH)  # DSCP now differs by kind
    funnel = Funnel(segments)
    funnel.run()
    segments.detach()
    assert len(funnel.segment_bases) <= 2
    assert len(funnel.tos) >= len(funnel.ssrcs) - 1
    assert set(funnel.tos) == {"audio1", "video0"}
