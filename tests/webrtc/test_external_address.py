"""externalIPv4/externalIPv6: host candidates are announced with the public address.

Nothing is ever sent to the external addresses (documentation ranges): the rewritten
candidates are only read.
"""

from __future__ import annotations

import asyncio

import pytest

from kurento.client import IceCandidateFound, IceGatheringDone, MediaPipeline, WebRtcEndpoint
from kurento.objects.ice_candidates import with_external_address
from kurento.protocol.errors import IceGatherCandidatesError

from .peer import Peer, negotiate_as_answerer

HOST4 = "candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host"
HOST6 = "candidate:2 1 UDP 2015363327 ::1 40002 typ host"
TCP = "candidate:3 1 TCP 1015021823 127.0.0.1 9 typ host tcptype active"
RELAY = "candidate:4 1 UDP 16777215 127.0.0.1 49200 typ relay raddr 127.0.0.1 rport 40000"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (HOST4, "candidate:1 1 UDP 2015363327 198.51.100.7 40000 typ host"),
        (HOST6, "candidate:2 1 UDP 2015363327 2001:db8::7 40002 typ host"),
        (TCP, "candidate:3 1 TCP 1015021823 198.51.100.7 9 typ host tcptype active"),
        (RELAY, RELAY),
        ("candidate:5 1 UDP 1 abcd.local 5 typ host", "candidate:5 1 UDP 1 abcd.local 5 typ host"),
        ("", ""),
        ("garbage", "garbage"),
    ],
)
def test_host_candidates_get_the_external_address(candidate: str, expected: str) -> None:
    assert with_external_address(candidate, "198.51.100.7", "2001:db8::7") == expected


def test_nothing_changes_without_external_addresses() -> None:
    assert with_external_address(HOST4, "", "") == HOST4
    assert with_external_address(HOST6, "198.51.100.7", "") == HOST6


async def test_endpoint_announces_the_external_address(pipeline: MediaPipeline) -> None:
    """Candidates are only collected, never given to the peer: nothing goes to 198.51.100.7."""
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.set_external_ipv4("198.51.100.7")
    found: list[str] = []
    done = asyncio.Event()
    await endpoint.on(IceCandidateFound, lambda event: found.append(event.candidate.candidate))
    await endpoint.on(IceGatheringDone, lambda _event: done.set())
    peer = Peer()
    try:
        offer, _candidates = await peer.offer()
        await endpoint.process_offer(offer)
        await endpoint.gather_candidates()
        await asyncio.wait_for(done.wait(), 10)
    finally:
        await peer.close()
    hosts = [c for c in found if " typ host" in c]
    assert hosts, found
    assert all(c.split()[4] == "198.51.100.7" for c in hosts), hosts


async def test_network_interfaces_pin_gathering(pipeline: MediaPipeline) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    await endpoint.set_network_interfaces("lo")
    found: list[str] = []
    await endpoint.on(IceCandidateFound, lambda event: found.append(event.candidate.candidate))
    peer = Peer()
    try:
        await negotiate_as_answerer(endpoint, peer)
        assert await peer.wait_frames("video", 5, timeout=8) >= 5
    finally:
        await peer.close()
    assert found and {c.split()[4] for c in found} <= {"127.0.0.1", "::1"}, found


async def test_unknown_network_interface_is_a_clear_error(pipeline: MediaPipeline) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.set_network_interfaces("nosuch0")
    peer = Peer()
    try:
        offer, _candidates = await peer.offer()
        with pytest.raises(IceGatherCandidatesError, match="nosuch0"):
            await endpoint.process_offer(offer)
    finally:
        await peer.close()
