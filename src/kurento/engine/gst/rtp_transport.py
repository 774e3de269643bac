"""UDP (and SRTP) transport of one RtpEndpoint media section, around its rtpbin session.

Per negotiated section ``n``::

    udpsrc(rtp socket)  → [srtpdec] → rtpbin.recv_rtp_sink_n
    udpsrc(rtcp socket) → [srtpdec] → rtpbin.recv_rtcp_sink_n
    rtpbin.send_rtp_src_n  → [srtpenc] → udpsink(rtp socket)  → peer port
    rtpbin.send_rtcp_src_n → [srtpenc] → udpsink(rtcp socket) → peer RTCP port

Each socket is bound by us (RTP on port P, RTCP on P + 1) and shared by the
udpsrc and the udpsink: we send from the ports we announce (symmetric RTP, which
NAT-ed peers and KMS expect). The peer's SRTP key comes from its ``a=crypto``;
srtpdec asks for it once per new SSRC (``request-key``), never per packet.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

from gi.repository import Gio

from ..contract import WebRtcError
from ..rtp_contract import SdesKey
from ._gst import Gst
from .element import GstElement
from .webrtc_sdp import Codec

log = logging.getLogger(__name__)

PORT_TRIES = 50
_CIPHERS = {16: "aes-128-icm", 32: "aes-256-icm"}
FMTP_CAPS_FIELDS = ("sprop-parameter-sets", "profile-level-id", "packetization-mode")


def bind_pair(address: str) -> tuple[Any, Any]:
    """Two UDP sockets on ``address``: RTP on an even port P, RTCP on P + 1."""
    family = Gio.SocketFamily.IPV6 if ":" in address else Gio.SocketFamily.IPV4
    for _ in range(PORT_TRIES):
        port = random.randrange(20000, 60000, 2)
        sockets = []
        try:
            for offset in (0, 1):
                sock = Gio.Socket.new(family, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
                sockets.append(sock)
                sock.bind(Gio.InetSocketAddress.new_from_string(address, port + offset), False)
            return sockets[0], sockets[1]
        except Exception as error:  # GLib.Error: port taken (or address not local)
            for sock in sockets:
                sock.close()
            if "Address already in use" not in str(error):
                raise WebRtcError(f"cannot listen on {address}: {error}") from None
    raise WebRtcError(f"no free RTP/RTCP port pair on {address}")


def port_of(sock: Any) -> int:
    return int(sock.get_local_address().get_port())


def rtp_caps(media: str, codec: Codec) -> Any:
    """Caps of what arrives on the RTP port (rtpbin reads payload map and feedback)."""
    text = (f"application/x-rtp,media={media},clock-rate={codec.clock_rate},"
            f"encoding-name={'OPUS' if codec.name == 'OPUS' else codec.name},"
            f"payload={codec.payload}")
    if media == "video":
        text += ",rtcp-fb-nack-pli=(boolean)true,rtcp-fb-ccm-fir=(boolean)true"
    caps = Gst.Caps.from_string(text)
    # The depayloader inserts out-of-band parameter sets (H.264 sprop-parameter-sets:
    # ffmpeg and many cameras send SPS/PPS only in the SDP).
    for pair in codec.fmtp.replace(" ", "").split(";"):
        name, _, value = pair.partition("=")
        if name in FMTP_CAPS_FIELDS and value:
            caps.set_value(name, value)
    return caps


def srtp_params(key: bytes) -> tuple[str, Any]:
    """(cipher nick, key buffer) for a master key + salt."""
    return _CIPHERS[len(key) - 14], Gst.Buffer.new_wrapped(bytes(key))


def auth_nick(suite: str) -> str:
    return "hmac-sha1-32" if suite.endswith("_32") else "hmac-sha1-80"


@dataclass
class Transport:
    """One section's sockets and elements; built on a worker thread."""

    session: int
    media: str
    rtp_socket: Any
    rtcp_socket: Any
    elements: list[Any] = field(default_factory=list)
    sinks: list[Any] = field(default_factory=list)  # udpsinks: RTP, RTCP
    remote: tuple[str, int, str, int] | None = None
    receiving: bool = False
    sending: bool = False

    @property
    def port(self) -> int:
        return port_of(self.rtp_socket)

    @property
    def rtcp_port(self) -> int:
        return port_of(self.rtcp_socket)

    def receive(self, element: GstElement, rtpbin: Any, codec: Codec,
                peer_key: tuple[str, bytes] | None, rtp: bool = True) -> None:
        """Start taking RTCP (and RTP when ``rtp``) into rtpbin session ``n`` (once).

        RTCP is taken even from a peer that sends no media: its receiver reports
        make the media state and carry its keyframe requests to us.
        """
        if self.receiving:
            return
        self.receiving = True
        name = f"{self.media}{self.session}"
        srtp = peer_key is not None
        rtcp_src = element.make(
            "udpsrc", f"{name}_rtcp_src", socket=self.rtcp_socket, close_socket=False,
            caps=Gst.Caps.from_string("application/x-srtcp" if srtp else "application/x-rtcp"))
        made = [rtcp_src]
        rtp_in = None
        if rtp:
            caps = rtp_caps(self.media, codec)
            rtp_src = element.make(
                "udpsrc", f"{name}_rtp_src", socket=self.rtp_socket, close_socket=False,
                caps=_secure(caps, "application/x-srtp") if srtp else caps)
            rtp_in = rtp_src.get_static_pad("src")
            made.append(rtp_src)
        rtcp_in = rtcp_src.get_static_pad("src")
        if peer_key is not None:
            decoder = element.make("srtpdec", f"{name}_srtpdec")
            decoder.connect("request-key", _peer_key_caps, peer_key)
            _link(rtcp_in, decoder.get_static_pad("rtcp_sink"))
            rtcp_in = decoder.get_static_pad("rtcp_src")
            if rtp_in is not None:
                _link(rtp_in, decoder.get_static_pad("rtp_sink"))
                rtp_in = decoder.get_static_pad("rtp_src")
            made.append(decoder)
        if rtp_in is not None:
            _link(rtp_in, rtpbin.request_pad_simple(f"recv_rtp_sink_{self.session}"))
        _link(rtcp_in, rtpbin.request_pad_simple(f"recv_rtcp_sink_{self.session}"))
        self.elements += made
        for item in reversed(made):
            item.sync_state_with_parent()

    def send(self, element: GstElement, rtpbin: Any, rtp_src: Any, own_key: SdesKey | None,
             remote: tuple[str, int, str, int]) -> None:
        """Send rtpbin session ``n`` (RTP from ``rtp_src``, and RTCP) to the peer (once).

        ``rtp_src`` is rtpbin's ``send_rtp_src_n`` (it exists once the payloader's
        ``send_rtp_sink_n`` was requested); ``remote`` is (address, port, RTCP
        address, RTCP port).
        """
        if self.sending:
            return
        self.sending = True
        self.remote = remote
        name = f"{self.media}{self.session}"
        host, port, rtcp_host, rtcp_port = remote
        rtp_sink = element.make("udpsink", f"{name}_rtp_sink", socket=self.rtp_socket,
                                close_socket=False, host=host, port=port, sync=False,
                                async_=False)
        rtcp_sink = element.make("udpsink", f"{name}_rtcp_sink", socket=self.rtcp_socket,
                                 close_socket=False, host=rtcp_host, port=rtcp_port,
                                 sync=False, async_=False)
        made = [rtp_sink, rtcp_sink]
        rtcp_out = rtpbin.request_pad_simple(f"send_rtcp_src_{self.session}")
        if own_key is not None:
            cipher, key = srtp_params(own_key.key)
            encoder = element.make("srtpenc", f"{name}_srtpenc", key=key)
            auth = auth_nick(own_key.suite)
            _set_nick(encoder, "rtp-cipher", cipher)
            _set_nick(encoder, "rtcp-cipher", cipher)
            _set_nick(encoder, "rtp-auth", auth)
            _set_nick(encoder, "rtcp-auth", "hmac-sha1-80")  # SRTCP: always 80 bits (RFC 4568)
            _link(rtp_src, encoder.request_pad_simple(f"rtp_sink_{self.session}"))
            _link(rtcp_out, encoder.request_pad_simple(f"rtcp_sink_{self.session}"))
            rtp_src = encoder.get_static_pad(f"rtp_src_{self.session}")
            rtcp_out = encoder.get_static_pad(f"rtcp_src_{self.session}")
            made.append(encoder)
        _link(rtp_src, rtp_sink.get_static_pad("sink"))
        _link(rtcp_out, rtcp_sink.get_static_pad("sink"))
        self.sinks = [rtp_sink, rtcp_sink]
        self.elements += made
        for item in made:
            item.sync_state_with_parent()

    def send_rtcp_only(self, element: GstElement, rtpbin: Any,
                       remote: tuple[str, int, str, int], own_key: SdesKey | None) -> None:
        """A receive-only section still reports (RTCP RR, PLI) to the peer."""
        if self.sending:
            return
        self.sending = True
        self.remote = remote
        name = f"{self.media}{self.session}"
        _host, _port, rtcp_host, rtcp_port = remote
        rtcp_sink = element.make("udpsink", f"{name}_rtcp_sink", socket=self.rtcp_socket,
                                 close_socket=False, host=rtcp_host, port=rtcp_port,
                                 sync=False, async_=False)
        made = [rtcp_sink]
        rtcp_out = rtpbin.request_pad_simple(f"send_rtcp_src_{self.session}")
        if own_key is not None:
            cipher, key = srtp_params(own_key.key)
            encoder = element.make("srtpenc", f"{name}_srtpenc", key=key)
            _set_nick(encoder, "rtcp-cipher", cipher)
            _set_nick(encoder, "rtcp-auth", "hmac-sha1-80")
            _link(rtcp_out, encoder.request_pad_simple(f"rtcp_sink_{self.session}"))
            rtcp_out = encoder.get_static_pad(f"rtcp_src_{self.session}")
            made.append(encoder)
        _link(rtcp_out, rtcp_sink.get_static_pad("sink"))
        self.sinks = [rtcp_sink]
        self.elements += made
        for item in made:
            item.sync_state_with_parent()

    def close_sockets(self) -> None:
        """Worker thread, after the pipeline reached NULL (no element uses them any more)."""
        for sock in (self.rtp_socket, self.rtcp_socket):
            sock.close()


def _secure(caps: Any, name: str) -> Any:
    """The same caps fields under another media type (x-rtp → x-srtp)."""
    structure = caps.get_structure(0).copy()
    structure.set_name(name)
    result = Gst.Caps.new_empty()
    result.append_structure(structure)
    return result


def _peer_key_caps(_decoder: Any, ssrc: int, peer: tuple[str, bytes]) -> Any:
    """srtpdec ``request-key`` (streaming thread, once per new SSRC): the peer's a=crypto."""
    suite, key = peer
    cipher = _CIPHERS[len(key) - 14]
    caps = Gst.Caps.from_string(
        f"application/x-srtp,ssrc=(uint){ssrc},srtp-cipher={cipher},"
        f"srtp-auth={auth_nick(suite)},srtcp-cipher={cipher},srtcp-auth=hmac-sha1-80")
    caps.set_value("srtp-key", Gst.Buffer.new_wrapped(bytes(key)))
    return caps


def _set_nick(element: Any, prop: str, nick: str) -> None:
    """Set an enum property by its nick (the enum types are not importable from Python)."""
    spec = element.find_property(prop)
    for value in spec.enum_class.__enum_values__.values():
        if value.value_nick == nick:
            element.set_property(prop, value)
            return
    raise ValueError(f"{prop}: no value {nick!r}")


def _link(src: Any, sink: Any) -> None:
    if src is None or sink is None or src.link(sink) != Gst.PadLinkReturn.OK:
        raise WebRtcError(f"cannot link {src} to {sink}")
