"""WebRtcEndpoint data channels (useDataChannels) with aiortc peers: echo, A→B, events, stats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from aiortc import RTCDataChannel

from kurento.client import (
    DataChannelClosed,
    DataChannelOpened,
    MediaPipeline,
    PassThrough,
    RTCDataChannelStats,
    RTCPeerConnectionStats,
    WebRtcEndpoint,
)
from kurento.protocol.errors import (
    MediaObjectIllegalParamError,
    MediaObjectOperationNotSupported,
)

from .peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst


async def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return bool(condition())


class Channel:
    """An aiortc channel that records what it receives."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.messages: list[str | bytes] = []
        self.opened = asyncio.Event()
        if channel.readyState == "open":
            self.opened.set()
        channel.on("open", self.opened.set)
        channel.on("message", self.messages.append)

    async def open(self) -> None:
        await asyncio.wait_for(self.opened.wait(), 5)


def data_peer(label: str = "chat", *, media: bool = False) -> tuple[Peer, Channel]:
    peer = Peer(send_video=media, send_audio=media)
    return peer, Channel(peer.pc.createDataChannel(label))


async def test_echo_to_itself_keeps_text_and_binary(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    opened: list[DataChannelOpened] = []
    await endpoint.on(DataChannelOpened, opened.append)
    await endpoint.connect(endpoint)  # every media type, DATA included
    peer, channel = data_peer(media=True)
    peers.append(peer)
    await negotiate_as_answerer(endpoint, peer)
    answer = await endpoint.get_local_session_descriptor()
    assert "m=application 9 UDP/DTLS/SCTP webrtc-datachannel" in answer
    await channel.open()
    assert await wait_for(lambda: opened)
    assert opened[0].channel_id == channel.channel.id

    channel.channel.send("ping")
    channel.channel.send(b"\x00\x01binary")
    channel.channel.send("ping 2")
    assert await wait_for(lambda: len(channel.messages) >= 3)
    assert channel.messages == ["ping", b"\x00\x01binary", "ping 2"]
    assert await peer.wait_frames("video", 5, timeout=8) >= 5  # media still echoes

    stats = await endpoint.get_stats("DATA")
    sessions = [s for s in stats.values() if isinstance(s, RTCPeerConnectionStats)]
    channels = [s for s in stats.values() if isinstance(s, RTCDataChannelStats)]
    assert len(sessions) == 1 and sessions[0].data_channels_opened == 1
    assert sessions[0].data_channels_closed == 0
    assert len(channels) == 1
    stat = channels[0]
    assert (stat.label, stat.protocol, stat.datachannelid) == ("chat", "", channel.channel.id)
    assert str(getattr(stat.state, "value", stat.state)) == "open"
    assert stat.messages_received == 3 and stat.messages_sent == 3
    assert stat.bytes_received == stat.bytes_sent == len("ping") + 8 + len("ping 2")
    video_only = await endpoint.get_stats("VIDEO")
    assert not any(isinstance(s, RTCDataChannelStats) for s in video_only.values())


async def test_server_created_channel_and_close(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    endpoint = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    opened: list[DataChannelOpened] = []
    closed: list[DataChannelClosed] = []
    await endpoint.on(DataChannelOpened, opened.append)
    await endpoint.on(DataChannelClosed, closed.append)
    await endpoint.connect(endpoint, "DATA")
    peer, first = data_peer()
    peers.append(peer)
    remote: list[Channel] = []
    peer.pc.on("datachannel", lambda ch: remote.append(Channel(ch)))
    await negotiate_as_answerer(endpoint, peer)
    await first.open()
    assert await wait_for(lambda: len(opened) == 1)

    await endpoint.create_data_channel("server", ordered=False, max_retransmits=2,
                                       protocol="proto")
    assert await wait_for(lambda: remote and len(opened) == 2), (remote, opened)
    created = remote[0].channel
    assert (created.label, created.protocol, created.ordered) == ("server", "proto", False)
    assert created.maxRetransmits == 2
    assert opened[1].channel_id == created.id
    created.send("on the server's channel")
    assert await wait_for(lambda: remote[0].messages)
    assert remote[0].messages == ["on the server's channel"]  # echoed on the same channel
    assert first.messages == []

    # Closed from the server side, then from the peer's side.
    await endpoint.close_data_channel(created.id)
    assert await wait_for(lambda: len(closed) == 1)
    assert closed[0].channel_id == created.id
    assert await wait_for(lambda: created.readyState == "closed")
    first.channel.close()
    assert await wait_for(lambda: len(closed) == 2)
    assert closed[1].channel_id == first.channel.id
    with pytest.raises(MediaObjectIllegalParamError):
        await endpoint.close_data_channel(created.id)  # no longer open
    with pytest.raises(MediaObjectIllegalParamError):
        await endpoint.close_data_channel(999)

    stats = await endpoint.get_stats()
    session = next(s for s in stats.values() if isinstance(s, RTCPeerConnectionStats))
    assert (session.data_channels_opened, session.data_channels_closed) == (2, 2)
    states = {s.label: str(getattr(s.state, "value", s.state)) for s in stats.values()
              if isinstance(s, RTCDataChannelStats)}
    assert states == {"chat": "closed", "server": "closed"}


async def test_errors_without_data_channels_and_bad_options(
    pipeline: MediaPipeline, peers: list[Peer]
) -> None:
    plain = await WebRtcEndpoint.create(pipeline)
    with pytest.raises(MediaObjectOperationNotSupported):
        await plain.create_data_channel("x")
    with pytest.raises(MediaObjectOperationNotSupported):
        await plain.close_data_channel(0)
    enabled = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    with pytest.raises(MediaObjectIllegalParamError):
        await enabled.create_data_channel("x", max_packet_life_time=100, max_retransmits=1)
    offering = await WebRtcEndpoint.create(pipeline)
    assert "m=application" not in await offering.generate_offer()

    # Without data channels, the peer's data m-line is rejected (port 0), media goes on.
    peer, _channel = data_peer(media=True)
    peers.append(peer)
    await plain.connect(plain)
    await negotiate_as_answerer(plain, peer)
    answer = await plain.get_local_session_descriptor()
    assert "m=application 0 " in answer
    bundle = next(line for line in answer.splitlines() if line.startswith("a=group:BUNDLE"))
    assert len(bundle.split()) == 3  # video and audio only
    assert await peer.wait_frames("video", 5, timeout=8) >= 5
    stats = await plain.get_stats()
    assert not any(isinstance(s, RTCPeerConnectionStats | RTCDataChannelStats)
                   for s in stats.values())


@pytest.mark.parametrize("through_passthrough", [False, True])
async def test_a_to_b_data(
    pipeline: MediaPipeline, peers: list[Peer], through_passthrough: bool
) -> None:
    a = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    b = await WebRtcEndpoint.create(pipeline, use_data_channels=True)
    if through_passthrough:
        middle = await PassThrough.create(pipeline)
        await a.connect(middle, "DATA")
        await middle.connect(b, "DATA")
    else:
        await a.connect(b, "DATA")
    sender, out = data_peer("from-a")
    receiver, inbox = data_peer("to-b")
    peers += [sender, receiver]
    await negotiate_as_answerer(a, sender)
    await negotiate_as_answerer(b, receiver)
    await out.open()
    await inbox.open()
    await asyncio.sleep(0.2)  # the bridges are built on worker threads
    out.channel.send("hello B")
    out.channel.send(b"\xff\xfe")
    assert await wait_for(lambda: len(inbox.messages) >= 2)
    assert inbox.messages == ["hello B", b"\xff\xfe"]
    assert out.messages == []  # nothing flows back: B is not connected to A

