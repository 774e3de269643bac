"""SDP inspection in plain Python, before any text reaches GStreamer.

GstSdp's parser is lenient: it accepts garbage, huge numbers and truncated
lines, and webrtcbin then fails late (or not at all). So every offer and
answer is checked here first (RFC 8866 line syntax, sane sizes and numbers),
and the media sections are summarised for the engine: kind, mid, the codec we
will use with its payload type, the peer's SSRC and direction.

Two kinds of refusal, mapped by the control plane to Kurento codes:
:class:`~kurento.engine.contract.SdpSyntaxError` (text that is not SDP,
40201) and :class:`~kurento.engine.contract.SdpMismatchError` (valid SDP we
cannot use: not WebRTC, no common codec; 40205/40206).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..contract import MediaKind, SdpMismatchError, SdpSyntaxError

MAX_SDP_BYTES = 64 * 1024
MAX_LINES = 2000
MAX_LINE = 4096
MAX_MEDIA = 16

_LINE = re.compile(r"^[a-z]=[\x20-\x7e\t]*$")
_MLINE = re.compile(r"^m=(\S+) (\d{1,5})(?:/\d{1,3})? (\S+)((?: \S+)+)$")
_RTPMAP = re.compile(r"^a=rtpmap:(\d{1,3}) ([A-Za-z0-9_.-]+)/(\d{1,7})(?:/(\d{1,2}))?$")
_FMTP = re.compile(r"^a=fmtp:(\d{1,3}) (.*)$")
_SSRC = re.compile(r"^a=ssrc:(\d{1,10}) ")
_FID = re.compile(r"^a=ssrc-group:FID (\d{1,10}) (\d{1,10})$")
_APT = re.compile(r"(?:^|;)\s*apt=(\d{1,3})\s*(?:;|$)")
_ORIGIN = re.compile(r"^o=\S+ \d{1,20} \d{1,20} IN IP[46] \S+$")
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")

# Codec name (upper case) -> (kind, clock rate) that the engine can carry.
CODECS = {"VP8": (MediaKind.VIDEO, 90000), "H264": (MediaKind.VIDEO, 90000),
          "OPUS": (MediaKind.AUDIO, 48000)}
VIDEO_PREFERENCE = ("VP8", "H264")


@dataclass(frozen=True)
class Codec:
    name: str  # VP8, H264, OPUS
    payload: int
    clock_rate: int
    fmtp: str = ""


@dataclass
class MediaSection:
    """One ``m=`` section as far as the engine cares."""

    index: int
    media: str  # "audio", "video", "application", ...
    port: int
    mid: str = ""
    direction: str = "sendrecv"
    codecs: list[Codec] = field(default_factory=list)
    ssrcs: list[int] = field(default_factory=list)
    bundle_only: bool = False
    rtx: dict[int, int] = field(default_factory=dict)  # RTX payload type -> apt (RFC 4588)
    fid: dict[int, int] = field(default_factory=dict)  # media SSRC -> its RTX SSRC

    @property
    def media_ssrcs(self) -> list[int]:
        """The SSRCs that carry media (an ``a=ssrc-group:FID`` repair SSRC does not)."""
        repair = set(self.fid.values())
        return [ssrc for ssrc in self.ssrcs if ssrc not in repair]

    def rtx_for(self, payload: int) -> int | None:
        """The RTX payload type the peer pairs with ``payload``, if any."""
        return next((rtx for rtx, apt in self.rtx.items() if apt == payload), None)

    @property
    def active(self) -> bool:
        """Not rejected. Port 0 with ``a=bundle-only`` (RFC 8843, what max-bundle offers
        such as Firefox's and webrtcbin's carry) is a live section on the bundle's port."""
        return self.port != 0 or self.bundle_only

    @property
    def kind(self) -> MediaKind | None:
        return {"audio": MediaKind.AUDIO, "video": MediaKind.VIDEO}.get(self.media)

    def chosen(self) -> Codec | None:
        """The codec we use: the first of our preference the peer listed."""
        names = ("OPUS",) if self.media == "audio" else VIDEO_PREFERENCE
        for name in names:
            for codec in self.codecs:
                if codec.name == name and (name != "H264" or _h264_ok(codec.fmtp)):
                    return codec
        return None


@dataclass
class SessionSummary:
    sections: list[MediaSection]
    ice_ufrag: bool
    fingerprint: bool
    bundle: bool = False


def parse(text: str, what: str = "SDP") -> SessionSummary:
    """Check ``text`` strictly and summarise it; raises SdpSyntaxError."""
    if len(text.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise SdpSyntaxError(f"{what} larger than {MAX_SDP_BYTES} bytes")
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if len(lines) > MAX_LINES:
        raise SdpSyntaxError(f"{what} has more than {MAX_LINES} lines")
    if not lines or lines[0] != "v=0":
        raise SdpSyntaxError(f"{what} must start with v=0")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE or not _LINE.match(line):
            raise SdpSyntaxError(f"{what} line {number} is not an SDP line")
    if not any(_ORIGIN.match(line) for line in lines[:3]):
        raise SdpSyntaxError(f"{what} has no valid o= line")
    sections: list[MediaSection] = []
    session_level = True
    ufrag = fingerprint = False
    for line in lines:
        if line.startswith("m="):
            session_level = False
            sections.append(_media_line(line, len(sections), what))
            if len(sections) > MAX_MEDIA:
                raise SdpSyntaxError(f"{what} has more than {MAX_MEDIA} media sections")
            continue
        ufrag = ufrag or line.startswith("a=ice-ufrag:")
        fingerprint = fingerprint or line.startswith("a=fingerprint:")
        if not session_level:
            _media_attribute(sections[-1], line, what)
    if not sections:
        raise SdpSyntaxError(f"{what} has no media (m=) section")
    bundle = any(line.startswith("a=group:BUNDLE ") for line in lines)
    return SessionSummary(sections, ufrag, fingerprint, bundle)


def check_usable(summary: SessionSummary, what: str = "SDP", data: bool = False) -> None:
    """Valid SDP we cannot use raises SdpMismatchError (not WebRTC, no common codec).

    ``data``: data channels are on, so a data-only session is usable.
    """
    if not summary.ice_ufrag or not summary.fingerprint:
        raise SdpMismatchError(f"{what} is not WebRTC: no ICE credentials or DTLS fingerprint")
    media = [s for s in summary.sections if s.kind is not None and s.active]
    if data and not media and any(s.media == "application" and s.active
                                  for s in summary.sections):
        return
    if not media:
        raise SdpMismatchError(f"{what} offers no audio or video")
    if not any(s.chosen() is not None for s in media):
        offered = sorted({c.name for s in media for c in s.codecs})
        raise SdpMismatchError(
            f"{what}: no common codec (offered {', '.join(offered) or 'none'}; "
            "supported VP8, H264, OPUS)"
        )


def strip_candidates(text: str) -> str:
    """The SDP without ``a=candidate`` / ``a=end-of-candidates`` (trickle ICE only)."""
    keep = [line for line in text.split("\r\n")
            if not line.startswith(("a=candidate:", "a=end-of-candidates"))]
    return "\r\n".join(keep)


_CANDIDATE = re.compile(
    r"^(?:a=)?candidate:(\S{1,32}) (\d{1,3}) (udp|tcp) (\d{1,10}) (\S{1,255}) (\d{1,5}) typ "
    r"(host|srflx|prflx|relay)(?: .*)?$",
    re.IGNORECASE,
)


def check_candidate(candidate: str) -> str:
    """The candidate line without a leading ``a=``; raises ValueError when malformed."""
    match = _CANDIDATE.match(candidate.strip())
    if match is None:
        raise ValueError(f"malformed ICE candidate: {candidate[:80]!r}")
    component, priority, port = int(match[2]), int(match[4]), int(match[6])
    if not 1 <= component <= 256 or priority >= 2**32 or not 0 < port < 65536:
        raise ValueError(f"ICE candidate out of range: {candidate[:80]!r}")
    return candidate.strip().removeprefix("a=")


def _media_line(line: str, index: int, what: str) -> MediaSection:
    match = _MLINE.match(line)
    if match is None:
        raise SdpSyntaxError(f"{what}: bad media line {line[:60]!r}")
    port = int(match[2])
    if port > 65535:
        raise SdpSyntaxError(f"{what}: port {port} out of range")
    proto = match[3]
    if "RTP" in proto:
        for fmt in match[4].split():
            if not fmt.isdigit() or int(fmt) > 127:
                raise SdpSyntaxError(f"{what}: bad RTP payload type {fmt[:10]!r}")
    return MediaSection(index, match[1], port)


def _media_attribute(section: MediaSection, line: str, what: str) -> None:
    if line.startswith("a=mid:"):
        section.mid = line[6:]
    elif line[2:] in _DIRECTIONS:
        section.direction = line[2:]
    elif line == "a=bundle-only":
        section.bundle_only = True
    elif line.startswith("a=rtpmap:"):
        match = _RTPMAP.match(line)
        if match is None or int(match[1]) > 127 or not 0 < int(match[3]) <= 1_000_000:
            raise SdpSyntaxError(f"{what}: bad rtpmap {line[:60]!r}")
        name = match[2].upper()
        if name in CODECS and CODECS[name][1] == int(match[3]):
            section.codecs.append(Codec(name, int(match[1]), int(match[3])))
        elif name == "RTX":
            section.rtx.setdefault(int(match[1]), -1)  # its apt comes with the fmtp
    elif line.startswith("a=fmtp:"):
        match = _FMTP.match(line)
        if match is None or int(match[1]) > 127:
            raise SdpSyntaxError(f"{what}: bad fmtp {line[:60]!r}")
        payload = int(match[1])
        if payload in section.rtx:
            apt = _APT.search(match[2])
            section.rtx[payload] = int(apt[1]) if apt and int(apt[1]) <= 127 else -1
            return
        section.codecs = [
            Codec(c.name, c.payload, c.clock_rate, match[2]) if c.payload == payload else c
            for c in section.codecs
        ]
    elif line.startswith("a=ssrc:"):
        match = _SSRC.match(line)
        if match is None or int(match[1]) >= 2**32:
            raise SdpSyntaxError(f"{what}: bad ssrc {line[:60]!r}")
        if int(match[1]) not in section.ssrcs:
            section.ssrcs.append(int(match[1]))
    elif line.startswith("a=ssrc-group:FID "):
        match = _FID.match(line)  # anything else is left alone, as webrtcbin does
        if match is not None and max(int(match[1]), int(match[2])) < 2**32:
            section.fid[int(match[1])] = int(match[2])


def _h264_ok(fmtp: str) -> bool:
    """Only packetization-mode 1 (what rtph264pay/depay and browsers use by default)."""
    params = dict(p.split("=", 1) for p in fmtp.replace(" ", "").split(";") if "=" in p)
    return params.get("packetization-mode", "0") == "1"
