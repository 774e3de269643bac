"""Kurento ``RtpEndpoint``'s media part: one rtpbin with plain UDP (or SDES-SRTP) transports.

Media between elements is encoded, as for the WebRtcEndpoint, and the same
:class:`~.webrtc_media.MediaPorts` payload our inputs and depayload what the peer
sends (VP8, H.264 byte-stream/AU, Opus; never decoded). An input with another
codec (e.g. raw video from a test source) is refused with one ``Error`` event,
not transcoded. The network side is :mod:`.rtp_transport`; the SDP is
:mod:`.rtp_sdp`.

* Keyframe requests reaching an output come back to rtpbin with the peer's
  SSRC and leave as RTCP PLI (``forward_keyframe_requests``). We also ask when
  the peer's video first arrives (it may start mid-GOP; rtph264depay, unlike
  rtpvp8depay, does not ask by itself) and when a new consumer is linked.
* RTCP has its own port (RTP + 1): ``a=rtcp-mux`` in an offer is declined.
* ``connectionState`` is CONNECTED once negotiated (no handshake in plain RTP,
  as in KMS); ``mediaState`` follows RTCP from the peer
  (:class:`~.webrtc_ice.RtcpLiveness`, rtpbin ``on-ssrc-active``).
* :meth:`RtpElement.routes` is empty: what enters goes to the network.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..contract import (
    ElementEngine,
    Link,
    MediaKind,
    RtpStreamStats,
    SdpMismatchError,
)
from ..rtp_contract import RtpConfig
from . import rtp_sdp, rtp_stats
from .element import GstElement
from .rtp_transport import Transport, bind_pair
from .sdp_steps import run_step
from .webrtc_fixes import keyframe_request
from .webrtc_ice import RtcpLiveness
from .webrtc_media import MediaPorts
from .webrtc_sdp import Codec

log = logging.getLogger(__name__)
T = TypeVar("T")

RTPBIN_LATENCY_MS = 50  # jitterbuffer: enough to reorder on a LAN, little delay
NEW_STREAM_KEYFRAME_DELAY = 0.2  # s: the depayloader is linked by then
# mediaState times out after this long without RTCP. Plain RTP peers report at RFC 3550's
# minimum interval, 5 s randomised up to 7.5 s (gst rtpbin, ffmpeg), where browsers report
# every second: 5 s made such a peer flap between CONNECTED and DISCONNECTED; 12 s
# tolerates one maximal interval plus slack (RFC 3550 §6.3.5 waits five intervals).
RTCP_TIMEOUT = 12.0
_AVPF = 3  # GstRTPProfile "avpf": feedback (PLI) may go out early
_SAVPF = 4


@dataclass
class _Stream:
    """One of our media sections (offered or answered)."""

    index: int  # m-line index
    kind: MediaKind
    transport: Transport
    codec: Codec | None = None
    ssrc: int = 0  # ours
    receiving: bool = True
    sending: bool = True


class RtpElement(GstElement):
    factory = "RtpEndpoint"

    def build(self) -> None:
        self.config = RtpConfig()
        self.rtpbin = self.make("rtpbin", "rtpbin", latency=RTPBIN_LATENCY_MS)
        self._streams: list[_Stream] = []
        self._offer: list[rtp_sdp.LocalSection] = []
        self._negotiated = False
        self._session = random.randint(1, 2**62)  # our SDP's o= session id
        self._signals: list[tuple[Any, int]] = []
        self._ports = MediaPorts(self, self._refuse_input)
        self._liveness = RtcpLiveness(self.runtime, self._notify,
                                      lambda: self._close_task is not None, RTCP_TIMEOUT)
        self._connect(self.rtpbin, "pad-added", self._on_pad_added)
        self._connect(self.rtpbin, "on-ssrc-active", self._liveness.on_rtcp)

    def routes(self, kind: MediaKind) -> Iterable[MediaKind]:
        return ()

    def set_encoder_bitrates(self, target: int, minimum: int, maximum: int) -> None:
        """The transcoder's video encoder (see webrtc_media and encoder_rate)."""
        self._ports.encoder_rate.configure(target, minimum, maximum)

    def configure(self, config: RtpConfig) -> None:
        self.config = config

    @property
    def _ipv6(self) -> bool:
        return ":" in self.config.address

    # -- negotiation (loop side) -----------------------------------------------

    async def process_offer(self, offer: str) -> str:
        sections = rtp_sdp.parse(offer, "offer")
        chosen = rtp_sdp.usable(sections, self.config.crypto, "offer", self._ipv6)
        answer = await self._blocking("process offer", lambda: self._answer_sync(sections,
                                                                                 chosen))
        self.runtime.loop.call_soon(self._on_negotiated)  # after MediaSessionStarted
        return answer

    async def generate_offer(self, audio: bool, video: bool) -> str:
        if not (audio or video):
            raise SdpMismatchError("an offer needs audio or video")
        kinds = [k for k, wanted in ((MediaKind.AUDIO, audio), (MediaKind.VIDEO, video)) if wanted]
        return await self._blocking("generate offer", lambda: self._offer_sync(kinds))

    async def process_answer(self, answer: str) -> str:
        sections = rtp_sdp.parse(answer, "answer")
        chosen = rtp_sdp.usable(sections, self.config.crypto, "answer", self._ipv6)
        text = await self._blocking("process answer", lambda: self._apply_answer(chosen))
        self.runtime.loop.call_soon(self._on_negotiated)  # after MediaSessionStarted
        return text

    async def _blocking(self, what: str, fn: Callable[[], T]) -> T:
        return await run_step(self, what, fn)

    def _on_negotiated(self) -> None:
        """Loop: plain RTP is 'connected' once negotiated; media state follows RTCP."""
        self._notify("on_connection_state", True)
        self._liveness.start()

    # -- negotiation (worker threads) ------------------------------------------

    def _profile(self) -> None:
        self.rtpbin.set_property("rtp-profile", _SAVPF if self.config.crypto else _AVPF)

    def _answer_sync(self, sections: list[rtp_sdp.RtpSection],
                     chosen: list[rtp_sdp.RtpSection]) -> str:
        self._profile()
        local: list[rtp_sdp.LocalSection] = []
        for section in sections:
            if section not in chosen or section.kind is None or section.codec is None:
                local.append(rtp_sdp.LocalSection(section.media, 0, section.profile, [],
                                                  mid=section.mid,
                                                  formats=section.formats[:1]))
                continue
            rtp_socket, rtcp_socket = bind_pair(self.config.address)
            stream = _Stream(section.index, section.kind,
                             Transport(len(self._streams), section.media, rtp_socket,
                                       rtcp_socket),
                             section.codec, random.randint(1, 2**31),
                             receiving=section.direction in ("sendrecv", "sendonly"),
                             sending=section.direction in ("sendrecv", "recvonly"))
            self._streams.append(stream)
            peer = next((c for c in section.cryptos
                         if self.config.crypto and c.suite == self.config.crypto.suite), None)
            direction = rtp_sdp.answer_direction(section.direction)
            local.append(rtp_sdp.LocalSection(
                section.media, stream.transport.port, section.profile, [section.codec],
                stream.transport.rtcp_port, direction, section.mid,
                peer.tag if peer is not None else 1, ssrc=stream.ssrc))
            self._start_stream(stream, section, (peer.suite, peer.key) if peer else None)
        self._negotiated = True
        return rtp_sdp.write(self.config.address, local, self.config.crypto, self._session)

    def _offer_sync(self, kinds: list[MediaKind]) -> str:
        self._profile()
        profile = "RTP/SAVPF" if self.config.crypto else "RTP/AVPF"
        for index, kind in enumerate(kinds):
            media = kind.value.lower()
            rtp_socket, rtcp_socket = bind_pair(self.config.address)
            stream = _Stream(index, kind, Transport(index, media, rtp_socket, rtcp_socket),
                             None, random.randint(1, 2**31))
            self._streams.append(stream)
            self._offer.append(rtp_sdp.LocalSection(
                media, stream.transport.port, profile, rtp_sdp.OFFER_CODECS[kind],
                stream.transport.rtcp_port, ssrc=stream.ssrc))
        return rtp_sdp.write(self.config.address, self._offer, self.config.crypto,
                             self._session)

    def _apply_answer(self, chosen: list[rtp_sdp.RtpSection]) -> str:
        by_index = {section.index: section for section in chosen}
        for stream in self._streams:
            section = by_index.get(stream.index)
            offered = self._offer[stream.index]
            if section is None or section.codec is None or section.kind is not stream.kind:
                offered.port, offered.codecs = 0, []  # rejected by the peer
                continue
            # The answer's payload type is the one on the wire (RFC 3264 §6.1).
            stream.codec = section.codec
            stream.receiving = section.direction in ("sendrecv", "sendonly")
            stream.sending = section.direction in ("sendrecv", "recvonly")
            peer = next((c for c in section.cryptos
                         if self.config.crypto and c.suite == self.config.crypto.suite), None)
            offered.codecs = [section.codec]
            self._start_stream(stream, section, (peer.suite, peer.key) if peer else None)
        if all(offered.port == 0 for offered in self._offer):
            raise SdpMismatchError("answer: no media section matches our offer")
        self._negotiated = True
        return rtp_sdp.write(self.config.address, self._offer, self.config.crypto,
                             self._session)

    def _start_stream(self, stream: _Stream, section: rtp_sdp.RtpSection,
                      peer_key: tuple[str, bytes] | None) -> None:
        """Worker thread: receive on our ports, send to the peer's."""
        assert stream.codec is not None
        transport = stream.transport
        transport.receive(self, self.rtpbin, stream.codec, peer_key, rtp=stream.receiving)
        remote = (section.address, section.port, section.rtcp_address, section.rtcp_port)
        if section.address in ("", "0.0.0.0", "::") or section.port == 0:
            return  # the peer takes nothing here (on hold): we only listen
        if stream.sending:
            session = transport.session
            sink = self.rtpbin.request_pad_simple(f"send_rtp_sink_{session}")
            # rtpsession suggests its own SSRC in caps and the payloader takes it: make it
            # the one our SDP announces (an SRTP peer keys its decoder by it).
            internal = self.rtpbin.emit("get-internal-session", session)
            internal.set_property("internal-ssrc", stream.ssrc)
            self._ports.link_input(stream.kind, stream.codec.name, stream.codec.payload,
                                   stream.ssrc, self.config.mtu, sink)
            transport.send(self, self.rtpbin, self.rtpbin.get_static_pad(
                f"send_rtp_src_{session}"), self.config.crypto, remote)
        else:
            transport.send_rtcp_only(self, self.rtpbin, remote, self.config.crypto)

    # -- rtpbin's streaming threads ---------------------------------------------

    def _on_pad_added(self, rtpbin: Any, pad: Any) -> None:
        if not pad.get_name().startswith("recv_rtp_src_"):
            return  # send_rtp_src_n: ours, linked by the transport
        self._ports.on_pad_added(rtpbin, pad)
        caps = pad.get_current_caps() or pad.query_caps(None)
        if caps.get_structure(0).get_string("media") == "video":
            # A peer that was already streaming starts mid-GOP: ask it for a keyframe.
            self.runtime.call_soon(self._keyframe_later)

    def _refuse_input(self, description: str) -> None:
        """Streaming thread: an input with the wrong codec (see MediaPorts)."""
        log.warning("%r: %s", self, description)
        self.runtime.call_soon(self.listener.on_error, "UNSUPPORTED_MEDIA_TYPE", 40005,
                               description)

    def _notify(self, method: str, *args: object) -> None:
        """Loop thread: call the listener's RTP callback if it has one."""
        callback = getattr(self.listener, method, None)
        if callback is not None and self._close_task is None:
            callback(*args)

    # -- keyframes and stats -----------------------------------------------------------

    async def stats(self) -> list[RtpStreamStats]:
        if not self._negotiated:
            return []
        sections = [(s.transport.session, s.kind, [s.ssrc, self._ports.remote_ssrc.get(s.kind, 0)])
                    for s in self._streams]
        return await self._blocking("stats", lambda: [
            entry for session, kind, ssrcs in sections
            for entry in rtp_stats.session_streams(self.rtpbin, session, kind, ssrcs)])

    async def request_keyframe(self) -> bool:
        pad = self.input_pad(MediaKind.VIDEO)
        return await self._blocking("keyframe request",
                                    lambda: bool(pad.push_event(keyframe_request())))

    def link(self, sink: ElementEngine, kind: MediaKind) -> Link:
        link = super().link(sink, kind)
        if kind is MediaKind.VIDEO:
            # A new receiver needs a keyframe: ask our peer (PLI) once the bridge is up.
            for delay in (0.3, 1.0):
                self.runtime.loop.call_later(delay, self._keyframe_from_peer)
        return link

    def _keyframe_later(self) -> None:
        self.runtime.loop.call_later(NEW_STREAM_KEYFRAME_DELAY, self._keyframe_from_peer)

    def _keyframe_from_peer(self) -> None:
        if self._close_task is None and self._negotiated:
            tee_sink = self.output_tee(MediaKind.VIDEO).get_static_pad("sink")
            self.runtime.loop.create_task(self.runtime.worker.run(
                f"keyframe {self!r}", lambda: tee_sink.push_event(keyframe_request())))

    # -- teardown --------------------------------------------------------------------

    def _connect(self, obj: Any, signal: str, handler: Callable[..., Any]) -> None:
        self._signals.append((obj, obj.connect(signal, handler)))

    def teardown(self) -> None:
        for obj, handler in self._signals:
            obj.disconnect(handler)
        self._signals.clear()
        self._ports.teardown()
        for stream in self._streams:
            stream.transport.close_sockets()


if TYPE_CHECKING:
    from ..rtp_contract import RtpMedia

    def _conforms(element: RtpElement) -> RtpMedia:
        return element  # mypy checks the element against the control plane's protocol

