"""SRTP with SDES keys (``crypto`` param) against gst-launch srtpenc/srtpdec peers."""

from __future__ import annotations

import asyncio
import base64
import os
import re

import pytest

from kurento.client import SDES, CryptoSuite, MediaPipeline, MediaType, RtpEndpoint

from .conftest import Peers, answer_port, count_frames, free_port_pair, wait_for

pytestmark = pytest.mark.gst

OUR_KEY = "0123456789abcdefghijklmnopqrst"  # 16-byte master key + 14-byte salt, as text


def srtp_offer(port: int, peer_key: bytes) -> str:
    inline = base64.b64encode(peer_key).decode()
    return ("v=0\r\no=- 3 3 IN IP4 127.0.0.1\r\ns=srtp peer\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=video {port} RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
            f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{inline}\r\na=sendrecv\r\n")


def srtp_sender(port: int, key: bytes) -> str:
    return ("videotestsrc is-live=true pattern=ball ! video/x-raw,width=160,height=120 "
            "! vp8enc deadline=1 cpu-used=8 ! rtpvp8pay pt=96 "
            f"! srtpenc key={key.hex()} rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 "
            f"! udpsink host=127.0.0.1 port={port}")


def srtp_receiver(port: int, ssrc: int, key: bytes, path: str) -> str:
    caps = ("application/x-srtp,media=(string)video,clock-rate=(int)90000,"
            f"encoding-name=(string)VP8,payload=(int)96,ssrc=(uint){ssrc},"
            f"srtp-key=(buffer){key.hex()},srtp-cipher=(string)aes-128-icm,"
            "srtp-auth=(string)hmac-sha1-80,srtcp-cipher=(string)aes-128-icm,"
            "srtcp-auth=(string)hmac-sha1-80")
    return (f"udpsrc address=127.0.0.1 port={port} caps={caps} ! srtpdec "
            "! rtpvp8depay wait-for-keyframe=true ! matroskamux streamable=true "
            f"! filesink buffer-mode=unbuffered location={path}")


async def srtp_loop(pipeline: MediaPipeline, peers: Peers,
                    sender_key: bytes, announced_key: bytes) -> tuple[RtpEndpoint, int]:
    """Peer encrypts with ``sender_key`` but announces ``announced_key``; we loop back."""
    endpoint = await RtpEndpoint.create(pipeline, crypto=SDES(
        key=OUR_KEY, crypto=CryptoSuite.AES_128_CM_HMAC_SHA1_80))
    await endpoint.connect(endpoint)
    port = free_port_pair()
    answer = await endpoint.process_offer(srtp_offer(port, announced_key))
    ours = answer_port(answer, "video")
    assert re.search(r"^m=video \d+ RTP/SAVPF 96", answer, re.MULTILINE), answer
    expected = base64.b64encode(OUR_KEY.encode()).decode()
    assert f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{expected}" in answer
    ssrc = re.search(r"a=ssrc:(\d+) ", answer)
    assert ssrc is not None, answer
    output = peers.directory / "back.mkv"
    peers.gst("receiver", srtp_receiver(port, int(ssrc[1]), OUR_KEY.encode(), str(output)))
    peers.gst("sender", srtp_sender(ours, sender_key))
    return endpoint, port


async def test_srtp_media_flows_both_ways(pipeline: MediaPipeline, peers: Peers) -> None:
    key = os.urandom(30)
    await srtp_loop(pipeline, peers, key, key)
    output = peers.directory / "back.mkv"
    assert await wait_for(lambda: count_frames(output) >= 30, timeout=8), (
        peers.log("sender") + peers.log("receiver"))


async def test_srtp_wrong_key_gives_no_media(pipeline: MediaPipeline, peers: Peers) -> None:
    endpoint, _ = await srtp_loop(pipeline, peers, os.urandom(30), os.urandom(30))
    await asyncio.sleep(3)
    assert not await endpoint.is_media_flowing_in(MediaType.VIDEO)  # nothing authenticated
    assert count_frames(peers.directory / "back.mkv") == 0
    # The endpoint and the server still answer.
    assert (await endpoint.get_local_session_descriptor()).startswith("v=0")
