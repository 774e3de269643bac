"""(f) Release mid-call tears down within the watchdog; many sessions leave no threads or fds."""

from __future__ import annotations

import asyncio
import gc
import os
import time

import pytest

from kurento.client import KurentoClient, MediaPipeline, WebRtcEndpoint
from kurento.server.settings import Settings

from .peer import Peer, negotiate_as_answerer

pytestmark = pytest.mark.gst

WATCHDOG = Settings().teardown_timeout


def counts() -> tuple[int, int]:
    # OS threads, not threading.active_count(): Python keeps a _DummyThread for every
    # native GStreamer thread that ever called into Python, even after it ended.
    return len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))


async def one_call(client: KurentoClient, frames: int) -> float:
    """A loopback call with media; returns how long releasing its pipeline took."""
    pipeline = await MediaPipeline.create(client)
    endpoint = await WebRtcEndpoint.create(pipeline)
    await endpoint.connect(endpoint)
    peer = Peer()
    try:
        await negotiate_as_answerer(endpoint, peer)
        assert await peer.wait_frames("video", frames, timeout=8) >= frames
        began = time.monotonic()
        await pipeline.release()  # mid-call: the peer is still sending
        return time.monotonic() - began
    finally:
        await peer.close()


async def settle(baseline: tuple[int, int], slack: tuple[int, int]) -> tuple[int, int]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        gc.collect()
        now = counts()
        if now[0] <= baseline[0] + slack[0] and now[1] <= baseline[1] + slack[1]:
            break
        await asyncio.sleep(0.2)
    return counts()


async def test_release_mid_call_is_quick(client: KurentoClient) -> None:
    took = await one_call(client, frames=10)
    print(f"release mid-call took {took * 1000:.0f} ms")
    assert took < WATCHDOG
    assert (await client.get_server_manager()) is not None  # still serving


async def test_twenty_calls_leave_no_threads_or_fds(client: KurentoClient) -> None:
    await one_call(client, frames=1)  # warm-up: worker pools, first webrtcbin, aiortc executor
    baseline = await settle(counts(), (0, 0))
    for _ in range(20):
        assert await one_call(client, frames=1) < WATCHDOG
    threads, fds = await settle(baseline, (4, 8))
    print(f"baseline threads/fds {baseline}, after 20 calls {threads}/{fds}")
    assert threads <= baseline[0] + 4, (baseline, threads)
    assert fds <= baseline[1] + 8, (baseline, fds)
