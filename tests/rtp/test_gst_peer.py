"""A gst-launch peer sends VP8 over RTP; the RtpEndpoint loops it back to the peer's receiver."""

from __future__ import annotations

import asyncio

import pytest

from kurento.client import (
    ConnectionState,
    ConnectionStateChanged,
    MediaPipeline,
    MediaSessionStarted,
    MediaState,
    MediaStateChanged,
    MediaType,
    RTCInboundRTPStreamStats,
    RTCOutboundRTPStreamStats,
    RtpEndpoint,
)

from .conftest import Peers, answer_port, count_frames, free_port_pair, wait_for

pytestmark = pytest.mark.gst

VIDEO_CAPS = "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96"


def vp8_offer(port: int, address: str = "127.0.0.1") -> str:
    family = "IP6" if ":" in address else "IP4"
    return (f"v=0\r\no=- 1 1 IN {family} {address}\r\ns=gst peer\r\nc=IN {family} {address}\r\n"
            "t=0 0\r\n"
            f"m=video {port} RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\na=rtcp:{port + 1}\r\n"
            "a=rtcp-fb:96 nack pli\r\na=sendrecv\r\n")


def sender(our_port: int, peer_rtcp: int, host: str) -> str:
    """VP8 at 30 fps with a keyframe only every 10 s, unless a PLI asks for one sooner."""
    return (
        "rtpbin name=b videotestsrc is-live=true pattern=ball "
        "! video/x-raw,width=320,height=240,framerate=30/1 "
        "! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=300 ! rtpvp8pay pt=96 "
        "! b.send_rtp_sink_0 b.send_rtp_src_0 "
        f"! udpsink host={host} port={our_port} "
        f"b.send_rtcp_src_0 ! udpsink host={host} port={our_port + 1} sync=false async=false "
        f"udpsrc address={host} port={peer_rtcp} ! b.recv_rtcp_sink_0")


def receiver(port: int, path: str, host: str) -> str:
    return (f"udpsrc address={host} port={port} caps={VIDEO_CAPS} "
            "! rtpvp8depay wait-for-keyframe=true ! matroskamux streamable=true "
            f"! filesink buffer-mode=unbuffered location={path}")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_vp8_loopback_with_gst_launch(
    pipeline: MediaPipeline, peers: Peers, host: str
) -> None:
    endpoint = await RtpEndpoint.create(pipeline, use_ipv6=":" in host)
    await endpoint.connect(endpoint)
    events: list[object] = []
    for kind in (MediaSessionStarted, ConnectionStateChanged, MediaStateChanged):
        await endpoint.on(kind, events.append)
    port = free_port_pair(host)
    answer = await endpoint.process_offer(vp8_offer(port, host))

    assert f"c=IN IP{6 if ':' in host else 4} {host}" in answer
    assert "a=rtpmap:96 VP8/90000" in answer
    ours = answer_port(answer, "video")
    assert f"a=rtcp:{ours + 1}" in answer
    output = peers.directory / "back.mkv"
    peers.gst("receiver", receiver(port, str(output), host))
    peers.gst("sender", sender(ours, port + 1, host))

    assert await wait_for(lambda: count_frames(output) >= 30, timeout=8), (
        peers.log("sender") + peers.log("receiver"))
    assert await endpoint.get_connection_state() == ConnectionState.CONNECTED
    assert await wait_for(lambda: any(isinstance(e, MediaStateChanged) for e in events), 8)
    assert await endpoint.get_media_state() == MediaState.CONNECTED
    assert [type(e) for e in events][:2] == [MediaSessionStarted, ConnectionStateChanged]
    assert await endpoint.is_media_flowing_in(MediaType.VIDEO)
    assert await endpoint.is_media_flowing_out(MediaType.VIDEO)
    await endpoint.request_keyframe()  # through our loop back to the peer, as a PLI
    await asyncio.sleep(0.5)
    stats = await endpoint.get_stats()
    inbound = [s for s in stats.values() if isinstance(s, RTCInboundRTPStreamStats)]
    outbound = [s for s in stats.values() if isinstance(s, RTCOutboundRTPStreamStats)]
    assert len(inbound) == 1 and inbound[0].packets_received > 30
    assert len(outbound) == 1 and outbound[0].packets_sent > 30
    assert f"a=ssrc:{outbound[0].ssrc} " in answer  # the SSRC our answer announced
    assert inbound[0].pli_count >= 1  # PLIs we sent the peer
