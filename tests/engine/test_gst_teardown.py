"""Teardown of the GStreamer engine: loopback, rings, leaks, the watchdog.

Notes §5.7: a cyclic GStreamer graph hung ``set_state(NULL)`` and killed the
server. Here every element owns its pipeline, so loopbacks and rings must close
quickly, again and again, and leave no threads or file descriptors behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import os
import threading
import time

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import Bridge, GstMediaEngine
from kurento.engine.gst.runtime import Worker
from kurento.engine.gst.testing import create_test_sink, create_test_source

from .helpers import TEARDOWN_TIMEOUT, Recorder, wait_until

pytestmark = pytest.mark.gst

AUDIO, VIDEO = MediaKind.AUDIO, MediaKind.VIDEO


async def test_loopback_with_a_feed_closes_quickly(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("loopback")
    events = Recorder()
    source = create_test_source(pipeline)
    looped = pipeline.create_element("PassThrough", events)
    sink = create_test_sink(pipeline)
    looped.link(looped, VIDEO)  # the loopback
    source.link(looped, AUDIO)  # the feed
    looped.link(sink, AUDIO)
    looped.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(AUDIO) > 5)
    sink.request_key_frame(VIDEO)  # must stop at the ring, not circle in it
    assert [b.in_ring for b in looped.links() if b.kind is VIDEO and b.sink is looped] == [True]

    started = time.monotonic()
    await pipeline.close()
    assert time.monotonic() - started < TEARDOWN_TIMEOUT / 2
    assert not pipeline.elements() and not events.errors


async def test_ring_of_three_closes_cleanly_twenty_times(
    engine: GstMediaEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kurento.engine.gst")
    slowest = 0.0
    for round_ in range(20):
        pipeline = engine.create_pipeline(f"ring{round_}")
        a, b, c = (pipeline.create_element("PassThrough", Recorder()) for _ in range(3))
        sink = create_test_sink(pipeline)
        for kind in (AUDIO, VIDEO):
            a.link(b, kind)
            b.link(c, kind)
            c.link(a, kind)
            c.link(sink, kind)
        await asyncio.gather(*(e.started() for e in (a, b, c, sink)))
        await asyncio.sleep(0.02)  # let the bridges build
        sink.request_key_frame(VIDEO)
        pipeline.gstreamer_dot("SHOW_ALL")
        started = time.monotonic()
        await pipeline.close()
        slowest = max(slowest, time.monotonic() - started)
        assert not pipeline.elements()
    assert slowest < 1.0
    assert not [r for r in caplog.records if "watchdog" in r.getMessage()]


async def test_ring_flags_follow_links(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("flags")
    a, b = (pipeline.create_element("PassThrough", Recorder()) for _ in range(2))
    ab = a.link(b, VIDEO)
    ba_audio = b.link(a, AUDIO)  # other kind: PassThrough keeps kinds apart, no ring
    assert isinstance(ab, Bridge) and isinstance(ba_audio, Bridge)
    assert not ab.in_ring and not ba_audio.in_ring
    ba = b.link(a, VIDEO)
    assert isinstance(ba, Bridge)
    assert ab.in_ring and ba.in_ring
    await ba.unlink()
    assert not ab.in_ring
    await pipeline.close()


async def test_fifty_pipelines_leave_no_threads_or_fds(engine: GstMediaEngine) -> None:
    await _media_round(engine, "warmup")  # pools and plugins loaded once
    gc.collect()
    threads, tasks, fds = _counts()

    for batch in range(5):
        await asyncio.gather(*(_media_round(engine, f"p{batch}-{i}") for i in range(10)))
    gc.collect()
    # GStreamer's task pool keeps a couple of idle threads for a while: a margin.
    await wait_until(lambda: _counts()[1] <= tasks + 3, timeout=10.0)
    after = _counts()
    assert after[0] <= threads + 1
    assert after[2] <= fds + 8, (fds, after[2])


async def _media_round(engine: GstMediaEngine, name: str) -> None:
    pipeline = engine.create_pipeline(name)
    source = create_test_source(pipeline)
    middle = pipeline.create_element("PassThrough", Recorder())
    sink = create_test_sink(pipeline)
    source.link(middle, VIDEO)
    middle.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 0)
    await pipeline.close()


def _counts() -> tuple[int, int, int]:
    """Python threads, OS threads, fds; not counting the engine's bounded worker pool."""
    workers = sum(t.name.startswith("kms-gst") for t in threading.enumerate())
    return (
        threading.active_count() - workers,
        len(os.listdir("/proc/self/task")) - workers,
        len(os.listdir("/proc/self/fd")),
    )


async def test_stuck_teardown_is_abandoned_and_serving_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = GstMediaEngine(asyncio.get_running_loop(), teardown_timeout=0.3)
    release = threading.Event()
    pipeline = engine.create_pipeline("stuck")
    element = pipeline.create_element("PassThrough", Recorder())
    element.teardown = lambda: release.wait(3)  # type: ignore[method-assign]
    started = time.monotonic()
    await pipeline.close()
    assert time.monotonic() - started < 1.0
    assert "watchdog: close" in caplog.text

    other = engine.create_pipeline("after")
    source, sink = create_test_source(other), create_test_sink(other)
    source.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 0)
    release.set()
    await engine.shutdown()


async def test_watchdog_abandons_a_stuck_call(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker(timeout=0.2, max_workers=2)
    release = threading.Event()
    started = time.monotonic()
    assert not await worker.run("stuck call", lambda: release.wait(5))
    assert time.monotonic() - started < 1.0
    assert "watchdog: stuck call" in caplog.text
    # The pool was swapped: new work does not queue behind the stuck thread.
    assert await worker.run("next call", lambda: None)
    release.set()
    worker.shutdown()


async def test_watchdog_survives_a_call_finishing_as_it_fires() -> None:
    # The race the face filter's bad-image test hit: the call ends between the
    # watchdog's timeout and its bookkeeping, so the done-callback runs at once.
    worker = Worker(timeout=0.2, max_workers=8)
    finished: concurrent.futures.Future[object] = concurrent.futures.Future()
    finished.set_result(None)
    abandoning = threading.Thread(target=worker._abandon, args=(finished, "late call", 0.2))
    abandoning.start()
    abandoning.join(2.0)
    assert not abandoning.is_alive(), "the watchdog deadlocked on its own lock"
    assert await worker.run("next call", lambda: None)
    worker.shutdown()


async def test_failing_call_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker(timeout=1.0)

    def boom() -> None:
        raise RuntimeError("boom")

    assert not await worker.run("failing call", boom)
    assert "GStreamer work failed: failing call" in caplog.text
    worker.shutdown()
