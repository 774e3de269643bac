"""Direct links (bridge.py): a source's streaming thread runs its sinks' input paths.

What a queue gave each sink must still hold: a sink whose path fails, or that is
closed while media flows, costs the source and its other sinks nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from kurento.engine.contract import MediaKind
from kurento.engine.gst import GstMediaEngine
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.bridge import Bridge
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.testing import TestSink, TestSource, create_test_sink, create_test_source

from .helpers import Recorder, wait_until

pytestmark = pytest.mark.gst

AUDIO, VIDEO = MediaKind.AUDIO, MediaKind.VIDEO


class DirectSink(TestSink):
    """A TestSink whose inputs take direct links, as a WebRtcEndpoint's do."""

    direct_input = True


class RefusingSink(DirectSink):
    """Its inputs refuse every caps: each buffer comes back NOT_NEGOTIATED."""

    def build(self) -> None:
        super().build()
        for kind, pad in list(self._inputs.items()):
            refuse = self.make("capsfilter",
                               caps=Gst.Caps.from_string("application/x-nothing"))
            refuse.link_pads("src", pad.get_parent_element(), "sink")
            self._inputs[kind] = refuse.get_static_pad("sink")


@dataclass
class Fanout:
    """A pipeline with a live test source whose listener keeps its errors."""

    pipeline: GstPipelineEngine
    source: TestSource
    events: Recorder


@pytest.fixture
async def fanout(engine: GstMediaEngine) -> AsyncIterator[Fanout]:
    pipeline = engine.create_pipeline("direct")
    events = Recorder()
    yield Fanout(pipeline, create_test_source(pipeline, events), events)
    await pipeline.close()


async def fed_more(sink: TestSink, buffers: int) -> None:
    """Wait until both inputs of ``sink`` have rendered ``buffers`` more than now."""
    kept = sink.buffers(VIDEO), sink.buffers(AUDIO)
    await wait_until(lambda: sink.buffers(VIDEO) > kept[0] + buffers
                     and sink.buffers(AUDIO) > kept[1] + buffers)


async def test_a_failing_sink_costs_its_source_and_the_other_sinks_nothing(
    fanout: Fanout,
) -> None:
    pipeline, source = fanout.pipeline, fanout.source
    first = pipeline.create_element_of(DirectSink, Recorder())
    refusing = pipeline.create_element_of(RefusingSink, Recorder())
    last = pipeline.create_element_of(DirectSink, Recorder())
    queued = create_test_sink(pipeline)
    # In this order the tee pushes to `refusing` before `last`: an error it returned
    # would stop the tee there, and the source's streaming thread with it.
    links = [source.link(sink, VIDEO) for sink in (first, refusing, last, queued)]
    assert all(isinstance(link, Bridge) for link in links)
    assert [link.direct for link in links if isinstance(link, Bridge)] == [
        True, True, True, False]

    await wait_until(lambda: all(s.buffers(VIDEO) > 30 for s in (first, last, queued)))
    assert refusing.buffers(VIDEO) == 0
    counts = [s.buffers(VIDEO) for s in (first, last, queued)]
    await wait_until(lambda: all(s.buffers(VIDEO) > n + 30
                                 for s, n in zip((first, last, queued), counts, strict=True)))
    assert fanout.events.errors == []


async def test_closing_a_sink_while_media_flows_leaves_the_others_fed(fanout: Fanout) -> None:
    sinks = [fanout.pipeline.create_element_of(DirectSink, Recorder()) for _ in range(3)]
    for sink in sinks:
        for kind in (AUDIO, VIDEO):
            fanout.source.link(sink, kind)
    await wait_until(lambda: all(s.buffers(VIDEO) > 10 for s in sinks))

    for closing in sinks[:2]:
        await closing.close()  # its pipeline stops: it would return FLUSHING if still linked
        await fed_more(sinks[2], 15)
    assert fanout.events.errors == []
