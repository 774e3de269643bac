"""Filters written in Python: the examples change colours, raise events, and stay off the loop."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from kurento.client import (
    KurentoClient,
    MediaPipeline,
    MediaTranscodingStateChanged,
    MediaType,
    MotionDetected,
    MotionDetectorFilter,
    SepiaFilter,
    WebRtcEndpoint,
)
from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.filter_python import PythonFilterElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.filters import FilterEvent, VideoFilter, video_filter
from kurento.filters.examples import MotionDetector, Sepia
from kurento.filters.process import ProcessProxy

from ..engine.helpers import wait_until
from ..webrtc.peer import Peer, negotiate_as_answerer
from .media import FilterRecorder, FrameSink, PatternSource, pattern_source

pytestmark = pytest.mark.gst


def run_filter(pipeline: GstPipelineEngine, source: type[PatternSource],
               processor: type[VideoFilter]) -> tuple[FilterRecorder, PythonFilterElement,
                                                      FrameSink]:
    src = pipeline.create_element_of(source, FilterRecorder())
    listener = FilterRecorder()
    element = pipeline.create_element_of(PythonFilterElement, listener)
    if processor.isolation == "process":  # as the control plane does
        element.configure_processor(ProcessProxy.factory(processor))
    else:
        element.configure_processor(processor)
    sink = pipeline.create_element_of(FrameSink, FilterRecorder())
    src.link(element, MediaKind.VIDEO)
    element.link(sink, MediaKind.VIDEO)
    return listener, element, sink


async def test_sepia_turns_colour_bars_brown(engine_pipeline: GstPipelineEngine) -> None:
    listener, element, sink = run_filter(
        engine_pipeline, pattern_source("smpte", encode=True), Sepia)
    await wait_until(lambda: sink.frames() >= 10, timeout=8)
    frame = sink.frame().astype(np.int32)
    bars = frame[10:60].reshape(-1, 3)
    bright = bars[bars.sum(axis=1) > 150]
    # Sepia: red ≥ green ≥ blue everywhere (allowing codec noise); the blue bar is gone.
    assert len(bright) > 1000
    assert np.mean(bright[:, 0] + 8 >= bright[:, 1]) > 0.95
    assert np.mean(bright[:, 1] + 8 >= bright[:, 2]) > 0.95
    assert frame[30, -4, 2] < frame[30, -4, 0]  # the right edge was pure blue
    assert element.processing_stats()[0] >= 10
    assert listener.transcoding[0][:2] == (MediaKind.VIDEO, True)
    assert not listener.errors


@pytest.mark.parametrize(("pattern", "moves"), [("ball", True), ("checkers-8", False)])
async def test_motion_detector_raises_its_event_only_on_motion(
    engine_pipeline: GstPipelineEngine, pattern: str, moves: bool
) -> None:
    listener, element, _sink = run_filter(
        engine_pipeline, pattern_source(pattern, encode=True), MotionDetector)
    await wait_until(lambda: element.processing_stats()[0] >= 30, timeout=8)
    await asyncio.sleep(0.2)
    names = {name for name, _ in listener.events}
    assert (names == {"MotionDetected"}) is moves, listener.events
    if moves:
        assert all(0 < fields["ratio"] <= 1 for _, fields in listener.events)


async def test_a_broken_filter_reports_once_and_frames_still_flow(
    engine_pipeline: GstPipelineEngine,
) -> None:
    @video_filter("BrokenFilter")
    def broken(frame: np.ndarray) -> np.ndarray:
        raise ZeroDivisionError("oops")

    listener, _element, sink = run_filter(
        engine_pipeline, pattern_source("smpte", encode=False), broken)
    await wait_until(lambda: sink.frames() >= 10, timeout=8)
    assert len(listener.errors) == 1 and "ZeroDivisionError" in listener.errors[0][2]


async def test_a_slow_filter_skips_frames_and_never_stalls_the_loop(
    engine_pipeline: GstPipelineEngine,
) -> None:
    class Slow(VideoFilter):
        name = "SlowFilter"

        def process(self, frame: np.ndarray, pts: int) -> None:
            time.sleep(0.2)  # five frames a second at most, input is fifteen

    _listener, element, sink = run_filter(
        engine_pipeline, pattern_source("smpte", encode=False), Slow)
    await wait_until(lambda: element.processing_stats()[0] >= 1, timeout=8)
    first = element.processing_stats()[0]
    stalled = await loop_stall(2.0)
    processed = element.processing_stats()[0] - first
    assert 5 <= processed <= 12  # five a second: the other frames were skipped, not queued
    # Had the filter run on the loop, the loop would have been stalled ~100 % of the time.
    assert stalled < 0.25, f"the loop was stalled {stalled:.0%} of the time"
    assert sink.frames() >= 3


async def loop_stall(duration: float) -> float:
    """Part of ``duration`` the loop spent late (10 ms sleeps that took longer)."""
    late = 0.0
    started = time.monotonic()
    while time.monotonic() - started < duration:
        before = time.monotonic()
        await asyncio.sleep(0.01)
        late += max(0.0, time.monotonic() - before - 0.01)
    return late / (time.monotonic() - started)


async def test_clients_create_python_filters_by_name(
    client: KurentoClient, peers: list[Peer]
) -> None:
    """Peer → WebRtcEndpoint → SepiaFilter → MotionDetectorFilter → same endpoint → peer."""
    pipeline = await MediaPipeline.create(client)
    endpoint = await WebRtcEndpoint.create(pipeline)
    sepia = await SepiaFilter.create(pipeline)
    motion = await MotionDetectorFilter.create(pipeline)
    transcoding: list[MediaType] = []
    motions: list[MotionDetected] = []
    await sepia.on(MediaTranscodingStateChanged, lambda e: transcoding.append(e.media_type))
    await motion.on(MotionDetected, motions.append)
    peer = Peer(send_audio=False)
    peers.append(peer)
    await endpoint.connect(sepia)
    await sepia.connect(motion)
    await motion.connect(endpoint)
    await negotiate_as_answerer(endpoint, peer)
    assert await peer.wait_frames("video", 15, timeout=10) >= 15
    assert MediaType.VIDEO in transcoding
    assert await sepia.is_media_transcoding(MediaType.VIDEO)
    # The peer's synthetic video changes every frame: motion is reported.
    deadline = time.monotonic() + 5
    while not motions and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert motions and 0 < motions[0].ratio <= 1
    await pipeline.release()


async def test_a_cpu_bound_pure_python_filter_does_not_stall_the_loop(
    engine_pipeline: GstPipelineEngine,
) -> None:
    """The GIL: a filter spinning in bytecode yields it every switch interval (5 ms)."""

    class Spin(VideoFilter):
        name = "SpinFilter"

        def process(self, frame: np.ndarray, pts: int) -> None:
            end = time.monotonic() + 0.1
            while time.monotonic() < end:
                pass

    _listener, element, sink = run_filter(
        engine_pipeline, pattern_source("smpte", encode=False), Spin)
    await wait_until(lambda: element.processing_stats()[0] >= 2, timeout=8)
    stalled = await loop_stall(1.5)
    # The GIL is shared: the loop waits up to a switch interval now and then, never a frame.
    assert stalled < 0.8, f"the loop was stalled {stalled:.0%} of the time"
    assert sink.frames() >= 3


class SpinInAProcess(VideoFilter):
    """Module level: the child process imports it by name."""

    name = "SpinInAProcessFilter"
    isolation = "process"
    events = (FilterEvent("Spun", {"frame": "int"}),)

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def process(self, frame: np.ndarray, pts: int) -> np.ndarray:
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            pass
        self.count += 1
        self.emit("Spun", frame=self.count)
        return 255 - frame


async def test_process_isolation_inverts_and_emits(engine_pipeline: GstPipelineEngine) -> None:
    listener, _element, sink = run_filter(
        engine_pipeline, pattern_source("black", encode=False), SpinInAProcess)
    await wait_until(lambda: sink.frames() >= 5, timeout=15)
    assert sink.frame().mean() > 200  # black inverted: white
    assert listener.events and listener.events[0] == ("Spun", {"frame": 1})
    assert not listener.errors


async def test_filter_output_lets_consumers_configure_their_latency(
        engine_pipeline: GstPipelineEngine, caplog: pytest.LogCaptureFixture) -> None:
    # A live appsrc answers LATENCY with max 0 by default: every consumer whose path
    # adds latency logged "Impossible to configure latency" when the filter started.
    _, element, sink = run_filter(engine_pipeline, pattern_source("smpte", encode=True), Sepia)
    await wait_until(lambda: sink.frames() >= 10, timeout=8)
    query = Gst.Query.new_latency()
    assert element._appsrc.get_static_pad("src").query(query)
    live, minimum, maximum = query.parse_latency()
    assert live and maximum >= minimum + 100 * Gst.MSECOND
    assert "Impossible to configure latency" not in caplog.text
