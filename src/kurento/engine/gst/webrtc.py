"""Kurento ``WebRtcEndpoint``'s media part: one webrtcbin (notes §5 for every fix).

Media between elements is encoded: inputs are payloaded into webrtcbin with the
negotiated payload type and our SSRC, outputs are depayloaded
(``video/x-vp8``, ``video/x-h264`` byte-stream/AU, ``audio/x-opus``); see
:mod:`.webrtc_media`. An input with another codec is refused, not transcoded.

* :meth:`WebRtcElement.routes` is empty: what enters goes to the network, so
  bridges around a WebRtcEndpoint (loopback included) pass keyframe requests.
* Every webrtcbin promise runs on the worker threads, under the watchdog
  (:meth:`WebRtcElement._blocking`); every signal reaches the listener through
  ``runtime.call_soon`` (:mod:`.webrtc_ice`).
* SDP is checked in Python first (:mod:`.webrtc_sdp`).
* NACK/RTX: webrtcbin negotiates RTX itself for video (``do-nack``: ``rtx/90000`` with
  ``apt`` and ``a=ssrc-group:FID`` in offers and answers) and serves the peer's NACKs
  from rtprtxsend's buffer; we switch the receiving side's NACKs on
  (:meth:`WebRtcElement._on_jitterbuffer`), rtprtxreceive repairs.
* REMB goes upstream between endpoints (:class:`.webrtc_remb.RembRelay`).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..contract import (
    BandwidthConfig,
    DataChannelStats,
    ElementEngine,
    Link,
    MediaKind,
    RtpStreamStats,
    SdpMismatchError,
    WebRtcConfig,
    WebRtcError,
)
from . import webrtc_sdp as sdp
from . import webrtc_stats
from ._gst import Gst
from .element import GstElement
from .sdp_steps import run_step
from .webrtc_cert import certificate_pem, with_fingerprint
from .webrtc_data import DataChannels, reject_data_sections
from .webrtc_fixes import (
    GstSdp,
    GstWebRTC,
    call_promise,
    disable_upnp,
    hold_ice_agent,
    keyframe_request,
    pin_ice_addresses,
    transceiver_caps,
)
from .webrtc_ice import COMPONENT, STREAM, IceReports, RtcpLiveness
from .webrtc_media import MediaPorts
from .webrtc_remb import RembRelay, RembSender, read_remb_event, remb_event
from .webrtc_segments import SharedSegments

log = logging.getLogger(__name__)
T = TypeVar("T")

# Seconds after a jitterbuffer is made before it drops what exceeds its latency (see
# _bound_jitterbuffer): its first packets come in one burst and must all pass.
JITTERBUFFER_BOUND_AFTER = 3.0
_OFFER_CODECS = {MediaKind.VIDEO: [("VP8", 96, ""), ("H264", 102, "profile-level-id=42e01f")],
                 MediaKind.AUDIO: [("OPUS", 111, "")]}
_Direction = GstWebRTC.WebRTCRTPTransceiverDirection


@dataclass
class _Stream:
    """One negotiated m-line."""

    mline: int
    kind: MediaKind
    mid: str
    codec: sdp.Codec | None = None
    ssrc: int = 0  # ours
    sending: bool = True
    transceiver: Any = None


class WebRtcElement(GstElement):
    factory = "WebRtcEndpoint"
    # Audio and video inputs open only once DTLS sends (MediaPorts, gated) and then
    # never block: sources link straight in (bridge.py, "direct").
    direct_input = True

    def build(self) -> None:
        self.config = WebRtcConfig()
        self.webrtc = self.make("webrtcbin", "webrtc", latency=50)
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self._ice = hold_ice_agent(self.webrtc)
        disable_upnp(self._ice)
        self._lock = threading.Lock()  # guards the fields shared with streaming threads
        self._streams: dict[int, _Stream] = {}
        self._negotiated = False
        self._pending_remote: list[tuple[int, str]] = []
        self._remote_seen: set[tuple[int, str]] = set()
        self._bundled = False  # both sides agreed on BUNDLE (we always offer/answer it)
        self._ice_reports = IceReports(self.runtime, self._notify, self._mid_of,
                                       self._on_connected)
        self._liveness = RtcpLiveness(self.runtime, self._notify,
                                      lambda: self._close_task is not None)
        self._signals: list[tuple[Any, int]] = []
        self._ports = MediaPorts(self, self._refuse_input, gated=True)
        self._remb = RembSender(lambda: [ssrc for kind, ssrc in self._ports.remote_ssrc.items()
                                          if kind is MediaKind.VIDEO])
        # REMB upstream (webrtc_remb): what our peer asks for the video we send it goes up
        # our input; what comes up to our video output limits the REMB we send.
        self._relay = RembRelay(lambda: [s.ssrc for s in self._streams.values()
                                         if s.kind is MediaKind.VIDEO and s.sending],
                                self._relay_upstream)
        tee_sink = self.output_tee(MediaKind.VIDEO).get_static_pad("sink")
        self._remb_probe = (tee_sink, tee_sink.add_probe(Gst.PadProbeType.EVENT_UPSTREAM,
                                                         self._on_upstream_event))
        self._data = DataChannels(self, self.webrtc, self._notify)
        self._connect(self.webrtc, "on-ice-candidate", self._ice_reports.on_candidate)
        self._connect(self.webrtc, "pad-added", self._ports.on_pad_added)
        self._pem = ""  # our DTLS certificate, when not webrtcbin's own
        self._prepared = False
        self._local_text = ""
        self._segments = SharedSegments()  # for the rtpfunnel BUNDLE makes
        self._connect(self.webrtc, "deep-element-added", self._on_element_added)
        for prop in ("ice-gathering-state", "ice-connection-state", "connection-state"):
            self._connect(self.webrtc, f"notify::{prop}", self._ice_reports.on_state)
        self._nack_ssrcs: frozenset[int] = frozenset()  # the peer's video SSRCs
        self._audio_ssrcs: frozenset[int] = frozenset()  # and audio ones
        self._nack_unknown = False  # NACK SSRCs the peer's SDP did not name (not audio)
        rtpbin = self.webrtc.get_by_name("rtpbin")
        if rtpbin is not None:
            self._connect(rtpbin, "on-ssrc-active", self._liveness.on_rtcp)
            # After webrtcbin's own handler (connected when it was made): see _on_jitterbuffer.
            self._connect(rtpbin, "new-jitterbuffer", self._on_jitterbuffer)

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return ()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        """The transcoder's video encoder (see webrtc_media and encoder_rate)."""
        self._ports.encoder_rate.configure(target, minimum, maximum)

    def configure(self, config: WebRtcConfig) -> None:
        self.config = config

    def set_bandwidth(self, config: BandwidthConfig) -> None:
        self._remb.configure(config)  # b=AS, goog-remb and REMB: see webrtc_remb
        # What a transcoder of ours sends to the peer stays within the send knobs.
        self._ports.encoder_rate.set_send_range(config.min_video_send * 1000,
                                                config.max_video_send * 1000)

    # -- negotiation (loop side) -----------------------------------------------

    async def process_offer(self, offer: str) -> str:
        summary = sdp.parse(offer, "offer")
        sdp.check_usable(summary, "offer", data=self.config.data_channels)
        self._bundled = summary.bundle
        return await self._blocking("process offer", lambda: self._answer_sync(offer, summary))

    async def generate_offer(self, audio: bool, video: bool) -> str:
        if not (audio or video):
            raise SdpMismatchError("an offer needs audio or video")
        kinds = [k for k, wanted in ((MediaKind.AUDIO, audio), (MediaKind.VIDEO, video)) if wanted]
        return await self._blocking("generate offer", lambda: self._offer_sync(kinds))

    async def process_answer(self, answer: str) -> str:
        summary = sdp.parse(answer, "answer")
        sdp.check_usable(summary, "answer")
        self._bundled = summary.bundle
        return await self._blocking("process answer", lambda: self._apply_answer(answer, summary))

    async def _blocking(self, what: str, fn: Callable[[], T]) -> T:
        return await run_step(self, what, fn)

    # -- negotiation (worker threads) ------------------------------------------

    def _prepare(self) -> None:
        """Worker thread: apply the configuration, once (a failed offer may be retried)."""
        if self._prepared:
            return
        self._prepared = True
        self._pem = certificate_pem(self.config.certificate_key_type)
        pin_ice_addresses(self._ice, self.config.ice_addresses, ice_tcp=self.config.ice_tcp)
        if self.config.stun_server:
            self.webrtc.set_property("stun-server", self.config.stun_server)
        if self.config.turn_server:
            self.webrtc.set_property("turn-server", self.config.turn_server)

    def _on_element_added(self, _bin: Any, _sub_bin: Any, element: Any) -> None:
        """webrtcbin made a DTLS transport: give it our certificate, if we have one.

        Its DTLS encoder holds (blocks) what we send until its keys are set: only
        then do our inputs open (``MediaPorts.transport_ready``), so that a source
        linked straight to us is never held. With several transports (no BUNDLE)
        the first keys open them; the others follow within the same handshake round.

        It also puts a ``clocksync`` before each sending stream, which holds every
        buffer for the pipeline latency: ~50 ms added to audio (measured by
        bench/compare.py). Our inputs are live and already paced: no holding.

        With BUNDLE, its ``rtpfunnel`` re-sends a segment whenever the stream it
        forwards changes: :mod:`.webrtc_segments` makes that a no-op.
        """
        factory = element.get_factory()
        name = factory.get_name() if factory is not None else ""
        if name == "dtlssrtpdec" and self._pem:
            element.set_property("pem", self._pem)
        elif name == "dtlssrtpenc":
            self._connect(element, "on-key-set", lambda _enc: self._ports.transport_ready())
        elif name == "rtpfunnel":
            self._segments.attach(element)
        elif name == "clocksync":
            element.set_property("sync", False)

    def _direction(self, peer: str) -> Any:
        send = not self.config.recvonly and peer in ("sendrecv", "recvonly")
        receive = not self.config.sendonly and peer in ("sendrecv", "sendonly")
        if send and receive:
            return _Direction.SENDRECV
        if send or receive:
            return _Direction.SENDONLY if send else _Direction.RECVONLY
        return _Direction.INACTIVE

    def _answer_sync(self, offer: str, summary: sdp.SessionSummary) -> str:
        self._prepare()
        self._set_description("set-remote-description", GstWebRTC.WebRTCSDPType.OFFER, offer)
        self._remb.remote_description(offer)
        self._remote_ssrcs(summary)
        for section in summary.sections:
            codec = section.chosen()
            if section.kind is None or codec is None or not section.active:
                continue  # webrtcbin answers it as rejected
            direction = self._direction(section.direction)
            stream = _Stream(section.index, section.kind, section.mid, codec,
                             random.randint(1, 2**31), direction in (
                                 _Direction.SENDRECV, _Direction.SENDONLY))
            self._add_transceiver(stream, [(codec.name, codec.payload, codec.fmtp)], direction)
        reply = call_promise(self.webrtc, "create-answer", None)
        text = self._set_local(GstWebRTC.WebRTCSDPType.ANSWER, reply.get_value("answer"))
        self._negotiation_done()
        return text

    def _offer_sync(self, kinds: list[MediaKind]) -> str:
        self._prepare()
        direction = self._direction("sendrecv")
        for mline, kind in enumerate(kinds):
            stream = _Stream(mline, kind, "", None, random.randint(1, 2**31),
                             direction in (_Direction.SENDRECV, _Direction.SENDONLY))
            self._add_transceiver(stream, _OFFER_CODECS[kind], direction, offer=True)
        if self.config.data_channels:
            self._data.prepare_offer()  # webrtcbin offers m=application only then
        reply = call_promise(self.webrtc, "create-offer", None)
        text = self._set_local(GstWebRTC.WebRTCSDPType.OFFER, reply.get_value("offer"))
        for section in sdp.parse(text, "local offer").sections:
            if section.index in self._streams:
                self._streams[section.index].mid = section.mid
        return text

    def _apply_answer(self, answer: str, summary: sdp.SessionSummary) -> str:
        self._set_description("set-remote-description", GstWebRTC.WebRTCSDPType.ANSWER, answer)
        self._remb.remote_description(answer)
        self._remote_ssrcs(summary)
        for section in summary.sections:
            stream = self._streams.get(section.index)
            if stream is not None:
                stream.codec = section.chosen()
                stream.sending = stream.sending and section.direction in ("sendrecv", "recvonly")
        self._negotiation_done()
        return self._local_text

    def _remote_ssrcs(self, summary: sdp.SessionSummary) -> None:
        """Worker thread: the peer's video SSRCs, whose losses we NACK (see _on_jitterbuffer)."""
        video = [s for s in summary.sections if s.kind is MediaKind.VIDEO and s.active]
        self._nack_ssrcs = frozenset(ssrc for s in video for ssrc in s.media_ssrcs)
        self._audio_ssrcs = frozenset(ssrc for s in summary.sections
                                      if s.kind is MediaKind.AUDIO for ssrc in s.ssrcs)
        self._nack_unknown = bool(video) and not self._nack_ssrcs

    def _on_jitterbuffer(self, _rtpbin: Any, jitterbuffer: Any, _session: int,
                         ssrc: int) -> None:
        """A streaming thread: rtpbin made the jitterbuffer of the peer's ``ssrc``.

        webrtcbin's own handler is meant to set ``do-retransmission`` from the
        transceiver's ``do-nack``; with 1.22 and our transceivers (notes §5.4) it stays
        false, so no NACK ever reached the peer (measured: 0 retransmission requests,
        while the answer negotiated nack and RTX). Video jitterbuffers NACK; what comes
        back as RTX is unwrapped into the stream by the rtprtxreceive webrtcbin puts in
        front of them (its payload map comes from the SDP). Without SSRCs in the SDP,
        every SSRC but the audio ones.
        """
        if ssrc in self._nack_ssrcs or (self._nack_unknown and ssrc not in self._audio_ssrcs):
            jitterbuffer.set_property("do-retransmission", True)
        self.runtime.call_soon(self._bound_jitterbuffer, jitterbuffer)

    def _bound_jitterbuffer(self, jitterbuffer: Any) -> None:
        """Loop thread: a while after it was made, the jitterbuffer keeps at most its
        latency and drops the oldest beyond it (``drop-on-latency``).

        A jitterbuffer keeps every packet until its streaming thread has sent it on:
        when that thread cannot keep up (an overloaded server fanning out to many
        viewers), it falls seconds behind live and never catches up (bench/README.md:
        7 s at one-to-many N = 128). Live media is better lost than late. Not from the
        start: what the peer sent while DTLS was being set up arrives in one burst, and
        dropping its oldest part would drop the first keyframe (a recorder then waits
        a keyframe interval more, and may start without the video).
        """
        self.runtime.loop.call_later(JITTERBUFFER_BOUND_AFTER, jitterbuffer.set_property,
                                     "drop-on-latency", True)

    def _set_local(self, kind: Any, description: Any) -> str:
        """Worker thread: set our offer/answer (with our certificate's fingerprint)."""
        text = sdp.strip_candidates(description.sdp.as_text())
        original = text
        if not self.config.data_channels:
            text = reject_data_sections(text)  # KMS rejects m=application without them
        text = self._remb.decorate(text, offer=kind == GstWebRTC.WebRTCSDPType.OFFER)
        if self._pem or text != original:
            text = with_fingerprint(text, self._pem) if self._pem else text
            self._set_description("set-local-description", kind, text)
        else:
            call_promise(self.webrtc, "set-local-description", description)
        self._local_text = text
        return text

    def _set_description(self, signal: str, kind: Any, text: str) -> None:
        result, message = GstSdp.SDPMessage.new_from_text(text)
        if result != GstSdp.SDPResult.OK:
            raise WebRtcError(f"{signal}: GStreamer cannot read the SDP")
        call_promise(self.webrtc, signal, GstWebRTC.WebRTCSessionDescription.new(kind, message))

    def _add_transceiver(
        self, stream: _Stream, codecs: list[tuple[str, int, str]], direction: Any,
        offer: bool = False,
    ) -> None:
        caps = transceiver_caps(stream.kind.value.lower(), codecs, stream.ssrc, nack=True,
                                offer=offer)
        # 1.22 makes no transceiver from a remote offer (§5.4); later versions may have
        # made one for this m-line already: then configure it instead of adding another.
        transceiver = None if offer else self.webrtc.emit("get-transceiver", stream.mline)
        if transceiver is not None and transceiver.get_property("mlineindex") == stream.mline:
            transceiver.set_property("direction", direction)
            transceiver.set_property("codec-preferences", caps)
        else:
            transceiver = self.webrtc.emit("add-transceiver", direction, caps)
        stream.transceiver = transceiver
        self._segments.watch_sender(transceiver.get_property("sender"))
        if stream.kind is MediaKind.VIDEO:
            transceiver.set_property("do-nack", True)
        self._streams[stream.mline] = stream

    def _negotiation_done(self) -> None:
        """Worker thread: link the inputs, apply queued candidates, watch DTLS."""
        for stream in self._streams.values():
            if stream.codec is not None and stream.sending:
                self._link_input(stream)
        with self._lock:
            self._negotiated = True
            pending, self._pending_remote = self._pending_remote, []
        for mline, candidate in pending:
            self.webrtc.emit("add-ice-candidate", mline, candidate)
        self._watch_dtls()
        self._remb.attach(self.webrtc.get_by_name("rtpbin"))
        self._relay.attach(self.webrtc.get_by_name("rtpbin"))

    def _link_input(self, stream: _Stream) -> None:
        assert stream.codec is not None
        self._ports.link_input(stream.kind, stream.codec.name, stream.codec.payload,
                               stream.ssrc, self.config.mtu, self._sink_pad(stream))

    def _sink_pad(self, stream: _Stream) -> Any:
        """webrtcbin's sink pad for the stream's transceiver (names follow no m-line rule)."""
        for pad in self.webrtc.sinkpads:
            if pad.get_property("transceiver") is stream.transceiver:
                return pad
        pad = self.webrtc.request_pad_simple(f"sink_{stream.mline}")
        if pad is None:
            raise WebRtcError(f"webrtcbin gave no sink pad for m-line {stream.mline}")
        return pad

    def _watch_dtls(self) -> None:
        transceiver = self.webrtc.emit("get-transceiver", 0)
        sender = transceiver.get_property("sender") if transceiver is not None else None
        dtls = sender.get_property("transport") if sender is not None else None
        if dtls is not None and not any(obj is dtls for obj, _ in self._signals):
            self._connect(dtls, "notify::state", self._ice_reports.on_dtls_state)

    def _refuse_input(self, description: str) -> None:
        """Streaming thread: an input with the wrong codec (see MediaPorts)."""
        log.warning("%r: %s", self, description)
        self.runtime.call_soon(self.listener.on_error, "UNSUPPORTED_MEDIA_TYPE", 40005,
                               description)

    # -- ICE and states ------------------------------------------------------------

    def gather_candidates(self) -> None:
        self._ice_reports.gather()

    def add_ice_candidate(self, candidate: str, sdp_mid: str, sdp_mline_index: int) -> None:
        if not candidate.strip():
            return  # end of candidates: nothing to do (reference §1.7, 40401)
        line = sdp.check_candidate(candidate)
        mline = sdp_mline_index
        if sdp_mid and mline not in self._streams:
            mline = next((s.mline for s in self._streams.values() if s.mid == sdp_mid), mline)
        if self._bundled:
            # One transport for every m-line: a candidate given for m-line 1 would
            # otherwise start a second ICE stream and DTLS handshake (Fatal SSL error).
            mline = 0
        if (mline, line) in self._remote_seen:
            return
        self._remote_seen.add((mline, line))
        with self._lock:
            if not self._negotiated:
                self._pending_remote.append((mline, line))
                return
        self.runtime.loop.create_task(self.runtime.worker.run(
            f"add candidate {self!r}",
            lambda: self.webrtc.emit("add-ice-candidate", mline, line)))

    def _on_connected(self) -> None:
        """Loop: the peer connection is up."""
        self._liveness.start()
        self._find_selected_pair()

    def _find_selected_pair(self) -> None:
        def lookup() -> None:
            pair = webrtc_stats.selected_pair(webrtc_stats.entries(
                call_promise(self.webrtc, "get-stats", None)))
            if pair is not None:
                self.runtime.call_soon(self._notify, "on_candidate_pair_selected",
                                       str(STREAM), COMPONENT, *pair)

        self.runtime.loop.create_task(self.runtime.worker.run(f"pair {self!r}", lookup))

    def _mid_of(self, mline: int) -> str:
        stream = self._streams.get(mline)
        return stream.mid if stream is not None and stream.mid else str(mline)

    def _notify(self, method: str, *args: object) -> None:
        """Loop thread: call the listener's WebRTC callback if it has one."""
        callback = getattr(self.listener, method, None)
        if callback is not None and self._close_task is None:
            callback(*args)

    # -- keyframes and stats -----------------------------------------------------

    async def request_keyframe(self) -> bool:
        pad = self.input_pad(MediaKind.VIDEO)
        return await self._blocking("keyframe request",
                                    lambda: bool(pad.push_event(keyframe_request())))

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        link = super().link(sink, kind)
        if kind is MediaKind.VIDEO:
            # A new receiver needs a keyframe: ask our peer once the bridge is up.
            for delay in (0.3, 1.0):
                self.runtime.loop.call_later(delay, self._keyframe_from_peer)
        return link

    def _relay_upstream(self, bitrate: int) -> None:
        """rtpsession's thread: our peer's REMB, up to whatever feeds our video input."""
        self.input_pad(MediaKind.VIDEO).push_event(remb_event(bitrate, self.name))

    def _on_upstream_event(self, _pad: Any, info: Any) -> Any:
        """A streaming thread: an event coming up to our video output (from the sinks)."""
        remb = read_remb_event(info.get_event())
        if remb is None:
            return Gst.PadProbeReturn.OK
        bitrate, origin = remb
        if origin != self.name:
            self._remb.downstream(origin, bitrate)
        # else it came round a link to ourselves (the echo of hello-world): our peer's
        # estimate of its own video coming back, paced by its own sender, over the same
        # path. Fed back to it, its estimate and ours both cut on each queue and ratchet
        # each other down (measured: a 300 kbps path ended at the 30 kbps floor).
        return Gst.PadProbeReturn.DROP  # it stops here: our peer hears it as our REMB

    def _keyframe_from_peer(self) -> None:
        if self._close_task is None:
            tee_sink = self.output_tee(MediaKind.VIDEO).get_static_pad("sink")
            self.runtime.loop.create_task(self.runtime.worker.run(
                f"keyframe {self!r}", lambda: tee_sink.push_event(keyframe_request())))

    async def stats(self) -> list[RtpStreamStats]:
        if not self._negotiated:
            return []
        kinds = {s.ssrc: s.kind for s in self._streams.values()}
        kinds.update({ssrc: kind for kind, ssrc in self._ports.remote_ssrc.items()})
        streams = await self._blocking("stats", lambda: webrtc_stats.rtp_streams(
            webrtc_stats.entries(call_promise(self.webrtc, "get-stats", None)), kinds))
        return self._remb.annotate(streams)

    def retransmission_counters(self) -> dict[str, int]:
        """NACK/RTX counters from webrtcbin's rtpbin (tests, debugging; any thread).

        ``requested``: retransmissions our jitterbuffers asked for (NACKs sent);
        ``repaired``: of those, packets that came back in time (RTX unwrapped by
        rtprtxreceive); ``rtx_received``: RTX packets from the peer; ``served``:
        RTX packets we sent for the peer's NACKs (rtprtxsend's buffer).
        """
        counters = dict.fromkeys(("requested", "repaired", "rtx_received", "served"), 0)
        rtpbin = self.webrtc.get_by_name("rtpbin")
        if rtpbin is None:
            return counters
        for element in _descendants(rtpbin):
            factory = element.get_factory()
            name = factory.get_name() if factory is not None else ""
            if name == "rtpjitterbuffer" and element.get_property("do-retransmission"):
                stats = element.get_property("stats")
                counters["requested"] += int(stats.get_value("rtx-count"))
                counters["repaired"] += int(stats.get_value("rtx-success-count"))
            elif name == "rtprtxreceive":
                counters["rtx_received"] += int(element.get_property("num-rtx-packets"))
            elif name == "rtprtxsend":
                counters["served"] += int(element.get_property("num-rtx-packets"))
        return counters

    # -- data channels (webrtc_data) ---------------------------------------------------

    async def create_data_channel(self, label: str, ordered: bool, max_packet_lifetime: int,
                                  max_retransmits: int, protocol: str) -> None:
        await self._blocking("create data channel", lambda: self._data.create_sync(
            label, ordered, max_packet_lifetime, max_retransmits, protocol))

    async def close_data_channel(self, channel_id: int) -> None:
        channel = self._data.closing(channel_id)
        await self._blocking("close data channel", lambda: channel.emit("close"))

    def data_channel_stats(self) -> tuple[int, int, list[DataChannelStats]]:
        return self._data.stats()

    # -- teardown --------------------------------------------------------------------

    def _connect(self, obj: Any, signal: str, handler: Callable[..., Any]) -> None:
        self._signals.append((obj, obj.connect(signal, handler)))

    def _teardown_sync(self) -> None:
        # webrtcbin first (notes §5.7): its inner graph stops before the rest.
        self._data.teardown()  # before: webrtcbin closes the channels as it stops
        self.webrtc.set_state(Gst.State.NULL)
        super()._teardown_sync()

    def teardown(self) -> None:
        for obj, handler in self._signals:
            obj.disconnect(handler)
        self._signals.clear()
        self._ports.teardown()
        self._data.teardown()
        self._remb.detach()
        self._relay.detach()
        self._segments.detach()
        pad, probe = self._remb_probe
        if probe:
            pad.remove_probe(probe)
            self._remb_probe = (pad, 0)


def _descendants(bin_: Any) -> list[Any]:
    found: list[Any] = []
    for element in bin_.iterate_elements():
        found.append(element)
        if isinstance(element, Gst.Bin):
            found.extend(_descendants(element))
    return found


if TYPE_CHECKING:
    from ..contract import WebRtcMedia

    def _conforms(element: WebRtcElement) -> WebRtcMedia:
        return element  # mypy checks the element against the control plane's protocol
