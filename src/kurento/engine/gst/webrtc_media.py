"""The WebRtcEndpoint's media ports: encoded media in and out of webrtcbin::

    input:  [identity KIND_in] → valve ⇢ [h264parse] → payloader → webrtcbin sink
    output: webrtcbin src → depayloader [→ capsfilter] → [identity KIND_depayed] → tee

The valve (⇢) is linked and open only after negotiation and only while the
input's codec is the negotiated one: another codec is refused (dropped natively,
no Python per buffer) with one error report. No transcoding here.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..contract import MediaKind
from ._gst import Gst
from .webrtc_fixes import forward_keyframe_requests

if TYPE_CHECKING:
    from .element import GstElement

CAPS_NAME = {"VP8": "video/x-vp8", "H264": "video/x-h264", "OPUS": "audio/x-opus"}
_PAYLOADERS = {"VP8": "rtpvp8pay", "H264": "rtph264pay", "OPUS": "rtpopuspay"}
_DEPAYLOADERS = {"VP8": "rtpvp8depay", "H264": "rtph264depay", "OPUS": "rtpopusdepay"}
_KIND_NAMES = {"audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}
_H264_OUT = "video/x-h264,stream-format=byte-stream,alignment=au"


class MediaPorts:
    """Inputs and outputs of one WebRtcEndpoint (built in the element's ``build``)."""

    def __init__(self, element: GstElement, on_refused: Callable[[str], None]) -> None:
        self._element = element
        self._on_refused = on_refused
        self._lock = threading.Lock()
        self._valves: dict[MediaKind, Any] = {}
        self._expected: dict[MediaKind, str] = {}
        self._heads: dict[MediaKind, Any] = {}  # first element after the valve, once negotiated
        self._refused: set[MediaKind] = set()
        self._depayed: dict[MediaKind, Any] = {}
        self.remote_ssrc: dict[MediaKind, int] = {}
        self._probes: list[tuple[Any, int]] = []
        for kind in (MediaKind.AUDIO, MediaKind.VIDEO):
            name = kind.value.lower()
            entry = element.make("identity", f"{name}_in")
            valve = element.make("valve", f"{name}_valve", drop=True)
            entry.link(valve)
            self._valves[kind] = valve
            valve_sink = valve.get_static_pad("sink")
            probe = valve_sink.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_event, kind)
            self._probes.append((valve_sink, probe))
            element.add_input(kind, entry.get_static_pad("sink"))
            depayed = element.make("identity", f"{name}_depayed")
            self._depayed[kind] = depayed
            element.add_output(kind, depayed.get_static_pad("src"))

    def teardown(self) -> None:
        """Worker thread, pipeline at NULL: the probes' closures hold us."""
        for pad, probe in self._probes:
            pad.remove_probe(probe)
        self._probes.clear()

    # -- inputs ---------------------------------------------------------------------

    def link_input(self, kind: MediaKind, codec: str, payload: int, ssrc: int, mtu: int,
                   sink_pad: Any) -> None:
        """Worker thread: payload ``kind`` input as ``codec`` into ``sink_pad``; once per kind."""
        if kind in self._expected:
            return
        make = self._element.make
        pay = make(_PAYLOADERS[codec], f"{kind.value.lower()}_pay", pt=payload, ssrc=ssrc,
                   mtu=mtu)
        if codec == "VP8":
            pay.set_property("picture-id-mode", 2)  # 15-bit, as browsers send
        elif codec == "H264":
            pay.set_property("config-interval", -1)  # SPS/PPS with every keyframe
        pay.get_static_pad("src").link(sink_pad)
        pay.sync_state_with_parent()
        first = pay
        if codec == "H264":
            # The payloader's downstream caps name profile and level: a parser adds them.
            first = make("h264parse", "video_parse")
            first.link(pay)
            first.sync_state_with_parent()
        with self._lock:
            self._expected[kind] = CAPS_NAME[codec]
            self._heads[kind] = first
        # The input's caps so far (the closed valve did not keep them).
        caps = self._element.input_pad(kind).get_current_caps()
        self._check(kind, caps.get_structure(0).get_name() if caps else None)

    def _on_event(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            self._check(kind, event.parse_caps().get_structure(0).get_name())
        return Gst.PadProbeReturn.OK

    def _check(self, kind: MediaKind, caps_name: str | None) -> None:
        """Open the valve only for the negotiated codec; refuse others once, loudly.

        The valve is linked to the payloader only while the codecs agree: linked, the
        payloader's caps would make the input refuse a wrong codec upstream (at the
        bridge), where it could not even be reported. Runs serialized with the
        input's buffers (caps event) or before any (negotiation).
        """
        valve = self._valves[kind]
        out = valve.get_static_pad("src")
        with self._lock:
            expected, head = self._expected.get(kind), self._heads.get(kind)
            ok = expected is not None and caps_name == expected
            report = (caps_name is not None and expected is not None and not ok
                      and kind not in self._refused)
            if report:
                self._refused.add(kind)
            if ok and head is not None and not out.is_linked():
                out.link(head.get_static_pad("sink"))
            elif not ok and out.is_linked():
                out.unlink(out.get_peer())
            valve.set_property("drop", not ok)
        if report:
            self._on_refused(f"{kind.value} input is {caps_name} but {expected} was "
                             "negotiated; transcoding is not supported: media dropped")

    # -- outputs (webrtcbin's streaming thread) -----------------------------------

    def on_pad_added(self, _webrtc: Any, pad: Any) -> None:
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        structure = caps.get_structure(0)
        kind = _KIND_NAMES.get(structure.get_string("media") or "")
        codec = (structure.get_string("encoding-name") or "").upper()
        with self._lock:
            usable = kind is not None and kind not in self.remote_ssrc and codec in _DEPAYLOADERS
            if usable and kind is not None:
                found, ssrc = structure.get_uint("ssrc")
                self.remote_ssrc[kind] = ssrc if found else 0
        make = self._element.make
        if not usable or kind is None:  # a second stream of a kind: nowhere to send it
            sink = make("fakesink", None, sync=False, async_=False)
            sink.sync_state_with_parent()
            pad.link(sink.get_static_pad("sink"))
            return
        chain = [make(_DEPAYLOADERS[codec])]
        if codec == "H264":
            chain.append(make("capsfilter", caps=Gst.Caps.from_string(_H264_OUT)))
        chain.append(self._depayed[kind])
        for upstream, downstream in itertools.pairwise(chain):
            upstream.link(downstream)
        for element in chain[:-1]:
            element.sync_state_with_parent()
        pad.link(chain[0].get_static_pad("sink"))
        if self.remote_ssrc[kind]:
            self._probes.append((pad, forward_keyframe_requests(pad, self.remote_ssrc[kind])))

