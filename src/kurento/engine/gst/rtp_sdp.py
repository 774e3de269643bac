"""Plain RTP / SDES-SRTP SDP for the RtpEndpoint: read the peer's, write ours.

Syntax and codecs are checked by :mod:`.webrtc_sdp` (strict RFC 8866 lines, sane
numbers); this module adds what plain RTP needs from each media section: the
transport profile, the peer's address and RTP/RTCP ports (``c=``, ``a=rtcp``),
and its ``a=crypto`` lines. We never accept ``a=rtcp-mux``: an answer without it
declines muxing (RFC 5761 §5.1.1), so RTCP always has its own port (RTP + 1).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from ..contract import MediaKind, SdpMismatchError, SdpSyntaxError
from ..rtp_contract import SRTP_KEY_SIZES, SdesKey
from . import webrtc_sdp
from .webrtc_sdp import Codec

PLAIN_PROFILES = ("RTP/AVP", "RTP/AVPF")
SECURE_PROFILES = ("RTP/SAVP", "RTP/SAVPF")
# Kurento CryptoSuite <-> SDES name in a=crypto (RFC 4568, RFC 6188).
SDES_NAMES = {
    "AES_128_CM_HMAC_SHA1_32": "AES_CM_128_HMAC_SHA1_32",
    "AES_128_CM_HMAC_SHA1_80": "AES_CM_128_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32": "AES_256_CM_HMAC_SHA1_32",
    "AES_256_CM_HMAC_SHA1_80": "AES_256_CM_HMAC_SHA1_80",
}
_SUITES = {sdes: suite for suite, sdes in SDES_NAMES.items()}
# What our offers carry: (codec, payload type, fmtp).
OFFER_CODECS = {
    MediaKind.VIDEO: [Codec("VP8", 96, 90000), Codec(
        "H264", 102, 90000, "level-asymmetry-allowed=1;packetization-mode=1;"
        "profile-level-id=42e01f")],
    MediaKind.AUDIO: [Codec("OPUS", 111, 48000)],
}

_MLINE = re.compile(r"^m=(\S+) (\d+)(?:/\d+)? (\S+) (.*)$")
_CONNECTION = re.compile(r"^c=IN (IP4|IP6) ([0-9A-Fa-f:.]+)(?:/\d+)*$")
_RTCP = re.compile(r"^a=rtcp:(\d{1,5})(?: IN IP[46] (\S+))?$")
_CRYPTO = re.compile(r"^a=crypto:(\d{1,9}) (\S+) inline:([A-Za-z0-9+/=]+)(?:\|\S+)*(?: .*)?$")


@dataclass(frozen=True)
class Crypto:
    """One ``a=crypto`` line: the peer's SRTP key for what it sends."""

    tag: int
    suite: str  # Kurento CryptoSuite
    key: bytes


@dataclass
class RtpSection:
    """One ``m=`` section, as the RTP transport needs it."""

    index: int
    media: str
    port: int
    profile: str
    formats: list[str]
    address: str = ""
    rtcp_port: int = 0
    rtcp_address: str = ""
    mid: str = ""
    direction: str = "sendrecv"
    codec: Codec | None = None
    cryptos: list[Crypto] = field(default_factory=list)

    @property
    def kind(self) -> MediaKind | None:
        return {"audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}.get(self.media)

    @property
    def secure(self) -> bool:
        return self.profile in SECURE_PROFILES


def parse(text: str, what: str = "SDP") -> list[RtpSection]:
    """Check ``text`` and summarise its media sections; raises SdpSyntaxError."""
    summary = webrtc_sdp.parse(text, what)
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    session_address = ""
    sections: list[RtpSection] = []
    for line in lines:
        if line.startswith("m="):
            match = _MLINE.match(line)
            if match is None:  # webrtc_sdp accepted it, so this cannot happen; be safe
                raise SdpSyntaxError(f"{what}: bad media line {line[:60]!r}")
            sections.append(RtpSection(len(sections), match[1], int(match[2]), match[3],
                                       match[4].split(), address=session_address))
        elif line.startswith("c="):
            match = _CONNECTION.match(line)
            if match is None:
                raise SdpSyntaxError(f"{what}: bad connection line {line[:60]!r}")
            if sections:
                sections[-1].address = match[2]
            else:
                session_address = match[2]
        elif sections:
            _attribute(sections[-1], line, what)
    for section, summarised in zip(sections, summary.sections, strict=True):
        section.mid, section.direction = summarised.mid, summarised.direction
        section.codec = summarised.chosen()
        if section.rtcp_port == 0 and section.port:
            section.rtcp_port = section.port + 1
        section.rtcp_address = section.rtcp_address or section.address
    return sections


def _attribute(section: RtpSection, line: str, what: str) -> None:
    if line.startswith("a=rtcp:"):
        match = _RTCP.match(line)
        if match is None or not 0 < int(match[1]) < 65536:
            raise SdpSyntaxError(f"{what}: bad rtcp attribute {line[:60]!r}")
        section.rtcp_port = int(match[1])
        section.rtcp_address = match[2] or ""
    elif line.startswith("a=crypto:"):
        match = _CRYPTO.match(line)
        if match is None:
            raise SdpSyntaxError(f"{what}: bad crypto attribute {line[:60]!r}")
        suite = _SUITES.get(match[2])
        if suite is None:
            return  # a suite we do not know: as if absent
        try:
            key = base64.b64decode(match[3], validate=True)
        except ValueError:
            raise SdpSyntaxError(f"{what}: crypto key is not base64") from None
        if len(key) != sum(SRTP_KEY_SIZES[suite]):
            raise SdpSyntaxError(f"{what}: crypto key of {len(key)} bytes for {match[2]}")
        section.cryptos.append(Crypto(int(match[1]), suite, key))


def usable(sections: list[RtpSection], crypto: SdesKey | None, what: str,
           ipv6: bool = False) -> list[RtpSection]:
    """The sections we will carry; SdpMismatchError when there is none.

    A section is usable when it is audio/video, not rejected (port 0), at an
    address of our family (``ipv6``), uses an RTP profile matching our keying (SAVP
    iff ``crypto``) and offers a codec we carry (VP8, H.264 packetization-mode 1,
    Opus); with SRTP it must also offer our suite.
    """
    chosen = [s for s in sections if _usable(s, crypto) and _family_ok(s, ipv6)]
    if chosen:
        return chosen
    media = [s for s in sections if s.kind is not None and s.port != 0]
    if not media:
        raise SdpMismatchError(f"{what} offers no audio or video")
    if not any(_family_ok(s, ipv6) for s in media):
        raise SdpMismatchError(f"{what}: the peer is not reachable over "
                               f"{'IPv6' if ipv6 else 'IPv4'} (useIpv6 decides)")
    profiles = {s.profile for s in media}
    wanted = SECURE_PROFILES if crypto else PLAIN_PROFILES
    if not profiles & set(wanted):
        raise SdpMismatchError(
            f"{what}: transport {', '.join(sorted(profiles))} but this endpoint does "
            f"{' or '.join(wanted)}" + (" (configured with crypto)" if crypto else ""))
    if crypto is not None and not any(c.suite == crypto.suite for s in media for c in s.cryptos):
        raise SdpMismatchError(f"{what}: no a=crypto line with {SDES_NAMES[crypto.suite]}")
    raise SdpMismatchError(f"{what}: no common codec (supported VP8, H264, OPUS)")


def _family_ok(section: RtpSection, ipv6: bool) -> bool:
    return not section.address or (":" in section.address) == ipv6


def _usable(section: RtpSection, crypto: SdesKey | None) -> bool:
    if section.kind is None or section.port == 0 or section.codec is None:
        return False
    if crypto is None:
        return section.profile in PLAIN_PROFILES
    return section.secure and any(c.suite == crypto.suite for c in section.cryptos)


@dataclass
class LocalSection:
    """One ``m=`` section of our SDP."""

    media: str
    port: int  # 0: rejected
    profile: str
    codecs: list[Codec]
    rtcp_port: int = 0
    direction: str = "sendrecv"
    mid: str = ""
    crypto_tag: int = 1
    formats: list[str] = field(default_factory=list)  # for a rejected section
    ssrc: int = 0  # what we send with (an SRTP peer needs it for its key)


def write(address: str, sections: list[LocalSection], crypto: SdesKey | None,
          session: int) -> str:
    """Our offer or answer text (CRLF), announcing ``address`` for every section."""
    family = "IP6" if ":" in address else "IP4"
    lines = ["v=0", f"o=- {session} 1 IN {family} {address}", "s=Kurento Media Server",
             f"c=IN {family} {address}", "t=0 0"]
    for section in sections:
        formats = [str(c.payload) for c in section.codecs] or section.formats or ["0"]
        lines.append(f"m={section.media} {section.port} {section.profile} {' '.join(formats)}")
        if section.mid:
            lines.append(f"a=mid:{section.mid}")
        if section.port == 0:
            lines.append("a=inactive")
            continue
        lines.append(f"a=rtcp:{section.rtcp_port}")
        for codec in section.codecs:
            channels = "/2" if codec.name == "OPUS" else ""
            lines.append(f"a=rtpmap:{codec.payload} {_wire_name(codec.name)}/"
                         f"{codec.clock_rate}{channels}")
            if codec.fmtp:
                lines.append(f"a=fmtp:{codec.payload} {codec.fmtp}")
            if section.media == "video":
                lines += [f"a=rtcp-fb:{codec.payload} nack pli",
                          f"a=rtcp-fb:{codec.payload} ccm fir"]
        if crypto is not None:
            inline = base64.b64encode(crypto.key).decode("ascii")
            lines.append(f"a=crypto:{section.crypto_tag} {SDES_NAMES[crypto.suite]} "
                         f"inline:{inline}")
        lines.append(f"a={section.direction}")
        if section.ssrc and section.direction in ("sendrecv", "sendonly"):
            lines.append(f"a=ssrc:{section.ssrc} cname:kurento")
    return "\r\n".join(lines) + "\r\n"


def _wire_name(name: str) -> str:
    return "opus" if name == "OPUS" else name


def answer_direction(peer: str) -> str:
    return {"sendonly": "recvonly", "recvonly": "sendonly"}.get(peer, peer)
