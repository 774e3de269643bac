"""(a) A browser-like peer (aiortc) offers VP8 + Opus; the WebRtcEndpoint loops it back."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from kurento.client import (
    ConnectionStateChanged,
    DtlsConnectionStateChange,
    IceCandidateFound,
    IceComponentStateChanged,
    IceGatheringDone,
    MediaFlowInStateChanged,
    MediaFlowOutStateChanged,
    MediaPipeline,
    MediaSessionStarted,
    MediaStateChanged,
    NewCandidatePairSelected,
    RTCInboundRTPStreamStats,
    RTCOutboundRTPStreamStats,
    WebRtcEndpoint,
)

from .peer import Peer, negotiate_as_answerer, trickle_from, trickle_to

pytestmark = pytest.mark.gst

EXPECTED_EVENTS = (IceCandidateFound, IceGatheringDone,
                   IceComponentStateChanged, MediaSessionStarted, MediaFlowInStateChanged,
                   MediaFlowOutStateChanged, NewCandidatePairSelected,
                   DtlsConnectionStateChange, ConnectionStateChanged, MediaStateChanged)


def wire(value: object) -> str:
    return str(getattr(value, "value", value))


async def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.05)


async def test_loopback_echo_vp8_opus(pipeline: MediaPipeline, peers: list[Peer]) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    seen: dict[type, list[object]] = {}
    for event_type in EXPECTED_EVENTS:
        await endpoint.on(event_type, lambda event: seen.setdefault(type(event), []).append(event))
    peer = Peer()
    peers.append(peer)
    began = await negotiate_as_answerer(endpoint, peer)

    assert await peer.wait_frames("video", 30, timeout=8) >= 30
    assert await peer.wait_frames("audio", 20, timeout=4) >= 20
    first = peer.first_frame["video"] - began
    print(f"processOffer to first video frame back: {first * 1000:.0f} ms")
    assert first < 5

    await wait_for(lambda: set(EXPECTED_EVENTS) <= set(seen))
    assert set(EXPECTED_EVENTS) <= set(seen), sorted(t.__name__ for t in seen)
    found = seen[IceCandidateFound][0].candidate  # type: ignore[attr-defined]
    assert found.candidate.startswith("candidate:") and " 127.0.0.1 " in found.candidate
    assert found.sdp_mid == "0" and found.sdp_m_line_index == 0
    ice = [wire(e.state) for e in seen[IceComponentStateChanged]]  # type: ignore[attr-defined]
    assert "CONNECTED" in ice and ice.index("CONNECTED") > ice.index("CONNECTING")
    assert all(e.stream_id == 1 and e.component_id == 1  # type: ignore[attr-defined]
               for e in seen[IceComponentStateChanged])
    pair = seen[NewCandidatePairSelected][0].candidate_pair  # type: ignore[attr-defined]
    assert isinstance(pair.stream_id, str) and pair.component_id == 1
    assert " 127.0.0.1 " in pair.local_candidate and " 127.0.0.1 " in pair.remote_candidate
    dtls = [wire(e.state) for e in seen[DtlsConnectionStateChange]]  # type: ignore[attr-defined]
    assert dtls[-1] == "CONNECTED"
    for flow in (MediaFlowInStateChanged, MediaFlowOutStateChanged):
        kinds = {(wire(e.media_type), wire(e.state)) for e in seen[flow]}  # type: ignore[attr-defined]
        assert {("VIDEO", "FLOWING"), ("AUDIO", "FLOWING")} <= kinds
    assert wire(await endpoint.get_connection_state()) == "CONNECTED"
    assert wire(await endpoint.get_media_state()) == "CONNECTED"

    local = await endpoint.get_local_session_descriptor()
    assert "a=candidate" not in local and "a=group:BUNDLE" in local and "a=rtcp-mux" in local
    assert re.search(r"a=rtcp-fb:\d+ nack", local)
    assert not re.search(r"a=ssrc-group:FID 0 ", local)  # notes §5.5: our SSRC is named
    assert (await endpoint.get_remote_session_descriptor()).startswith("v=0")

    stats = await endpoint.get_stats()
    inbound = [s for s in stats.values() if isinstance(s, RTCInboundRTPStreamStats)]
    outbound = [s for s in stats.values() if isinstance(s, RTCOutboundRTPStreamStats)]
    assert len(inbound) == 2 and len(outbound) == 2
    assert all(s.packets_received > 0 and s.bytes_received > 0 for s in inbound)
    assert all(s.packets_sent > 0 for s in outbound)
    video_only = await endpoint.get_stats("VIDEO")
    assert len([s for s in video_only.values() if isinstance(s, RTCInboundRTPStreamStats)]) == 1


async def test_media_state_follows_rtcp(pipeline: MediaPipeline) -> None:
    """CONNECTED while the peer's RTCP arrives; DISCONNECTED ~5 s after it stops."""
    endpoint = await WebRtcEndpoint.create(pipeline)
    changes: list[str] = []
    await endpoint.on(MediaStateChanged, lambda event: changes.append(wire(event.new_state)))
    peer = Peer()
    try:
        await negotiate_as_answerer(endpoint, peer)
        await wait_for(lambda: changes == ["CONNECTED"])
        assert changes == ["CONNECTED"]
    finally:
        await peer.close()
    began = time.monotonic()
    await wait_for(lambda: len(changes) == 2, timeout=9)
    assert changes == ["CONNECTED", "DISCONNECTED"]
    assert 4 <= time.monotonic() - began <= 8
    assert wire(await endpoint.get_media_state()) == "DISCONNECTED"


async def test_bundle_only_sections_are_answered_and_carry_media(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    """RFC 8843: a max-bundle offer (Firefox's, webrtcbin's) puts port 0 and
    ``a=bundle-only`` on every section but the first; they are live, not rejected."""
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    peer = Peer()
    peers.append(peer)
    await trickle_to(endpoint, peer)
    offer, candidates = await peer.offer()
    sections = offer.split("\r\nm=")
    assert len(sections) == 3, offer  # session, then audio and video
    kind, _port, rest = sections[2].split(" ", 2)
    sections[2] = f"{kind} 0 {rest}".replace("\r\na=mid:", "\r\na=bundle-only\r\na=mid:", 1)
    answer = await endpoint.process_offer("\r\nm=".join(sections))
    answered = answer.split("\r\nm=")[2]
    assert "a=sendrecv" in answered and not answered.startswith(f"{kind} 0 "), answered
    await peer.accept(answer)
    await trickle_from(endpoint, [c for c in candidates if c[2] == 0])

    assert await peer.wait_frames("video", 20, timeout=8) >= 20
    assert await peer.wait_frames("audio", 20, timeout=4) >= 20
