"""The WebRtcEndpoint's media ports: encoded media in and out of webrtcbin::

    input:  valve ⇢ [transcoder] → [h264parse] → payloader → webrtcbin sink
    output: webrtcbin src → depayloader [→ capsfilter] → [identity KIND_depayed] → tee

The valve (⇢) is linked and open only after negotiation and, for a ``gated`` element
(WebRtcEndpoint), once the transport can send: webrtcbin holds every buffer at its
DTLS encoder until the keys are set, and a source linked straight to this input
(``bridge``: direct links) must never be held there. When the input's codec
is the negotiated one it goes to the payloader as it is (no decoding, the
common case); when it is another codec (a VP8 sender's media to an H.264-only
peer, a filter's VP8 output, raw test media) a transcoder (decoder → encoder of
the negotiated codec, see ``filter_codec``) is put between them, reported as
``MediaTranscodingStateChanged`` through the listener's ``on_media_transcoding``,
and removed again if a later source brings the negotiated codec. The choice is
made when the input's caps change (a pad probe), so Python never runs per
buffer. Keyframe requests from the peer reach the transcoder's encoder, which
makes the keyframe; the decoder asks the real sender for one when it starts.
Only media that cannot be decoded is refused (dropped natively, one error report).

The transcoder's video encoder runs at the element's ``encoderBitrate``
(:mod:`.encoder_rate`); while it transcodes video, the REMB our peer sends (which
the endpoint pushes upstream from its video input as a custom event) sets the
encoder's bitrate within ``min/maxEncoderBitrate`` and goes no further: the
source's stream is decoded here, its sender need not slow down for our peer.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..contract import MediaKind
from ._gst import Gst, make_element
from .encoder_rate import EncoderRate
from .filter_codec import DECODERS, add_chain, decoder_chain, encoder_chain, force_key_unit
from .webrtc_fixes import forward_keyframe_requests
from .webrtc_remb import read_remb_event

if TYPE_CHECKING:
    from .element import GstElement

CAPS_NAME = {"VP8": "video/x-vp8", "H264": "video/x-h264", "OPUS": "audio/x-opus"}
_PAYLOADERS = {"VP8": "rtpvp8pay", "H264": "rtph264pay", "OPUS": "rtpopuspay"}
_DEPAYLOADERS = {"VP8": "rtpvp8depay", "H264": "rtph264depay", "OPUS": "rtpopusdepay"}
_KIND_NAMES = {"audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}
_H264_OUT = "video/x-h264,stream-format=byte-stream,alignment=au"


class MediaPorts:
    """Inputs and outputs of one WebRtcEndpoint (built in the element's ``build``)."""

    def __init__(self, element: GstElement, on_refused: Callable[[str], None], *,
                 transcode: bool = True, gated: bool = False) -> None:
        self._element = element
        self._on_refused = on_refused
        self._transcode = transcode  # False: refuse another codec (the old behaviour)
        self._lock = threading.Lock()
        # gated: the valves stay closed until transport_ready() (see the module docstring).
        self._transport_ready = not gated
        self._valves: dict[MediaKind, Any] = {}
        self._expected: dict[MediaKind, str] = {}
        self._heads: dict[MediaKind, Any] = {}  # first element after the valve, once negotiated
        self._refused: set[MediaKind] = set()
        self._codecs: dict[MediaKind, str] = {}  # negotiated codec names ("VP8"...)
        self._transcoders: dict[MediaKind, list[Any]] = {}
        self._transcoding_from: dict[MediaKind, str] = {}  # the input codec being decoded
        # What the path was last set up for: (input caps name, negotiated codec). Caps
        # events and ACCEPT_CAPS queries repeat (every sticky re-push): only a change
        # is worth the work, so the common case costs one dict lookup.
        self._checked: dict[MediaKind, tuple[str | None, str | None]] = {}
        # The caps name of the input's last CAPS event, recorded under the lock by the
        # event probe: what negotiation links the payloader for (see _check).
        self._input_caps: dict[MediaKind, str] = {}
        self._depayed: dict[MediaKind, Any] = {}
        self.remote_ssrc: dict[MediaKind, int] = {}
        self._probes: list[tuple[Any, int]] = []
        self.encoder_rate = EncoderRate(element.runtime, element.name)
        for kind in (MediaKind.AUDIO, MediaKind.VIDEO):
            name = kind.value.lower()
            # The valve is the input itself: in a fan-out each element more on a viewer's
            # path costs ~1.7 µs per packet (bench/README.md, "What each element costs").
            valve = element.make("valve", f"{name}_valve", drop=True)
            self._valves[kind] = valve
            valve_sink = valve.get_static_pad("sink")
            probe = valve_sink.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self._on_event, kind)
            self._probes.append((valve_sink, probe))
            # A new source asks first whether its caps are accepted (the bridge's gate,
            # before the CAPS event): set the path up for them already.
            probe = valve_sink.add_probe(Gst.PadProbeType.QUERY_DOWNSTREAM, self._on_query, kind)
            self._probes.append((valve_sink, probe))
            element.add_input(kind, valve_sink)
            if kind is MediaKind.VIDEO:
                # Our peer's REMB, pushed upstream from here (webrtc_remb.RembRelay).
                self._probes.append((valve_sink, valve_sink.add_probe(
                    Gst.PadProbeType.EVENT_UPSTREAM, self._on_remb)))
            depayed = element.make("identity", f"{name}_depayed")
            self._depayed[kind] = depayed
            element.add_output(kind, depayed.get_static_pad("src"))

    def teardown(self) -> None:
        """Worker thread, pipeline at NULL: the probes' closures hold us."""
        for pad, probe in self._probes:
            pad.remove_probe(probe)
        self._probes.clear()
        self.encoder_rate.close()

    def _on_remb(self, _pad: Any, info: Any) -> Any:
        """rtpsession's thread: our peer's REMB on its way upstream; a transcoder takes it."""
        remb = read_remb_event(info.get_event())
        if remb is None:
            return Gst.PadProbeReturn.OK
        with self._lock:
            transcoding = MediaKind.VIDEO in self._transcoders
        if not transcoding:
            return Gst.PadProbeReturn.OK  # the source's own encoder hears it
        self.encoder_rate.on_remb(remb[1], remb[0])
        return Gst.PadProbeReturn.DROP

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
            self._codecs[kind] = codec
            self._heads[kind] = first
        self._check(kind, None, from_input=True)

    def transport_ready(self) -> None:
        """Any thread: the transport sends now; open what negotiation set up.

        Video asks its source for a keyframe: what came before was dropped, and
        the peer cannot start on a delta frame.
        """
        with self._lock:
            if self._transport_ready:
                return
            self._transport_ready = True
            kinds = list(self._expected)
        for kind in kinds:
            self._check(kind, None, from_input=True)
            if kind is MediaKind.VIDEO:
                self._element.input_pad(kind).push_event(force_key_unit())

    def _on_event(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        event = info.get_event()
        if event.type == Gst.EventType.CAPS:
            caps_name = event.parse_caps().get_structure(0).get_name()
            with self._lock:
                self._input_caps[kind] = caps_name
            self._check_changed(kind, caps_name)
        return Gst.PadProbeReturn.OK

    def _on_query(self, _pad: Any, info: Any, kind: MediaKind) -> Any:
        query = info.get_query()
        if query.type == Gst.QueryType.ACCEPT_CAPS:
            self._check_changed(kind, query.parse_accept_caps().get_structure(0).get_name())
        return Gst.PadProbeReturn.OK

    def _check_changed(self, kind: MediaKind, caps_name: str | None) -> None:
        if self._checked.get(kind) != (caps_name, self._expected.get(kind)):
            self._check(kind, caps_name)

    def _check(self, kind: MediaKind, caps_name: str | None, *,
               from_input: bool = False) -> None:
        """Link the valve to the payloader directly, or through a transcoder; or refuse.

        Runs serialized with the input's buffers (caps event) or before any
        (negotiation). The valve is linked only once the path is right: linked,
        the payloader's caps would make the input refuse a wrong codec upstream
        (at the bridge), where it could not even be reported.

        ``from_input`` (negotiation, on a worker thread): the caps are those of the
        input's last CAPS event, as the event probe recorded them under the same lock,
        so that negotiation and a CAPS event crossing it cannot both miss each other.
        The input pad's current caps would not do: a sink pad stores a CAPS event only
        after the event has gone downstream (past the probe), and a stale "no caps"
        closed the valve for good (later CAPS events repeat what was checked): one
        viewer in a few dozen got no video, or no audio, in the one-to-many bench.
        """
        valve = self._valves[kind]
        out = valve.get_static_pad("src")
        reports: list[tuple[bool, str]] = []
        refused = ""
        with self._lock:
            if from_input:
                caps_name = self._input_caps.get(kind)
            expected, head = self._expected.get(kind), self._heads.get(kind)
            if (expected is None or head is None or caps_name is None
                    or not self._transport_ready):
                valve.set_property("drop", True)
                # Nothing is set up now, whatever was before: the next caps event or
                # ACCEPT_CAPS query must check again. (An ACCEPT_CAPS query, which comes
                # before its CAPS event, could open the valve, negotiation then find no
                # caps event yet and close it, and the CAPS event be skipped as done.)
                self._checked.pop(kind, None)
                return
            codec = self._codecs[kind]
            transcoding = kind in self._transcoders
            if caps_name == expected:
                if transcoding:
                    self._drop_transcoder(kind, out)
                    reports.append((False, self._bin_name(kind)))
                if not out.is_linked():
                    out.link(head.get_static_pad("sink"))
                ok = True
            elif self._transcode and caps_name in DECODERS:
                if transcoding and self._transcoding_from[kind] != caps_name:
                    self._drop_transcoder(kind, out)  # another codec: another decoder
                if kind not in self._transcoders:
                    if out.is_linked():
                        out.unlink(out.get_peer())
                    self._build_transcoder(kind, caps_name, codec, out, head)
                if not transcoding:
                    reports.append((True, self._bin_name(kind)))
                ok = True
            else:
                ok = False
                if kind not in self._refused:
                    self._refused.add(kind)
                    why = "it cannot be decoded" if self._transcode else "transcoding is off"
                    refused = (f"{kind.value} input is {caps_name} but {expected} was "
                               f"negotiated and {why}: media dropped")
                if out.is_linked():
                    out.unlink(out.get_peer())
            # Only on a change: the valve re-pushes sticky events whenever it opens,
            # which would come back here as a new CAPS event and ACCEPT_CAPS query.
            if valve.get_property("drop") != (not ok):
                valve.set_property("drop", not ok)
            self._checked[kind] = (caps_name, expected)
        report = getattr(self._element.listener, "on_media_transcoding", None)
        for state, bin_name in reports:
            if report is not None:
                self._element.runtime.call_soon(report, kind, state, bin_name)
        if refused:
            self._on_refused(refused)

    def is_transcoding(self, kind: MediaKind) -> bool:
        with self._lock:
            return kind in self._transcoders

    def _bin_name(self, kind: MediaKind) -> str:
        return f"{self._element.name}_{kind.value.lower()}_transcoder"

    def _build_transcoder(self, kind: MediaKind, caps_name: str, codec: str, out: Any,
                          head: Any) -> None:
        """Streaming or worker thread (lock held): valve → queue → decoder → encoder → head.

        The queue gives the transcoder a thread of its own: a source linked straight
        to us (bridge.py, "direct") must not wait for our encoder; it is leaky, as the
        bridge's queue is, so a transcoder that cannot keep up loses frames, not time.
        """
        queue = make_element("queue", None, leaky=2)
        chain = [queue, *decoder_chain(caps_name),
                 *encoder_chain(codec, rate=self.encoder_rate, listen=False)]
        add_chain(self._element.pipeline, chain)
        chain[-1].link(head)
        for element in chain:
            element.sync_state_with_parent()
        out.link(chain[0].get_static_pad("sink"))
        self._transcoders[kind] = chain
        self._transcoding_from[kind] = caps_name
        if caps_name != "video/x-raw" and kind is MediaKind.VIDEO:
            # The decoder cannot start on a delta frame: ask the sender for a keyframe.
            self._element.input_pad(kind).push_event(force_key_unit())

    def _drop_transcoder(self, kind: MediaKind, out: Any) -> None:
        chain = self._transcoders.pop(kind)
        for element in chain:
            self.encoder_rate.detach(element)
        if out.is_linked():
            out.unlink(out.get_peer())
        tail = chain[-1].get_static_pad("src")
        if tail.is_linked():
            tail.unlink(tail.get_peer())
        for element in chain:
            element.set_state(Gst.State.NULL)
            self._element.pipeline.remove(element)

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

