"""GStreamerFilter on the real engine: pixels change, errors are Kurento's, nothing piles up."""

from __future__ import annotations

import asyncio
import resource

import numpy as np
import pytest

from kurento.client import GStreamerFilter, KurentoClient, MediaPipeline
from kurento.engine.contract import MediaKind
from kurento.engine.filtering import PropertyTypeNotSupported, PropertyValueError
from kurento.engine.gst.filter import GStreamerFilterElement
from kurento.engine.gst.filter_python import PythonFilterElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.engine.gst.testing import create_test_sink, create_test_source
from kurento.filters.examples import Sepia
from kurento.protocol.errors import KurentoError

from ..engine.helpers import wait_until
from .media import FilterRecorder, FrameSink, PatternSource, pattern_source

pytestmark = pytest.mark.gst


async def filtered_frame(pipeline: GstPipelineEngine, command: str | None,
                         source: type[PatternSource] = PatternSource) -> np.ndarray:
    """The pattern after ``command`` (None: unfiltered, through a VP8 round trip anyway)."""
    src = pipeline.create_element_of(source, FilterRecorder())
    sink = pipeline.create_element_of(FrameSink, FilterRecorder())
    if command is None:
        src.link(sink, MediaKind.VIDEO)
    else:
        listener = FilterRecorder()
        element = pipeline.create_element_of(GStreamerFilterElement, listener)
        assert element.configure_command(command, "AUTODETECT") is MediaKind.VIDEO
        src.link(element, MediaKind.VIDEO)
        element.link(sink, MediaKind.VIDEO)
    await wait_until(lambda: sink.frames() >= 5, timeout=8)
    return sink.frame().astype(np.int32)


@pytest.mark.parametrize("encoded", [False, True], ids=["raw-input", "vp8-input"])
async def test_videoflip_and_videobalance_change_pixels(
    engine_pipeline: GstPipelineEngine, encoded: bool
) -> None:
    source = pattern_source("smpte", encode=encoded)
    plain = await filtered_frame(engine_pipeline, None, source)
    flipped = await filtered_frame(engine_pipeline, "videoflip method=horizontal-flip", source)
    grey = await filtered_frame(engine_pipeline, "videobalance saturation=0", source)
    top = slice(10, 60)  # the colour bars of the SMPTE pattern
    # Flipped: the left edge is now what the right edge was (and not what it was).
    assert np.abs(flipped[top, :8] - plain[top, -8:]).mean() < 20
    assert np.abs(flipped[top, :8] - plain[top, :8]).mean() > 40
    # Saturation 0: no colour left, where the original is very colourful.
    assert np.ptp(plain[top], axis=2).mean() > 60
    assert np.ptp(grey[top], axis=2).mean() < 12


async def test_filter_reports_transcoding_and_answers_keyframe_requests(
    engine_pipeline: GstPipelineEngine,
) -> None:
    src = engine_pipeline.create_element_of(pattern_source("smpte", encode=True),
                                            FilterRecorder())
    listener = FilterRecorder()
    element = engine_pipeline.create_element_of(GStreamerFilterElement, listener)
    element.configure_command("videoflip method=vertical-flip", "VIDEO")
    sink = engine_pipeline.create_element_of(FrameSink, FilterRecorder())
    src.link(element, MediaKind.VIDEO)
    element.link(sink, MediaKind.VIDEO)
    await wait_until(lambda: sink.frames() >= 5, timeout=8)
    assert listener.transcoding and listener.transcoding[0][:2] == (MediaKind.VIDEO, True)
    assert not listener.errors


@pytest.mark.parametrize("kind", ["gstreamer", "python"])
async def test_filter_without_consumer_does_not_grow(
    engine_pipeline: GstPipelineEngine, kind: str
) -> None:
    """A filter fed VP8 with nothing downstream: memory stays flat (leaky, tee drops)."""
    src = engine_pipeline.create_element_of(pattern_source("ball", encode=True),
                                            FilterRecorder())
    element: GStreamerFilterElement | PythonFilterElement
    if kind == "gstreamer":
        element = engine_pipeline.create_element_of(GStreamerFilterElement, FilterRecorder())
        element.configure_command("videobalance saturation=0", "AUTODETECT")
    else:
        element = engine_pipeline.create_element_of(PythonFilterElement, FilterRecorder())
        element.configure_processor(Sepia)
    src.link(element, MediaKind.VIDEO)
    await asyncio.sleep(1.5)  # warm up: decoder, encoder and pools allocated
    before = _rss_kib()
    await asyncio.sleep(3.0)
    growth = _rss_kib() - before
    assert growth < 4096, f"RSS grew by {growth} KiB in 3 s without a consumer"


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def test_bad_commands_and_properties(client: KurentoClient) -> None:
    pipeline = await MediaPipeline.create(client)
    bad = {
        "nosuchelement": "GStreamer element cannot be created",
        "videoflip method=sideways": "GStreamer element cannot be created",
        "videoflip ! videobalance": "only one element can be created",
        "videotestsrc": "pad templates don't match",
    }
    for command, message in bad.items():
        with pytest.raises(KurentoError) as refused:
            await GStreamerFilter.create(pipeline, command=command)
        assert refused.value.code == 40001 and message in str(refused.value), command
    flip = await GStreamerFilter.create(pipeline, command="videoflip method=horizontal-flip")
    assert await flip.get_command() == "videoflip method=horizontal-flip"
    await flip.set_element_property("method", "vertical-flip")  # enum, by nick
    await flip.set_element_property("name", "flipper")  # string
    balance = await GStreamerFilter.create(pipeline, command="videobalance")
    await balance.set_element_property("saturation", "0.5")  # double
    for name, value, code in [("method", "sideways", 40001), ("nope", "1", 40001),
                              ("qos", "true", 40006)]:
        with pytest.raises(KurentoError) as refused:
            await flip.set_element_property(name, value)
        assert refused.value.code == code, (name, refused.value)
    # The server is still fine: a new filter works, the pipeline releases cleanly.
    await GStreamerFilter.create(pipeline, command="videobalance saturation=0")
    await pipeline.release()
    await (await MediaPipeline.create(client)).release()


def test_engine_property_errors_are_typed() -> None:
    assert issubclass(PropertyValueError, ValueError)
    assert not issubclass(PropertyTypeNotSupported, ValueError)



async def test_audio_filter_routes_audio_and_passes_video(
    engine_pipeline: GstPipelineEngine,
) -> None:
    """AUTODETECT picks AUDIO for ``volume``; video goes around it untouched (a keyframe
    request crosses the filter to the source)."""
    source = create_test_source(engine_pipeline)
    element = engine_pipeline.create_element_of(GStreamerFilterElement, FilterRecorder())
    assert element.configure_command("volume volume=0.5", "AUTODETECT") is MediaKind.AUDIO
    sink = create_test_sink(engine_pipeline)
    for kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        source.link(element, kind)
        element.link(sink, kind)
    await wait_until(lambda: min(sink.buffers(k) for k in (MediaKind.AUDIO, MediaKind.VIDEO))
                     >= 10, timeout=8)
    sink.request_key_frame(MediaKind.VIDEO)  # False: videotestsrc ignores it, yet it got there
    await wait_until(lambda: source.key_frame_requests(MediaKind.VIDEO) >= 1, timeout=3)


async def test_video_filter_encoder_answers_keyframe_requests(
    engine_pipeline: GstPipelineEngine,
) -> None:
    source = create_test_source(engine_pipeline)
    element = engine_pipeline.create_element_of(GStreamerFilterElement, FilterRecorder())
    element.configure_command("videoflip method=vertical-flip", "VIDEO")
    sink = create_test_sink(engine_pipeline)
    source.link(element, MediaKind.VIDEO)
    element.link(sink, MediaKind.VIDEO)
    await wait_until(lambda: sink.buffers(MediaKind.VIDEO) >= 10, timeout=8)
    assert sink.request_key_frame(MediaKind.VIDEO)  # vp8enc took it
    await asyncio.sleep(0.3)
    assert source.key_frame_requests(MediaKind.VIDEO) == 0


async def test_a_new_source_with_another_codec_is_decoded_too(
    engine_pipeline: GstPipelineEngine,
) -> None:
    """VP8 first, then a raw source replaces it: the decoder is swapped, frames go on."""
    vp8 = engine_pipeline.create_element_of(pattern_source("smpte", encode=True),
                                            FilterRecorder())
    raw = engine_pipeline.create_element_of(pattern_source("black", encode=False),
                                            FilterRecorder())
    listener = FilterRecorder()
    element = engine_pipeline.create_element_of(GStreamerFilterElement, listener)
    element.configure_command("videobalance saturation=0", "VIDEO")
    sink = engine_pipeline.create_element_of(FrameSink, FilterRecorder())
    element.link(sink, MediaKind.VIDEO)
    vp8.link(element, MediaKind.VIDEO)
    await wait_until(lambda: sink.frames() >= 5, timeout=8)
    assert sink.frame().mean() > 60  # the bars, greyed
    raw.link(element, MediaKind.VIDEO)  # replaces the VP8 source
    await wait_until(lambda: sink.frame().mean() < 20, timeout=8)  # black now
    assert not listener.errors
