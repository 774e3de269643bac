"""Raw media into an RtpEndpoint is refused (no transcoding), loudly and once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst.rtp import RtpElement
from kurento.engine.gst.testing import create_test_source
from kurento.engine.rtp_contract import RtpConfig
from tests.engine.helpers import TEARDOWN_TIMEOUT, Recorder

from .conftest import free_port_pair, wait_for
from .test_gst_peer import vp8_offer

pytestmark = pytest.mark.gst


@pytest.fixture
async def engine() -> AsyncIterator[GstMediaEngine]:
    media = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=TEARDOWN_TIMEOUT)
    yield media
    await media.shutdown()


async def test_raw_video_is_refused(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("raw")
    listener = Recorder()
    endpoint = pipeline.create_element("RtpEndpoint", listener)
    assert isinstance(endpoint, RtpElement)
    endpoint.configure(RtpConfig())
    await endpoint.process_offer(vp8_offer(free_port_pair()))
    source = create_test_source(pipeline)
    link = source.link(endpoint, MediaKind.VIDEO)
    assert await wait_for(lambda: bool(listener.errors), timeout=5)
    error_type, code, description = listener.errors[0]
    assert (error_type, code) == ("UNSUPPORTED_MEDIA_TYPE", 40005)
    assert "video/x-raw" in description and "video/x-vp8" in description
    await asyncio.sleep(1.0)
    assert len(listener.errors) == 1  # reported once, not per buffer
    await link.unlink()
