"""Raw media into an RtpEndpoint is encoded to the negotiated codec and sent to the peer."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst.rtp import RtpElement
from kurento.engine.gst.testing import create_test_source
from kurento.engine.rtp_contract import RtpConfig
from tests.engine.helpers import TEARDOWN_TIMEOUT, Recorder

from .conftest import free_port_pair
from .test_gst_peer import vp8_offer

pytestmark = pytest.mark.gst


@pytest.fixture
async def engine() -> AsyncIterator[GstMediaEngine]:
    media = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=TEARDOWN_TIMEOUT)
    yield media
    await media.shutdown()


async def test_raw_video_is_transcoded_to_the_negotiated_vp8(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("raw")
    listener = Recorder()
    endpoint = pipeline.create_element("RtpEndpoint", listener)
    assert isinstance(endpoint, RtpElement)
    endpoint.configure(RtpConfig())
    port = free_port_pair()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", port))
    peer.setblocking(False)
    try:
        await endpoint.process_offer(vp8_offer(port))
        source = create_test_source(pipeline)
        link = source.link(endpoint, MediaKind.VIDEO)
        payload_types: list[int] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while len(payload_types) < 30 and loop.time() < deadline:
            try:
                packet = await asyncio.wait_for(loop.sock_recv(peer, 2048), timeout=1)
            except TimeoutError:
                continue
            payload_types.append(packet[1] & 0x7F)
        # RTP with the offer's VP8 payload type: the raw frames were encoded for the peer.
        assert len(payload_types) >= 30 and set(payload_types) == {96}, payload_types
        assert listener.errors == []
        await link.unlink()
    finally:
        peer.close()
