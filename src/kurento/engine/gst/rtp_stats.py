"""RTP counters of an RtpEndpoint, from its rtpbin sessions (Kurento getStats, reference §2.5).

rtpsession keeps one ``application/x-rtp-source-stats`` structure per SSRC: our
own sender (``internal``) becomes an outbound entry, the peer's sender an
inbound one. Read on a worker thread, on demand only.
"""

from __future__ import annotations

from typing import Any

from ..contract import MediaKind, RtpStreamStats


def session_streams(rtpbin: Any, session: int, kind: MediaKind,
                    ssrcs: list[int]) -> list[RtpStreamStats]:
    """Worker thread: the senders among ``ssrcs`` that rtpbin's session ``session`` knows.

    Asked source by source: the session's own ``stats`` property holds a
    GValueArray that PyGObject fails to convert about one time in three
    ("TypeError: unknown type (null)", measured with 1.22).
    """
    internal = rtpbin.emit("get-internal-session", session)
    if internal is None:
        return []
    streams = []
    for ssrc in ssrcs:
        source = internal.emit("get-source-by-ssrc", ssrc) if ssrc else None
        stream = _stream(source.get_property("stats"), kind) if source is not None else None
        if stream is not None:
            streams.append(stream)
    return streams


def _stream(source: Any, kind: MediaKind) -> RtpStreamStats | None:
    if not _get(source, "is-sender", False):
        return None  # a peer that only sends reports, or our idle receiver
    ssrc = int(_get(source, "ssrc", 0))
    if _get(source, "internal", False):
        rtt = 0.0
        if _get(source, "have-rb", False):
            rtt = int(_get(source, "rb-round-trip", 0)) / 65536.0  # NTP short format
        return RtpStreamStats(
            id=f"{kind.value.lower()}_outbound_{ssrc}", kind=kind, inbound=False, ssrc=ssrc,
            packets=int(_get(source, "packets-sent", 0)),
            bytes=int(_get(source, "octets-sent", 0)),
            fir_count=int(_get(source, "recv-fir-count", 0)),
            pli_count=int(_get(source, "recv-pli-count", 0)),
            nack_count=int(_get(source, "recv-nack-count", 0)),
            round_trip_time=rtt)
    clock_rate = int(_get(source, "clock-rate", 0)) or 90000
    received = int(_get(source, "packets-received", 0))
    lost = max(0, int(_get(source, "packets-lost", 0)))
    return RtpStreamStats(
        id=f"{kind.value.lower()}_inbound_{ssrc}", kind=kind, inbound=True, ssrc=ssrc,
        packets=received, bytes=int(_get(source, "octets-received", 0)), packets_lost=lost,
        fraction_lost=lost / (lost + received) if lost + received else 0.0,
        jitter=int(_get(source, "jitter", 0)) / clock_rate,
        fir_count=int(_get(source, "sent-fir-count", 0)),
        pli_count=int(_get(source, "sent-pli-count", 0)),
        nack_count=int(_get(source, "sent-nack-count", 0)))


def _get(structure: Any, name: str, default: object) -> Any:
    return structure.get_value(name) if structure.has_field(name) else default
