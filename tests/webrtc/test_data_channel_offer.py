"""Data channels in our own offer (generateOffer with useDataChannels), aiortc answering.

webrtcbin offers ``m=application`` only while a data channel exists: a pre-negotiated
stand-in channel makes it (webrtc_data.DataChannels.prepare_offer); it must never show
(no event, no stats, no channel at the peer). The endpoints use ECDSA certificates:
aiortc as DTLS client offers only ECDSA suites ("no shared cipher" against webrtcbin's
RSA certificate, data channels or not).
"""

from __future__ import annotations

import pytest

from kurento.client import (
    CertificateKeyType,
    DataChannelClosed,
    DataChannelOpened,
    MediaPipeline,
    MediaType,
    RTCDataChannelStats,
    RTCPeerConnectionStats,
    WebRtcEndpoint,
)
from kurento.engine.gst.webrtc_sdp import parse

from .peer import Peer, negotiate_as_answerer, negotiate_as_offerer
from .test_data_channels import Channel, wait_for

pytestmark = pytest.mark.gst


async def offering_endpoint(pipeline: MediaPipeline) -> WebRtcEndpoint:
    return await WebRtcEndpoint.create(pipeline, use_data_channels=True,
                                       certificate_key_type=CertificateKeyType.ECDSA)


def data_section_mid(text: str) -> str:
    [section] = [s for s in parse(text).sections if s.media == "application"]
    assert section.active
    return section.mid


async def test_offer_carries_data_channels_both_ways(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    endpoint = await offering_endpoint(pipeline)
    opened: list[DataChannelOpened] = []
    closed: list[DataChannelClosed] = []
    await endpoint.on(DataChannelOpened, opened.append)
    await endpoint.on(DataChannelClosed, closed.append)
    await endpoint.connect(endpoint)  # every media type, DATA included: an echo
    peer = Peer()
    peers.append(peer)
    remote: list[Channel] = []
    peer.pc.on("datachannel", lambda channel: remote.append(Channel(channel)))
    answer = await negotiate_as_offerer(endpoint, peer)

    offer = await endpoint.get_local_session_descriptor()
    assert "UDP/DTLS/SCTP webrtc-datachannel" in offer and "a=sctp-port:5000" in offer
    mid = data_section_mid(offer)
    bundle = next(line for line in offer.splitlines() if line.startswith("a=group:BUNDLE"))
    assert mid in bundle.split()[1:]
    assert data_section_mid(answer) == mid
    assert await peer.wait_frames("video", 10, timeout=8) >= 10  # media as before

    # A channel from the peer, after negotiation: open, announced, echoed.
    mine = Channel(peer.pc.createDataChannel("from-peer"))
    await mine.open()
    assert await wait_for(lambda: opened)
    assert [e.channel_id for e in opened] == [mine.channel.id]
    mine.channel.send("ping")
    mine.channel.send(b"\x00\x01binary")
    assert await wait_for(lambda: len(mine.messages) >= 2)
    assert mine.messages == ["ping", b"\x00\x01binary"]

    # A channel from the server, with Kurento's options.
    await endpoint.create_data_channel("from-server", ordered=False, max_retransmits=2,
                                       protocol="proto")
    assert await wait_for(lambda: remote and len(opened) == 2), (remote, opened)
    assert len(remote) == 1  # the stand-in never reached the peer
    created = remote[0].channel
    assert (created.label, created.protocol, created.ordered) == ("from-server", "proto", False)
    assert created.maxRetransmits == 2 and opened[1].channel_id == created.id
    created.send("on the server's channel")
    assert await wait_for(lambda: remote[0].messages)
    assert remote[0].messages == ["on the server's channel"]
    assert mine.messages == ["ping", b"\x00\x01binary"]  # echoed on its own channel only

    stats = await endpoint.get_stats(MediaType.DATA)
    [session] = [s for s in stats.values() if isinstance(s, RTCPeerConnectionStats)]
    assert (session.data_channels_opened, session.data_channels_closed) == (2, 0)
    labels = sorted(s.label for s in stats.values() if isinstance(s, RTCDataChannelStats))
    assert labels == ["from-peer", "from-server"]

    await endpoint.close_data_channel(created.id)
    assert await wait_for(lambda: len(closed) == 1)
    assert closed[0].channel_id == created.id
    assert await wait_for(lambda: created.readyState == "closed")
    mine.channel.close()
    assert await wait_for(lambda: len(closed) == 2)
    assert closed[1].channel_id == mine.channel.id


async def test_offered_data_between_two_endpoints(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    """A offers (generateOffer), B answers (processOffer); DATA flows A → B."""
    a = await offering_endpoint(pipeline)
    b = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    await a.connect(b, MediaType.DATA)
    sender = Peer(send_audio=False)
    receiver = Peer(send_audio=False)
    peers += [sender, receiver]
    inbox = Channel(receiver.pc.createDataChannel("to-b"))
    await negotiate_as_offerer(a, sender)
    await negotiate_as_answerer(b, receiver)
    out = Channel(sender.pc.createDataChannel("from-a"))
    await out.open()
    await inbox.open()
    out.channel.send("hello B")
    assert await wait_for(lambda: inbox.messages)
    assert inbox.messages == ["hello B"]
    assert out.messages == []
