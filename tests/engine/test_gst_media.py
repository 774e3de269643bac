"""Real media through the GStreamer engine: flow, events, relinking, errors, dot."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine, NullLink
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.testing import create_test_sink, create_test_source

from .helpers import Recorder, wait_until

pytestmark = pytest.mark.gst

AUDIO, VIDEO, DATA = MediaKind.AUDIO, MediaKind.VIDEO, MediaKind.DATA


async def test_chain_carries_media_and_reports_flow(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("chain")
    first, second, sink_events = Recorder(), Recorder(), Recorder()
    source = create_test_source(pipeline)
    a = pipeline.create_element("PassThrough", first)
    b = pipeline.create_element("PassThrough", second)
    sink = create_test_sink(pipeline, sink_events)
    feeds = [source.link(a, kind) for kind in (AUDIO, VIDEO)]
    for kind in (AUDIO, VIDEO):
        a.link(b, kind)
        b.link(sink, kind)

    await wait_until(lambda: sink.buffers(VIDEO) > 10 and sink.buffers(AUDIO) > 10)
    for recorder in (first, second):
        for kind in (AUDIO, VIDEO):
            assert recorder.states("in", kind) == [True]
            assert recorder.states("out", kind) == [True]
    assert sink_events.states("in", VIDEO) == [True]

    await asyncio.gather(*(feed.unlink() for feed in feeds))
    await wait_until(lambda: second.states("out", VIDEO) == [True, False], timeout=4.0)
    assert first.states("in", AUDIO) == [True, False]
    await wait_until(lambda: sink_events.states("in", VIDEO) == [True, False], timeout=2.0)
    stopped_at = sink.buffers(VIDEO)
    await asyncio.sleep(0.3)
    assert sink.buffers(VIDEO) == stopped_at
    assert not (first.errors or second.errors or sink_events.errors)
    await pipeline.close()


class Raising(Recorder):
    """Records, then raises: the engine must log and carry on."""

    def on_media_flow_in(self, kind: MediaKind, pad_name: str, flowing: bool) -> None:
        super().on_media_flow_in(kind, pad_name, flowing)
        raise RuntimeError("listener bug")


async def test_raising_listener_does_not_stop_flow_events(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("raising")
    events = Raising()
    source = create_test_source(pipeline)
    sink = create_test_sink(pipeline, events)
    link = source.link(sink, VIDEO)
    await wait_until(lambda: events.states("in", VIDEO) == [True])
    await link.unlink()
    await wait_until(lambda: events.states("in", VIDEO) == [True, False], timeout=4.0)
    await pipeline.close()


async def test_keyframe_request_travels_back_to_the_source(engine: GstMediaEngine) -> None:
    """proxysrc/proxysink carry GstForceKeyUnit upstream across two bridges."""
    pipeline = engine.create_pipeline("fku")
    source = create_test_source(pipeline)
    middle = pipeline.create_element("PassThrough", Recorder())
    sink = create_test_sink(pipeline)
    source.link(middle, VIDEO)
    middle.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 0)

    for _ in range(3):
        sink.request_key_frame(VIDEO)
    assert source.key_frame_requests(VIDEO) == 3
    assert source.key_frame_requests(AUDIO) == 0
    await pipeline.close()


async def test_relink_sink_to_a_new_source(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("relink")
    old, new = create_test_source(pipeline), create_test_source(pipeline)
    sink = create_test_sink(pipeline)
    link = old.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 5)
    await link.unlink()

    new.link(sink, VIDEO)
    before = sink.buffers(VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > before + 5)
    sink.request_key_frame(VIDEO)
    assert (old.key_frame_requests(VIDEO), new.key_frame_requests(VIDEO)) == (0, 1)
    await pipeline.close()


async def test_new_link_replaces_the_old_one(engine: GstMediaEngine) -> None:
    """Kurento semantics, in case the control plane does not unlink first."""
    pipeline = engine.create_pipeline("replace")
    old, new = create_test_source(pipeline), create_test_source(pipeline)
    sink = create_test_sink(pipeline)
    old.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 5)
    new.link(sink, VIDEO)  # while the old bridge is built and carrying media
    await wait_until(lambda: not old.links())
    before = sink.buffers(VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > before + 5)
    sink.request_key_frame(VIDEO)
    assert (old.key_frame_requests(VIDEO), new.key_frame_requests(VIDEO)) == (0, 1)
    await pipeline.close()


async def test_unlink_and_link_while_playing(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("toggle")
    source = create_test_source(pipeline)
    middle = pipeline.create_element("PassThrough", Recorder())
    sink = create_test_sink(pipeline)
    source.link(middle, VIDEO)
    for _ in range(5):
        link = middle.link(sink, VIDEO)
        before = sink.buffers(VIDEO)
        await wait_until(lambda before=before: sink.buffers(VIDEO) > before + 2)
        await link.unlink()
        stopped_at = sink.buffers(VIDEO)
        await asyncio.sleep(0.15)
        assert sink.buffers(VIDEO) == stopped_at
        await link.unlink()  # idempotent
    await pipeline.close()


async def test_unknown_factory_and_kinds_without_media(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("kinds")
    with pytest.raises(ValueError):
        pipeline.create_element("NoSuchElement", Recorder())
    a = pipeline.create_element("PassThrough", Recorder())
    b = pipeline.create_element("PassThrough", Recorder())
    data_link = a.link(b, DATA)
    assert not isinstance(data_link, NullLink)  # PassThrough carries DATA too
    await data_link.unlink()
    sink = create_test_sink(pipeline)
    assert isinstance(sink.link(a, VIDEO), NullLink)  # a sink has no output
    assert isinstance(a.link(sink, DATA), NullLink)  # the test sink has no DATA input
    elsewhere = engine.create_pipeline("elsewhere").create_element("PassThrough", Recorder())
    with pytest.raises(ValueError):
        a.link(elsewhere, VIDEO)
    await pipeline.close()
    with pytest.raises(RuntimeError):
        pipeline.create_element("PassThrough", Recorder())


async def test_bus_error_reaches_the_listener_on_the_loop(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("errors")
    events = Recorder()
    element = pipeline.create_element("PassThrough", events)
    error = Gst.ResourceError  # any domain the mapping knows
    gerror = _gerror(error.quark(), int(error.OPEN_WRITE), "Could not open file for writing.")
    culprit = element.pipeline.get_by_name("video_in")
    element.pipeline.get_bus().post(Gst.Message.new_error(culprit, gerror, "debug"))
    await wait_until(lambda: bool(events.errors))
    kind, code, description = events.errors[0]
    assert (kind, code) == ("RESOURCE_ERROR_OPEN", 6)
    assert description.startswith(
        "Error code 6: Could not open file for writing., source: video_in"
    )
    await pipeline.close()


def _gerror(domain: int, code: int, message: str) -> object:
    from gi.repository import GLib

    return GLib.Error.new_literal(domain, message, code)


async def test_pipeline_dot_is_one_valid_digraph(engine: GstMediaEngine) -> None:
    pipeline = engine.create_pipeline("dot")
    source = create_test_source(pipeline)
    middle = pipeline.create_element("PassThrough", Recorder())
    sink = create_test_sink(pipeline)
    source.link(middle, VIDEO)
    middle.link(sink, VIDEO)
    await wait_until(lambda: sink.buffers(VIDEO) > 0)

    for details in ("SHOW_ALL", "SHOW_VERBOSE", "SHOW_MEDIA_TYPE", "SHOW_STATES"):
        text = pipeline.gstreamer_dot(details)
        _assert_digraph(text)
        assert text.count("subgraph cluster_element_") == 3
        assert len(re.findall(r'-> \S+ \[style=dashed, label="bridge"\]', text)) == 2
    element_dot = middle.gstreamer_dot("SHOW_CAPS_DETAILS")
    _assert_digraph(element_dot)
    assert "GstIdentity" in element_dot
    with pytest.raises(ValueError):
        pipeline.gstreamer_dot("SHOW_NOTHING")
    await pipeline.close()


def _assert_digraph(text: str) -> None:
    """Structural check (graphviz itself is used when installed)."""
    assert text.startswith("digraph ")
    unquoted = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    depth = 0
    for char in unquoted:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0 and unquoted.rstrip().endswith("}")
    assert unquoted.count("digraph") == 1
    if (dot := shutil.which("dot")) is not None:
        subprocess.run([dot, "-Tcanon"], input=text.encode(), check=True, capture_output=True)
