"""Kurento's stats shapes for the RTP streams of WebRTC and plain RTP endpoints."""

from __future__ import annotations

from typing import Any

from kurento.engine.contract import RtpStreamStats


def rtp_stream_stats(stream: RtpStreamStats, now: int) -> dict[str, Any]:
    """Reference §2.5: RTCInboundRTPStreamStats / RTCOutboundRTPStreamStats."""
    common: dict[str, Any] = {
        "id": stream.id, "timestampMillis": now, "ssrc": str(stream.ssrc),
        "associateStatsId": "", "isRemote": False, "mediaTrackId": "", "transportId": "",
        "codecId": "", "firCount": stream.fir_count, "pliCount": stream.pli_count,
        "nackCount": stream.nack_count, "sliCount": 0, "remb": stream.remb,
        "packetsLost": stream.packets_lost, "fractionLost": stream.fraction_lost,
    }
    if stream.inbound:
        return {**common, "__type__": "RTCInboundRTPStreamStats", "type": "inboundrtp",
                "packetsReceived": stream.packets, "bytesReceived": stream.bytes,
                "jitter": stream.jitter}
    return {**common, "__type__": "RTCOutboundRTPStreamStats", "type": "outboundrtp",
            "packetsSent": stream.packets, "bytesSent": stream.bytes, "targetBitrate": 0.0,
            "roundTripTime": stream.round_trip_time}
