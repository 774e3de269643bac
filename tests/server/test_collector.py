"""The deferred collector: a burst of releases gives one prompt collection."""

from __future__ import annotations

import asyncio
import gc
import weakref

from kurento.server.collector import DeferredCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


async def test_burst_of_requests_collects_once_and_frees_cycles() -> None:
    gc.disable()  # so that only our collector can free the cycle
    try:
        collector = DeferredCollector(delay=0.05, min_interval=0.3, trailing=5.0)
        node = Node()
        ref = weakref.ref(node)
        del node
        for _ in range(100):
            collector.request()
        await asyncio.sleep(0.2)
        assert collector.collections == 1
        assert ref() is None
        collector.request()  # within min_interval of the last one: waits for it
        await asyncio.sleep(0.1)
        assert collector.collections == 1
        await asyncio.sleep(0.3)
        assert collector.collections == 2
        collector.cancel()
    finally:
        gc.enable()


async def test_a_trailing_collection_follows_each_burst() -> None:
    collector = DeferredCollector(delay=0.01, min_interval=0.0, trailing=0.1)
    collector.request()
    await asyncio.sleep(0.05)
    assert collector.collections == 1
    await asyncio.sleep(0.15)
    assert collector.collections == 2  # the trailing one
    await asyncio.sleep(0.2)
    assert collector.collections == 2  # and no more until the next request
