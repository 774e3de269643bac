"""Audio filters written in Python: the level example raises its events, a gain is heard.

A live tone (raw 44.1 kHz mono, or Opus as a WebRtcEndpoint would give it) goes
through the filter into a sink that decodes the filter's Opus output back to
48 kHz PCM, where its level is measured.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import numpy as np
import pytest

from kurento.client import (
    AudioLevelCrossed,
    AudioLevelFilter,
    KurentoClient,
    MediaPipeline,
    MediaTranscodingStateChanged,
    MediaType,
    WebRtcEndpoint,
)
from kurento.engine.contract import MediaKind
from kurento.engine.gst._gst import Gst
from kurento.engine.gst.element import GstElement
from kurento.engine.gst.filter_python import PythonAudioFilterElement
from kurento.engine.gst.pipeline import GstPipelineEngine
from kurento.filters import AudioFilter, FilterEvent, audio_filter
from kurento.filters.examples import AudioLevel, level_db
from kurento.filters.process import ProcessProxy

from ..engine.helpers import wait_until
from ..webrtc.peer import Peer, negotiate_as_answerer
from .media import FilterRecorder

pytestmark = pytest.mark.gst


class ToneSource(GstElement):
    """A live 440 Hz sine; ``encode``: as Opus. ``set_volume`` changes it while it plays."""

    factory = "ToneSource"
    encode = False
    __test__ = False

    def build(self) -> None:
        self._tone = self.make("audiotestsrc", is_live=True, freq=440.0, volume=0.5,
                               samplesperbuffer=441)
        caps = self.make("capsfilter", caps=Gst.Caps.from_string(
            "audio/x-raw,format=S16LE,rate=44100,channels=1"))
        self._tone.link(caps)
        last = caps
        if self.encode:
            chain = [self.make("audioresample"), self.make("opusenc")]
            for element in chain:
                last.link(element)
                last = element
        self.add_output(MediaKind.AUDIO, last.get_static_pad("src"))

    def set_volume(self, volume: float) -> None:
        self._tone.set_property("volume", volume)


class OpusTone(ToneSource):
    factory = "OpusToneSource"
    encode = True


class LevelSink(GstElement):
    """Decodes its audio input to 48 kHz stereo int16; :meth:`level` of the last 0.2 s."""

    factory = "LevelSink"
    __test__ = False

    def build(self) -> None:
        self._lock = threading.Lock()
        self._blocks: list[np.ndarray] = []
        self.samples = 0
        entry = self.make("identity", "audio_in")
        decode = self.make("decodebin")
        self._convert = self.make("audioconvert")
        resample = self.make("audioresample")
        caps = self.make("capsfilter", caps=Gst.Caps.from_string(
            "audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2"))
        sink = self.make("appsink", sync=False, async_=False, emit_signals=True)
        entry.link(decode)
        self._convert.link(resample)
        resample.link(caps)
        caps.link(sink)
        decode.connect("pad-added", lambda _d, pad: pad.link(self._convert.get_static_pad(
            "sink")))
        sink.connect("new-sample", self._on_sample)
        self.add_input(MediaKind.AUDIO, entry.get_static_pad("sink"))

    def _on_sample(self, sink: Any) -> Any:
        buffer = sink.emit("pull-sample").get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        if ok:
            block = np.frombuffer(info.data, "<i2").reshape(-1, 2).copy()
            buffer.unmap(info)
            with self._lock:
                self._blocks = [*self._blocks[-20:], block]
                self.samples += len(block)
        return Gst.FlowReturn.OK

    def level(self) -> float:
        with self._lock:
            recent = np.concatenate(self._blocks)[-9600:]  # 0.2 s
        return level_db(recent)


def run_audio(pipeline: GstPipelineEngine, source: type[ToneSource],
              processor: type[AudioFilter]) -> tuple[FilterRecorder, ToneSource,
                                                     PythonAudioFilterElement, LevelSink]:
    src = pipeline.create_element_of(source, FilterRecorder())
    listener = FilterRecorder()
    element = pipeline.create_element_of(PythonAudioFilterElement, listener)
    if processor.isolation == "process":  # as the control plane does
        element.configure_processor(ProcessProxy.factory(processor))
    else:
        element.configure_processor(processor)
    sink = pipeline.create_element_of(LevelSink, FilterRecorder())
    src.link(element, MediaKind.AUDIO)
    element.link(sink, MediaKind.AUDIO)
    return listener, src, element, sink


class Quarter(AudioLevel):
    """The level example with a gain of 1/4 (-12 dB)."""

    name = "QuarterLevelFilter"
    GAIN = 0.25


SINE_DB = 20 * np.log10(0.5 / np.sqrt(2))  # volume 0.5: -9 dBFS


async def measure(pipeline: GstPipelineEngine, processor: type[AudioFilter],
                  source: type[ToneSource] = ToneSource) -> tuple[FilterRecorder, float]:
    listener, _src, element, sink = run_audio(pipeline, source, processor)
    await wait_until(lambda: sink.samples >= 48000 // 2, timeout=20)
    assert element.processing_stats()[0] >= 10
    return listener, sink.level()


async def test_the_level_example_passes_the_tone_and_raises_one_event(
    engine_pipeline: GstPipelineEngine,
) -> None:
    listener, level = await measure(engine_pipeline, AudioLevel, OpusTone)
    assert abs(level - SINE_DB) < 2.0, level  # unchanged, through Opus twice
    await asyncio.sleep(0.1)
    assert len(listener.events) == 1, listener.events  # quiet → loud, once
    name, fields = listener.events[0]
    assert name == "AudioLevelCrossed" and fields["above"] is True
    # The block that crossed may be the codec's first, fading in: above -30, up to the tone.
    assert AudioLevel.THRESHOLD_DB < fields["levelDb"] < SINE_DB + 1.5
    assert listener.transcoding[0][:2] == (MediaKind.AUDIO, True)
    assert not listener.errors


async def test_a_gain_is_heard_and_the_tone_crossing_back_is_reported(
    engine_pipeline: GstPipelineEngine,
) -> None:
    listener, source, _element, sink = run_audio(engine_pipeline, ToneSource, Quarter)
    await wait_until(lambda: sink.samples >= 48000 // 2, timeout=20)
    assert abs(sink.level() - (SINE_DB - 12.0)) < 2.0, sink.level()  # a quarter: -12 dB
    # Loud, then quiet: above the threshold (-30 dBFS) at -21, below it at about -51.
    source.set_volume(0.02)
    await wait_until(lambda: len(listener.events) >= 2, timeout=10)
    assert [fields["above"] for _, fields in listener.events] == [True, False]
    assert listener.events[1][1]["levelDb"] < -36 and not listener.errors


class Invert(AudioFilter):
    """Module level: the child process imports it by name."""

    name = "InvertAudioFilter"
    isolation = "process"
    events = (FilterEvent("Inverted", {"samples": "int"}),)

    def process(self, samples: np.ndarray, pts: int) -> np.ndarray:
        self.emit("Inverted", samples=len(samples))
        return samples.astype(np.int32) * -4  # saturates: a louder square-ish wave


async def test_process_isolation_and_saturation(engine_pipeline: GstPipelineEngine) -> None:
    listener, level = await measure(engine_pipeline, Invert)
    assert level > SINE_DB + 5, level  # 4x (+12 dB) but clipped at full scale
    # 441 samples at 44.1 kHz (10 ms) reach the filter as 480 at 48 kHz.
    assert listener.events[0] == ("Inverted", {"samples": 480}), listener.events[0]
    assert not listener.errors


async def test_a_function_filter_and_a_broken_one(engine_pipeline: GstPipelineEngine) -> None:
    @audio_filter("SilenceFilter")
    def silence(samples: np.ndarray) -> None:
        samples[...] = 0

    _listener, level = await measure(engine_pipeline, silence)
    assert level < -60, level

    @audio_filter("BrokenAudioFilter")
    def broken(samples: np.ndarray) -> np.ndarray:
        return samples[:10]  # not the shape it got

    listener, level = await measure(engine_pipeline, broken)
    assert abs(level - SINE_DB) < 2.0  # reported once, then the audio passes unfiltered
    assert len(listener.errors) == 1 and "shape" in listener.errors[0][2]


async def test_clients_create_the_audio_filter_by_name(
    client: KurentoClient, peers: list[Peer]
) -> None:
    """Peer (silent Opus) → WebRtcEndpoint → AudioLevelFilter → same endpoint → peer."""
    pipeline = await MediaPipeline.create(client)
    endpoint = await WebRtcEndpoint.create(pipeline)
    level = await AudioLevelFilter.create(pipeline)
    transcoding: list[MediaType] = []
    crossed: list[AudioLevelCrossed] = []
    await level.on(MediaTranscodingStateChanged, lambda e: transcoding.append(e.media_type))
    await level.on(AudioLevelCrossed, crossed.append)
    peer = Peer(send_video=False)
    peers.append(peer)
    await endpoint.connect(level)
    await level.connect(endpoint)
    await negotiate_as_answerer(endpoint, peer)
    assert await peer.wait_frames("audio", 25, timeout=10) >= 25
    deadline = time.monotonic() + 3
    while MediaType.AUDIO not in transcoding and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert MediaType.AUDIO in transcoding
    assert await level.is_media_transcoding(MediaType.AUDIO)
    assert not crossed  # silence never crosses the threshold
    await pipeline.release()
