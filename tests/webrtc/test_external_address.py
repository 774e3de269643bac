"""externalIPv4/externalIPv6: host candidates are announced with the public address.

Nothing is ever sent to the external addresses (documentation ranges): the rewritten
candidates are only read.
"""

from __future__ import annotations

import asyncio

import pytest

from kurento.client import IceCandidateFound, IceGatheringDone, MediaPipeline, WebRtcEndpoint
from kurento.objects.ice_candidates import with_external_address

from .peer import Peer

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
