"""Fixtures for the real GStreamer engine tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from kurento.engine.gst import GstMediaEngine

from .helpers import TEARDOWN_TIMEOUT


@pytest.fixture
async def engine() -> AsyncIterator[GstMediaEngine]:
    media = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=TEARDOWN_TIMEOUT)
    yield media
    await media.shutdown()
