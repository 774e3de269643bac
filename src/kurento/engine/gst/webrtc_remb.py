"""REMB from the WebRtcEndpoint to the remote sender, the Kurento way (notes §5.8, §5.9).

Debian's GStreamer 1.22 has no bandwidth estimator and sends no REMB, so a
browser sending to us never backs off. KMS (``kmsremb.c``) estimates the
receive bandwidth of each incoming video stream from the RTCP receiver-report
figures and sends it to the sender as RTCP PSFB REMB (FMT 15, ``"REMB"``).
This module does the same:

* :class:`RembEstimator`: the algorithm, pure Python (unit-tested with loss
  sequences). Per RTCP interval it takes the fraction lost (1/256, counted by
  :class:`RembSender` from rtpsession's packets received and lost: rtpsession's
  own ``sent-rb-fractionlost`` reads 0 under heavy loss, see ``_update``), the
  packets and the bitrate received in the interval, and the interarrival jitter:

  - the fraction lost is smoothed over ``packetsRecvIntervalTop`` packets (an
    integer, as in KMS, so that it comes back to 0);
  - no loss: grow, exponentially (``* (1 + exponentialFactor)``) below the
    threshold, linearly above it (``+ linealFactor``, recomputed at each loss
    as ``(estimate - threshold) / linealFactorGrade``, at least
    ``linealFactorMin``), never above twice the best bitrate seen;
  - losses under ``upLosses``/256: hold (at most the best bitrate seen), the
    threshold goes to ``thresholdFactor * estimate``;
  - losses over: ``* decrementFactor``;
  - ceiling ``maxVideoRecvBandwidth`` (when > 0); what is sent is at least
    ``minVideoRecvBandwidth``, and never under 30 kbps.

  Unlike KMS, which starts from the first measured bitrate, the estimate starts
  at ``rembOnConnect`` (300 kbps by default). Three more departures from KMS, all
  measured with Chromium behind a ``tbf`` shaper (tests/browser/test_congestion.py):

  - after a decrease the estimate holds for ``DECREASE_HOLD`` (2 s): what arrives
    meanwhile was sent before the sender heard of it (Chromium takes 1.5 to 2 s
    to slow down), and KMS halved three or four times in a row for one episode;
  - jitter of ``JITTER_OVERUSE`` (10 ms) or more means a queue on the path:
    no growth, and once per episode (the jitter must fall back before the next
    cut: a loaded sender jitters too, and repeated cuts spiralled down to 30
    kbps) the estimate goes to 0.85 of the bitrate received (at least half of
    itself), and the threshold moves as after losses. A bottleneck shared by both
    directions (the loopback echo) drops the bursty return stream's packets rather
    than the paced incoming ones, so losses alone came too late. Jitter counts
    only while the sender uses a third of the estimate or more
    (:data:`SENDER_IN_USE`): under that it is the sender's own pacing;
  - after a cut, exponential growth stops at ``thresholdFactor`` of the bitrate that
    got through (KMS: of the estimate, which may have run to twice what the sender
    used).
* :func:`remb_packet`: the RTCP packet bytes.
* :func:`decorate`: ``a=rtcp-fb:PT goog-remb`` (video; in an answer only when the
  offer had it) and ``b=AS`` (``maxVideoRecvBandwidth`` / ``maxAudioRecvBandwidth``)
  in our SDP.
* :class:`RembSender`: the GStreamer glue. webrtcbin's rtpbin session 0 (all
  media are bundled) emits ``on-sending-rtcp`` on its RTCP thread once per
  regular RTCP interval (set to 500 ms, as KMS does); the handler reads the
  sources' stats, updates the estimators and appends one REMB packet to the
  outgoing compound buffer. Early (feedback-only) RTCP is left alone, and REMB
  goes out at most every 200 ms. REMB is sent only when the peer negotiated
  ``goog-remb`` for video.

* :class:`RembRelay` and :meth:`RembSender.downstream`: REMB goes upstream, as KMS
  does. An endpoint that sends video to a peer hears that peer's REMB (rtpsession
  ``on-feedback-rtcp``) and passes the bitrate upstream from its video input as a
  custom upstream event (:func:`remb_event`: bridges pass those, like keyframe
  requests); the endpoint whose peer sends that video takes it off its output tee
  and sends ``min(own estimate, every fresh downstream REMB)`` (at least the floor).
  Not round a link to itself (hello-world's echo): that would feed the peer's
  estimate of its own video back to it.
  A downstream value is fresh for :data:`DOWNSTREAM_TTL` (a viewer gone stops
  limiting). All on streaming threads: nothing per packet on the control plane.
  An element that encodes the video on the way (a filter, a player or an
  endpoint transcoding) takes the event at its encoder instead and sets the
  encoder's bitrate (:mod:`.encoder_rate`): it goes no further upstream.

``maxVideoSendBandwidth`` / ``minVideoSendBandwidth`` bound what our own
encoders send (from the REMB they receive): they bound the bitrate of a
WebRtcEndpoint's transcoder (:mod:`.encoder_rate`). The REMB relayed upstream
is not clamped by them (KMS clamps it, which caps a passed-through presenter at
500 kbps by default).
"""

from __future__ import annotations

import logging
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from ..contract import BandwidthConfig, RtpStreamStats
from ._gst import Gst

log = logging.getLogger(__name__)

REMB_MIN = 30_000  # bps: KMS never asks for less
REMB_MAX = 2_000_000  # bps: the threshold before the first loss
LINEAL_FACTOR_MIN = 50  # bps: KMS's default when RembParams gives none
MAX_FACTOR_INPUT_BR = 2  # growth never above twice the best bitrate received
RTCP_INTERVAL_S = 0.5  # KMS's RTCP_MIN_INTERVAL
RTCP_INTERVAL_NS = int(RTCP_INTERVAL_S * Gst.SECOND)
DECREASE_HOLD = 2.0  # s after a decrease when the estimate holds (not in KMS)
JITTER_OVERUSE = 0.010  # s of RFC 3550 jitter: a queue on the path (not in KMS)
JITTER_WARM_UP = 5.0  # s: a starting stream jitters whatever the path
OVERUSE_FACTOR = 0.85  # of the bitrate received, on a queue (GCC's beta)
SENDER_IN_USE = 3  # jitter says "queue" only if the sender uses a third of the estimate
REMB_MIN_GAP = 0.2  # s, KMS's REMB_MAX_INTERVAL
REMB_EVENT = "kurento-remb"  # the custom upstream event carrying a downstream REMB
DOWNSTREAM_TTL = 3.0  # s a downstream REMB limits ours without being repeated
RELAY_GAP = 0.5  # s between two relayed REMB that do not decrease

PT_PSFB = 206
FMT_AFB = 15


class RembEstimator:
    """Kurento's receive-bandwidth estimate for one incoming video stream (bps)."""

    def __init__(self, config: BandwidthConfig | None = None) -> None:
        self.config = config or BandwidthConfig()
        self.remb = max(1, self.config.remb_on_connect)
        self.threshold = REMB_MAX
        self.lineal_factor = self._lineal_min()
        self.fraction_lost_record = 0  # smoothed, in 1/256 (an integer, as in KMS)
        self.max_br = 0
        self.avg_br = 0
        self.since_decrease = DECREASE_HOLD  # s
        self.age = 0.0  # s of updates
        self.queue_armed = True  # the jitter was low since the last cut on jitter

    def _lineal_min(self) -> int:
        return self.config.lineal_factor_min if self.config.lineal_factor_min > 0 \
            else LINEAL_FACTOR_MIN

    def configure(self, config: BandwidthConfig) -> None:
        """New knobs; the estimate keeps going from where it is."""
        self.config = config
        self._clamp()

    def update(self, fraction_lost: int, packets: int, bitrate: int,
               elapsed: float = RTCP_INTERVAL_S, jitter: float = 0.0) -> int | None:
        """One RTCP interval of ``elapsed`` seconds: ``fraction_lost`` (0 to 255), packets
        and bps received in it, and the interarrival ``jitter`` (s) at its end.

        Returns the bitrate to send (bps), or None when nothing was received.
        """
        if packets <= 0:
            return None
        config = self.config
        self.since_decrease += elapsed
        self.age += elapsed
        if jitter < JITTER_OVERUSE:
            self.queue_armed = True
        if self.since_decrease < DECREASE_HOLD:
            # What arrives now was sent before the sender heard the decrease: its
            # losses and its bitrate say nothing about the new estimate. Hold.
            self._clamp()
            return self.value()
        top = max(config.packets_recv_interval_top, 1, packets)
        self.fraction_lost_record = int(self.fraction_lost_record * (top - packets)
                                        + fraction_lost * packets) // top
        self.max_br = max(self.max_br, bitrate)
        self.avg_br = bitrate if self.avg_br == 0 else (self.avg_br * 7 + bitrate) // 8
        # A sender using a small part of the estimate fills no queue by itself: its
        # jitter is its own pacing (at a low rate a keyframe goes out over several
        # frame intervals), and a cut on it halved an estimate the path never tested.
        queuing = (jitter >= JITTER_OVERUSE and self.age >= JITTER_WARM_UP
                   and self.avg_br * SENDER_IN_USE >= self.remb)
        if self.fraction_lost_record == 0 and queuing:
            # No loss, but packets queue somewhere (a shared bottleneck may drop the
            # other direction's packets first): no growth, and once per episode (the
            # jitter must fall back first: a loaded sender jitters too) a little under
            # what gets through.
            if self.queue_armed:
                self.queue_armed = False
                lowered = max(int(self.avg_br * OVERUSE_FACTOR), self.remb // 2)
                if lowered < self.remb:
                    # As after losses: exponential growth up to the threshold, linear
                    # above.
                    self._set_threshold(self.remb)
                    self.remb = lowered
                    self.max_br = 0
                    self.avg_br = 0
                    self.since_decrease = 0.0
        elif self.fraction_lost_record == 0:
            base = max(self.remb, self.max_br)
            if base < self.threshold:
                grown = int(base * (1 + config.exponential_factor))
            else:
                grown = base + self.lineal_factor
            grown = min(grown, self.max_br * MAX_FACTOR_INPUT_BR)
            self.remb = max(self.remb, grown)
        else:
            base = max(self.remb, self.avg_br)
            self._set_threshold(base)
            if self.fraction_lost_record < config.up_losses:
                self.remb = min(self.remb, self.max_br)
            else:
                self.remb = int(base * config.decrement_factor)
                self.fraction_lost_record = 0
                self.max_br = 0
                self.avg_br = 0
                self.since_decrease = 0.0
        self._clamp()
        return self.value()

    def _set_threshold(self, base: int) -> None:
        """On trouble at estimate ``base``: where exponential growth turns linear next
        (KMS: ``thresholdFactor`` of ``base``) and the linear step (that gap over
        ``linealFactorGrade``).

        ``base`` is taken at most at the bitrate that got through, unlike KMS: an
        estimate may have grown far past what an application-limited sender used (up
        to twice it), and growing back exponentially to 0.8 of that overshot a narrowed
        path by a quarter.
        """
        config = self.config
        if self.avg_br > 0:
            base = min(base, self.avg_br)
        grade = config.lineal_factor_grade if config.lineal_factor_grade > 0 else 1.0
        self.threshold = int(base * config.threshold_factor)
        self.lineal_factor = max(self._lineal_min(), int((base - self.threshold) / grade))

    def _clamp(self) -> None:
        if self.config.max_video_recv > 0:
            self.remb = min(self.remb, self.config.max_video_recv * 1000)

    def value(self) -> int:
        """What goes into the REMB packet: the estimate, above the floor."""
        floor = max(self.config.min_video_recv * 1000, REMB_MIN)
        return max(self.remb, floor)


def fraction_lost(expected: int, received: int) -> int:
    """RFC 3550 A.3: the fraction of the ``expected`` packets not ``received``, in 1/256
    (0 when more arrived than expected: duplicates, retransmissions on the same SSRC)."""
    if expected <= 0 or received >= expected:
        return 0
    return min(255, ((expected - received) << 8) // expected)


# -- wire format ------------------------------------------------------------------------


def remb_packet(sender_ssrc: int, bitrate: int, ssrcs: Iterable[int]) -> bytes:
    """RTCP PSFB (206) FMT 15 "REMB" (draft-alvestrand-rmcat-remb-03), media SSRC 0."""
    targets = list(ssrcs)[:255]
    exponent, mantissa = 0, max(0, int(bitrate))
    while mantissa > 0x3FFFF:
        mantissa >>= 1
        exponent += 1
    fci = b"REMB" + struct.pack("!BBH", len(targets), (exponent << 2) | (mantissa >> 16),
                                mantissa & 0xFFFF)
    fci += b"".join(struct.pack("!I", ssrc & 0xFFFFFFFF) for ssrc in targets)
    length = (8 + len(fci)) // 4  # in 32-bit words, minus one (header word)
    return struct.pack("!BBHII", 0x80 | FMT_AFB, PT_PSFB, length, sender_ssrc & 0xFFFFFFFF,
                       0) + fci


def parse_remb(packet: bytes) -> tuple[int, list[int]] | None:
    """(bitrate, ssrcs) of one REMB packet (the inverse of :func:`remb_packet`)."""
    if len(packet) < 20 or packet[1] != PT_PSFB or packet[0] & 0x1F != FMT_AFB:
        return None
    return parse_remb_fci(packet[12:])


def parse_remb_fci(fci: bytes) -> tuple[int, list[int]] | None:
    """(bitrate, ssrcs) of a PSFB/AFB feedback control information, if it is REMB."""
    if len(fci) < 8 or fci[:4] != b"REMB":
        return None
    count = fci[4]
    bitrate = (((fci[5] & 0x03) << 16) | (fci[6] << 8) | fci[7]) << (fci[5] >> 2)
    ssrcs = [struct.unpack_from("!I", fci, 8 + 4 * i)[0] for i in range(count)
             if 12 + 4 * i <= len(fci)]
    return bitrate, ssrcs


def remb_event(bitrate: int, origin: str) -> Any:
    """The upstream event that carries a downstream peer's REMB (``origin``: who heard it)."""
    structure = Gst.Structure.new_empty(REMB_EVENT)
    structure.set_value("bitrate", min(max(0, int(bitrate)), 2**31 - 1))
    structure.set_value("origin", origin)
    return Gst.Event.new_custom(Gst.EventType.CUSTOM_UPSTREAM, structure)


def read_remb_event(event: Any) -> tuple[int, str] | None:
    """(bitrate, origin) of a :func:`remb_event`, else None."""
    structure = event.get_structure() if event is not None else None
    if structure is None or structure.get_name() != REMB_EVENT:
        return None
    found, bitrate = structure.get_int("bitrate")
    return (bitrate, structure.get_string("origin") or "") if found else None


# -- SDP -------------------------------------------------------------------------------------

_RTPMAP = re.compile(r"^a=rtpmap:(\d+) ")


def _sections(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1]:
        lines.pop()
    head: list[str] = []
    sections: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            head.append(line)
    return head, sections


def offers_remb(text: str) -> bool:
    """The SDP has ``a=rtcp-fb:... goog-remb`` in a video section."""
    _head, sections = _sections(text)
    return any(section[0].startswith("m=video") and any(
        line.startswith("a=rtcp-fb:") and line.split()[1:2] == ["goog-remb"]
        for line in section) for section in sections)


def decorate(text: str, *, remb: bool, video_kbps: int, audio_kbps: int) -> str:
    """Our SDP with goog-remb on every video payload (``remb``) and b=AS lines."""
    head, sections = _sections(text)
    out = list(head)
    for section in sections:
        kind = section[0][2:7]
        kbps = video_kbps if kind == "video" else audio_kbps if kind == "audio" else 0
        rejected = section[0].split()[1:2] == ["0"]
        lines = [line for line in section if not (kbps > 0 and line.startswith("b=AS:"))]
        if kbps > 0 and not rejected:
            # RFC 8866 order: m, i, c, b, k, a: after the c= line (or the m= line).
            at = next((i + 1 for i, line in enumerate(lines) if line.startswith("c=")), 1)
            lines.insert(at, f"b=AS:{kbps}")
        if remb and kind == "video" and not rejected:
            lines = _with_remb(lines)
        out += lines
    return "\r\n".join(out) + "\r\n"


def _with_remb(lines: list[str]) -> list[str]:
    have = {line.split()[0][len("a=rtcp-fb:"):] for line in lines
            if line.startswith("a=rtcp-fb:") and line.split()[1:2] == ["goog-remb"]}
    result: list[str] = []
    for line in lines:
        result.append(line)
        match = _RTPMAP.match(line)
        if match and match[1] not in have and not line.lower().split()[1].startswith(
                ("rtx/", "red/", "ulpfec/")):
            result.append(f"a=rtcp-fb:{match[1]} goog-remb")
    return result


# -- GStreamer glue --------------------------------------------------------------------------


@dataclass
class _Source:
    """What the previous RTCP interval left for one incoming video SSRC."""

    estimator: RembEstimator
    octets: int = 0
    packets: int = 0
    expected: int = 0
    when: float = 0.0


class RembSender:
    """REMB for the incoming video of one webrtcbin (see the module docstring).

    ``video_ssrcs`` names the peer's video SSRCs (called on the RTCP thread).
    """

    def __init__(self, video_ssrcs: Callable[[], Iterable[int]]) -> None:
        self._video_ssrcs = video_ssrcs
        self._lock = threading.Lock()
        self._config = BandwidthConfig()
        self._enabled = False  # the peer negotiated goog-remb for video
        self._sources: dict[int, _Source] = {}
        self._session: Any = None
        self._handler = 0
        self._last_sent = 0.0
        self._downstream: dict[str, tuple[int, float]] = {}  # origin -> (bps, when)
        self.sent: dict[int, int] = {}  # SSRC -> last bitrate sent (bps)
        self.packets_sent = 0

    @property
    def config(self) -> BandwidthConfig:
        return self._config

    def configure(self, config: BandwidthConfig) -> None:
        """Any thread: new knobs (SDP at the next negotiation, REMB at the next interval)."""
        with self._lock:
            self._config = config
            for source in self._sources.values():
                source.estimator.configure(config)

    # -- negotiation (worker thread) ----------------------------------------------------

    def remote_description(self, text: str) -> None:
        """The peer's offer or answer: does it take REMB?"""
        self._enabled = offers_remb(text)

    def decorate(self, text: str, *, offer: bool) -> str:
        """Our offer (always goog-remb, like KMS) or answer (goog-remb if offered)."""
        config = self._config
        return decorate(text, remb=offer or self._enabled, video_kbps=config.max_video_recv,
                        audio_kbps=config.max_audio_recv)

    def attach(self, rtpbin: Any) -> None:
        """After negotiation: hook rtpbin's session 0, if the peer takes REMB."""
        if not self._enabled or self._session is not None or rtpbin is None:
            return
        session = rtpbin.emit("get-internal-session", 0)
        if session is None:
            log.warning("no RTP session 0 in %s: no REMB", rtpbin.get_name())
            return
        session.set_property("rtcp-min-interval", RTCP_INTERVAL_NS)
        self._session = session
        self._handler = session.connect("on-sending-rtcp", self._on_sending_rtcp)

    def downstream(self, origin: str, bitrate: int) -> None:
        """Any thread: ``origin``'s peer, fed with our video, asked for ``bitrate``."""
        with self._lock:
            self._downstream[origin] = (bitrate, time.monotonic())

    def _downstream_limit(self, now: float) -> int | None:
        """Under the lock: the lowest fresh downstream REMB (stale ones are forgotten)."""
        for origin, (_bitrate, when) in list(self._downstream.items()):
            if now - when > DOWNSTREAM_TTL:
                del self._downstream[origin]
        return min((bitrate for bitrate, _ in self._downstream.values()), default=None)

    def annotate(self, streams: list[RtpStreamStats]) -> list[RtpStreamStats]:
        """Stats with the REMB last sent for each inbound stream (Kurento's ``remb``)."""
        sent = dict(self.sent)
        return [replace(s, remb=sent[s.ssrc]) if s.inbound and s.ssrc in sent else s
                for s in streams]

    def detach(self) -> None:
        if self._session is not None and self._handler:
            self._session.disconnect(self._handler)
        self._session, self._handler = None, 0

    # -- RTCP thread --------------------------------------------------------------------

    def _on_sending_rtcp(self, session: Any, buffer: Any, early: bool) -> bool:
        now = time.monotonic()
        if early or now - self._last_sent < REMB_MIN_GAP:
            return False
        try:
            packet = self._next_packet(session, now)
            if packet is None:
                return False
            buffer.append_memory(Gst.Buffer.new_wrapped(packet).get_memory(0))
        except Exception:  # never let Python raise into rtpsession's thread
            log.exception("REMB not sent")
            return False
        self._last_sent = now
        self.packets_sent += 1
        return True

    def _next_packet(self, session: Any, now: float) -> bytes | None:
        wanted = {ssrc for ssrc in self._video_ssrcs() if ssrc}
        if not wanted:
            return None
        best: int | None = None
        ssrcs: list[int] = []
        with self._lock:
            for source in session.get_property("sources") or []:
                ssrc = source.get_property("ssrc")
                if ssrc not in wanted:
                    continue
                stats = source.get_property("stats")
                value = self._update(ssrc, stats, now)
                if value is not None:
                    best = value if best is None else min(best, value)
                    ssrcs.append(ssrc)
            if best is None:
                return None
            limit = self._downstream_limit(now)
            if limit is not None and limit < best:
                floor = max(self._config.min_video_recv * 1000, REMB_MIN)
                best = max(limit, floor)
            for ssrc in ssrcs:
                self.sent[ssrc] = best
        return remb_packet(session.get_property("internal-ssrc"), best, ssrcs)

    def _update(self, ssrc: int, stats: Any, now: float) -> int | None:
        if stats is None or not stats.get_value("is-sender"):
            return None
        octets = int(stats.get_value("octets-received") or 0)
        packets = int(stats.get_value("packets-received") or 0)
        lost = int(stats.get_value("packets-lost") or 0)
        source = self._sources.get(ssrc)
        if source is None:  # the first look: counters only, the estimate next time
            source = self._sources[ssrc] = _Source(RembEstimator(self._config))
            source.octets, source.packets, source.when = octets, packets, now
            source.expected = packets + lost
            return source.estimator.value() if packets > 0 else None
        if packets < source.packets:  # the source restarted its counters
            source.octets = source.packets = source.expected = 0
        expected = packets + lost
        interval_packets = packets - source.packets
        # Not rtpsession's "sent-rb-fractionlost": with several internal sources in the
        # bundled session (our video, its RTX, audio) it computes one report block per
        # internal source, and the later ones, a moment after the first, say 0.
        fraction = fraction_lost(expected - source.expected, interval_packets)
        elapsed = now - source.when
        bitrate = int((octets - source.octets) * 8 / elapsed) if elapsed > 0 else 0
        source.octets, source.packets, source.expected, source.when = (
            octets, packets, expected, now)
        clock_rate = int(stats.get_value("clock-rate") or 0)
        jitter = int(stats.get_value("jitter") or 0) / clock_rate if clock_rate > 0 else 0.0
        value = source.estimator.update(fraction, interval_packets, bitrate, elapsed, jitter)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("REMB %08x: %.2f s, %d packets, fraction lost %d/256, %d kbps in, "
                      "jitter %.1f ms; sending %s", ssrc, elapsed, interval_packets, fraction,
                      bitrate // 1000, jitter * 1000, value)
        return value


class RembRelay:
    """The peer's REMB about the video we send it, passed upstream (module docstring).

    ``our_ssrcs`` names our video SSRCs; ``push(bitrate)`` sends the event up from our
    video input (called on rtpsession's receiving thread, at most every
    :data:`RELAY_GAP` unless the bitrate went down).
    """

    def __init__(self, our_ssrcs: Callable[[], Iterable[int]],
                 push: Callable[[int], None]) -> None:
        self._our_ssrcs = our_ssrcs
        self._push = push
        self._session: Any = None
        self._handler = 0
        self._pushed = 0
        self._pushed_at = 0.0
        self.received: int | None = None  # the last REMB the peer sent (bps)

    def attach(self, rtpbin: Any) -> None:
        """After negotiation: listen to rtpbin's session 0 (all media are bundled)."""
        if self._session is not None or rtpbin is None:
            return
        session = rtpbin.emit("get-internal-session", 0)
        if session is not None:
            self._session = session
            self._handler = session.connect("on-feedback-rtcp", self._on_feedback)

    def detach(self) -> None:
        if self._session is not None and self._handler:
            self._session.disconnect(self._handler)
        self._session, self._handler = None, 0

    def _on_feedback(self, _session: Any, kind: int, fmt: int, _sender: int, _media: int,
                     fci: Any) -> None:
        if kind != PT_PSFB or fmt != FMT_AFB or fci is None:
            return
        try:
            parsed = parse_remb_fci(bytes(fci.extract_dup(0, fci.get_size())))
            if parsed is None:
                return
            bitrate, ssrcs = parsed
            ours = {ssrc for ssrc in self._our_ssrcs() if ssrc}
            if ssrcs and ours and not ours.intersection(ssrcs):
                return  # about another stream (audio, or one we do not send)
            self.received = bitrate
            now = time.monotonic()
            if bitrate >= self._pushed and now - self._pushed_at < RELAY_GAP:
                return
            self._pushed, self._pushed_at = bitrate, now
            self._push(bitrate)
        except Exception:  # never let Python raise into rtpsession's thread
            log.exception("REMB not relayed")
