"""webrtcbin ``get-stats`` structures → plain Python (worker thread, no loop needed)."""

from __future__ import annotations

from typing import Any

from ..contract import MediaKind, RtpStreamStats
from .webrtc_fixes import GstWebRTC

_STAT_TYPES = {
    "inbound-rtp": GstWebRTC.WebRTCStatsType.INBOUND_RTP,
    "outbound-rtp": GstWebRTC.WebRTCStatsType.OUTBOUND_RTP,
    "local-candidate": GstWebRTC.WebRTCStatsType.LOCAL_CANDIDATE,
    "remote-candidate": GstWebRTC.WebRTCStatsType.REMOTE_CANDIDATE,
    "candidate-pair": GstWebRTC.WebRTCStatsType.CANDIDATE_PAIR,
}


def entries(reply: Any) -> dict[str, Any]:
    """The reply's sub-structures by stats id (copies: they outlive ``reply``)."""
    result: dict[str, Any] = {}
    if reply is None:
        return result
    for index in range(reply.n_fields()):
        name = reply.nth_field_name(index)
        value = reply.get_value(name)
        if hasattr(value, "get_name") and hasattr(value, "has_field"):
            result[name] = value.copy()  # ``value`` points into ``reply``
    return result


def of_type(stats: dict[str, Any], kind: str) -> list[tuple[str, Any]]:
    wanted = int(_STAT_TYPES[kind])
    gtype = GstWebRTC.WebRTCStatsType.__gtype__
    return [(sid, s) for sid, s in stats.items() if s.get_enum("type", gtype) == (True, wanted)]


def _int(structure: Any, field: str) -> int:
    if not structure.has_field(field):
        return 0
    try:
        return int(structure.get_value(field))
    except (TypeError, ValueError):
        return 0


def _float(structure: Any, field: str) -> float:
    if not structure.has_field(field):
        return 0.0
    try:
        return float(structure.get_value(field))
    except (TypeError, ValueError):
        return 0.0


def rtp_streams(stats: dict[str, Any], kinds: dict[int, MediaKind]) -> list[RtpStreamStats]:
    """Inbound and outbound RTP counters; ``kinds`` maps each known SSRC to its kind."""
    streams = []
    for inbound, kind_name in ((True, "inbound-rtp"), (False, "outbound-rtp")):
        for sid, s in of_type(stats, kind_name):
            ssrc = _int(s, "ssrc")
            kind = kinds.get(ssrc)
            if kind is None:
                continue  # e.g. RTX or an SSRC that never carried media
            streams.append(RtpStreamStats(
                id=sid, kind=kind, inbound=inbound, ssrc=ssrc,
                packets=_int(s, "packets-received" if inbound else "packets-sent"),
                bytes=_int(s, "bytes-received" if inbound else "bytes-sent"),
                packets_lost=max(0, _int(s, "packets-lost")),
                fraction_lost=_float(s, "fraction-lost"),
                jitter=_float(s, "jitter"),
                fir_count=_int(s, "fir-count"),
                pli_count=_int(s, "pli-count"),
                nack_count=_int(s, "nack-count"),
                round_trip_time=_float(s, "round-trip-time"),
            ))
    return streams


def candidate_line(structure: Any, component: int = 1) -> str:
    """An SDP candidate string from a local/remote-candidate stats entry."""
    address = structure.get_value("address") if structure.has_field("address") else "?"
    kind = structure.get_value("candidate-type") if structure.has_field("candidate-type") else ""
    protocol = structure.get_value("protocol") if structure.has_field("protocol") else "udp"
    return (f"candidate:1 {component} {str(protocol).upper()} {_int(structure, 'priority')} "
            f"{address} {_int(structure, 'port')} typ {kind or 'host'}")


def selected_pair(stats: dict[str, Any]) -> tuple[str, str] | None:
    """(local, remote) candidate strings of the first candidate pair reported."""
    for _sid, pair in of_type(stats, "candidate-pair"):
        local = stats.get(str(pair.get_value("local-candidate-id"))) if pair.has_field(
            "local-candidate-id") else None
        remote = stats.get(str(pair.get_value("remote-candidate-id"))) if pair.has_field(
            "remote-candidate-id") else None
        if local is not None and remote is not None:
            return candidate_line(local), candidate_line(remote)
    locals_ = of_type(stats, "local-candidate")
    remotes = of_type(stats, "remote-candidate")
    if locals_ and remotes:
        return candidate_line(locals_[0][1]), candidate_line(remotes[0][1])
    return None
