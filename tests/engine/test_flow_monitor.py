"""MediaFlowIn/Out detection on a real pad: the states, and no loop wake-up per second
for a pad that keeps flowing (with hundreds of pads those were a third of the server's
Python CPU in the one-to-many benchmark)."""

from __future__ import annotations

import asyncio
from typing import Any

from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst, ensure_init
from kurento.engine.gst.flow import FlowMonitor
from kurento.engine.gst.runtime import Runtime, Worker


class CountingRuntime(Runtime):
    """A Runtime that counts the streaming-thread hand-overs to the loop."""

    handed: int = 0

    def call_soon(self, fn: Any, *args: object) -> None:
        type(self).handed += 1
        super().call_soon(fn, *args)


async def test_flow_states_and_no_wake_up_while_flowing() -> None:
    ensure_init()
    pipeline = Gst.parse_launch(
        "videotestsrc is-live=true name=source ! valve name=valve ! fakesink name=sink "
        "sync=false async=false")
    runtime = CountingRuntime(asyncio.get_running_loop(), Worker(timeout=5), None, 0, None)
    CountingRuntime.handed = 0
    changes: list[tuple[bool, MediaKind, bool]] = []
    monitor = FlowMonitor(runtime, lambda *change: changes.append(change),
                          interval=0.2, timeout=0.5)
    monitor.watch(MediaKind.VIDEO, pipeline.get_by_name("sink").get_static_pad("sink"),
                  inbound=True)
    pipeline.set_state(Gst.State.PLAYING)
    monitor.start()
    try:
        await asyncio.sleep(2)  # ten intervals of media
        assert changes == [(True, MediaKind.VIDEO, True)]
        assert CountingRuntime.handed == 1, "a flowing pad woke the loop again"

        pipeline.get_by_name("valve").set_property("drop", True)
        await asyncio.sleep(1.2)
        assert changes[-1] == (True, MediaKind.VIDEO, False)

        pipeline.get_by_name("valve").set_property("drop", False)
        await asyncio.sleep(1)
        assert changes[1:] == [(True, MediaKind.VIDEO, False), (True, MediaKind.VIDEO, True)]
    finally:
        monitor.stop()
        pipeline.set_state(Gst.State.NULL)
