"""Keyframe requests reaching the RtpEndpoint's output leave as RTCP PLI to the peer."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading

import pytest

from kurento.client import MediaPipeline, MediaType, RtpEndpoint

from .conftest import Peers, answer_port, free_port_pair, wait_for
from .test_gst_peer import vp8_offer

pytestmark = pytest.mark.gst

PSFB, PLI, FIR = 206, 1, 4


class RtcpCollector:
    """The peer's RTCP port: a plain socket that counts PLI/FIR in what we send there."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.2)
        self.keyframe_requests = 0
        self.packets = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(2048)
            except OSError:
                continue
            self.packets += 1
            offset = 0
            while offset + 4 <= len(data):  # a compound packet: walk its parts
                first, kind, length = struct.unpack_from("!BBH", data, offset)
                if kind == PSFB and first & 0x1F in (PLI, FIR):
                    self.keyframe_requests += 1
                offset += (length + 1) * 4

    def close(self) -> None:
        self._stop = True
        self._thread.join()
        self.sock.close()


async def test_request_keyframe_sends_pli(pipeline: MediaPipeline, peers: Peers) -> None:
    endpoint = await RtpEndpoint.create(pipeline)
    await endpoint.connect(endpoint)  # our own input asks our output for keyframes
    port = free_port_pair()
    collector = RtcpCollector(port + 1)
    try:
        ours = answer_port(await endpoint.process_offer(vp8_offer(port)), "video")
        peers.gst("sender", "videotestsrc is-live=true ! video/x-raw,width=160,height=120 "
                  "! vp8enc deadline=1 cpu-used=8 ! rtpvp8pay pt=96 "
                  f"! udpsink host=127.0.0.1 port={ours}")
        assert await wait_for(lambda: collector.packets > 0, timeout=8), "no RTCP from us"
        for _ in range(80):  # the peer's stream must be known before we can ask it
            if await endpoint.is_media_flowing_in(MediaType.VIDEO):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # the requests made when the link came up are over
        before = collector.keyframe_requests
        await asyncio.sleep(1.5)
        assert collector.keyframe_requests == before, "keyframe requests without asking"
        await endpoint.request_keyframe()
        assert await wait_for(lambda: collector.keyframe_requests > before, timeout=5)
    finally:
        collector.close()
