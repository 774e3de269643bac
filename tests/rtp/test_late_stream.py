"""A peer already streaming when its RTP first reaches us (mid-GOP) is asked for a keyframe.

GStreamer's VP8 depayloader asks by itself when it drops frames before the first
keyframe; the H.264 one does not, so there the RtpEndpoint's own request (when the
peer's stream appears) is what makes the picture come.
"""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from kurento.client import MediaPipeline, RtpEndpoint

from .conftest import Peers, answer_port, count_frames, free_port_pair, wait_for
from .test_gst_peer import receiver, sender, vp8_offer

H264_OFFER_CODEC = "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"

pytestmark = pytest.mark.gst


class LateForwarder:
    """Relays UDP from ``port`` to ``target``, dropping everything until ``open()``."""

    def __init__(self, port: int, target: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.target = ("127.0.0.1", target)
        self.forwarding = False
        self.dropped = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except OSError:
                continue
            if self.forwarding:
                self.sock.sendto(data, self.target)
            else:
                self.dropped += 1

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


def h264(description: str) -> str:
    """The VP8 peer of test_gst_peer made H.264 (keyframes every 10 s unless asked)."""
    return (description
            .replace("vp8enc deadline=1 cpu-used=8 keyframe-max-dist=300 ! rtpvp8pay pt=96",
                     "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=300 "
                     "! video/x-h264,profile=constrained-baseline ! rtph264pay pt=96 "
                     "config-interval=-1")
            .replace("rtpvp8depay wait-for-keyframe=true", "rtph264depay ! h264parse")
            .replace("encoding-name=VP8", "encoding-name=H264"))


@pytest.mark.parametrize("codec", ["VP8", "H264"])
async def test_peer_joining_mid_gop_sends_a_keyframe(
    pipeline: MediaPipeline, peers: Peers, codec: str
) -> None:
    def peer(description: str) -> str:
        return h264(description) if codec == "H264" else description

    endpoint = await RtpEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    port = free_port_pair()
    offer = vp8_offer(port)
    if codec == "H264":
        offer = offer.replace("a=rtpmap:96 VP8/90000\r\n", H264_OFFER_CODEC)
    ours = answer_port(await endpoint.process_offer(offer), "video")
    relay_port = free_port_pair()
    forwarder = LateForwarder(relay_port, ours)
    try:
        output = peers.directory / "back.mkv"
        peers.gst("receiver", peer(receiver(port, str(output), "127.0.0.1")))
        # Its RTP goes through the relay, its RTCP straight to us; keyframes every 10 s.
        peers.gst("sender", peer(sender(relay_port, port + 1, "127.0.0.1")).replace(
            f"port={relay_port + 1}", f"port={ours + 1}"))
        # Well past its first keyframe, and past the requests we make when a link comes up.
        assert await wait_for(lambda: forwarder.dropped > 90, timeout=8)
        await asyncio.sleep(0.5)
        forwarder.forwarding = True
        # Only a keyframe request (PLI) from us makes one before the sender's next (10 s away).
        assert await wait_for(lambda: count_frames(output) >= 15, timeout=4), (
            peers.log("sender") + peers.log("receiver"))
    finally:
        forwarder.close()
